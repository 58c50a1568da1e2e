/**
 * The crypto layer against published vectors, through the exact API the core
 * uses: ChaCha20 (RFC 8439 §2.3/§2.4, A.1/A.2), Poly1305 (§2.5, A.3), the AEAD
 * (§2.8, A.5) and XChaCha20-Poly1305 (draft-irtf-cfrg-xchacha-03), sealed and
 * opened in place at non-zero offsets; the kernel's zinc selftest vectors
 * (Wycheproof and limb-carry edge cases among them); BLAKE2s (RFC 7693) and
 * WireGuard's KDF; X25519 (RFC 7748 and zinc/Wycheproof). Finally a
 * cross-check against noble's AEADs over many lengths with a seeded PRNG.
 */
import { poly1305 as noblePoly1305 } from '@noble/ciphers/_poly1305.js';
import { chacha20poly1305, xchacha20poly1305 } from '@noble/ciphers/chacha.js';
import { blake2s } from '@noble/hashes/blake2.js';
import { hmac as nobleHmac } from '@noble/hashes/hmac.js';
import { ChaChaPoly } from '../../modules/crypto/aead';
import { ChaCha20, type ChaChaStream } from '../../modules/crypto/chacha20';
import { Blake2s } from '../../modules/crypto/blake2s';
import { HmacPrefixes, WgHash, hash, hmac, kdf1, kdf2, kdf3, mac } from '../../modules/crypto/hash';
import { Poly1305 } from '../../modules/crypto/poly1305';
import { isZero, publicKey, x25519 } from '../../modules/crypto/x25519';
import rfc8439 from '../vectors/rfc8439-chacha20-poly1305.json' with { type: 'json' };
import xchacha from '../vectors/xchacha20-poly1305.json' with { type: 'json' };
import rfc7748 from '../vectors/rfc7748-x25519.json' with { type: 'json' };
import blake2sVectors from '../vectors/blake2s.json' with { type: 'json' };
import kdfVectors from '../vectors/wireguard-kdf.json' with { type: 'json' };
import zincChaCha from '../vectors/zinc-chacha20.json' with { type: 'json' };
import zincPoly from '../vectors/zinc-poly1305.json' with { type: 'json' };
import zincAead from '../vectors/zinc-chacha20poly1305.json' with { type: 'json' };
import zincX25519 from '../vectors/zinc-curve25519.json' with { type: 'json' };
import { nobleX25519 as reference } from '../harness/noble-x25519';
import { mulberry32 } from '../harness/prng';
import { type Case, equal, equalBytes, fromHex, hex, ok, throws } from '../harness/suite';

interface AeadVector {
  key: string;
  nonce: string;
  ad: string;
  plaintext: string;
  ciphertext: string;
  tag: string;
}

const GUARD = 0xa5;

/** bytes placed at offset `off` of a larger buffer whose other bytes are GUARD, with `tail` spare bytes after. */
function placed(bytes: Uint8Array, off: number, tail: number): Uint8Array {
  const buf = new Uint8Array(off + bytes.length + tail).fill(GUARD);
  buf.set(bytes, off);
  return buf;
}

/** The bytes outside [off, off+len) are still GUARD. */
function guardsIntact(buf: Uint8Array, off: number, len: number, what: string): void {
  for (let i = 0; i < buf.length; i++) {
    if (i >= off && i < off + len) continue;
    if (buf[i] !== GUARD) throw new Error(`${what}: byte ${i} outside [${off}, ${off + len}) was written`);
  }
}

function concat(...parts: Uint8Array[]): Uint8Array {
  let n = 0;
  for (const p of parts) n += p.length;
  const out = new Uint8Array(n);
  n = 0;
  for (const p of parts) {
    out.set(p, n);
    n += p.length;
  }
  return out;
}

/** ad as the core passes it: null for empty, or a view into a larger buffer otherwise (to catch offset bugs). */
function adArg(adHex: string, asNull: boolean): Uint8Array | null {
  const ad = fromHex(adHex);
  if (ad.length === 0 && asNull) return null;
  const holder = placed(ad, 3, 2);
  return holder.subarray(3, 3 + ad.length);
}

