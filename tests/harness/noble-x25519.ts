/**
 * noble's X25519 as the reference that homeward's own ladder is checked and
 * measured against: `@noble/curves/abstract/montgomery.js` (the module that
 * loads on XS; `ed25519.js` does not) with RFC 7748's curve25519 parameters.
 * Test and bench code only.
 */
import { montgomery } from '@noble/curves/abstract/montgomery.js';
import { pow } from '@noble/curves/abstract/modular.js';

const P = BigInt('0x7fffffffffffffffffffffffffffffffffffffffffffffffffffffffffffffed');
const P_MINUS_2 = P - BigInt(2);

/** decodeScalar25519 (RFC 7748 §5) on noble's copy of the scalar. */
function clamp(k: Uint8Array): Uint8Array {
  k[0] &= 248;
  k[31] &= 127;
  k[31] |= 64;
  return k;
}

export const nobleX25519 = montgomery({
  P,
  type: 'x25519',
  adjustScalarBytes: clamp,
  powPminus2: (x: bigint) => pow(x, P_MINUS_2, P),
  // Never used: scalarMult and scalarMultBase take their keys from the caller.
  randomBytes: (n?: number) => new Uint8Array(n ?? 32),
});
