/**
 * BLAKE2s (RFC 7693), allocation-free and written for XS.
 *
 * A WireGuard handshake hashes about 80 blocks on each side (HASH, HMAC and
 * the KDF chains of Noise IK). A generic implementation that allocates per
 * call and walks a sigma table spent about as many XS computrons on that as
 * on three X25519 operations per side; this one spends about half of one.
 * So:
 * - the chaining value is an Int32Array and the sixteen working words and
 *   sixteen message words are local variables; the ten rounds are written
 *   out with the message schedule (RFC 7693 §2.7, sigma) resolved in the
 *   source, so no table is read;
 * - each G is a single expression, its eight steps nested innermost-first
 *   (each step's result feeds the next straight from the stack), which XS
 *   runs in about 8% fewer byte codes than eight separate statements.
 *   Every step is `x = rotr(x ^ (y = (y + z [+ m]) | 0), n)`, written so
 *   that a variable is read only after the inner steps that assign it;
 * - sums are truncated with `| 0`, so every value stays an int32, which XS
 *   keeps in its integer fast path: an unbounded sum would become a double,
 *   slow on an ESP32 (no double-precision FPU), even if it meters slightly
 *   cheaper;
 * - on a little-endian host (all we run on) the message words are read
 *   through an Int32Array view of the block, the digest leaves through a
 *   byte view of the chaining value, and copies are native `set` calls. A
 *   big-endian host gets the same results through byte-wise paths.
 *
 * Scratch lives in the instance, allocated by the constructor: nothing is
 * allocated at module level (on Moddable a preloaded module's typed arrays
 * are frozen). Not re-entrant; one instance per user.
 */

/** The initialisation vector (RFC 7693 §2.6), as int32. */
const IV0 = 0x6a09e667;
const IV1 = 0xbb67ae85 | 0;
const IV2 = 0x3c6ef372;
const IV3 = 0xa54ff53a | 0;
const IV4 = 0x510e527f;
const IV5 = 0x9b05688c | 0;
const IV6 = 0x1f83d9ab;
const IV7 = 0x5be0cd19;

const BLOCK = 64;
const TWO32 = 4294967296;

/**
 * F (RFC 7693 §3.2): compresses the block w (16 little-endian words) into h,
 * with `t` the number of bytes hashed so far including this block, and
 * `last` set for the final block.
 */
