/**
 * Key generation and derivation for `homeward genkey` and `homeward pubkey`,
 * byte for byte what `wg genkey` and `wg pubkey` print.
 */
import { webcrypto } from 'node:crypto';
import { decodeKey, encodeBase64 } from '../../modules/base64';
import { publicKey } from '../../modules/crypto/x25519';

/**
 * A fresh private key in base64: 32 random bytes clamped as RFC 7748 §5
 * decodeScalar25519 does, which is what `wg genkey` stores
 * (curve25519_clamp_secret), so the printed key is already canonical.
 */
export function generatePrivateKey(): string {
  const k = new Uint8Array(32);
  webcrypto.getRandomValues(k);
  k[0] &= 248;
  k[31] &= 127;
  k[31] |= 64;
  return encodeBase64(k);
}

/**
 * The base64 public key for a base64 private key, or null if the input is not
 * a 44-character base64 key. Surrounding whitespace (the newline of `wg genkey
 * | homeward pubkey`) is ignored, as wg does.
 */
export function derivePublicKey(privateKeyBase64: string): string | null {
  const key = decodeKey(privateKeyBase64.trim());
  return key === null ? null : encodeBase64(publicKey(key));
}
