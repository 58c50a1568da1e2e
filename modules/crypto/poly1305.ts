/**
 * Poly1305 (RFC 8439 §2.5), incremental, allocation-free and without BigInt.
 *
 * Limb choice: the accumulator h and the clamped key r are held as six 22-bit
 * limbs (radix 2^22, 132 bits in all). JavaScript numbers are doubles, exact
 * for integers below 2^53, so a product of two limbs and a sum of six such
 * products can be formed exactly without 64-bit integers or Math.imul:
 *
 * - after each block's carry chain every limb of h is < 2^22, except h1 which
 *   may exceed it by the final wrap-around carry (< 2^13); adding a message
 *   limb (< 2^22, the top one < 2^19 with its pad bit) keeps each h_i < 2^23;
 * - r_j < 2^22 (r_5 < 2^14 after clamping), so the reduction multiplier
 *   20 r_j < 2^26.33 (see below);
 * - so each column d_k, a sum of six products h_i * r_j or h_i * 20 r_j, is
 *   < 6 * 2^23 * 2^26.33 < 2^52, and a carry added to it keeps it < 2^53.
 *   The test suite drives every limb to its maximum (all-ones key and data).
 *
 * Reduction: p = 2^130 - 5, so 2^130 = 5 and 2^132 = 20 (mod p). Limb products
 * that land at 2^(22*(6+k)) fold back to limb k multiplied by 20; h is kept
 * only partially reduced (< 2^132) between blocks and fully reduced in finish().
 *
 * That is 36 multiplications per 16-byte block, against 100 for 13-bit limbs.
 * Carries divide by 2^22 with an exact multiplication by 2^-22 and `| 0`
 * (the quotients stay below 2^31), so no Math.floor call is needed.
 *
 * State is in typed arrays allocated in the constructor; a block's arithmetic
 * runs in local variables.
 */

/** 2^22 and its exact reciprocal. */
const B = 4194304;
const INV_B = 1 / 4194304;
const MASK = 0x3fffff;
const INV_2_32 = 1 / 4294967296;
/** The 2^128 pad bit of a full block (RFC 8439 §2.5.1), as a bit of limb 5 (bits 110..131). */
const HIBIT = 1 << 18;

/** Incremental Poly1305; reusable: call init() for each message. */
export class Poly1305 {
  /** Accumulator h, six 22-bit limbs (partially reduced). */
  private readonly h = new Uint32Array(6);
  /** Clamped r, six 22-bit limbs. */
  private readonly r = new Uint32Array(6);
  /** s, four little-endian 32-bit words. */
  private readonly s = new Uint32Array(4);
  /** Bytes of a partial block awaiting the rest of their 16. */
  private readonly buffer = new Uint8Array(16);
  private buffered = 0;

  /** Starts a new MAC with the 32-byte one-time key at key[off, off+32): r || s (RFC 8439 §2.5). */
  init(key: Uint8Array, off: number): void {
    // RFC 8439 §2.5.1: clamp r (clear the top 4 bits of bytes 3, 7, 11, 15 and the low 2 bits of 4, 8, 12).
    const t0 = le32(key, off) & 0x0fffffff;
    const t1 = le32(key, off + 4) & 0x0ffffffc;
    const t2 = le32(key, off + 8) & 0x0ffffffc;
    const t3 = le32(key, off + 12) & 0x0ffffffc;
    const r = this.r;
    r[0] = t0 & MASK;
    r[1] = ((t0 >>> 22) | (t1 << 10)) & MASK;
    r[2] = ((t1 >>> 12) | (t2 << 20)) & MASK;
    r[3] = (t2 >>> 2) & MASK;
    r[4] = ((t2 >>> 24) | (t3 << 8)) & MASK;
    r[5] = t3 >>> 14;
    const s = this.s;
    s[0] = le32(key, off + 16);
    s[1] = le32(key, off + 20);
    s[2] = le32(key, off + 24);
    s[3] = le32(key, off + 28);
    this.h.fill(0);
    this.buffer.fill(0);
    this.buffered = 0;
  }

  /** Absorbs data[off, off+len). */
  update(data: Uint8Array, off: number, len: number): void {
    const buf = this.buffer;
    if (this.buffered > 0) {
      let n = 16 - this.buffered;
      if (n > len) n = len;
      for (let i = 0; i < n; i++) buf[this.buffered + i] = data[off + i];
      this.buffered += n;
      off += n;
      len -= n;
      if (this.buffered < 16) return;
      this.blocks(buf, 0, 1, HIBIT);
      this.buffered = 0;
    }
    const whole = len >>> 4;
    if (whole > 0) this.blocks(data, off, whole, HIBIT);
    off += whole << 4;
    len &= 15;
    for (let i = 0; i < len; i++) buf[i] = data[off + i];
    this.buffered = len;
  }

