/**
 * Persistent storage a host lends the core: it survives restarts (a file on
 * Node, Preference on Moddable, scenario state in the simulator).
 */
export interface Store {
  /** The TAI64N ceiling in Unix milliseconds, or null if none was ever stored. */
  loadTimestampCeiling(): number | null;
  saveTimestampCeiling(unixMs: number): void;
}

/**
 * How far ahead of the last timestamp the stored ceiling is put. Larger means
 * fewer flash writes; after a reboot without a clock, timestamps jump ahead by
 * at most this much.
 */
export const CEILING_AHEAD = 3_600_000;
