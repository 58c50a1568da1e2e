/**
 * X25519 (RFC 7748 §5) for the handshake, on noble's Montgomery ladder.
 *
 * Built on `@noble/curves/abstract/montgomery.js` with the curve25519
 * parameters supplied here, not on `@noble/curves/ed25519.js`: that module
 * pulls in the Edwards and FROST code, is several times slower on XS, and
 * fails to load in the XS engine built by @agoric/xsnap.
 *
 * The core never reads a random source (keys come from the host), so the
 * ladder is given a `randomBytes` that throws.
 */
import { montgomery } from '@noble/curves/abstract/montgomery.js';
import { mod, pow2 } from '@noble/curves/abstract/modular.js';

const KEY = 32;

/** The field prime p = 2^255 - 19 (RFC 7748 §4.1). */
const P = BigInt('0x7fffffffffffffffffffffffffffffffffffffffffffffffffffffffffffffed');

/**
 * x^(p-2) mod p, the field inverse by Fermat, with the usual curve25519
 * addition chain: 254 squarings and 11 multiplications.
 */
function invert(x: bigint): bigint {
  const _1 = BigInt(1), _2 = BigInt(2), _5 = BigInt(5), _10 = BigInt(10);
  const _20 = BigInt(20), _50 = BigInt(50), _100 = BigInt(100);
  const x2 = (x * x) % P; //                                   x^2
  const x9 = (pow2(x2, _2, P) * x) % P; //                     x^9
  const x11 = (x9 * x2) % P; //                                x^11
  const x31 = (pow2(x11, _1, P) * x9) % P; //                  x^(2^5 - 1)
  const a10 = (pow2(x31, _5, P) * x31) % P; //                 x^(2^10 - 1)
  const a20 = (pow2(a10, _10, P) * a10) % P; //                x^(2^20 - 1)
  const a40 = (pow2(a20, _20, P) * a20) % P; //                x^(2^40 - 1)
  const a50 = (pow2(a40, _10, P) * a10) % P; //                x^(2^50 - 1)
  const a100 = (pow2(a50, _50, P) * a50) % P; //               x^(2^100 - 1)
  const a200 = (pow2(a100, _100, P) * a100) % P; //            x^(2^200 - 1)
  const a250 = (pow2(a200, _50, P) * a50) % P; //              x^(2^250 - 1)
  return mod(pow2(a250, _5, P) * x11, P); //                   x^(2^255 - 21) = x^(p - 2)
}

/** decodeScalar25519 (RFC 7748 §5): clear bits 0-2 and 255, set bit 254. Mutates and returns its (copied) input. */
function clamp(bytes: Uint8Array): Uint8Array {
  bytes[0] &= 248;
  bytes[31] &= 127;
  bytes[31] |= 64;
  return bytes;
}

function noRandom(): Uint8Array {
  throw new Error('x25519: the core has no random source; keys must come from the host');
}

const curve = montgomery({ P, type: 'x25519', adjustScalarBytes: clamp, powPminus2: invert, randomBytes: noRandom });

/**
 * X25519(privateKey, publicPoint) (RFC 7748 §5): the 32-byte shared secret.
 *
 * Never throws for a low-order or otherwise degenerate public point: it
 * returns 32 zero bytes instead, which WireGuard rejects (check with
 * {@link isZero}; RFC 7748 §6.1). Throws only on misuse (wrong lengths).
 */
export function x25519(privateKey: Uint8Array, publicPoint: Uint8Array): Uint8Array {
  if (privateKey.length !== KEY || publicPoint.length !== KEY) {
    throw new Error(`x25519: keys are ${KEY} bytes (got private ${privateKey.length}, public ${publicPoint.length})`);
  }
  try {
    return curve.scalarMult(privateKey, publicPoint);
  } catch {
    // noble refuses the small-order points (all of them yield the all-zero secret).
    return new Uint8Array(KEY);
  }
}

/** The public key X25519(privateKey, 9) (RFC 7748 §6.1). The private key is clamped, not modified. */
export function publicKey(privateKey: Uint8Array): Uint8Array {
  if (privateKey.length !== KEY) throw new Error(`x25519: private key is ${KEY} bytes (got ${privateKey.length})`);
  return curve.scalarMultBase(privateKey);
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