/** Seals v in place at offset `off`, compares ciphertext || tag, then opens it back. */
function checkAead(aead: ChaChaPoly, v: AeadVector, off: number, x: boolean, name: string): void {
  const key = fromHex(v.key), nonce = fromHex(v.nonce), pt = fromHex(v.plaintext);
  const expected = concat(fromHex(v.ciphertext), fromHex(v.tag));
  for (const asNull of [true, false]) {
    const ad = adArg(v.ad, asNull);
    const buf = placed(pt, off, 16 + 5);
    for (let i = 0; i < 16; i++) buf[off + pt.length + i] = 0;
    if (x) aead.xseal(key, nonce, buf, off, pt.length, ad);
    else aead.seal(key, nonce, buf, off, pt.length, ad);
    equalBytes(buf.subarray(off, off + pt.length + 16), expected, `${name}: seal`);
    for (let i = 0; i < 5; i++) equal(buf[off + pt.length + 16 + i], GUARD, `${name}: seal wrote past the tag`);
    for (let i = 0; i < off; i++) equal(buf[i], GUARD, `${name}: seal wrote before off`);
    const opened = x ? aead.xopen(key, nonce, buf, off, pt.length + 16, ad) : aead.open(key, nonce, buf, off, pt.length + 16, ad);
    ok(opened, `${name}: open rejected its own seal`);
    equalBytes(buf.subarray(off, off + pt.length), pt, `${name}: open`);
  }
}

/** Opening sealed data with one bit flipped anywhere (ciphertext, tag or AD) must fail and leave buf untouched. */
function checkTamper(aead: ChaChaPoly, x: boolean, len: number, adLen: number): void {
  const key = new Uint8Array(32).map((_, i) => i * 7 + 1);
  const nonce = new Uint8Array(x ? 24 : 12).map((_, i) => 200 - i);
  const ad = new Uint8Array(adLen).map((_, i) => i ^ 0x5c);
  const off = 16;
  const buf = new Uint8Array(off + len + 16 + 3).fill(GUARD);
  for (let i = 0; i < len; i++) buf[off + i] = i & 0xff;
  if (x) aead.xseal(key, nonce, buf, off, len, adLen ? ad : null);
  else aead.seal(key, nonce, buf, off, len, adLen ? ad : null);
  const sealed = buf.slice();
  const open = (b: Uint8Array, a: Uint8Array | null) =>
    x ? aead.xopen(key, nonce, b, off, len + 16, a) : aead.open(key, nonce, b, off, len + 16, a);
  const positions = [0, 1, len >> 1, len - 1, len, len + 7, len + 15].filter((p) => p >= 0 && p < len + 16);
  for (const p of positions) {
    for (const bit of [0, 7]) {
      buf[off + p] ^= 1 << bit;
      const before = buf.slice();
      ok(!open(buf, adLen ? ad : null), `flipped bit ${bit} of byte ${p} (${p < len ? 'ciphertext' : 'tag'}) accepted`);
      equalBytes(buf, before, 'a rejected open modified the buffer');
      buf[off + p] ^= 1 << bit;
    }
  }
  if (adLen > 0) {
    for (const p of [0, adLen - 1]) {
      ad[p] ^= 0x80;
      ok(!open(buf, ad), `flipped AD byte ${p} accepted`);
      equalBytes(buf, sealed, 'a rejected open modified the buffer');
      ad[p] ^= 0x80;
    }
    ok(!open(buf, null), 'dropping the AD was accepted');
  } else {
    ok(!open(buf, new Uint8Array(1)), 'adding AD was accepted');
  }
  equalBytes(buf, sealed, 'rejected opens modified the buffer');
  ok(open(buf, adLen ? ad : null), 'the untampered message was rejected');
}

/** n seeded random bytes per call (mulberry32) for the cross-checks. */
function prng(seed: number): (n: number) => Uint8Array {
  const next = mulberry32(seed);
  return (n: number) => {
    const out = new Uint8Array(n);
    for (let i = 0; i < n; i++) out[i] = next() & 0xff;
    return out;
  };
}

