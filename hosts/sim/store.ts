/**
 * A Store (modules/store.ts) kept in memory. A scenario that wants the TAI64N
 * ceiling to survive a node's restart passes the same MemoryStore to it before
 * and after; one that models a wiped flash passes a new one.
 */
import type { Store } from '../../modules/store';

export class MemoryStore implements Store {
  private ceiling: number | null;
  /** How often the core wrote: the flash-wear figure DESIGN.md §2 wants small. */
  writes = 0;

  constructor(initial: number | null = null) {
    this.ceiling = initial;
  }

  loadTimestampCeiling(): number | null {
    return this.ceiling;
  }

  saveTimestampCeiling(unixMs: number): void {
    this.ceiling = unixMs;
    this.writes++;
  }
}
