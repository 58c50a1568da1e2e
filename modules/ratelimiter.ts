/**
 * Token buckets against floods (STYLE §8; wireguard-go ratelimiter): one global
 * bucket, and one per source address in a table of fixed size, so memory never
 * grows with the number of sources an attacker can spoof.
 *
 * Arithmetic is exact for integer millisecond clocks: a bucket counts in
 * units where one token is 1000 units and each millisecond adds `rate` units,
 * so no rounding ever hands out an extra packet.
 */

/** Units per token: one per millisecond of a one-per-second rate. */
const UNIT = 1000;

function checkRate(ratePerSecond: number, burst: number): void {
  if (!(ratePerSecond > 0) || !Number.isFinite(ratePerSecond)) throw new RangeError(`rate must be a positive number of events per second, got ${ratePerSecond}`);
  if (!(burst >= 1) || !Number.isFinite(burst)) throw new RangeError(`burst must be a number of tokens >= 1, got ${burst}`);
}

/**
 * A single token bucket: it starts full (`burst` tokens), refills at
 * `ratePerSecond`, never holds more than `burst`, and each allowed event takes
 * one token. Over any interval of t ms it allows at most burst + rate * t / 1000.
 */
export class TokenBucket {
  private readonly rate: number;
  private readonly capacity: number;
  private tokens: number;
  private last = -Infinity;

  constructor(ratePerSecond: number, burst: number) {
    checkRate(ratePerSecond, burst);
    this.rate = ratePerSecond;
    this.capacity = burst * UNIT;
    this.tokens = this.capacity;
  }

  /**
   * Takes a token at time `now` (ms, monotonic); false if none is left. A clock
   * that goes backwards refills nothing (the bucket's time never goes back).
   */
  take(now: number): boolean {
    if (now > this.last) {
      if (this.last !== -Infinity) {
        const t = this.tokens + (now - this.last) * this.rate;
        this.tokens = t < this.capacity ? t : this.capacity;
      }
      this.last = now;
    }
    if (this.tokens < UNIT) return false;
    this.tokens -= UNIT;
    return true;
  }
}

/** Sources a new address may displace: the slots probed from its hash. */
const PROBE = 4;

/**
 * A token bucket per source address, in a fixed table of `slots` entries.
 *
 * Semantics:
 * - A source is keyed by its address only. `port` is accepted so hosts can pass
 *   the whole endpoint, but a flooder picks ports freely, so a port must not
 *   buy a fresh bucket (wireguard-go keys on the IP alone).
 * - A source seen for the first time starts with a full burst.
 * - An address hashes to a window of PROBE consecutive slots. If it is not
 *   there, it takes an empty slot, else the slot in the window whose source
 *   was seen least recently.
 * - Forgetting a source whose bucket had refilled loses nothing: a returning
 *   source would be full anyway. Forgetting one that had not refilled could
 *   hand it a fresh burst on return, so the table keeps one "floor" bucket: the
 *   least any evicted, not-yet-refilled source had left, refilling at `rate`.
 *   A source not in the table starts from the floor (full when no such eviction
 *   happened within the last burst/rate seconds). So no source is ever allowed
 *   more than burst + rate * t over t, however many sources compete for slots;
 *   under such pressure new sources start with less than a full burst.
 *
 * `allow` never allocates: it hashes the string with charCodeAt and keeps a
 * reference to the host's string for comparison.
 */
export class SourceRateLimiter {
  private readonly rate: number;
  private readonly capacity: number;
  private readonly slotCount: number;
  private readonly keys: (string | null)[];
  private readonly hashes: Uint32Array;
  private readonly tokens: Float64Array;
  /** Time of the bucket's last refill, which is also when its source was last seen. */
  private readonly seen: Float64Array;
  private floorTokens: number;
  private floorLast = -Infinity;

  /**
   * @param ratePerSecond refill rate of each source's bucket
   * @param burst tokens a bucket holds
   * @param slots sources tracked at once (memory is fixed at this)
   */
  constructor(ratePerSecond: number, burst: number, slots: number) {
    checkRate(ratePerSecond, burst);
    if (!Number.isInteger(slots) || slots < 1) throw new RangeError(`slots must be a positive integer, got ${slots}`);
    this.rate = ratePerSecond;
    this.capacity = burst * UNIT;
    this.slotCount = slots;
    this.keys = new Array<string | null>(slots).fill(null);
    this.hashes = new Uint32Array(slots);
    this.tokens = new Float64Array(slots);
    this.seen = new Float64Array(slots);
    this.floorTokens = this.capacity;
  }

  /**
   * Takes a token for `address` at `now` (ms, monotonic); false if its bucket is
   * empty. `port` is ignored (see the class comment).
   */
  allow(now: number, address: string, port?: number): boolean {
    const h = hashString(address);
    const n = this.slotCount;
    const probe = n < PROBE ? n : PROBE;
    const start = h % n;
    let slot = -1;
    let victim = -1;
    for (let k = 0; k < probe; k++) {
      const i = (start + k) % n;
      const key = this.keys[i];
      if (key === null) {
        // Slots are never emptied, so the address cannot sit beyond an empty one.
        victim = i;
        break;
      }
      if (this.hashes[i] === h && key === address) {
        slot = i;
        break;
      }
      if (victim < 0 || this.seen[i] < this.seen[victim]) victim = i;
    }
    if (slot < 0) {
      slot = victim;
      if (this.keys[slot] !== null) this.evict(slot, now);
      this.keys[slot] = address;
      this.hashes[slot] = h;
      this.tokens[slot] = this.floor(now);
      this.seen[slot] = now;
    } else if (now > this.seen[slot]) {
      const t = this.tokens[slot] + (now - this.seen[slot]) * this.rate;
      this.tokens[slot] = t < this.capacity ? t : this.capacity;
      this.seen[slot] = now;
    }
    if (this.tokens[slot] < UNIT) return false;
    this.tokens[slot] -= UNIT;
    return true;
  }

  /** Forgets the source in `slot`, lowering the floor if its bucket had not refilled. */
  private evict(slot: number, now: number): void {
    const elapsed = now > this.seen[slot] ? now - this.seen[slot] : 0;
    const t = this.tokens[slot] + elapsed * this.rate;
    if (t < this.capacity) {
      const floor = this.floor(now);
      this.floorTokens = t < floor ? t : floor;
      if (now > this.floorLast) this.floorLast = now;
    }
  }

  /** The floor bucket refilled to `now`. */
  private floor(now: number): number {
    if (this.floorLast === -Infinity || now <= this.floorLast) return this.floorTokens;
    const t = this.floorTokens + (now - this.floorLast) * this.rate;
    return t < this.capacity ? t : this.capacity;
  }
}

/**
 * Calling the method directly with the string as `this`: on XS, `s.length` and
 * `s.charCodeAt(i)` on a primitive string each allocate a String wrapper (2
 * heap slots, measured with the xsnap meter), while this does not. Reading a
 * module-level function is fine under preload; only writes are refused.
 */
const charCodeAt = String.prototype.charCodeAt;

/**
 * FNV-1a over the UTF-16 code units, without allocating: the loop runs until
 * charCodeAt returns NaN past the end, so `s.length` is never read.
 */
function hashString(s: string): number {
  let h = 0x811c9dc5;
  for (let i = 0; ; i++) {
    const c = charCodeAt.call(s, i);
    if (c !== c) break;
    h = Math.imul(h ^ c, 0x01000193);
  }
  return h >>> 0;
}