/** Poly1305 of msg, fed in the given chunk sizes (the rest in one last chunk). */
function poly1305(key: Uint8Array, msg: Uint8Array, chunks: number[] = []): Uint8Array {
  const p = new Poly1305();
  const holder = placed(key, 9, 1);
  p.init(holder, 9);
  let at = 0;
  for (const c of chunks) {
    const n = Math.min(c, msg.length - at);
    p.update(msg, at, n);
    at += n;
  }
  p.update(msg, at, msg.length - at);
  const out = new Uint8Array(16 + 4).fill(GUARD);
  p.finish(out, 2);
  guardsIntact(out, 2, 16, 'poly1305 finish');
  return out.subarray(2, 18);
}

function checkPoly(v: { key: string; message: string; tag: string }, name: string): void {
  const key = fromHex(v.key), msg = fromHex(v.message), tag = fromHex(v.tag);
  equalBytes(poly1305(key, msg), tag, name);
  // Split points around block boundaries exercise the partial-block buffer.
  const splits = [1, 15, 16, 17, 31, msg.length >> 1, msg.length - 1].filter((j) => j > 0 && j < msg.length);
  for (const j of splits) equalBytes(poly1305(key, msg, [j]), tag, `${name} split at ${j}`);
  if (msg.length > 3) equalBytes(poly1305(key, msg, [1, 1, 1, 13, 3]), tag, `${name} in small chunks`);
}

/** ChaCha20 keystream XOR at a non-zero offset, with the bytes around untouched. */
function checkStream(
  stream: ChaChaStream, key: string, nonce: string, counter: number, input: string, output: string, name: string,
): void {
  const inp = fromHex(input);
  const off = 7;
  const buf = placed(inp, off, 3);
  stream.xor(fromHex(key), fromHex(nonce), counter, buf, off, inp.length);
  equalBytes(buf.subarray(off, off + inp.length), fromHex(output), name);
  guardsIntact(buf, off, inp.length, name);
  if (inp.length > 64) {
    // Two calls split on a block boundary continue the keystream via the counter.
    const b2 = placed(inp, off, 3);
    stream.xor(fromHex(key), fromHex(nonce), counter, b2, off, 64);
    stream.xor(fromHex(key), fromHex(nonce), counter + 1, b2, off + 64, inp.length - 64);
    equalBytes(b2, buf, `${name} (split at 64)`);
  }
}