function compress(h: Int32Array, w: Int32Array, t: number, last: boolean): void {
  const m0 = w[0], m1 = w[1], m2 = w[2], m3 = w[3];
  const m4 = w[4], m5 = w[5], m6 = w[6], m7 = w[7];
  const m8 = w[8], m9 = w[9], m10 = w[10], m11 = w[11];
  const m12 = w[12], m13 = w[13], m14 = w[14], m15 = w[15];
  const h0 = h[0], h1 = h[1], h2 = h[2], h3 = h[3], h4 = h[4], h5 = h[5], h6 = h[6], h7 = h[7];
  let v0 = h0, v1 = h1, v2 = h2, v3 = h3, v4 = h4, v5 = h5, v6 = h6, v7 = h7;
  let v8 = IV0, v9 = IV1, v10 = IV2, v11 = IV3;
  // The 64-bit counter (low word, high word), then the final-block flag f0 (all ones).
  let v12 = IV4 ^ t, v13 = IV5 ^ ((t / TWO32) | 0);
  let v14 = last ? ~IV6 : IV6, v15 = IV7;
  // Each G below reads from its innermost line outwards: the first step is
  // `v12 = rotr(v12 ^ (v0 = v0 + v4 + m0), 16)`, its value is the addend of
  // the second, `v4 = rotr(v4 ^ (v8 = v8 + v12), 12)`, and so on (RFC 7693 §3.1).
  // Round 0, sigma[0] = 0 1 2 3 4 5 6 7 8 9 10 11 12 13 14 15: columns, then diagonals.
  // G(v0, v4, v8, v12, m0, m1)
  v4 = ((v4 = (v8 = (
    (v12 = ((v12 = (v0 = (
      (v4 = ((v4 = (v8 = (
        (v12 = ((v12 = (v0 = (v0 + v4 + m0) | 0) ^ v12) >>> 16) | (v12 << 16))
      + v8) | 0) ^ v4) >>> 12) | (v4 << 20))
    + v0 + m1) | 0) ^ v12) >>> 8) | (v12 << 24))
  + v8) | 0) ^ v4) >>> 7) | (v4 << 25);
  // G(v1, v5, v9, v13, m2, m3)
  v5 = ((v5 = (v9 = (
    (v13 = ((v13 = (v1 = (
      (v5 = ((v5 = (v9 = (
        (v13 = ((v13 = (v1 = (v1 + v5 + m2) | 0) ^ v13) >>> 16) | (v13 << 16))
      + v9) | 0) ^ v5) >>> 12) | (v5 << 20))
    + v1 + m3) | 0) ^ v13) >>> 8) | (v13 << 24))
  + v9) | 0) ^ v5) >>> 7) | (v5 << 25);
  // G(v2, v6, v10, v14, m4, m5)
  v6 = ((v6 = (v10 = (
    (v14 = ((v14 = (v2 = (
      (v6 = ((v6 = (v10 = (
        (v14 = ((v14 = (v2 = (v2 + v6 + m4) | 0) ^ v14) >>> 16) | (v14 << 16))
      + v10) | 0) ^ v6) >>> 12) | (v6 << 20))
    + v2 + m5) | 0) ^ v14) >>> 8) | (v14 << 24))
  + v10) | 0) ^ v6) >>> 7) | (v6 << 25);
  // G(v3, v7, v11, v15, m6, m7)
  v7 = ((v7 = (v11 = (
    (v15 = ((v15 = (v3 = (
      (v7 = ((v7 = (v11 = (
        (v15 = ((v15 = (v3 = (v3 + v7 + m6) | 0) ^ v15) >>> 16) | (v15 << 16))
      + v11) | 0) ^ v7) >>> 12) | (v7 << 20))
    + v3 + m7) | 0) ^ v15) >>> 8) | (v15 << 24))
  + v11) | 0) ^ v7) >>> 7) | (v7 << 25);
  // G(v0, v5, v10, v15, m8, m9)
  v5 = ((v5 = (v10 = (
    (v15 = ((v15 = (v0 = (
      (v5 = ((v5 = (v10 = (
        (v15 = ((v15 = (v0 = (v0 + v5 + m8) | 0) ^ v15) >>> 16) | (v15 << 16))
      + v10) | 0) ^ v5) >>> 12) | (v5 << 20))
    + v0 + m9) | 0) ^ v15) >>> 8) | (v15 << 24))
  + v10) | 0) ^ v5) >>> 7) | (v5 << 25);
  // G(v1, v6, v11, v12, m10, m11)
  v6 = ((v6 = (v11 = (
    (v12 = ((v12 = (v1 = (
      (v6 = ((v6 = (v11 = (
        (v12 = ((v12 = (v1 = (v1 + v6 + m10) | 0) ^ v12) >>> 16) | (v12 << 16))
      + v11) | 0) ^ v6) >>> 12) | (v6 << 20))
    + v1 + m11) | 0) ^ v12) >>> 8) | (v12 << 24))
  + v11) | 0) ^ v6) >>> 7) | (v6 << 25);
  // G(v2, v7, v8, v13, m12, m13)
  v7 = ((v7 = (v8 = (
    (v13 = ((v13 = (v2 = (
      (v7 = ((v7 = (v8 = (
        (v13 = ((v13 = (v2 = (v2 + v7 + m12) | 0) ^ v13) >>> 16) | (v13 << 16))
      + v8) | 0) ^ v7) >>> 12) | (v7 << 20))
    + v2 + m13) | 0) ^ v13) >>> 8) | (v13 << 24))
  + v8) | 0) ^ v7) >>> 7) | (v7 << 25);
  // G(v3, v4, v9, v14, m14, m15)
  v4 = ((v4 = (v9 = (
    (v14 = ((v14 = (v3 = (
      (v4 = ((v4 = (v9 = (
        (v14 = ((v14 = (v3 = (v3 + v4 + m14) | 0) ^ v14) >>> 16) | (v14 << 16))
      + v9) | 0) ^ v4) >>> 12) | (v4 << 20))
    + v3 + m15) | 0) ^ v14) >>> 8) | (v14 << 24))
  + v9) | 0) ^ v4) >>> 7) | (v4 << 25);
  // Round 1, sigma[1] = 14 10 4 8 9 15 13 6 1 12 0 2 11 7 5 3: columns, then diagonals.
  // G(v0, v4, v8, v12, m14, m10)
  v4 = ((v4 = (v8 = (
    (v12 = ((v12 = (v0 = (
      (v4 = ((v4 = (v8 = (
        (v12 = ((v12 = (v0 = (v0 + v4 + m14) | 0) ^ v12) >>> 16) | (v12 << 16))
      + v8) | 0) ^ v4) >>> 12) | (v4 << 20))
    + v0 + m10) | 0) ^ v12) >>> 8) | (v12 << 24))
  + v8) | 0) ^ v4) >>> 7) | (v4 << 25);
  // G(v1, v5, v9, v13, m4, m8)
  v5 = ((v5 = (v9 = (
    (v13 = ((v13 = (v1 = (
      (v5 = ((v5 = (v9 = (
        (v13 = ((v13 = (v1 = (v1 + v5 + m4) | 0) ^ v13) >>> 16) | (v13 << 16))
      + v9) | 0) ^ v5) >>> 12) | (v5 << 20))
    + v1 + m8) | 0) ^ v13) >>> 8) | (v13 << 24))
  + v9) | 0) ^ v5) >>> 7) | (v5 << 25);
  // G(v2, v6, v10, v14, m9, m15)
  v6 = ((v6 = (v10 = (
    (v14 = ((v14 = (v2 = (
      (v6 = ((v6 = (v10 = (
        (v14 = ((v14 = (v2 = (v2 + v6 + m9) | 0) ^ v14) >>> 16) | (v14 << 16))
      + v10) | 0) ^ v6) >>> 12) | (v6 << 20))
    + v2 + m15) | 0) ^ v14) >>> 8) | (v14 << 24))
  + v10) | 0) ^ v6) >>> 7) | (v6 << 25);
  // G(v3, v7, v11, v15, m13, m6)
  v7 = ((v7 = (v11 = (
    (v15 = ((v15 = (v3 = (
      (v7 = ((v7 = (v11 = (
        (v15 = ((v15 = (v3 = (v3 + v7 + m13) | 0) ^ v15) >>> 16) | (v15 << 16))
      + v11) | 0) ^ v7) >>> 12) | (v7 << 20))
    + v3 + m6) | 0) ^ v15) >>> 8) | (v15 << 24))
  + v11) | 0) ^ v7) >>> 7) | (v7 << 25);
  // G(v0, v5, v10, v15, m1, m12)
  v5 = ((v5 = (v10 = (
    (v15 = ((v15 = (v0 = (
      (v5 = ((v5 = (v10 = (
        (v15 = ((v15 = (v0 = (v0 + v5 + m1) | 0) ^ v15) >>> 16) | (v15 << 16))
      + v10) | 0) ^ v5) >>> 12) | (v5 << 20))
    + v0 + m12) | 0) ^ v15) >>> 8) | (v15 << 24))
  + v10) | 0) ^ v5) >>> 7) | (v5 << 25);
  // G(v1, v6, v11, v12, m0, m2)
  v6 = ((v6 = (v11 = (
    (v12 = ((v12 = (v1 = (
      (v6 = ((v6 = (v11 = (
        (v12 = ((v12 = (v1 = (v1 + v6 + m0) | 0) ^ v12) >>> 16) | (v12 << 16))
      + v11) | 0) ^ v6) >>> 12) | (v6 << 20))
    + v1 + m2) | 0) ^ v12) >>> 8) | (v12 << 24))
  + v11) | 0) ^ v6) >>> 7) | (v6 << 25);
  // G(v2, v7, v8, v13, m11, m7)
  v7 = ((v7 = (v8 = (
    (v13 = ((v13 = (v2 = (
      (v7 = ((v7 = (v8 = (
        (v13 = ((v13 = (v2 = (v2 + v7 + m11) | 0) ^ v13) >>> 16) | (v13 << 16))
      + v8) | 0) ^ v7) >>> 12) | (v7 << 20))
    + v2 + m7) | 0) ^ v13) >>> 8) | (v13 << 24))
  + v8) | 0) ^ v7) >>> 7) | (v7 << 25);
  // G(v3, v4, v9, v14, m5, m3)
  v4 = ((v4 = (v9 = (
    (v14 = ((v14 = (v3 = (
      (v4 = ((v4 = (v9 = (
        (v14 = ((v14 = (v3 = (v3 + v4 + m5) | 0) ^ v14) >>> 16) | (v14 << 16))
      + v9) | 0) ^ v4) >>> 12) | (v4 << 20))
    + v3 + m3) | 0) ^ v14) >>> 8) | (v14 << 24))
  + v9) | 0) ^ v4) >>> 7) | (v4 << 25);
  // Round 2, sigma[2] = 11 8 12 0 5 2 15 13 10 14 3 6 7 1 9 4: columns, then diagonals.
  // G(v0, v4, v8, v12, m11, m8)
  v4 = ((v4 = (v8 = (
    (v12 = ((v12 = (v0 = (
      (v4 = ((v4 = (v8 = (
        (v12 = ((v12 = (v0 = (v0 + v4 + m11) | 0) ^ v12) >>> 16) | (v12 << 16))
      + v8) | 0) ^ v4) >>> 12) | (v4 << 20))
    + v0 + m8) | 0) ^ v12) >>> 8) | (v12 << 24))
  + v8) | 0) ^ v4) >>> 7) | (v4 << 25);
  // G(v1, v5, v9, v13, m12, m0)
  v5 = ((v5 = (v9 = (
    (v13 = ((v13 = (v1 = (
      (v5 = ((v5 = (v9 = (
        (v13 = ((v13 = (v1 = (v1 + v5 + m12) | 0) ^ v13) >>> 16) | (v13 << 16))
      + v9) | 0) ^ v5) >>> 12) | (v5 << 20))
    + v1 + m0) | 0) ^ v13) >>> 8) | (v13 << 24))
  + v9) | 0) ^ v5) >>> 7) | (v5 << 25);
  // G(v2, v6, v10, v14, m5, m2)
  v6 = ((v6 = (v10 = (
    (v14 = ((v14 = (v2 = (
      (v6 = ((v6 = (v10 = (
        (v14 = ((v14 = (v2 = (v2 + v6 + m5) | 0) ^ v14) >>> 16) | (v14 << 16))
      + v10) | 0) ^ v6) >>> 12) | (v6 << 20))
    + v2 + m2) | 0) ^ v14) >>> 8) | (v14 << 24))
  + v10) | 0) ^ v6) >>> 7) | (v6 << 25);
  // G(v3, v7, v11, v15, m15, m13)
  v7 = ((v7 = (v11 = (
    (v15 = ((v15 = (v3 = (
      (v7 = ((v7 = (v11 = (
        (v15 = ((v15 = (v3 = (v3 + v7 + m15) | 0) ^ v15) >>> 16) | (v15 << 16))
      + v11) | 0) ^ v7) >>> 12) | (v7 << 20))
    + v3 + m13) | 0) ^ v15) >>> 8) | (v15 << 24))
  + v11) | 0) ^ v7) >>> 7) | (v7 << 25);
  // G(v0, v5, v10, v15, m10, m14)
  v5 = ((v5 = (v10 = (
    (v15 = ((v15 = (v0 = (
      (v5 = ((v5 = (v10 = (
        (v15 = ((v15 = (v0 = (v0 + v5 + m10) | 0) ^ v15) >>> 16) | (v15 << 16))
      + v10) | 0) ^ v5) >>> 12) | (v5 << 20))
    + v0 + m14) | 0) ^ v15) >>> 8) | (v15 << 24))
  + v10) | 0) ^ v5) >>> 7) | (v5 << 25);
  // G(v1, v6, v11, v12, m3, m6)
  v6 = ((v6 = (v11 = (
    (v12 = ((v12 = (v1 = (
      (v6 = ((v6 = (v11 = (
        (v12 = ((v12 = (v1 = (v1 + v6 + m3) | 0) ^ v12) >>> 16) | (v12 << 16))
      + v11) | 0) ^ v6) >>> 12) | (v6 << 20))
    + v1 + m6) | 0) ^ v12) >>> 8) | (v12 << 24))
  + v11) | 0) ^ v6) >>> 7) | (v6 << 25);
  // G(v2, v7, v8, v13, m7, m1)
  v7 = ((v7 = (v8 = (
    (v13 = ((v13 = (v2 = (
      (v7 = ((v7 = (v8 = (
        (v13 = ((v13 = (v2 = (v2 + v7 + m7) | 0) ^ v13) >>> 16) | (v13 << 16))
      + v8) | 0) ^ v7) >>> 12) | (v7 << 20))
    + v2 + m1) | 0) ^ v13) >>> 8) | (v13 << 24))
  + v8) | 0) ^ v7) >>> 7) | (v7 << 25);
  // G(v3, v4, v9, v14, m9, m4)
  v4 = ((v4 = (v9 = (
    (v14 = ((v14 = (v3 = (
      (v4 = ((v4 = (v9 = (
        (v14 = ((v14 = (v3 = (v3 + v4 + m9) | 0) ^ v14) >>> 16) | (v14 << 16))
      + v9) | 0) ^ v4) >>> 12) | (v4 << 20))
    + v3 + m4) | 0) ^ v14) >>> 8) | (v14 << 24))
  + v9) | 0) ^ v4) >>> 7) | (v4 << 25);
  // Round 3, sigma[3] = 7 9 3 1 13 12 11 14 2 6 5 10 4 0 15 8: columns, then diagonals.
  // G(v0, v4, v8, v12, m7, m9)
  v4 = ((v4 = (v8 = (
    (v12 = ((v12 = (v0 = (
      (v4 = ((v4 = (v8 = (
        (v12 = ((v12 = (v0 = (v0 + v4 + m7) | 0) ^ v12) >>> 16) | (v12 << 16))
      + v8) | 0) ^ v4) >>> 12) | (v4 << 20))
    + v0 + m9) | 0) ^ v12) >>> 8) | (v12 << 24))
  + v8) | 0) ^ v4) >>> 7) | (v4 << 25);
  // G(v1, v5, v9, v13, m3, m1)
  v5 = ((v5 = (v9 = (
    (v13 = ((v13 = (v1 = (
      (v5 = ((v5 = (v9 = (
        (v13 = ((v13 = (v1 = (v1 + v5 + m3) | 0) ^ v13) >>> 16) | (v13 << 16))
      + v9) | 0) ^ v5) >>> 12) | (v5 << 20))
    + v1 + m1) | 0) ^ v13) >>> 8) | (v13 << 24))
  + v9) | 0) ^ v5) >>> 7) | (v5 << 25);
  // G(v2, v6, v10, v14, m13, m12)
  v6 = ((v6 = (v10 = (
    (v14 = ((v14 = (v2 = (
      (v6 = ((v6 = (v10 = (
        (v14 = ((v14 = (v2 = (v2 + v6 + m13) | 0) ^ v14) >>> 16) | (v14 << 16))
      + v10) | 0) ^ v6) >>> 12) | (v6 << 20))
    + v2 + m12) | 0) ^ v14) >>> 8) | (v14 << 24))
  + v10) | 0) ^ v6) >>> 7) | (v6 << 25);
  // G(v3, v7, v11, v15, m11, m14)
  v7 = ((v7 = (v11 = (
    (v15 = ((v15 = (v3 = (
      (v7 = ((v7 = (v11 = (
        (v15 = ((v15 = (v3 = (v3 + v7 + m11) | 0) ^ v15) >>> 16) | (v15 << 16))
      + v11) | 0) ^ v7) >>> 12) | (v7 << 20))
    + v3 + m14) | 0) ^ v15) >>> 8) | (v15 << 24))
  + v11) | 0) ^ v7) >>> 7) | (v7 << 25);
  // G(v0, v5, v10, v15, m2, m6)
  v5 = ((v5 = (v10 = (
    (v15 = ((v15 = (v0 = (
      (v5 = ((v5 = (v10 = (
        (v15 = ((v15 = (v0 = (v0 + v5 + m2) | 0) ^ v15) >>> 16) | (v15 << 16))
      + v10) | 0) ^ v5) >>> 12) | (v5 << 20))
    + v0 + m6) | 0) ^ v15) >>> 8) | (v15 << 24))
  + v10) | 0) ^ v5) >>> 7) | (v5 << 25);
  // G(v1, v6, v11, v12, m5, m10)
  v6 = ((v6 = (v11 = (
    (v12 = ((v12 = (v1 = (
      (v6 = ((v6 = (v11 = (
        (v12 = ((v12 = (v1 = (v1 + v6 + m5) | 0) ^ v12) >>> 16) | (v12 << 16))
      + v11) | 0) ^ v6) >>> 12) | (v6 << 20))
    + v1 + m10) | 0) ^ v12) >>> 8) | (v12 << 24))
  + v11) | 0) ^ v6) >>> 7) | (v6 << 25);
  // G(v2, v7, v8, v13, m4, m0)
  v7 = ((v7 = (v8 = (
    (v13 = ((v13 = (v2 = (
      (v7 = ((v7 = (v8 = (
        (v13 = ((v13 = (v2 = (v2 + v7 + m4) | 0) ^ v13) >>> 16) | (v13 << 16))
      + v8) | 0) ^ v7) >>> 12) | (v7 << 20))
    + v2 + m0) | 0) ^ v13) >>> 8) | (v13 << 24))
  + v8) | 0) ^ v7) >>> 7) | (v7 << 25);
  // G(v3, v4, v9, v14, m15, m8)
  v4 = ((v4 = (v9 = (
    (v14 = ((v14 = (v3 = (
      (v4 = ((v4 = (v9 = (
        (v14 = ((v14 = (v3 = (v3 + v4 + m15) | 0) ^ v14) >>> 16) | (v14 << 16))
      + v9) | 0) ^ v4) >>> 12) | (v4 << 20))
    + v3 + m8) | 0) ^ v14) >>> 8) | (v14 << 24))
  + v9) | 0) ^ v4) >>> 7) | (v4 << 25);
  // Round 4, sigma[4] = 9 0 5 7 2 4 10 15 14 1 11 12 6 8 3 13: columns, then diagonals.
  // G(v0, v4, v8, v12, m9, m0)
  v4 = ((v4 = (v8 = (
    (v12 = ((v12 = (v0 = (
      (v4 = ((v4 = (v8 = (
        (v12 = ((v12 = (v0 = (v0 + v4 + m9) | 0) ^ v12) >>> 16) | (v12 << 16))
      + v8) | 0) ^ v4) >>> 12) | (v4 << 20))
    + v0 + m0) | 0) ^ v12) >>> 8) | (v12 << 24))
  + v8) | 0) ^ v4) >>> 7) | (v4 << 25);
  // G(v1, v5, v9, v13, m5, m7)
  v5 = ((v5 = (v9 = (
    (v13 = ((v13 = (v1 = (
      (v5 = ((v5 = (v9 = (
        (v13 = ((v13 = (v1 = (v1 + v5 + m5) | 0) ^ v13) >>> 16) | (v13 << 16))
      + v9) | 0) ^ v5) >>> 12) | (v5 << 20))
    + v1 + m7) | 0) ^ v13) >>> 8) | (v13 << 24))
  + v9) | 0) ^ v5) >>> 7) | (v5 << 25);
  // G(v2, v6, v10, v14, m2, m4)
  v6 = ((v6 = (v10 = (
    (v14 = ((v14 = (v2 = (
      (v6 = ((v6 = (v10 = (
        (v14 = ((v14 = (v2 = (v2 + v6 + m2) | 0) ^ v14) >>> 16) | (v14 << 16))
      + v10) | 0) ^ v6) >>> 12) | (v6 << 20))
    + v2 + m4) | 0) ^ v14) >>> 8) | (v14 << 24))
  + v10) | 0) ^ v6) >>> 7) | (v6 << 25);
  // G(v3, v7, v11, v15, m10, m15)
  v7 = ((v7 = (v11 = (
    (v15 = ((v15 = (v3 = (
      (v7 = ((v7 = (v11 = (
        (v15 = ((v15 = (v3 = (v3 + v7 + m10) | 0) ^ v15) >>> 16) | (v15 << 16))
      + v11) | 0) ^ v7) >>> 12) | (v7 << 20))
    + v3 + m15) | 0) ^ v15) >>> 8) | (v15 << 24))
  + v11) | 0) ^ v7) >>> 7) | (v7 << 25);
  // G(v0, v5, v10, v15, m14, m1)
  v5 = ((v5 = (v10 = (
    (v15 = ((v15 = (v0 = (
      (v5 = ((v5 = (v10 = (
        (v15 = ((v15 = (v0 = (v0 + v5 + m14) | 0) ^ v15) >>> 16) | (v15 << 16))
      + v10) | 0) ^ v5) >>> 12) | (v5 << 20))
    + v0 + m1) | 0) ^ v15) >>> 8) | (v15 << 24))
  + v10) | 0) ^ v5) >>> 7) | (v5 << 25);
  // G(v1, v6, v11, v12, m11, m12)
  v6 = ((v6 = (v11 = (
    (v12 = ((v12 = (v1 = (
      (v6 = ((v6 = (v11 = (
        (v12 = ((v12 = (v1 = (v1 + v6 + m11) | 0) ^ v12) >>> 16) | (v12 << 16))
      + v11) | 0) ^ v6) >>> 12) | (v6 << 20))
    + v1 + m12) | 0) ^ v12) >>> 8) | (v12 << 24))
  + v11) | 0) ^ v6) >>> 7) | (v6 << 25);
  // G(v2, v7, v8, v13, m6, m8)
  v7 = ((v7 = (v8 = (
    (v13 = ((v13 = (v2 = (
      (v7 = ((v7 = (v8 = (
        (v13 = ((v13 = (v2 = (v2 + v7 + m6) | 0) ^ v13) >>> 16) | (v13 << 16))
      + v8) | 0) ^ v7) >>> 12) | (v7 << 20))
    + v2 + m8) | 0) ^ v13) >>> 8) | (v13 << 24))
  + v8) | 0) ^ v7) >>> 7) | (v7 << 25);
  // G(v3, v4, v9, v14, m3, m13)
  v4 = ((v4 = (v9 = (
    (v14 = ((v14 = (v3 = (
      (v4 = ((v4 = (v9 = (
        (v14 = ((v14 = (v3 = (v3 + v4 + m3) | 0) ^ v14) >>> 16) | (v14 << 16))
      + v9) | 0) ^ v4) >>> 12) | (v4 << 20))
    + v3 + m13) | 0) ^ v14) >>> 8) | (v14 << 24))
  + v9) | 0) ^ v4) >>> 7) | (v4 << 25);
  // Round 5, sigma[5] = 2 12 6 10 0 11 8 3 4 13 7 5 15 14 1 9: columns, then diagonals.
  // G(v0, v4, v8, v12, m2, m12)
  v4 = ((v4 = (v8 = (
    (v12 = ((v12 = (v0 = (
      (v4 = ((v4 = (v8 = (
        (v12 = ((v12 = (v0 = (v0 + v4 + m2) | 0) ^ v12) >>> 16) | (v12 << 16))
      + v8) | 0) ^ v4) >>> 12) | (v4 << 20))
    + v0 + m12) | 0) ^ v12) >>> 8) | (v12 << 24))
  + v8) | 0) ^ v4) >>> 7) | (v4 << 25);
  // G(v1, v5, v9, v13, m6, m10)
  v5 = ((v5 = (v9 = (
    (v13 = ((v13 = (v1 = (
      (v5 = ((v5 = (v9 = (
        (v13 = ((v13 = (v1 = (v1 + v5 + m6) | 0) ^ v13) >>> 16) | (v13 << 16))
      + v9) | 0) ^ v5) >>> 12) | (v5 << 20))
    + v1 + m10) | 0) ^ v13) >>> 8) | (v13 << 24))
  + v9) | 0) ^ v5) >>> 7) | (v5 << 25);
  // G(v2, v6, v10, v14, m0, m11)
  v6 = ((v6 = (v10 = (
    (v14 = ((v14 = (v2 = (
      (v6 = ((v6 = (v10 = (
        (v14 = ((v14 = (v2 = (v2 + v6 + m0) | 0) ^ v14) >>> 16) | (v14 << 16))
      + v10) | 0) ^ v6) >>> 12) | (v6 << 20))
    + v2 + m11) | 0) ^ v14) >>> 8) | (v14 << 24))
  + v10) | 0) ^ v6) >>> 7) | (v6 << 25);
  // G(v3, v7, v11, v15, m8, m3)
  v7 = ((v7 = (v11 = (
    (v15 = ((v15 = (v3 = (
      (v7 = ((v7 = (v11 = (
        (v15 = ((v15 = (v3 = (v3 + v7 + m8) | 0) ^ v15) >>> 16) | (v15 << 16))
      + v11) | 0) ^ v7) >>> 12) | (v7 << 20))
    + v3 + m3) | 0) ^ v15) >>> 8) | (v15 << 24))
  + v11) | 0) ^ v7) >>> 7) | (v7 << 25);
  // G(v0, v5, v10, v15, m4, m13)
  v5 = ((v5 = (v10 = (
    (v15 = ((v15 = (v0 = (
      (v5 = ((v5 = (v10 = (
        (v15 = ((v15 = (v0 = (v0 + v5 + m4) | 0) ^ v15) >>> 16) | (v15 << 16))
      + v10) | 0) ^ v5) >>> 12) | (v5 << 20))
    + v0 + m13) | 0) ^ v15) >>> 8) | (v15 << 24))
  + v10) | 0) ^ v5) >>> 7) | (v5 << 25);
  // G(v1, v6, v11, v12, m7, m5)
  v6 = ((v6 = (v11 = (
    (v12 = ((v12 = (v1 = (
      (v6 = ((v6 = (v11 = (
        (v12 = ((v12 = (v1 = (v1 + v6 + m7) | 0) ^ v12) >>> 16) | (v12 << 16))
      + v11) | 0) ^ v6) >>> 12) | (v6 << 20))
    + v1 + m5) | 0) ^ v12) >>> 8) | (v12 << 24))
  + v11) | 0) ^ v6) >>> 7) | (v6 << 25);
  // G(v2, v7, v8, v13, m15, m14)
  v7 = ((v7 = (v8 = (
    (v13 = ((v13 = (v2 = (
      (v7 = ((v7 = (v8 = (
        (v13 = ((v13 = (v2 = (v2 + v7 + m15) | 0) ^ v13) >>> 16) | (v13 << 16))
      + v8) | 0) ^ v7) >>> 12) | (v7 << 20))
    + v2 + m14) | 0) ^ v13) >>> 8) | (v13 << 24))
  + v8) | 0) ^ v7) >>> 7) | (v7 << 25);
  // G(v3, v4, v9, v14, m1, m9)
  v4 = ((v4 = (v9 = (
    (v14 = ((v14 = (v3 = (
      (v4 = ((v4 = (v9 = (
        (v14 = ((v14 = (v3 = (v3 + v4 + m1) | 0) ^ v14) >>> 16) | (v14 << 16))
      + v9) | 0) ^ v4) >>> 12) | (v4 << 20))
    + v3 + m9) | 0) ^ v14) >>> 8) | (v14 << 24))
  + v9) | 0) ^ v4) >>> 7) | (v4 << 25);
  // Round 6, sigma[6] = 12 5 1 15 14 13 4 10 0 7 6 3 9 2 8 11: columns, then diagonals.
  // G(v0, v4, v8, v12, m12, m5)
  v4 = ((v4 = (v8 = (
    (v12 = ((v12 = (v0 = (
      (v4 = ((v4 = (v8 = (
        (v12 = ((v12 = (v0 = (v0 + v4 + m12) | 0) ^ v12) >>> 16) | (v12 << 16))
      + v8) | 0) ^ v4) >>> 12) | (v4 << 20))
    + v0 + m5) | 0) ^ v12) >>> 8) | (v12 << 24))
  + v8) | 0) ^ v4) >>> 7) | (v4 << 25);
  // G(v1, v5, v9, v13, m1, m15)
  v5 = ((v5 = (v9 = (
    (v13 = ((v13 = (v1 = (
      (v5 = ((v5 = (v9 = (
        (v13 = ((v13 = (v1 = (v1 + v5 + m1) | 0) ^ v13) >>> 16) | (v13 << 16))
      + v9) | 0) ^ v5) >>> 12) | (v5 << 20))
    + v1 + m15) | 0) ^ v13) >>> 8) | (v13 << 24))
  + v9) | 0) ^ v5) >>> 7) | (v5 << 25);
  // G(v2, v6, v10, v14, m14, m13)
  v6 = ((v6 = (v10 = (
    (v14 = ((v14 = (v2 = (
      (v6 = ((v6 = (v10 = (
        (v14 = ((v14 = (v2 = (v2 + v6 + m14) | 0) ^ v14) >>> 16) | (v14 << 16))
      + v10) | 0) ^ v6) >>> 12) | (v6 << 20))
    + v2 + m13) | 0) ^ v14) >>> 8) | (v14 << 24))
  + v10) | 0) ^ v6) >>> 7) | (v6 << 25);
  // G(v3, v7, v11, v15, m4, m10)
  v7 = ((v7 = (v11 = (
    (v15 = ((v15 = (v3 = (
      (v7 = ((v7 = (v11 = (
        (v15 = ((v15 = (v3 = (v3 + v7 + m4) | 0) ^ v15) >>> 16) | (v15 << 16))
      + v11) | 0) ^ v7) >>> 12) | (v7 << 20))
    + v3 + m10) | 0) ^ v15) >>> 8) | (v15 << 24))
  + v11) | 0) ^ v7) >>> 7) | (v7 << 25);
  // G(v0, v5, v10, v15, m0, m7)
  v5 = ((v5 = (v10 = (
    (v15 = ((v15 = (v0 = (
      (v5 = ((v5 = (v10 = (
        (v15 = ((v15 = (v0 = (v0 + v5 + m0) | 0) ^ v15) >>> 16) | (v15 << 16))
      + v10) | 0) ^ v5) >>> 12) | (v5 << 20))
    + v0 + m7) | 0) ^ v15) >>> 8) | (v15 << 24))
  + v10) | 0) ^ v5) >>> 7) | (v5 << 25);
  // G(v1, v6, v11, v12, m6, m3)
  v6 = ((v6 = (v11 = (
    (v12 = ((v12 = (v1 = (
      (v6 = ((v6 = (v11 = (
        (v12 = ((v12 = (v1 = (v1 + v6 + m6) | 0) ^ v12) >>> 16) | (v12 << 16))
      + v11) | 0) ^ v6) >>> 12) | (v6 << 20))
    + v1 + m3) | 0) ^ v12) >>> 8) | (v12 << 24))
  + v11) | 0) ^ v6) >>> 7) | (v6 << 25);
  // G(v2, v7, v8, v13, m9, m2)
  v7 = ((v7 = (v8 = (
    (v13 = ((v13 = (v2 = (
      (v7 = ((v7 = (v8 = (
        (v13 = ((v13 = (v2 = (v2 + v7 + m9) | 0) ^ v13) >>> 16) | (v13 << 16))
      + v8) | 0) ^ v7) >>> 12) | (v7 << 20))
    + v2 + m2) | 0) ^ v13) >>> 8) | (v13 << 24))
  + v8) | 0) ^ v7) >>> 7) | (v7 << 25);
  // G(v3, v4, v9, v14, m8, m11)
  v4 = ((v4 = (v9 = (
    (v14 = ((v14 = (v3 = (
      (v4 = ((v4 = (v9 = (
        (v14 = ((v14 = (v3 = (v3 + v4 + m8) | 0) ^ v14) >>> 16) | (v14 << 16))
      + v9) | 0) ^ v4) >>> 12) | (v4 << 20))
    + v3 + m11) | 0) ^ v14) >>> 8) | (v14 << 24))
  + v9) | 0) ^ v4) >>> 7) | (v4 << 25);
  // Round 7, sigma[7] = 13 11 7 14 12 1 3 9 5 0 15 4 8 6 2 10: columns, then diagonals.
  // G(v0, v4, v8, v12, m13, m11)
  v4 = ((v4 = (v8 = (
    (v12 = ((v12 = (v0 = (
      (v4 = ((v4 = (v8 = (
        (v12 = ((v12 = (v0 = (v0 + v4 + m13) | 0) ^ v12) >>> 16) | (v12 << 16))
      + v8) | 0) ^ v4) >>> 12) | (v4 << 20))
    + v0 + m11) | 0) ^ v12) >>> 8) | (v12 << 24))
  + v8) | 0) ^ v4) >>> 7) | (v4 << 25);
  // G(v1, v5, v9, v13, m7, m14)
  v5 = ((v5 = (v9 = (
    (v13 = ((v13 = (v1 = (
      (v5 = ((v5 = (v9 = (
        (v13 = ((v13 = (v1 = (v1 + v5 + m7) | 0) ^ v13) >>> 16) | (v13 << 16))
      + v9) | 0) ^ v5) >>> 12) | (v5 << 20))
    + v1 + m14) | 0) ^ v13) >>> 8) | (v13 << 24))
  + v9) | 0) ^ v5) >>> 7) | (v5 << 25);
  // G(v2, v6, v10, v14, m12, m1)
  v6 = ((v6 = (v10 = (
    (v14 = ((v14 = (v2 = (
      (v6 = ((v6 = (v10 = (
        (v14 = ((v14 = (v2 = (v2 + v6 + m12) | 0) ^ v14) >>> 16) | (v14 << 16))
      + v10) | 0) ^ v6) >>> 12) | (v6 << 20))
    + v2 + m1) | 0) ^ v14) >>> 8) | (v14 << 24))
  + v10) | 0) ^ v6) >>> 7) | (v6 << 25);
  // G(v3, v7, v11, v15, m3, m9)
  v7 = ((v7 = (v11 = (
    (v15 = ((v15 = (v3 = (
      (v7 = ((v7 = (v11 = (
        (v15 = ((v15 = (v3 = (v3 + v7 + m3) | 0) ^ v15) >>> 16) | (v15 << 16))
      + v11) | 0) ^ v7) >>> 12) | (v7 << 20))
    + v3 + m9) | 0) ^ v15) >>> 8) | (v15 << 24))
  + v11) | 0) ^ v7) >>> 7) | (v7 << 25);
  // G(v0, v5, v10, v15, m5, m0)
  v5 = ((v5 = (v10 = (
    (v15 = ((v15 = (v0 = (
      (v5 = ((v5 = (v10 = (
        (v15 = ((v15 = (v0 = (v0 + v5 + m5) | 0) ^ v15) >>> 16) | (v15 << 16))
      + v10) | 0) ^ v5) >>> 12) | (v5 << 20))
    + v0 + m0) | 0) ^ v15) >>> 8) | (v15 << 24))
  + v10) | 0) ^ v5) >>> 7) | (v5 << 25);
  // G(v1, v6, v11, v12, m15, m4)
  v6 = ((v6 = (v11 = (
    (v12 = ((v12 = (v1 = (
      (v6 = ((v6 = (v11 = (
        (v12 = ((v12 = (v1 = (v1 + v6 + m15) | 0) ^ v12) >>> 16) | (v12 << 16))
      + v11) | 0) ^ v6) >>> 12) | (v6 << 20))
    + v1 + m4) | 0) ^ v12) >>> 8) | (v12 << 24))
  + v11) | 0) ^ v6) >>> 7) | (v6 << 25);
  // G(v2, v7, v8, v13, m8, m6)
  v7 = ((v7 = (v8 = (
    (v13 = ((v13 = (v2 = (
      (v7 = ((v7 = (v8 = (
        (v13 = ((v13 = (v2 = (v2 + v7 + m8) | 0) ^ v13) >>> 16) | (v13 << 16))
      + v8) | 0) ^ v7) >>> 12) | (v7 << 20))
    + v2 + m6) | 0) ^ v13) >>> 8) | (v13 << 24))
  + v8) | 0) ^ v7) >>> 7) | (v7 << 25);
  // G(v3, v4, v9, v14, m2, m10)
  v4 = ((v4 = (v9 = (
    (v14 = ((v14 = (v3 = (
      (v4 = ((v4 = (v9 = (
        (v14 = ((v14 = (v3 = (v3 + v4 + m2) | 0) ^ v14) >>> 16) | (v14 << 16))
      + v9) | 0) ^ v4) >>> 12) | (v4 << 20))
    + v3 + m10) | 0) ^ v14) >>> 8) | (v14 << 24))
  + v9) | 0) ^ v4) >>> 7) | (v4 << 25);
  // Round 8, sigma[8] = 6 15 14 9 11 3 0 8 12 2 13 7 1 4 10 5: columns, then diagonals.
  // G(v0, v4, v8, v12, m6, m15)
  v4 = ((v4 = (v8 = (
    (v12 = ((v12 = (v0 = (
      (v4 = ((v4 = (v8 = (
        (v12 = ((v12 = (v0 = (v0 + v4 + m6) | 0) ^ v12) >>> 16) | (v12 << 16))
      + v8) | 0) ^ v4) >>> 12) | (v4 << 20))
    + v0 + m15) | 0) ^ v12) >>> 8) | (v12 << 24))
  + v8) | 0) ^ v4) >>> 7) | (v4 << 25);
  // G(v1, v5, v9, v13, m14, m9)
  v5 = ((v5 = (v9 = (
    (v13 = ((v13 = (v1 = (
      (v5 = ((v5 = (v9 = (
        (v13 = ((v13 = (v1 = (v1 + v5 + m14) | 0) ^ v13) >>> 16) | (v13 << 16))
      + v9) | 0) ^ v5) >>> 12) | (v5 << 20))
    + v1 + m9) | 0) ^ v13) >>> 8) | (v13 << 24))
  + v9) | 0) ^ v5) >>> 7) | (v5 << 25);
  // G(v2, v6, v10, v14, m11, m3)
  v6 = ((v6 = (v10 = (
    (v14 = ((v14 = (v2 = (
      (v6 = ((v6 = (v10 = (
        (v14 = ((v14 = (v2 = (v2 + v6 + m11) | 0) ^ v14) >>> 16) | (v14 << 16))
      + v10) | 0) ^ v6) >>> 12) | (v6 << 20))
    + v2 + m3) | 0) ^ v14) >>> 8) | (v14 << 24))
  + v10) | 0) ^ v6) >>> 7) | (v6 << 25);
  // G(v3, v7, v11, v15, m0, m8)
  v7 = ((v7 = (v11 = (
    (v15 = ((v15 = (v3 = (
      (v7 = ((v7 = (v11 = (
        (v15 = ((v15 = (v3 = (v3 + v7 + m0) | 0) ^ v15) >>> 16) | (v15 << 16))
      + v11) | 0) ^ v7) >>> 12) | (v7 << 20))
    + v3 + m8) | 0) ^ v15) >>> 8) | (v15 << 24))
  + v11) | 0) ^ v7) >>> 7) | (v7 << 25);
  // G(v0, v5, v10, v15, m12, m2)
  v5 = ((v5 = (v10 = (
    (v15 = ((v15 = (v0 = (
      (v5 = ((v5 = (v10 = (
        (v15 = ((v15 = (v0 = (v0 + v5 + m12) | 0) ^ v15) >>> 16) | (v15 << 16))
      + v10) | 0) ^ v5) >>> 12) | (v5 << 20))
    + v0 + m2) | 0) ^ v15) >>> 8) | (v15 << 24))
  + v10) | 0) ^ v5) >>> 7) | (v5 << 25);
  // G(v1, v6, v11, v12, m13, m7)
  v6 = ((v6 = (v11 = (
    (v12 = ((v12 = (v1 = (
      (v6 = ((v6 = (v11 = (
        (v12 = ((v12 = (v1 = (v1 + v6 + m13) | 0) ^ v12) >>> 16) | (v12 << 16))
      + v11) | 0) ^ v6) >>> 12) | (v6 << 20))
    + v1 + m7) | 0) ^ v12) >>> 8) | (v12 << 24))
  + v11) | 0) ^ v6) >>> 7) | (v6 << 25);
  // G(v2, v7, v8, v13, m1, m4)
  v7 = ((v7 = (v8 = (
    (v13 = ((v13 = (v2 = (
      (v7 = ((v7 = (v8 = (
        (v13 = ((v13 = (v2 = (v2 + v7 + m1) | 0) ^ v13) >>> 16) | (v13 << 16))
      + v8) | 0) ^ v7) >>> 12) | (v7 << 20))
    + v2 + m4) | 0) ^ v13) >>> 8) | (v13 << 24))
  + v8) | 0) ^ v7) >>> 7) | (v7 << 25);
  // G(v3, v4, v9, v14, m10, m5)
  v4 = ((v4 = (v9 = (
    (v14 = ((v14 = (v3 = (
      (v4 = ((v4 = (v9 = (
        (v14 = ((v14 = (v3 = (v3 + v4 + m10) | 0) ^ v14) >>> 16) | (v14 << 16))
      + v9) | 0) ^ v4) >>> 12) | (v4 << 20))
    + v3 + m5) | 0) ^ v14) >>> 8) | (v14 << 24))
  + v9) | 0) ^ v4) >>> 7) | (v4 << 25);
  // Round 9, sigma[9] = 10 2 8 4 7 6 1 5 15 11 9 14 3 12 13 0: columns, then diagonals.
  // G(v0, v4, v8, v12, m10, m2)
  v4 = ((v4 = (v8 = (
    (v12 = ((v12 = (v0 = (
      (v4 = ((v4 = (v8 = (
        (v12 = ((v12 = (v0 = (v0 + v4 + m10) | 0) ^ v12) >>> 16) | (v12 << 16))
      + v8) | 0) ^ v4) >>> 12) | (v4 << 20))
    + v0 + m2) | 0) ^ v12) >>> 8) | (v12 << 24))
  + v8) | 0) ^ v4) >>> 7) | (v4 << 25);
  // G(v1, v5, v9, v13, m8, m4)
  v5 = ((v5 = (v9 = (
    (v13 = ((v13 = (v1 = (
      (v5 = ((v5 = (v9 = (
        (v13 = ((v13 = (v1 = (v1 + v5 + m8) | 0) ^ v13) >>> 16) | (v13 << 16))
      + v9) | 0) ^ v5) >>> 12) | (v5 << 20))
    + v1 + m4) | 0) ^ v13) >>> 8) | (v13 << 24))
  + v9) | 0) ^ v5) >>> 7) | (v5 << 25);
  // G(v2, v6, v10, v14, m7, m6)
  v6 = ((v6 = (v10 = (
    (v14 = ((v14 = (v2 = (
      (v6 = ((v6 = (v10 = (
        (v14 = ((v14 = (v2 = (v2 + v6 + m7) | 0) ^ v14) >>> 16) | (v14 << 16))
      + v10) | 0) ^ v6) >>> 12) | (v6 << 20))
    + v2 + m6) | 0) ^ v14) >>> 8) | (v14 << 24))
  + v10) | 0) ^ v6) >>> 7) | (v6 << 25);
  // G(v3, v7, v11, v15, m1, m5)
  v7 = ((v7 = (v11 = (
    (v15 = ((v15 = (v3 = (
      (v7 = ((v7 = (v11 = (
        (v15 = ((v15 = (v3 = (v3 + v7 + m1) | 0) ^ v15) >>> 16) | (v15 << 16))
      + v11) | 0) ^ v7) >>> 12) | (v7 << 20))
    + v3 + m5) | 0) ^ v15) >>> 8) | (v15 << 24))
  + v11) | 0) ^ v7) >>> 7) | (v7 << 25);
  // G(v0, v5, v10, v15, m15, m11)
  v5 = ((v5 = (v10 = (
    (v15 = ((v15 = (v0 = (
      (v5 = ((v5 = (v10 = (
        (v15 = ((v15 = (v0 = (v0 + v5 + m15) | 0) ^ v15) >>> 16) | (v15 << 16))
      + v10) | 0) ^ v5) >>> 12) | (v5 << 20))
    + v0 + m11) | 0) ^ v15) >>> 8) | (v15 << 24))
  + v10) | 0) ^ v5) >>> 7) | (v5 << 25);
  // G(v1, v6, v11, v12, m9, m14)
  v6 = ((v6 = (v11 = (
    (v12 = ((v12 = (v1 = (
      (v6 = ((v6 = (v11 = (
        (v12 = ((v12 = (v1 = (v1 + v6 + m9) | 0) ^ v12) >>> 16) | (v12 << 16))
      + v11) | 0) ^ v6) >>> 12) | (v6 << 20))
    + v1 + m14) | 0) ^ v12) >>> 8) | (v12 << 24))
  + v11) | 0) ^ v6) >>> 7) | (v6 << 25);
  // G(v2, v7, v8, v13, m3, m12)
  v7 = ((v7 = (v8 = (
    (v13 = ((v13 = (v2 = (
      (v7 = ((v7 = (v8 = (
        (v13 = ((v13 = (v2 = (v2 + v7 + m3) | 0) ^ v13) >>> 16) | (v13 << 16))
      + v8) | 0) ^ v7) >>> 12) | (v7 << 20))
    + v2 + m12) | 0) ^ v13) >>> 8) | (v13 << 24))
  + v8) | 0) ^ v7) >>> 7) | (v7 << 25);
  // G(v3, v4, v9, v14, m13, m0)
  v4 = ((v4 = (v9 = (
    (v14 = ((v14 = (v3 = (
      (v4 = ((v4 = (v9 = (
        (v14 = ((v14 = (v3 = (v3 + v4 + m13) | 0) ^ v14) >>> 16) | (v14 << 16))
      + v9) | 0) ^ v4) >>> 12) | (v4 << 20))
    + v3 + m0) | 0) ^ v14) >>> 8) | (v14 << 24))
  + v9) | 0) ^ v4) >>> 7) | (v4 << 25);
  h[0] = h0 ^ v0 ^ v8;
  h[1] = h1 ^ v1 ^ v9;
  h[2] = h2 ^ v2 ^ v10;
  h[3] = h3 ^ v3 ^ v11;
  h[4] = h4 ^ v4 ^ v12;
  h[5] = h5 ^ v5 ^ v13;
  h[6] = h6 ^ v6 ^ v14;
  h[7] = h7 ^ v7 ^ v15;
}

