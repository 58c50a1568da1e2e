/**
 * WireGuard's hash helpers over BLAKE2s (whitepaper §5.4; RFC 7693 for
 * BLAKE2s itself, RFC 2104 for HMAC).
 *
 * {@link WgHash} is what the handshake uses: one reusable context whose
 * results go into the caller's buffers, so HASH, MAC, HMAC and the KDF
 * allocate nothing. HMAC's two pad blocks depend only on the key; the KDF
 * uses t0 as an HMAC key two or three times, so it pads t0 once and resumes
 * from the saved prefixes (kdf2 costs 10 compressions instead of 12, kdf3 12
 * instead of 16), and a key used across handshakes (the initial chaining key)
 * can be given as prefixes saved once ({@link WgHash.hmacPrefixes}). Inner
 * digests and t0 pass from one hash to the next inside the BLAKE2s context
 * and are never copied out.
 *
 * The functions below it (hash, mac, hmac, kdf1/2/3) keep the older
 * allocating interface for code off the handshake path and for tests; each
 * call builds its own context, since a module-level one could not be written
 * once the module is preloaded on Moddable.
 */
import { Blake2s } from './blake2s';

const HASH = 32;
const MAC = 16;
const BLOCK = 64;
const IPAD = 0x36;
const OPAD = 0x5c;

/** An HMAC key as its two saved prefixes (see {@link WgHash.hmacPrefixes}). */
export class HmacPrefixes {
  private readonly words = new Int32Array(16);
  readonly inner = this.words.subarray(0, 8);
  readonly outer = this.words.subarray(8, 16);

  fill(v: number): void {
    this.words.fill(v);
  }
}

/** A reusable, allocation-free HASH / MAC / HMAC / KDF context. Not re-entrant. */
export class WgHash {
  private readonly b = new Blake2s();
  /** The key's HMAC prefixes, then t0's (whitepaper §5.4: Kdf_n). */
  private readonly p = new HmacPrefixes();
  /** HMAC's inner digest when the input is empty. */
  private readonly inner = new Uint8Array(HASH);

  /** out = HASH(a || b[bOff, bOff+bLen)) (whitepaper §5.4: Hash). out may be a or b. */
  hash(out: Uint8Array, a: Uint8Array, b: Uint8Array | null = null, bOff = 0, bLen = b === null ? 0 : b.length - bOff): void {
    const s = this.b.init();
    s.update(a);
    if (b !== null) s.update(b, bOff, bLen);
    s.digest(out);
  }

  /** out[outOff, outOff+16) = MAC(key, data[dOff, dOff+dLen)) (whitepaper §5.4: Mac, keyed BLAKE2s-128). */
  mac(out: Uint8Array, outOff: number, key: Uint8Array, data: Uint8Array, dOff = 0, dLen = data.length - dOff): void {
    this.b.init(MAC, key).update(data, dOff, dLen).digest(out, outOff);
  }

  /**
   * Saves the HMAC prefixes of `key` (at most 64 bytes): its inner (0x36) and
   * outer (0x5c) pad blocks, compressed. Two compressions, saved on every
   * later HMAC under that key.
   */
  hmacPrefixes(key: Uint8Array, out: HmacPrefixes): void {
    this.b.keyPrefixes(key, out.inner, out.outer);
  }

  /** out = HMAC(key, data[dOff, dOff+dLen)) (RFC 2104 with BLAKE2s; key at most 64 bytes). out may alias key or data. */
  hmac(out: Uint8Array, key: Uint8Array, data: Uint8Array, dOff = 0, dLen = data.length - dOff): void {
    const s = this.b;
    const inner = this.inner;
    s.initPad(key, IPAD).update(data, dOff, dLen).digest(inner);
    s.initPad(key, OPAD).update(inner).digest(out);
    inner.fill(0);
  }