export const cases: Case[] = [
  ['ChaCha20 block function: RFC 8439 §2.3.2, A.1, §2.6.2, A.4', () => {
    const c = new ChaCha20();
    for (const v of rfc8439.block) {
      const zeros = '00'.repeat(v.keystream.length / 2);
      checkStream(c, v.key, v.nonce, v.counter, zeros, v.keystream, v.section);
    }
  }],

  ['ChaCha20 encryption: RFC 8439 §2.4.2, A.2', () => {
    const c = new ChaCha20();
    for (const v of rfc8439.chacha20) checkStream(c, v.key, v.nonce, v.counter, v.plaintext, v.ciphertext, v.section);
  }],

  ['ChaCha20: zinc selftest vectors (lengths 0 to 1k+)', () => {
    const c = new ChaCha20();
    for (const v of zincChaCha.chacha20) checkStream(c, v.key, v.nonce, v.counter, v.plaintext, v.ciphertext, v.name);
  }],

  ['HChaCha20: draft-irtf-cfrg-xchacha-03 §2.2.1 and zinc', () => {
    const c = new ChaCha20();
    for (const v of [...xchacha.hchacha20, ...zincChaCha.hchacha20]) {
      const nonce = placed(fromHex(v.nonce), 5, 0);
      const out = new Uint8Array(40).fill(GUARD);
      c.hchacha20(fromHex(v.key), nonce, 5, out, 4);
      equalBytes(out.subarray(4, 36), fromHex(v.output), 'hchacha20');
      guardsIntact(out, 4, 32, 'hchacha20');
    }
  }],

  ['XChaCha20 stream: draft-irtf-cfrg-xchacha-03 A.3.2 (counter 0 and 1)', () => {
    const c = new ChaCha20();
    for (const v of xchacha.xchacha20) {
      const n24 = fromHex(v.nonce);
      const subkey = new Uint8Array(32);
      c.hchacha20(fromHex(v.key), n24, 0, subkey, 0);
      const n12 = concat(new Uint8Array(4), n24.subarray(16, 24));
      checkStream(c, hex(subkey), hex(n12), v.counter, v.plaintext, v.ciphertext, v.section);
    }
  }],

  ['Poly1305: RFC 8439 §2.5.2 and A.3 (#5-#11 are reduction edge cases)', () => {
    for (const v of rfc8439.poly1305) checkPoly(v, v.section);
  }],

  ['Poly1305: zinc selftest vectors (limb carry, 2^130-5 wrap, 5*H+L reduction, Google, Hanno Böck)', () => {
    for (const v of zincPoly.vectors) checkPoly(v, `${v.name} (${v.note})`);
  }],

  ['Poly1305: a reused context gives the same tag', () => {
    const p = new Poly1305();
    const v = rfc8439.poly1305[0];
    const out = new Uint8Array(16);
    for (let i = 0; i < 3; i++) {
      p.init(fromHex(v.key), 0);
      p.update(fromHex(v.message), 0, v.message.length / 2);
      p.finish(out, 0);
      equal(hex(out), v.tag, `round ${i}`);
    }
  }],

  ['Poly1305: extreme limbs (all-ones key and message) and seeded random inputs against noble', () => {
    // All-ones r (after clamping), s and message drive every limb and carry to its maximum:
    // this is where an inexact double-precision product or a missed carry would show.
    const ones = (n: number) => new Uint8Array(n).fill(0xff);
    const rand = prng(0x706f6c79);
    const keys = [ones(32), concat(ones(16), new Uint8Array(16)), concat(new Uint8Array(16).fill(0xf0), ones(16)), rand(32), rand(32)];
    for (const key of keys) {
      for (const len of [0, 1, 15, 16, 17, 31, 32, 33, 63, 64, 65, 127, 128, 129, 1420]) {
        for (const msg of [ones(len), rand(len)]) {
          equalBytes(poly1305(key, msg), noblePoly1305(msg, key), `key ${hex(key)} len ${len}`);
        }
      }
    }
  }],

  ['AEAD: RFC 8439 §2.8.2 seal/open at offsets', () => {
    const aead = new ChaChaPoly();
    const v = rfc8439.aead[0];
    for (const off of [0, 1, 16, 33]) checkAead(aead, v, off, false, `${v.section} @${off}`);
  }],

  ['AEAD: RFC 8439 A.5 decryption', () => {
    const aead = new ChaChaPoly();
    const v = rfc8439.aead[1];
    const sealed = concat(fromHex(v.ciphertext), fromHex(v.tag));
    const buf = placed(sealed, 16, 4);
    ok(aead.open(fromHex(v.key), fromHex(v.nonce), buf, 16, sealed.length, fromHex(v.ad)), 'A.5 tag rejected');
    equalBytes(buf.subarray(16, 16 + v.plaintext.length / 2), fromHex(v.plaintext), 'A.5 plaintext');
    for (let i = 0; i < 16; i++) equal(buf[16 + v.plaintext.length / 2 + i], sealed[sealed.length - 16 + i], 'open must not touch the tag');
    checkAead(aead, v, 5, false, v.section);
  }],

  ['AEAD: zinc selftest vectors (RFC 7539, reference lengths, Wycheproof) seal and open', () => {
    const aead = new ChaChaPoly();
    let i = 0;
    for (const v of zincAead.enc) checkAead(aead, v, [0, 16, 3][i++ % 3], false, `${v.name} (${v.note})`);
  }],

  ['AEAD: zinc dec #013 (corrupted) is rejected and the buffer left untouched', () => {
    const aead = new ChaChaPoly();
    for (const v of zincAead.dec) {
      equal(v.valid, false, 'only the failing dec vector is kept');
      const sealed = fromHex(v.sealed);
      const buf = placed(sealed, 16, 0);
      const before = buf.slice();
      ok(!aead.open(fromHex(v.key), fromHex(v.nonce), buf, 16, sealed.length, fromHex(v.ad)), `${v.name} accepted`);
      equalBytes(buf, before, `${v.name}: buffer modified`);
    }
  }],

  ['XChaCha20-Poly1305: draft-irtf-cfrg-xchacha-03 A.3.1 and zinc', () => {
    const aead = new ChaChaPoly();
    for (const v of xchacha.aead) for (const off of [0, 16, 7]) checkAead(aead, v, off, true, `${v.section} @${off}`);
    for (const v of zincAead.xenc) checkAead(aead, v, 16, true, v.name);
  }],

  ['AEAD: open rejects a flipped ciphertext, tag or AD bit and leaves the buffer untouched', () => {
    const aead = new ChaChaPoly();
    for (const len of [0, 1, 15, 16, 17, 64, 65, 200]) {
      for (const adLen of [0, 1, 13, 32]) {
        checkTamper(aead, false, len, adLen);
        checkTamper(aead, true, len, adLen);
      }
    }
  }],

  ['AEAD: open never throws on short or out-of-range input, and null AD equals empty AD', () => {
    const aead = new ChaChaPoly();
    const key = new Uint8Array(32), nonce = new Uint8Array(12), n24 = new Uint8Array(24);
    const buf = new Uint8Array(40);
    for (const len of [-1, 0, 1, 15]) {
      ok(!aead.open(key, nonce, buf, 4, len, null), `len ${len}`);
      ok(!aead.xopen(key, n24, buf, 4, len, null), `x len ${len}`);
    }
    ok(!aead.open(key, nonce, buf, 30, 16, null), 'range past the end of buf');
    ok(!aead.open(key, nonce, buf, -1, 16, null), 'negative offset');
    equalBytes(buf, new Uint8Array(40), 'rejected opens wrote to buf');
    // An empty message (keepalive): 16 bytes of tag only.
    aead.seal(key, nonce, buf, 4, 0, null);
    const tagNull = buf.slice(4, 20);
    aead.seal(key, nonce, buf, 4, 0, new Uint8Array(0));
    equalBytes(buf.subarray(4, 20), tagNull, 'null AD and empty AD differ');
    ok(aead.open(key, nonce, buf, 4, 16, null), 'empty message rejected');
  }],

  ['AEAD: a pluggable ChaCha20 stream (the native-cipher seam) is used and gives the same result', () => {
    const inner = new ChaCha20();
    let calls = 0;
    const stream: ChaChaStream = {
      xor(key, nonce, counter, buf, off, len) {
        calls++;
        inner.xor(key, nonce, counter, buf, off, len);
      },
    };
    const v = rfc8439.aead[0];
    checkAead(new ChaChaPoly(stream), v, 16, false, 'custom stream');
    ok(calls >= 4, `the custom stream was not used (${calls} calls)`);
  }],

  ['BLAKE2s: RFC 7693 Appendix B ("abc") and the official KAT through hash()', () => {
    const b = blake2sVectors;
    equalBytes(hash(fromHex(b.abc.message)), fromHex(b.abc.hash), 'abc');
    equalBytes(hash(fromHex('61'), fromHex(''), fromHex('6263')), fromHex(b.abc.hash), 'abc in parts');
    const msg = new Uint8Array(256).map((_, i) => i);
    for (const v of b.kat.unkeyed) {
      equalBytes(hash(msg.subarray(0, v.len)), fromHex(v.hash), `unkeyed len ${v.len}`);
      equalBytes(hash(msg.subarray(0, v.len >> 1), msg.subarray(v.len >> 1, v.len)), fromHex(v.hash), `unkeyed len ${v.len} in parts`);
    }
    // Keyed BLAKE2s-256 (mac() truncates to 16 bytes, which is a different parameter block, so it is checked below).
    for (const v of b.kat.keyed) equalBytes(blake2s(msg.subarray(0, v.len), { key: fromHex(b.kat.key) }), fromHex(v.hash), `keyed len ${v.len}`);
  }],

  ['BLAKE2s: RFC 7693 Appendix E self-test; its 16-byte keyed digests go through mac()', () => {
    const st = blake2sVectors.selftest;
    // selftest_seq (RFC 7693 Appendix E): a Fibonacci generator seeded with 0xDEAD4BAD * seed.
    const seq = (len: number, seed: number) => {
      const out = new Uint8Array(len);
      let a = Math.imul(0xdead4bad, seed) >>> 0, b = 1;
      for (let i = 0; i < len; i++) {
        const t = (a + b) >>> 0;
        a = b;
        b = t;
        out[i] = t >>> 24;
      }
      return out;
    };
    const digests: Uint8Array[] = [];
    for (const outlen of st.digestLengths) {
      for (const inlen of st.inputLengths) {
        const input = seq(inlen, inlen);
        const key = seq(outlen, outlen);
        digests.push(outlen === 32 ? hash(input) : blake2s(input, { dkLen: outlen }));
        digests.push(outlen === 16 ? mac(key, input.subarray(0, inlen >> 1), input.subarray(inlen >> 1)) : blake2s(input, { key, dkLen: outlen }));
      }
    }
    equalBytes(hash(...digests), fromHex(st.grandHash), 'grand hash');
  }],

  ['BLAKE2s context: RFC 7693 Appendix B ("abc") and the first keyed KAT entries, little-endian and byte-wise paths', () => {
    const b = blake2sVectors;
    const msg = new Uint8Array(256).map((_, i) => i);
    const key = fromHex(b.kat.key);
    for (const portable of [false, true]) {
      const s = new Blake2s(portable);
      const out = new Uint8Array(32);
      s.init().update(fromHex(b.abc.message)).digest(out);
      equalBytes(out, fromHex(b.abc.hash), `abc (portable ${portable})`);
      // Byte by byte, through updateByte.
      s.init();
      for (const x of fromHex(b.abc.message)) s.updateByte(x);
      s.digest(out);
      equalBytes(out, fromHex(b.abc.hash), `abc byte by byte (portable ${portable})`);
      for (const v of b.kat.keyed) {
        // Whole, and split at every block-relevant point, from an offset into a larger buffer.
        s.init(32, key).update(msg, 0, v.len).digest(out);
        equalBytes(out, fromHex(v.hash), `keyed len ${v.len} (portable ${portable})`);
        const cut = v.len >> 1;
        const shifted = new Uint8Array(v.len + 7);
        shifted.set(msg.subarray(0, v.len), 5);
        s.init(32, key).update(shifted, 5, cut).update(shifted, 5 + cut, v.len - cut).digest(out);
        equalBytes(out, fromHex(v.hash), `keyed len ${v.len} in parts (portable ${portable})`);
      }
      for (const v of b.kat.unkeyed) {
        s.init().update(msg.subarray(0, v.len)).digest(out);
        equalBytes(out, fromHex(v.hash), `unkeyed len ${v.len} (portable ${portable})`);
      }
    }
    throws(() => new Blake2s().init(33), 'a 33-byte digest was accepted');
    throws(() => new Blake2s().init(32, new Uint8Array(33)), 'a 33-byte key was accepted');
  }],

  ['BLAKE2s, MAC, HMAC and KDF contexts against noble blake2s/hmac on seeded random inputs', () => {
    const rand = prng(0x626c616b);
    const hx = new WgHash();
    for (const portable of [false, true]) {
      const s = new Blake2s(portable);
      for (let len = 0; len <= 300; len += len < 140 ? 1 : 17) {
        const data = rand(len);
        const outLen = 1 + (rand(1)[0] % 32);
        const keyLen = rand(1)[0] % 33;
        const key = rand(keyLen);
        const expected = blake2s(data, { dkLen: outLen, key: keyLen > 0 ? key : undefined });
        const out = new Uint8Array(outLen + 3);
        const cut = len === 0 ? 0 : rand(1)[0] % (len + 1);
        s.init(outLen, keyLen > 0 ? key : null).update(data, 0, cut).update(data, cut).digest(out, 3);
        equalBytes(out.subarray(3), expected, `blake2s len ${len} out ${outLen} key ${keyLen} (portable ${portable})`);
      }
    }
    const out = new Uint8Array(32), o2 = new Uint8Array(32), o3 = new Uint8Array(32);
    for (let i = 0; i < 60; i++) {
      const a = rand(32), key = rand(i % 3 === 0 ? 32 : i % 65), data = rand(i * 3);
      hx.hash(out, a, data, 0, data.length);
      equalBytes(out, blake2s(concat(a, data)), `hash ${i}`);
      const macKey = rand(1 + (i % 32));
      const macOut = new Uint8Array(20);
      hx.mac(macOut, 4, macKey, data, 0, data.length);
      equalBytes(macOut.subarray(4), blake2s(data, { key: macKey, dkLen: 16 }), `mac ${i}`);
      equalBytes(mac(macKey, data), blake2s(data, { key: macKey, dkLen: 16 }), `mac() ${i}`);
      hx.hmac(out, key, data);
      const h1 = nobleHmac(blake2s, key, data);
      equalBytes(out, h1, `hmac ${i}`);
      equalBytes(hmac(key, data), h1, `hmac() ${i}`);
      // KDF_n from its definition (whitepaper §5.4) on noble's HMAC.
      const t0 = nobleHmac(blake2s, key, data);
      const t1 = nobleHmac(blake2s, t0, new Uint8Array([1]));
      const t2 = nobleHmac(blake2s, t0, concat(t1, new Uint8Array([2])));
      const t3 = nobleHmac(blake2s, t0, concat(t2, new Uint8Array([3])));
      hx.kdf(key, null, data, 0, data.length, out, o2, o3);
      equalBytes(out, t1, `kdf3 t1 ${i}`);
      equalBytes(o2, t2, `kdf3 t2 ${i}`);
      equalBytes(o3, t3, `kdf3 t3 ${i}`);
      // Saved key prefixes give the same, for a non-empty input.
      const prefixes = new HmacPrefixes();
      hx.hmacPrefixes(key, prefixes);
      if (data.length > 0) {
        hx.kdf(null, prefixes, data, 0, data.length, out, o2, null);
        equalBytes(out, t1, `kdf2 from prefixes t1 ${i}`);
        equalBytes(o2, t2, `kdf2 from prefixes t2 ${i}`);
      }
      // The chaining key updated in place: out1 aliases the key, out2 the input.
      if (key.length === 32 && data.length === 32) {
        const c = key.slice(), x = data.slice();
        hx.kdf(c, null, x, 0, 32, c, x, null);
        equalBytes(c, t1, `kdf2 in place t1 ${i}`);
        equalBytes(x, t2, `kdf2 in place t2 ${i}`);
      }
    }
  }],

  ['HMAC-BLAKE2s and KDF1/KDF2/KDF3: wireguard-go kdf_test.go', () => {
    for (const v of kdfVectors.vectors) {
      const key = fromHex(v.key), input = fromHex(v.input);
      const [a] = kdf1(key, input);
      equalBytes(a, fromHex(v.t0), 'kdf1');
      const [b0, b1] = kdf2(key, input);
      equalBytes(b0, fromHex(v.t0), 'kdf2[0]');
      equalBytes(b1, fromHex(v.t1), 'kdf2[1]');
      const out = kdf3(key, input);
      equal(out.length, 3, 'kdf3 length');
      equalBytes(out[0], fromHex(v.t0), 'kdf3[0]');
      equalBytes(out[1], fromHex(v.t1), 'kdf3[1]');
      equalBytes(out[2], fromHex(v.t2), 'kdf3[2]');
      // KDF's first step is HMAC(HMAC(key, input), 0x01).
      equalBytes(hmac(hmac(key, input), new Uint8Array([1])), fromHex(v.t0), 'hmac');
    }
  }],

  ['X25519: RFC 7748 §5.2 and §6.1', () => {
    for (const v of rfc7748.scalarMult) equalBytes(x25519(fromHex(v.scalar), fromHex(v.u)), fromHex(v.output), v.section);
    const dh = rfc7748.diffieHellman;
    const a = fromHex(dh.alicePrivate), b = fromHex(dh.bobPrivate);
    const aCopy = a.slice();
    equalBytes(publicKey(a), fromHex(dh.alicePublic), 'Alice public');
    equalBytes(a, aCopy, 'publicKey modified the private key');
    equalBytes(publicKey(b), fromHex(dh.bobPublic), 'Bob public');
    equalBytes(x25519(a, fromHex(dh.bobPublic)), fromHex(dh.shared), 'Alice shared');
    equalBytes(x25519(b, fromHex(dh.alicePublic)), fromHex(dh.shared), 'Bob shared');
    equalBytes(a, aCopy, 'x25519 modified the private key');
    ok(!isZero(fromHex(dh.shared)), 'isZero on a real secret');
  }],

  ['X25519: RFC 7748 §5.2 iterated, 1 and 1,000 iterations', () => {
    const it = rfc7748.iterated;
    let k = fromHex(it.start);
    let u = fromHex(it.start);
    for (let i = 1; i <= 1000; i++) {
      const r = x25519(k, u);
      u = k;
      k = r;
      if (i === 1) equalBytes(k, fromHex(it.after1), 'after 1 iteration');
    }
    equalBytes(k, fromHex(it.after1000), 'after 1,000 iterations');
  }],

  ['X25519: zinc/Wycheproof vectors; low-order points give all zeros without throwing', () => {
    let zeros = 0;
    for (const v of zincX25519.vectors) {
      const out = x25519(fromHex(v.private), fromHex(v.public));
      equalBytes(out, fromHex(v.result), `${v.note}: ${v.public}`);
      equal(!isZero(out), v.valid, `${v.note}: validity`);
      if (!v.valid) zeros++;
    }
    ok(zeros >= 10, 'the low-order cases are present');
    const nine = new Uint8Array(32);
    nine[0] = 9;
    const k = fromHex(zincX25519.vectors[0].private);
    equalBytes(publicKey(k), x25519(k, nine), 'publicKey(k) = X25519(k, 9)');
    ok(isZero(new Uint8Array(32)) && !isZero(nine), 'isZero');
    throws(() => x25519(new Uint8Array(31), nine), 'short private key accepted');
    throws(() => x25519(k, new Uint8Array(33)), 'long public key accepted');
  }],

  ['X25519: cross-check against noble\'s ladder on seeded random scalars and points, non-canonical u among them', () => {
    const rand = prng(0x78323535);
    for (let i = 0; i < 24; i++) {
      const k = rand(32);
      const u = rand(32);
      // One point in four is in [p, 2^255) (non-canonical), one in four has the top bit set (it must be masked).
      if (i % 4 === 1) { u.fill(0xff, 1); u[0] = 0xed + (u[0] % 0x12); u[31] = 0x7f; }
      if (i % 4 === 3) u[31] |= 0x80;
      const kCopy = k.slice();
      let want: Uint8Array;
      try { want = reference.scalarMult(k, u); } catch { want = new Uint8Array(32); }
      equalBytes(x25519(k, u), want, `scalar ${hex(k)} point ${hex(u)}`);
      equalBytes(k, kCopy, 'x25519 modified the private key');
      equalBytes(publicKey(k), reference.scalarMultBase(k), `public key of ${hex(k)}`);
    }
  }],

  ['Cross-check against noble chacha20poly1305/xchacha20poly1305, lengths 0..1500 (seeded)', () => {
    const rand = prng(0x686f6d65);
    const aead = new ChaChaPoly();
    const lengths: number[] = [];
    for (let n = 0; n <= 80; n++) lengths.push(n);
    for (let n = 81; n < 1500; n += 23) lengths.push(n);
    lengths.push(1420, 1500);
    for (const len of lengths) {
      const key = rand(32), nonce = rand(12), n24 = rand(24), pt = rand(len);
      const adLen = rand(1)[0] % 3 === 0 ? 0 : rand(1)[0] % 70;
      const ad = rand(adLen);
      const off = rand(1)[0] % 20;
      const adArgument = adLen === 0 && (len & 1) === 0 ? null : ad;
      const expected = chacha20poly1305(key, nonce, ad).encrypt(pt);
      const buf = placed(pt, off, 16);
      aead.seal(key, nonce, buf, off, len, adArgument);
      equalBytes(buf.subarray(off, off + len + 16), expected, `seal len ${len} ad ${adLen}`);
      ok(aead.open(key, nonce, buf, off, len + 16, adArgument), `open len ${len}`);
      equalBytes(buf.subarray(off, off + len), pt, `open len ${len}`);
      const xexpected = xchacha20poly1305(key, n24, ad).encrypt(pt);
      const xbuf = placed(pt, off, 16);
      aead.xseal(key, n24, xbuf, off, len, adArgument);
      equalBytes(xbuf.subarray(off, off + len + 16), xexpected, `xseal len ${len} ad ${adLen}`);
      ok(aead.xopen(key, n24, xbuf, off, len + 16, adArgument), `xopen len ${len}`);
      equalBytes(xbuf.subarray(off, off + len), pt, `xopen len ${len}`);
      // And noble opens ours.
      equalBytes(chacha20poly1305(key, nonce, ad).decrypt(expected), pt, `noble decrypt len ${len}`);
    }
  }],
];
