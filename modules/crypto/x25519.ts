/**
 * X25519 (RFC 7748 §5) for the handshake: the Montgomery ladder over
 * p = 2^255 - 19, written for the XS engine.
 *
 * Why not noble's ladder: on XS a BigInt `%` by p costs about ten times a
 * 256-bit multiplication, and noble reduces with `%` after every field
 * operation. Here a product is reduced by folding instead (2^255 ≡ 19 mod p:
 * x = hi·2^255 + lo ≡ lo + 19·hi), twice, which brings any |x| < 2^520 to
 * (-2^20, 2^255 + 2^20); sums and differences are left unreduced, since the
 * next product stays below 2^520 anyway. Only the result is reduced fully.
 * One ladder is about a third of noble's computrons on XS and leaves no
 * heap slots behind (bench/xs.ts); tests check it against RFC 7748, the
 * zinc/Wycheproof table and noble's ladder on seeded random inputs.
 *
 * Side channels: the conditional swap is arithmetic (masks), with no branch
 * on a key bit, as in RFC 7748; BigInt arithmetic itself is not constant
 * time on any engine, which is the same exposure noble has.
 */

const KEY = 32;

/** The field prime p = 2^255 - 19 (RFC 7748 §4.1). */
const P = BigInt('0x7fffffffffffffffffffffffffffffffffffffffffffffffffffffffffffffed');
/** 2^255 - 1: the low 255 bits of a fold. */
const LOW = BigInt('0x7fffffffffffffffffffffffffffffffffffffffffffffffffffffffffffffff');
const SHIFT = BigInt(255);
const NINETEEN = BigInt(19);
/** (A - 2) / 4 for curve25519's A = 486662 (RFC 7748 §5). */
const A24 = BigInt(121665);
const BYTE = BigInt(8);
const BYTE_MASK = BigInt(255);
const ZERO = BigInt(0);
const ONE = BigInt(1);

/** x mod p up to (-2^20, 2^255 + 2^20), for any |x| < 2^520: two folds. */
function fold(x: bigint): bigint {
  x = (x & LOW) + (x >> SHIFT) * NINETEEN;
  return (x & LOW) + (x >> SHIFT) * NINETEEN;
}

/** x^(2^k), folded. */
function squareTimes(x: bigint, k: number): bigint {
  for (let i = 0; i < k; i++) x = fold(x * x);
  return x;
}

/**
 * x^(p-2), the field inverse by Fermat (0 for 0, which makes a low-order
 * point's result all zeros), with the usual curve25519 addition chain: 254
 * squarings and 11 multiplications.
 */
function invert(x: bigint): bigint {
  const x2 = fold(x * x); //                                   x^2
  const x9 = fold(squareTimes(x2, 2) * x); //                  x^9
  const x11 = fold(x9 * x2); //                                x^11
  const x31 = fold(squareTimes(x11, 1) * x9); //               x^(2^5 - 1)
  const a10 = fold(squareTimes(x31, 5) * x31); //              x^(2^10 - 1)
  const a20 = fold(squareTimes(a10, 10) * a10); //             x^(2^20 - 1)
  const a40 = fold(squareTimes(a20, 20) * a20); //             x^(2^40 - 1)
  const a50 = fold(squareTimes(a40, 10) * a10); //             x^(2^50 - 1)
  const a100 = fold(squareTimes(a50, 50) * a50); //            x^(2^100 - 1)
  const a200 = fold(squareTimes(a100, 100) * a100); //         x^(2^200 - 1)
  const a250 = fold(squareTimes(a200, 50) * a50); //           x^(2^250 - 1)
  return fold(squareTimes(a250, 5) * x11); //                  x^(2^255 - 21) = x^(p - 2)
}

/** decodeUCoordinate (RFC 7748 §5): little-endian, the top bit masked; non-canonical values (≥ p) are accepted as they are. */
function decodeU(u: Uint8Array): bigint {
  let x = BigInt(u[31] & 127);
  for (let i = 30; i >= 0; i--) x = (x << BYTE) | BigInt(u[i]);
  return x;
}

