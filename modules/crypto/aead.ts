/**
 * ChaCha20-Poly1305 (RFC 8439 §2.8) and XChaCha20-Poly1305
 * (draft-irtf-cfrg-xchacha-03 §2), sealing and opening in place.
 *
 * noble's AEAD objects are single-use and allocate per call, which the data
 * path cannot afford (on XS, about 1,900 heap slots of garbage per 1400-byte
 * packet). This context is created once and reused: every scratch buffer is a
 * field, and seal/open neither allocate nor throw.
 *
 * The keystream comes from a {@link ChaChaStream}, by default the portable
 * {@link ChaCha20}; a host may pass a native one. HChaCha20 (XChaCha's subkey
 * derivation, cookie path only) always uses the portable implementation.
 */
import { ChaCha20, type ChaChaStream } from './chacha20';
import { Poly1305 } from './poly1305';

const TAG = 16;

/** A reusable, allocation-free ChaCha20-Poly1305 / XChaCha20-Poly1305 context. Not re-entrant. */
export class ChaChaPoly {
  private readonly stream: ChaChaStream;
  private readonly chacha = new ChaCha20();
  private readonly poly = new Poly1305();
  /** Keystream block 0: the Poly1305 one-time key (RFC 8439 §2.6). */
  private readonly polyKey = new Uint8Array(32);
  /** The computed tag, compared against the received one in open(). */
  private readonly tag = new Uint8Array(TAG);
  /** XChaCha20: the HChaCha20 subkey and the 12-byte nonce 0^4 || nonce24[16..24). */
  private readonly subkey = new Uint8Array(32);
  private readonly xnonce = new Uint8Array(12);

  /**
   * @param stream - ChaCha20 keystream source; defaults to the portable JavaScript
   *   implementation. A native one (Moddable's `StreamCipher("ChaCha")`) fits here.
   */
  constructor(stream?: ChaChaStream) {
    this.stream = stream ?? this.chacha;
  }

  /**
   * RFC 8439 §2.8 seal in place: buf[off, off+len) plaintext -> ciphertext; the
   * 16-byte tag is written at buf[off+len]. nonce is 12 bytes. ad may be null
   * (empty) and must not overlap buf[off, off+len+16).
   */
  seal(key: Uint8Array, nonce: Uint8Array, buf: Uint8Array, off: number, len: number, ad: Uint8Array | null): void {
    this.stream.xor(key, nonce, 1, buf, off, len);
    this.authenticate(key, nonce, buf, off, len, ad, buf, off + len);
  }

  /**
   * Open in place: buf[off, off+len) is ciphertext || tag, len >= 16. On success
   * decrypts to buf[off, off+len-16) and returns true; on a bad tag returns false
   * and leaves buf untouched. The tag comparison is constant-time. Never throws:
   * len < 16 or a range outside buf returns false.
   */
  open(key: Uint8Array, nonce: Uint8Array, buf: Uint8Array, off: number, len: number, ad: Uint8Array | null): boolean {
    if (len < TAG || off < 0 || off + len > buf.length) return false;
    const ctLen = len - TAG;
    // Encrypt-then-MAC: verify over the ciphertext before touching it.
    const tag = this.tag;
    this.authenticate(key, nonce, buf, off, ctLen, ad, tag, 0);
    let diff = 0;
    for (let i = 0, p = off + ctLen; i < TAG; i++, p++) diff |= tag[i] ^ buf[p];
    tag.fill(0);
    if (diff !== 0) return false;
    this.stream.xor(key, nonce, 1, buf, off, ctLen);
    return true;
  }

  /** XChaCha20-Poly1305 seal (draft-irtf-cfrg-xchacha-03 §2): HChaCha20 subkey, then {@link seal} with nonce 0^4 || nonce24[16..24). */
  xseal(key: Uint8Array, nonce24: Uint8Array, buf: Uint8Array, off: number, len: number, ad: Uint8Array | null): void {
    this.deriveX(key, nonce24);
    this.seal(this.subkey, this.xnonce, buf, off, len, ad);
    this.subkey.fill(0);
  }

  /** XChaCha20-Poly1305 open; same contract as {@link open}. */
  xopen(key: Uint8Array, nonce24: Uint8Array, buf: Uint8Array, off: number, len: number, ad: Uint8Array | null): boolean {
    this.deriveX(key, nonce24);
    const ok = this.open(this.subkey, this.xnonce, buf, off, len, ad);
    this.subkey.fill(0);
    return ok;
  }

  /** draft-irtf-cfrg-xchacha-03 §2.3: subkey = HChaCha20(key, nonce[0..16)); nonce = 0^4 || nonce[16..24). */
  private deriveX(key: Uint8Array, nonce24: Uint8Array): void {
    this.chacha.hchacha20(key, nonce24, 0, this.subkey, 0);
    const n = this.xnonce;
    n[0] = n[1] = n[2] = n[3] = 0;
    for (let i = 0; i < 8; i++) n[4 + i] = nonce24[16 + i];
  }

  /**
   * RFC 8439 §2.8: Poly1305, keyed with keystream block 0 (§2.6), over
   * ad || pad16 || ciphertext || pad16 || le64(len(ad)) || le64(len(ciphertext));
   * the tag goes to out[outOff, outOff+16).
   */
  private authenticate(
    key: Uint8Array, nonce: Uint8Array, buf: Uint8Array, off: number, len: number,
    ad: Uint8Array | null, out: Uint8Array, outOff: number,
  ): void {
    const pk = this.polyKey;
    pk.fill(0);
    this.stream.xor(key, nonce, 0, pk, 0, 32);
    const poly = this.poly;
    poly.init(pk, 0);
    pk.fill(0);
    const adLen = ad === null ? 0 : ad.length;
    if (ad !== null) poly.update(ad, 0, adLen);
    poly.pad16();
    poly.update(buf, off, len);
    poly.pad16();
    poly.lengths(adLen, len);
    poly.finish(out, outOff);
  }
}
