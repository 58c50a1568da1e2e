/**
 * The time put into each initiation's TAI64N (DESIGN.md §2): never behind the
 * wall clock, never behind the stored ceiling, and advancing with the
 * monotonic `now` when the wall clock stands still (a gateway before SNTP).
 * The ceiling is rewritten only when a timestamp passes it, sparing flash.
 */
import { CEILING_AHEAD, type Store } from './store';

export class TimestampClock {
  /** A monotonic base fixed at the first initiation (NaN until then). */
  private base = NaN;
  private baseNow = 0;
  private ceiling: number;

  constructor(private readonly wallClock: (() => number) | undefined, private readonly store: Store | undefined) {
    this.ceiling = store?.loadTimestampCeiling() ?? -Infinity;
  }

  /** Unix milliseconds for the initiation sent at monotonic time `now`. */
  at(now: number): number {
    const wall = this.wallClock ? this.wallClock() : now;
    if (this.base !== this.base) {
      // 20 ms past the ceiling: whitening rounds to ~16 ms, and we must land strictly after it.
      this.base = Math.max(wall, this.ceiling + 20);
      this.baseNow = now;
    }
    const t = Math.max(wall, this.base + (now - this.baseNow));
    if (this.store && t >= this.ceiling) {
      this.ceiling = t + CEILING_AHEAD;
      this.store.saveTimestampCeiling(this.ceiling);
    }
    return t;
  }
}