  /**
   * Completes a partial block with zero bytes (RFC 8439 §2.8: padding1/padding2).
   * Equivalent to update() with 16 - (absorbed mod 16) zero bytes; no-op on a block boundary.
   */
  pad16(): void {
    if (this.buffered === 0) return;
    const buf = this.buffer;
    for (let i = this.buffered; i < 16; i++) buf[i] = 0;
    this.blocks(buf, 0, 1, HIBIT);
    this.buffered = 0;
  }

  /**
   * Absorbs the AEAD length block (RFC 8439 §2.8): the AD length and the
   * ciphertext length as 64-bit little-endian integers (lengths < 2^53).
   * Must be called on a block boundary (after pad16()).
   */
  lengths(adLen: number, ctLen: number): void {
    const buf = this.buffer;
    putLe32(buf, 0, adLen >>> 0);
    putLe32(buf, 4, (adLen / 4294967296) >>> 0);
    putLe32(buf, 8, ctLen >>> 0);
    putLe32(buf, 12, (ctLen / 4294967296) >>> 0);
    this.blocks(buf, 0, 1, HIBIT);
  }

  /** Finishes the MAC and writes the 16-byte tag to out[off, off+16). The state is wiped. */
  finish(out: Uint8Array, off: number): void {
    const buf = this.buffer;
    if (this.buffered > 0) {
      // RFC 8439 §2.5.1: a short final block gets its 0x01 byte right after the data, and no 2^128 bit.
      buf[this.buffered] = 1;
      for (let i = this.buffered + 1; i < 16; i++) buf[i] = 0;
      this.blocks(buf, 0, 1, 0);
      this.buffered = 0;
    }
    const h = this.h;
    let h0 = h[0], h1 = h[1], h2 = h[2], h3 = h[3], h4 = h[4], h5 = h[5];
    // Fully carry (all limbs are small integers here, so int32 operators are safe).
    let c: number;
    c = h0 >>> 22; h0 &= MASK; h1 += c;
    c = h1 >>> 22; h1 &= MASK; h2 += c;
    c = h2 >>> 22; h2 &= MASK; h3 += c;
    c = h3 >>> 22; h3 &= MASK; h4 += c;
    c = h4 >>> 22; h4 &= MASK; h5 += c;
    // Fold bits 130 and up back in: 2^130 = 5 (mod p). Limb 5 covers bits 110..131.
    c = h5 >>> 20; h5 &= 0xfffff; h0 += 5 * c;
    c = h0 >>> 22; h0 &= MASK; h1 += c;
    c = h1 >>> 22; h1 &= MASK; h2 += c;
    c = h2 >>> 22; h2 &= MASK; h3 += c;
    c = h3 >>> 22; h3 &= MASK; h4 += c;
    c = h4 >>> 22; h4 &= MASK; h5 += c;
    // Now h < 2^130 + 40 < 2p. g = h - p = h + 5 - 2^130; keep g when it did not borrow (h >= p).
    let g0 = h0 + 5; c = g0 >>> 22; g0 &= MASK;
    let g1 = h1 + c; c = g1 >>> 22; g1 &= MASK;
    let g2 = h2 + c; c = g2 >>> 22; g2 &= MASK;
    let g3 = h3 + c; c = g3 >>> 22; g3 &= MASK;
    let g4 = h4 + c; c = g4 >>> 22; g4 &= MASK;
    const g5 = h5 + c - (1 << 20);
    // Branch-free select: keep is all ones when g5 < 0 (h < p), else zero.
    const keep = g5 >> 31;
    const take = ~keep;
    h0 = (h0 & keep) | (g0 & take);
    h1 = (h1 & keep) | (g1 & take);
    h2 = (h2 & keep) | (g2 & take);
    h3 = (h3 & keep) | (g3 & take);
    h4 = (h4 & keep) | (g4 & take);
    h5 = (h5 & keep) | (g5 & take);
    // tag = (h + s) mod 2^128 (RFC 8439 §2.5.1): repack h into 32-bit words, add s with carries.
    const s = this.s;
    const w0 = (h0 | (h1 << 22)) >>> 0;
    const w1 = ((h1 >>> 10) | (h2 << 12)) >>> 0;
    const w2 = ((h2 >>> 20) | (h3 << 2) | (h4 << 24)) >>> 0;
    const w3 = ((h4 >>> 8) | (h5 << 14)) >>> 0;
    // Each sum is < 2^33; the carry is its bit 32, taken without a branch.
    let f = w0 + s[0];
    putLe32(out, off, f >>> 0);
    f = w1 + s[1] + ((f * INV_2_32) | 0);
    putLe32(out, off + 4, f >>> 0);
    f = w2 + s[2] + ((f * INV_2_32) | 0);
    putLe32(out, off + 8, f >>> 0);
    f = w3 + s[3] + ((f * INV_2_32) | 0);
    putLe32(out, off + 12, f >>> 0);
    // Wipe the key and accumulator.
    h.fill(0);
    this.r.fill(0);
    s.fill(0);
    buf.fill(0);
  }