/** True on a little-endian host. */
function littleEndian(): boolean {
  return new Uint8Array(new Uint32Array([1]).buffer)[0] === 1;
}

/**
 * An incremental BLAKE2s context: init, update any number of times, digest.
 * Digests of 1 to 32 bytes, keys of 0 to 32 bytes (RFC 7693 §2.5), messages
 * up to 2^53 bytes. Also the two steps HMAC needs (RFC 2104): a padded key
 * block whose compression can be saved and resumed, and passing an inner
 * digest on to the outer hash without copying it out. Never allocates;
 * throws only on misuse (a bad length).
 */
export class Blake2s {
  // All views on one buffer: on XS a view costs 4 heap slots, a typed array with its own buffer 7.
  private readonly buffer = new ArrayBuffer(32 + 32 + BLOCK);
  /** The chaining value, and its bytes (the digest) on a little-endian host. */
  private readonly h = new Int32Array(this.buffer, 0, 8);
  private readonly hBytes = new Uint8Array(this.buffer, 0, 32);
  private readonly hBytes16 = new Uint8Array(this.buffer, 0, 16);
  /** The initial chaining value of an unkeyed 32-byte hash, copied in by init. */
  private readonly iv = new Int32Array(this.buffer, 32, 8);
  /** The pending block: BLAKE2 compresses a block only once it knows whether it is the last. */
  private readonly block = new Uint8Array(this.buffer, 64, BLOCK);
  /** The block as words, for XORs with byte-symmetric constants (any host). */
  private readonly blockWords = new Int32Array(this.buffer, 64, 16);
  /** The message words compress reads: blockWords on a little-endian host, else assembled from block. */
  private readonly w: Int32Array;
  private readonly le: boolean;
  /** Bytes in `block`, 0 to 64. */
  private pos = 0;
  /** Bytes compressed so far (the counter t of RFC 7693). */
  private t = 0;
  private outLen = 32;

