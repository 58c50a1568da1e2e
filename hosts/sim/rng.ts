/**
 * A seeded pseudo-random generator for the simulator: xoshiro128** (Blackman
 * and Vigna), seeded through splitmix32 so that nearby seeds (1, 2, 3 ...)
 * still give unrelated streams.
 *
 * It is NOT cryptographically secure, and that is the point: every random
 * choice in a simulation (the network's loss and jitter, and the bytes each
 * simulated Device receives as `DeviceHost.random`) comes from one seed, so a
 * failing run can be replayed exactly.
 */

/** One step of splitmix32: advances `state` and returns a well-mixed word. */
function splitmix32(state: Uint32Array): number {
  state[0] = (state[0] + 0x9e3779b9) >>> 0;
  let z = state[0];
  // The finaliser of MurmurHash3 (fmix32): every input bit affects every output bit.
  z = Math.imul(z ^ (z >>> 16), 0x85ebca6b);
  z = Math.imul(z ^ (z >>> 13), 0xc2b2ae35);
  return (z ^ (z >>> 16)) >>> 0;
}

function rotl(x: number, k: number): number {
  return (x << k) | (x >>> (32 - k));
}

/** A deterministic stream of numbers from a 32-bit seed. */
export class Rng {
  private readonly s = new Uint32Array(4);

  /** @param seed any number; only its low 32 bits matter. */
  constructor(readonly seed: number) {
    const sm = new Uint32Array([seed >>> 0]);
    for (let i = 0; i < 4; i++) this.s[i] = splitmix32(sm);
    // xoshiro's only bad state is all zeros; splitmix32 cannot produce four zero words in a row, but be sure.
    if ((this.s[0] | this.s[1] | this.s[2] | this.s[3]) === 0) this.s[0] = 1;
  }

  /** The next uniformly distributed unsigned 32-bit integer. */
  nextU32(): number {
    const s = this.s;
    const result = Math.imul(rotl(Math.imul(s[1], 5), 7), 9) >>> 0;
    const t = s[1] << 9;
    s[2] ^= s[0];
    s[3] ^= s[1];
    s[1] ^= s[2];
    s[0] ^= s[3];
    s[2] ^= t;
    s[3] = rotl(s[3], 11);
    return result;
  }

  /** A float uniformly distributed in [0, 1), with 32 bits of resolution. */
  next(): number {
    return this.nextU32() / 4294967296;
  }

  /** An integer uniformly distributed in [0, n) for 0 < n <= 2^32 (bias below 2^-32·n, irrelevant here). */
  int(n: number): number {
    return Math.floor(this.next() * n);
  }

  /** True with probability p; consumes no randomness when p is 0 or 1, so turning a knob off leaves the stream alone. */
  chance(p: number): boolean {
    if (p <= 0) return false;
    if (p >= 1) return true;
    return this.next() < p;
  }

  /** Fills `bytes` with random bytes (what DeviceHost.random needs). */
  fill(bytes: Uint8Array): void {
    let i = 0;
    for (; i + 4 <= bytes.length; i += 4) {
      const w = this.nextU32();
      bytes[i] = w & 0xff;
      bytes[i + 1] = (w >>> 8) & 0xff;
      bytes[i + 2] = (w >>> 16) & 0xff;
      bytes[i + 3] = w >>> 24;
    }
    if (i < bytes.length) {
      let w = this.nextU32();
      for (; i < bytes.length; i++, w >>>= 8) bytes[i] = w & 0xff;
    }
  }

  /** Random bytes in a new array. */
  bytes(n: number): Uint8Array {
    const out = new Uint8Array(n);
    this.fill(out);
    return out;
  }

  /**
   * An independent child stream. Each simulated node and the network get their
   * own, so one component drawing more numbers (a retry, a longer packet) does
   * not shift every other component's choices.
   */
  fork(): Rng {
    return new Rng(this.nextU32());
  }
}
