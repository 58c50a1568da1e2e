/**
 * WireGuard's hash helpers over BLAKE2s (whitepaper §5.4; RFC 7693 for
 * BLAKE2s itself, RFC 2104 for HMAC). Handshake and cookie path only, so
 * these allocate their results.
 */
import { blake2s } from '@noble/hashes/blake2.js';
import { hmac as nobleHmac } from '@noble/hashes/hmac.js';

/** HASH(parts...): BLAKE2s-256 of the concatenation of parts (whitepaper §5.4: Hash). */
export function hash(...parts: Uint8Array[]): Uint8Array {
  const h = blake2s.create();
  for (const p of parts) h.update(p);
  return h.digest();
}

/** MAC(key, parts...): keyed BLAKE2s with a 16-byte output (whitepaper §5.4: Mac), used for mac1, mac2 and cookies. */
export function mac(key: Uint8Array, ...parts: Uint8Array[]): Uint8Array {
  const h = blake2s.create({ key, dkLen: 16 });
  for (const p of parts) h.update(p);
  return h.digest();
}

/** HMAC(key, data): HMAC-BLAKE2s-256 (whitepaper §5.4: Hmac; RFC 2104 with BLAKE2s's 64-byte block). */
export function hmac(key: Uint8Array, data: Uint8Array): Uint8Array {
  return nobleHmac(blake2s, key, data);
}

/** HMAC(t0, prev || byte): the expansion step of the KDF. */
function expand(t0: Uint8Array, prev: Uint8Array | null, counter: number): Uint8Array {
  const n = prev === null ? 0 : prev.length;
  const input = new Uint8Array(n + 1);
  if (prev !== null) input.set(prev, 0);
  input[n] = counter;
  return hmac(t0, input);
}

/**
 * KDF_n (whitepaper §5.4: Kdf_n, an HKDF with HMAC-BLAKE2s):
 * t0 = HMAC(key, input); t1 = HMAC(t0, 0x1); t2 = HMAC(t0, t1 || 0x2); t3 = HMAC(t0, t2 || 0x3).
 * Returns [t1, ..., tn].
 */
function kdf(key: Uint8Array, input: Uint8Array, n: number): Uint8Array[] {
  const t0 = hmac(key, input);
  const t1 = expand(t0, null, 1);
  const out = [t1];
  if (n >= 2) out.push(expand(t0, t1, 2));
  if (n >= 3) out.push(expand(t0, out[1], 3));
  t0.fill(0);
  return out;
}

/** KDF1(key, input): one 32-byte output. */
export function kdf1(key: Uint8Array, input: Uint8Array): [Uint8Array] {
  return kdf(key, input, 1) as [Uint8Array];
}

/** KDF2(key, input): two 32-byte outputs. */
export function kdf2(key: Uint8Array, input: Uint8Array): [Uint8Array, Uint8Array] {
  return kdf(key, input, 2) as [Uint8Array, Uint8Array];
}

/** KDF3(key, input): three 32-byte outputs. */
export function kdf3(key: Uint8Array, input: Uint8Array): [Uint8Array, Uint8Array, Uint8Array] {
  return kdf(key, input, 3) as [Uint8Array, Uint8Array, Uint8Array];
}
