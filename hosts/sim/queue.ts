/**
 * The simulator's agenda: a binary min-heap of things due at a virtual time.
 * Ties are broken by insertion order, so two datagrams or actions due at the
 * same millisecond always run in the same order: determinism does not depend
 * on the heap's internal layout.
 */

/** A scheduled item. `cancelled` entries stay in the heap and are skipped when popped (cheaper than removal). */
export interface Scheduled {
  readonly at: number;
  readonly seq: number;
  /** Short text for traces and livelock reports. */
  readonly label: string;
  readonly run: () => void;
  cancelled: boolean;
}

/** What a caller holds to cancel something it scheduled. */
export interface Handle {
  cancel(): void;
}

/** Anything that can put work on the agenda (the Network uses this to schedule arrivals). */
export interface Scheduler {
  schedule(at: number, label: string, run: () => void): Handle;
}

export class EventQueue {
  private readonly heap: Scheduled[] = [];
  private seq = 0;

  get size(): number {
    return this.heap.length;
  }

  /** The sequence number the next push will get: entries below it existed before. */
  get nextSeq(): number {
    return this.seq;
  }

  push(at: number, label: string, run: () => void): Scheduled {
    if (Number.isNaN(at)) throw new Error(`cannot schedule "${label}" at NaN`);
    const e: Scheduled = { at, seq: this.seq++, label, run, cancelled: false };
    const h = this.heap;
    h.push(e);
    let i = h.length - 1;
    while (i > 0) {
      const parent = (i - 1) >> 1;
      if (!before(h[i], h[parent])) break;
      [h[i], h[parent]] = [h[parent], h[i]];
      i = parent;
    }
    return e;
  }

  /** The earliest live entry, discarding cancelled ones on the way. */
  peek(): Scheduled | undefined {
    while (this.heap.length > 0 && this.heap[0].cancelled) this.pop();
    return this.heap[0];
  }

  pop(): Scheduled | undefined {
    const h = this.heap;
    if (h.length === 0) return undefined;
    const top = h[0];
    const last = h.pop()!;
    if (h.length > 0) {
      h[0] = last;
      let i = 0;
      for (;;) {
        const l = 2 * i + 1;
        const r = l + 1;
        let m = i;
        if (l < h.length && before(h[l], h[m])) m = l;
        if (r < h.length && before(h[r], h[m])) m = r;
        if (m === i) break;
        [h[i], h[m]] = [h[m], h[i]];
        i = m;
      }
    }
    return top;
  }
}

function before(a: Scheduled, b: Scheduled): boolean {
  return a.at < b.at || (a.at === b.at && a.seq < b.seq);
}