  /**
   * Processes n whole 16-byte blocks at data[off...]: h = (h + block + hibit) * r (mod p, partially).
   * The hot loop of the MAC; everything stays in locals.
   */
  private blocks(data: Uint8Array, off: number, n: number, hibit: number): void {
    const r = this.r;
    const r0 = r[0], r1 = r[1], r2 = r[2], r3 = r[3], r4 = r[4], r5 = r[5];
    // Multipliers for products that wrap past 2^132 (= 20 mod p).
    const s1 = 20 * r1, s2 = 20 * r2, s3 = 20 * r3, s4 = 20 * r4, s5 = 20 * r5;
    const h = this.h;
    let h0 = h[0], h1 = h[1], h2 = h[2], h3 = h[3], h4 = h[4], h5 = h[5];
    for (let p = off, end = off + 16 * n; p < end; p += 16) {
      const t0 = data[p] | (data[p + 1] << 8) | (data[p + 2] << 16) | (data[p + 3] << 24);
      const t1 = data[p + 4] | (data[p + 5] << 8) | (data[p + 6] << 16) | (data[p + 7] << 24);
      const t2 = data[p + 8] | (data[p + 9] << 8) | (data[p + 10] << 16) | (data[p + 11] << 24);
      const t3 = data[p + 12] | (data[p + 13] << 8) | (data[p + 14] << 16) | (data[p + 15] << 24);
      h0 += t0 & MASK;
      h1 += ((t0 >>> 22) | (t1 << 10)) & MASK;
      h2 += ((t1 >>> 12) | (t2 << 20)) & MASK;
      h3 += (t2 >>> 2) & MASK;
      h4 += ((t2 >>> 24) | (t3 << 8)) & MASK;
      h5 += (t3 >>> 14) | hibit;

      // d_k = sum over i+j=k of h_i r_j + 20 * sum over i+j=k+6 of h_i r_j (exact: each < 2^52).
      let d0 = h0 * r0 + h1 * s5 + h2 * s4 + h3 * s3 + h4 * s2 + h5 * s1;
      let d1 = h0 * r1 + h1 * r0 + h2 * s5 + h3 * s4 + h4 * s3 + h5 * s2;
      let d2 = h0 * r2 + h1 * r1 + h2 * r0 + h3 * s5 + h4 * s4 + h5 * s3;
      let d3 = h0 * r3 + h1 * r2 + h2 * r1 + h3 * r0 + h4 * s5 + h5 * s4;
      let d4 = h0 * r4 + h1 * r3 + h2 * r2 + h3 * r1 + h4 * r0 + h5 * s5;
      let d5 = h0 * r5 + h1 * r4 + h2 * r3 + h3 * r2 + h4 * r1 + h5 * r0;

      // Carry chain; each quotient is < 2^31, so `| 0` floors it.
      let c = (d0 * INV_B) | 0; h0 = d0 - c * B;
      d1 += c; c = (d1 * INV_B) | 0; h1 = d1 - c * B;
      d2 += c; c = (d2 * INV_B) | 0; h2 = d2 - c * B;
      d3 += c; c = (d3 * INV_B) | 0; h3 = d3 - c * B;
      d4 += c; c = (d4 * INV_B) | 0; h4 = d4 - c * B;
      d5 += c; c = (d5 * INV_B) | 0; h5 = d5 - c * B;
      // The carry out of limb 5 sits at 2^132 = 20 (mod p); 20c < 2^35, so carry it on once more.
      h0 += c * 20;
      c = (h0 * INV_B) | 0; h0 -= c * B;
      h1 += c;
    }
    h[0] = h0; h[1] = h1; h[2] = h2; h[3] = h3; h[4] = h4; h[5] = h5;
  }
}

function le32(b: Uint8Array, i: number): number {
  return b[i] | (b[i + 1] << 8) | (b[i + 2] << 16) | (b[i + 3] << 24);
}

function putLe32(b: Uint8Array, i: number, v: number): void {
  b[i] = v;
  b[i + 1] = v >>> 8;
  b[i + 2] = v >>> 16;
  b[i + 3] = v >>> 24;
}