  /** @param portable - use the byte-wise (big-endian host) paths even on a little-endian host; for tests. */
  constructor(portable = false) {
    this.le = !portable && littleEndian();
    this.w = this.le ? this.blockWords : new Int32Array(16);
    const iv = this.iv;
    iv[0] = IV0 ^ 0x01010020; // parameter block: 32-byte digest, no key, fanout 1, depth 1
    iv[1] = IV1;
    iv[2] = IV2;
    iv[3] = IV3;
    iv[4] = IV4;
    iv[5] = IV5;
    iv[6] = IV6;
    iv[7] = IV7;
    this.init();
  }

  private compressBlock(last: boolean): void {
    const w = this.w;
    if (!this.le) {
      const b = this.block;
      for (let i = 0, o = 0; i < 16; i++, o += 4) w[i] = b[o] | (b[o + 1] << 8) | (b[o + 2] << 16) | (b[o + 3] << 24);
    }
    compress(this.h, w, this.t, last);
  }

  /**
   * Starts a new hash with an outLen-byte digest, keyed with key[keyOff,
   * keyOff+keyLen) if keyLen > 0 (the key becomes a zero-padded first block).
   */
  init(outLen = 32, key: Uint8Array | null = null, keyOff = 0, keyLen = key === null ? 0 : key.length - keyOff): this {
    if (outLen < 1 || outLen > 32 || keyLen < 0 || keyLen > 32) throw new RangeError('blake2s: digest 1..32 bytes, key 0..32 bytes');
    const h = this.h;
    h.set(this.iv);
    // Parameter block word 0 (RFC 7693 §2.5): digest length, key length, fanout 1, depth 1.
    if (outLen !== 32 || keyLen !== 0) h[0] = IV0 ^ 0x01010000 ^ (keyLen << 8) ^ outLen;
    this.t = 0;
    this.outLen = outLen;
    if (keyLen > 0) {
      const block = this.block;
      if (keyOff === 0 && keyLen === key!.length) {
        block.set(key!);
      } else {
        for (let i = 0; i < keyLen; i++) block[i] = key![keyOff + i];
      }
      block.fill(0, keyLen);
      this.pos = BLOCK;
    } else {
      this.pos = 0;
    }
    return this;
  }

