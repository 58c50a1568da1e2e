/**
 * Base64 (RFC 4648 §4: standard alphabet, '=' padding), the text form of
 * WireGuard keys in wg(8) and wg-quick configuration.
 *
 * Written here rather than taken from the host: XS has neither `btoa` nor
 * `Buffer`. Decoding is strict, as wg's key_from_base64 is: the length must be
 * a multiple of 4, padding appears only at the end, and the unused low bits of
 * the last character must be zero (RFC 4648 §3.5), so each byte string has
 * exactly one accepted encoding. Characters are decoded with arithmetic rather
 * than a table lookup, so decoding a private key does not index memory by
 * secret values.
 */

const ALPHABET = 'ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/';

/** Bytes in a WireGuard key. */
export const KEY_SIZE = 32;
/** Characters in a base64 key: ceil(32 / 3) * 4. */
export const KEY_BASE64_SIZE = 44;

/** Encodes bytes as padded standard base64. */
export function encodeBase64(bytes: Uint8Array): string {
  let s = '';
  const n = bytes.length;
  let i = 0;
  for (; i + 2 < n; i += 3) {
    const v = (bytes[i] << 16) | (bytes[i + 1] << 8) | bytes[i + 2];
    s += ALPHABET[v >>> 18] + ALPHABET[(v >>> 12) & 63] + ALPHABET[(v >>> 6) & 63] + ALPHABET[v & 63];
  }
  if (n - i === 1) {
    const v = bytes[i] << 16;
    s += ALPHABET[v >>> 18] + ALPHABET[(v >>> 12) & 63] + '==';
  } else if (n - i === 2) {
    const v = (bytes[i] << 16) | (bytes[i + 1] << 8);
    s += ALPHABET[v >>> 18] + ALPHABET[(v >>> 12) & 63] + ALPHABET[(v >>> 6) & 63] + '=';
  }
  return s;
}

/**
 * 1 where lo <= c <= hi, else 0, without a branch: (lo - 1 - c) and (c - hi - 1)
 * are both negative exactly inside the range, and their AND's sign bit says so.
 */
function inRange(c: number, lo: number, hi: number): number {
  return (((lo - 1 - c) & (c - hi - 1)) >>> 31) & 1;
}

/** The 6-bit value of a base64 character code, or -1. */
function sextet(c: number): number {
  return (
    -1 +
    inRange(c, 65, 90) * (c - 65 + 1) + //   'A'..'Z' ->  0..25
    inRange(c, 97, 122) * (c - 97 + 27) + // 'a'..'z' -> 26..51
    inRange(c, 48, 57) * (c - 48 + 53) + //  '0'..'9' -> 52..61
    inRange(c, 43, 43) * 63 + //             '+'      -> 62
    inRange(c, 47, 47) * 64 //               '/'      -> 63
  );
}

/**
 * Decodes padded standard base64. Null on anything else (wrong length,
 * characters outside the alphabet, misplaced padding, whitespace, non-zero
 * unused bits, a non-string); never throws.
 */
export function decodeBase64(s: string): Uint8Array | null {
  if (typeof s !== 'string' || s.length % 4 !== 0) return null;
  const n = s.length;
  let pad = 0;
  if (n > 0 && s.charCodeAt(n - 1) === 61) pad = s.charCodeAt(n - 2) === 61 ? 2 : 1;
  const out = new Uint8Array((n / 4) * 3 - pad);
  let bad = 0;
  let o = 0;
  for (let i = 0; i < n; i += 4) {
    const last = i + 4 === n;
    const a = sextet(s.charCodeAt(i));
    const b = sextet(s.charCodeAt(i + 1));
    // In the last group, padding stands for zero bits; anywhere else '=' is invalid.
    const c = last && pad === 2 ? 0 : sextet(s.charCodeAt(i + 2));
    const d = last && pad >= 1 ? 0 : sextet(s.charCodeAt(i + 3));
    bad |= a | b | c | d; // any -1 sets the sign bit
    const v = (a << 18) | (b << 12) | (c << 6) | d;
    out[o++] = (v >>> 16) & 0xff;
    if (last && pad === 2) {
      bad |= -((v & 0xffff) !== 0 ? 1 : 0); // RFC 4648 §3.5: unused bits must be zero
    } else {
      out[o++] = (v >>> 8) & 0xff;
      if (last && pad === 1) bad |= -((v & 0xff) !== 0 ? 1 : 0);
      else out[o++] = v & 0xff;
    }
  }
  return bad < 0 ? null : out;
}

/**
 * Decodes a WireGuard key: exactly 44 characters of base64 for 32 bytes (as
 * wg(8) requires). Null otherwise; never throws.
 */
export function decodeKey(s: string): Uint8Array | null {
  if (typeof s !== 'string' || s.length !== KEY_BASE64_SIZE) return null;
  const key = decodeBase64(s);
  return key !== null && key.length === KEY_SIZE ? key : null;
}