  /**
   * KDF_n(key, input[inOff, inOff+inLen)) (whitepaper §5.4): writes t1 to
   * out1, and t2, t3 to out2, out3 unless null. `keyPrefixes`, if not null,
   * are the key's saved HMAC prefixes and stand in for it (`key` may then be
   * null). Outputs may alias the key or the input (the chaining key is
   * updated in place), not each other.
   *
   * Compressions: t0 4 (2 with keyPrefixes; 3 for an empty input), t0's pads
   * 2, then 2 per output.
   */
  kdf(
    key: Uint8Array | null,
    keyPrefixes: HmacPrefixes | null,
    input: Uint8Array,
    inOff: number,
    inLen: number,
    out1: Uint8Array,
    out2: Uint8Array | null,
    out3: Uint8Array | null,
  ): void {
    const s = this.b;
    const p = this.p;
    // t0 = HMAC(key, input)
    if (inLen === 0) {
      // The inner hash is the pad block alone, which must then be the final block: no prefix.
      const inner = this.inner;
      s.initPad(key!, IPAD).digest(inner);
      s.initPad(key!, OPAD).update(inner);
      inner.fill(0);
    } else {
      const kp = keyPrefixes ?? p;
      if (keyPrefixes === null) this.hmacPrefixes(key!, p);
      s.resume(kp.inner).update(input, inOff, inLen).digestAndResume(kp.outer);
    }
    // t0 keys every expansion: pad it once (it never leaves the context).
    s.digestToPrefixes(p.inner, p.outer);
    // t1 = HMAC(t0, 0x1)
    s.resume(p.inner).updateByte(1).digestAndResume(p.outer).digest(out1);
    if (out2 !== null) {
      // t2 = HMAC(t0, t1 || 0x2)
      s.resume(p.inner).update(out1).updateByte(2).digestAndResume(p.outer).digest(out2);
      if (out3 !== null) {
        // t3 = HMAC(t0, t2 || 0x3)
        s.resume(p.inner).update(out2).updateByte(3).digestAndResume(p.outer).digest(out3);
      }
    }
    p.fill(0);
    s.wipe();
  }
}

/** HASH(parts...): BLAKE2s-256 of the concatenation of parts (whitepaper §5.4: Hash). Allocates. */
export function hash(...parts: Uint8Array[]): Uint8Array {
  const s = new Blake2s();
  for (const p of parts) s.update(p);
  const out = new Uint8Array(HASH);
  s.digest(out);
  return out;
}

/** MAC(key, parts...): keyed BLAKE2s with a 16-byte output (whitepaper §5.4: Mac), used for mac1, mac2 and cookies. Allocates. */
export function mac(key: Uint8Array, ...parts: Uint8Array[]): Uint8Array {
  const s = new Blake2s().init(MAC, key);
  for (const p of parts) s.update(p);
  const out = new Uint8Array(MAC);
  s.digest(out);
  return out;
}

/** HMAC(key, data): HMAC-BLAKE2s-256 (whitepaper §5.4: Hmac; RFC 2104 with BLAKE2s's 64-byte block). Allocates. */
export function hmac(key: Uint8Array, data: Uint8Array): Uint8Array {
  // RFC 2104 §2: a key longer than the block is hashed first.
  const k = key.length > BLOCK ? hash(key) : key;
  const out = new Uint8Array(HASH);
  new WgHash().hmac(out, k, data);
  return out;
}

function kdf(key: Uint8Array, input: Uint8Array, n: number): Uint8Array[] {
  const out = [new Uint8Array(HASH)];
  for (let i = 1; i < n; i++) out.push(new Uint8Array(HASH));
  new WgHash().kdf(key, null, input, 0, input.length, out[0], n >= 2 ? out[1] : null, n >= 3 ? out[2] : null);
  return out;
}

/** KDF1(key, input): one 32-byte output. Allocates. */
export function kdf1(key: Uint8Array, input: Uint8Array): [Uint8Array] {
  return kdf(key, input, 1) as [Uint8Array];
}

/** KDF2(key, input): two 32-byte outputs. Allocates. */
export function kdf2(key: Uint8Array, input: Uint8Array): [Uint8Array, Uint8Array] {
  return kdf(key, input, 2) as [Uint8Array, Uint8Array];
}

/** KDF3(key, input): three 32-byte outputs. Allocates. */
export function kdf3(key: Uint8Array, input: Uint8Array): [Uint8Array, Uint8Array, Uint8Array] {
  return kdf(key, input, 3) as [Uint8Array, Uint8Array, Uint8Array];
}