  /**
   * Starts the unkeyed 32-byte hash whose first block is (key zero-padded to
   * 64 bytes) XOR `pad` in every byte: HMAC's inner (pad 0x36) or outer
   * (0x5c) hash (RFC 2104). key is at most 64 bytes.
   */
  initPad(key: Uint8Array, pad: number): this {
    const n = key.length;
    if (n > BLOCK) throw new RangeError('blake2s: HMAC key over 64 bytes');
    this.init();
    const block = this.block;
    if (n === 32) {
      block.set(key);
      this.xorHalf(pad * 0x01010101);
      block.fill(pad, 32);
    } else {
      block.fill(pad);
      for (let i = 0; i < n; i++) block[i] = key[i] ^ pad;
    }
    this.pos = BLOCK;
    return this;
  }

  /**
   * Compresses the pending first block, which must be full and not the last
   * (as after initPad), and saves the chaining value to `state` (8 words):
   * a prefix that {@link resume} continues from. HMAC's pad blocks depend
   * only on the key, so a key used more than once is padded once.
   */
  savePrefix(state: Int32Array): void {
    if (this.pos !== BLOCK || this.t !== 0) throw new RangeError('blake2s: savePrefix needs exactly one pending block');
    this.t = BLOCK;
    this.compressBlock(false);
    state.set(this.h);
    this.pos = 0;
  }

