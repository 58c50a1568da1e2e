/// <reference path="./moddable.d.ts" />
/**
 * The monotonic millisecond clock the device runs on, from `Time.ticks`.
 *
 * On an ESP32, Time.ticks is a signed 32-bit millisecond counter: it wraps
 * after about 24.8 days, and a gateway must run for years. The clock
 * accumulates wrap-safe differences instead: `(ticks - last) | 0` is the
 * true elapsed time modulo 2^32, which is exact as long as the clock is read
 * at least every 2^31 ms. The host's timer fires at least once a minute
 * (endpoint.ts, IDLE_MS), so it always is. On the simulator ticks is a plain
 * large number, and the same subtraction is exact there too.
 */
import Time from 'time';

export class MonotonicClock {
  private last: number;
  private ms = 0;

  constructor() {
    this.last = Time.ticks;
  }

  /** Milliseconds since construction; never decreases. */
  now(): number {
    const ticks = Time.ticks;
    const delta = (ticks - this.last) | 0;
    this.last = ticks;
    if (delta > 0) this.ms += delta;
    return this.ms;
  }
}