/** The scalar's bit t after decodeScalar25519 (bits 0-2 clear, 254 set, 255 unused), read without copying the key. */
function scalarBit(k: Uint8Array, t: number): number {
  if (t === 254) return 1;
  if (t < 3) return 0;
  return (k[t >>> 3] >>> (t & 7)) & 1;
}

/** The ladder of RFC 7748 §5: k·u, the u-coordinate as 32 little-endian bytes. */
function ladder(k: Uint8Array, u: Uint8Array): Uint8Array {
  const x1 = decodeU(u);
  let x2 = ONE, z2 = ZERO, x3 = x1, z3 = ONE;
  let swap = 0;
  let mask: bigint, d: bigint, a: bigint, b: bigint, aa: bigint, bb: bigint, da: bigint, cb: bigint, e: bigint;
  for (let t = 254; t >= 0; t--) {
    const bit = scalarBit(k, t);
    // cswap by mask (RFC 7748's arithmetic swap): -1 swaps, 0 keeps.
    mask = -BigInt(swap ^ bit);
    swap = bit;
    d = mask & (x2 ^ x3); x2 ^= d; x3 ^= d;
    d = mask & (z2 ^ z3); z2 ^= d; z3 ^= d;
    a = x2 + z2;
    b = x2 - z2;
    aa = fold(a * a);
    bb = fold(b * b);
    da = fold((x3 - z3) * a);
    cb = fold((x3 + z3) * b);
    x3 = da + cb;
    x3 = fold(x3 * x3);
    z3 = da - cb;
    z3 = fold(x1 * fold(z3 * z3));
    x2 = fold(aa * bb);
    e = aa - bb;
    // aa + a24·e is below 2^275, so one fold is enough before the product.
    z2 = aa + A24 * e;
    z2 = fold(e * ((z2 & LOW) + (z2 >> SHIFT) * NINETEEN));
  }
  mask = -BigInt(swap);
  x2 ^= mask & (x2 ^ x3);
  z2 ^= mask & (z2 ^ z3);
  let r = fold(x2 * invert(z2)) % P;
  if (r < ZERO) r += P;
  const out = new Uint8Array(KEY);
  for (let i = 0; i < KEY; i++) {
    out[i] = Number(r & BYTE_MASK);
    r >>= BYTE;
  }
  return out;
}

/**
 * X25519(privateKey, publicPoint) (RFC 7748 §5): the 32-byte shared secret.
 * The private key is clamped as it is read, never modified.
 *
 * Never throws for a low-order or otherwise degenerate public point: it
 * returns 32 zero bytes, which WireGuard rejects (check with {@link isZero};
 * RFC 7748 §6.1). Throws only on misuse (wrong lengths).
 */
export function x25519(privateKey: Uint8Array, publicPoint: Uint8Array): Uint8Array {
  if (privateKey.length !== KEY || publicPoint.length !== KEY) {
    throw new Error(`x25519: keys are ${KEY} bytes (got private ${privateKey.length}, public ${publicPoint.length})`);
  }
  return ladder(privateKey, publicPoint);
}

/** The public key X25519(privateKey, 9) (RFC 7748 §6.1). The private key is clamped, not modified. */
export function publicKey(privateKey: Uint8Array): Uint8Array {
  if (privateKey.length !== KEY) throw new Error(`x25519: private key is ${KEY} bytes (got ${privateKey.length})`);
  const base = new Uint8Array(KEY);
  base[0] = 9;
  return ladder(privateKey, base);
}

/** True if every byte is zero, in time independent of the contents (for the RFC 7748 §6.1 all-zero check). */
export function isZero(bytes: Uint8Array): boolean {
  const n = bytes.length;
  let acc = 0;
  let i = 0;
  // Four bytes a step: the check runs on every DH result of a handshake.
  for (; i + 4 <= n; i += 4) acc |= bytes[i] | bytes[i + 1] | bytes[i + 2] | bytes[i + 3];
  for (; i < n; i++) acc |= bytes[i];
  return acc === 0;
}