  /** Continues an unkeyed 32-byte hash from a prefix saved by {@link savePrefix}. Data must follow before the digest. */
  resume(state: Int32Array): this {
    this.h.set(state);
    this.t = BLOCK;
    this.pos = 0;
    this.outLen = 32;
    return this;
  }

  /** Absorbs data[off, off+len) (default: all of data). */
  update(data: Uint8Array, off = 0, len = data.length - off): this {
    const block = this.block;
    let pos = this.pos;
    if (len === data.length && pos + len <= BLOCK) {
      // The common case (a key or hash into a block with room): one native copy.
      block.set(data, pos);
      this.pos = pos + len;
      return this;
    }
    while (len > 0) {
      if (pos === BLOCK) {
        // More input follows, so the pending block is not the last.
        this.t += BLOCK;
        this.compressBlock(false);
        pos = 0;
      }
      let n = BLOCK - pos;
      if (n > len) n = len;
      if (off === 0 && n === data.length) {
        block.set(data, pos); // a whole small array: one native copy
      } else {
        for (let i = 0; i < n; i++) block[pos + i] = data[off + i];
      }
      pos += n;
      off += n;
      len -= n;
    }
    this.pos = pos;
    return this;
  }

  /** Absorbs one byte. */
  updateByte(b: number): this {
    if (this.pos === BLOCK) {
      this.t += BLOCK;
      this.compressBlock(false);
      this.pos = 0;
    }
    this.block[this.pos++] = b;
    return this;
  }

