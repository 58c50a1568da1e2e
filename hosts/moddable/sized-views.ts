/**
 * Views buf[0, len) of one scratch buffer, made once per length and reused.
 *
 * ECMA-419 `write()` sends a whole buffer, so sending `len` bytes of a
 * scratch buffer needs a view of exactly that length; `subarray()` per packet
 * would allocate on every send. WireGuard pads transport plaintext to 16
 * bytes, so a tunnel carries few distinct datagram lengths, and telemetry
 * usually has a fixed size: a small cache covers them. It is bounded (memory
 * never grows with traffic); lengths beyond its capacity get a fresh view.
 */
export class SizedViews {
  private readonly lengths: number[] = [];
  private readonly views: Uint8Array[] = [];
  /** Views made because the cache was full (a health figure: should stay 0). */
  misses = 0;

  constructor(readonly buffer: Uint8Array, private readonly capacity: number) {}

  /** buffer[0, len), from the cache when possible. */
  get(len: number): Uint8Array {
    if (len === this.buffer.length) return this.buffer;
    const lengths = this.lengths;
    for (let i = 0; i < lengths.length; i++) {
      if (lengths[i] === len) return this.views[i];
    }
    const view = this.buffer.subarray(0, len);
    if (lengths.length < this.capacity) {
      lengths.push(len);
      this.views.push(view);
    } else {
      this.misses++;
    }
    return view;
  }
}