  /** Compresses the final block; the digest is then the first outLen bytes of h. */
  private finish(): void {
    const pos = this.pos;
    if (pos < BLOCK) this.block.fill(0, pos);
    this.t += pos;
    this.compressBlock(true);
  }

  /** Finishes: writes the outLen-byte digest to out[off..). The context must be init'ed again before reuse. */
  digest(out: Uint8Array, off = 0): void {
    this.finish();
    const n = this.outLen;
    if (this.le && (n === 32 || n === 16)) {
      out.set(n === 32 ? this.hBytes : this.hBytes16, off);
      return;
    }
    const h = this.h;
    for (let i = 0; i < n; i++) out[off + i] = h[i >> 2] >>> (8 * (i & 3));
  }

  /** XORs the first 32 bytes of the block with a word whose four bytes are equal (so byte order does not matter). */
  private xorHalf(p: number): void {
    const bw = this.blockWords;
    bw[0] ^= p;
    bw[1] ^= p;
    bw[2] ^= p;
    bw[3] ^= p;
    bw[4] ^= p;
    bw[5] ^= p;
    bw[6] ^= p;
    bw[7] ^= p;
  }

  /** Writes the 32-byte digest (after finish) to block[0, 32). */
  private digestToBlock(): void {
    const block = this.block;
    if (this.le) {
      block.set(this.hBytes);
    } else {
      const h = this.h;
      for (let i = 0; i < 32; i++) block[i] = h[i >> 2] >>> (8 * (i & 3));
    }
  }

  /**
   * Finishes this 32-byte hash and saves the HMAC prefixes (as
   * {@link savePrefix} would after initPad with 0x36 and 0x5c) of its digest
   * used as a key: the KDF keys its expansions with t0, which need never
   * leave this context as bytes.
   */
  digestToPrefixes(inner: Int32Array, outer: Int32Array): void {
    this.finish();
    this.digestToBlock();
    this.padPrefixes(inner, outer);
  }

  /**
   * The HMAC prefixes of `key` (at most 64 bytes), as initPad then
   * savePrefix with 0x36 and with 0x5c would give, in one pass for a 32-byte
   * key.
   */
  keyPrefixes(key: Uint8Array, inner: Int32Array, outer: Int32Array): void {
    if (key.length !== 32) {
      this.initPad(key, 0x36).savePrefix(inner);
      this.initPad(key, 0x5c).savePrefix(outer);
      return;
    }
    this.block.set(key);
    this.padPrefixes(inner, outer);
  }

  /** With a 32-byte key in block[0, 32): compresses its two HMAC pad blocks into the prefixes. */
  private padPrefixes(inner: Int32Array, outer: Int32Array): void {
    const block = this.block;
    const h = this.h;
    const iv = this.iv;
    this.xorHalf(0x36363636);
    block.fill(0x36, 32);
    h.set(iv);
    this.t = BLOCK;
    this.compressBlock(false);
    inner.set(h);
    // 0x36 ^ 0x6a = 0x5c: the outer pad from the inner one.
    this.xorHalf(0x6a6a6a6a);
    block.fill(0x5c, 32);
    h.set(iv);
    this.compressBlock(false);
    outer.set(h);
    this.pos = 0;
    this.outLen = 32;
  }

  /**
   * Finishes this 32-byte hash and continues the one saved as `prefix` with
   * its digest as data: HMAC's step from the inner to the outer hash, without
   * copying the inner digest out.
   */
  digestAndResume(prefix: Int32Array): this {
    this.finish();
    this.digestToBlock();
    this.h.set(prefix);
    this.t = BLOCK;
    this.pos = 32;
    this.outLen = 32;
    return this;
  }

  /** Erases the state and pending block (they can hold key material). */
  wipe(): void {
    this.h.fill(0);
    this.block.fill(0);
    this.pos = 0;
    this.t = 0;
  }
}
