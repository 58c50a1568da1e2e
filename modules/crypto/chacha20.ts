/**
 * ChaCha20 (RFC 8439 §2.3, §2.4) and HChaCha20 (draft-irtf-cfrg-xchacha-03 §2.2),
 * in place and allocation-free: this is the data path.
 *
 * The 16 state words live in local variables and the 20 rounds are written out
 * as quarter rounds (RFC 8439 §2.1); whole 64-byte blocks are XORed into the
 * caller's buffer straight from those locals. Only a final partial block goes
 * through a scratch buffer, allocated in the constructor (XS preload freezes
 * module-level typed arrays).
 *
 * Words are assembled from bytes explicitly (little-endian per RFC 8439 §2.3),
 * never through a Uint32Array view of the data, so the code is independent of
 * host endianness and of the data's alignment.
 */

/** "expand 32-byte k" as four little-endian words (RFC 8439 §2.3). */
const C0 = 0x61707865;
const C1 = 0x3320646e;
const C2 = 0x79622d32;
const C3 = 0x6b206574;

/**
 * A source of the ChaCha20 keystream: the seam where a host can plug in a
 * native cipher (e.g. Moddable's `StreamCipher("ChaCha")`) instead of the
 * portable JavaScript one.
 */
export interface ChaChaStream {
  /**
   * XOR buf[off, off+len) in place with the RFC 8439 §2.4 keystream for
   * (key: 32 bytes, nonce: 12 bytes), starting at 32-bit block `counter`.
   * Must not allocate or throw for valid arguments.
   */
  xor(key: Uint8Array, nonce: Uint8Array, counter: number, buf: Uint8Array, off: number, len: number): void;
}

/** Reads a little-endian 32-bit word (as a signed int32, which the rounds accept). */
function le32(b: Uint8Array, i: number): number {
  return b[i] | (b[i + 1] << 8) | (b[i + 2] << 16) | (b[i + 3] << 24);
}

/** The portable ChaCha20 stream; one instance per user, since it keeps scratch state. */
export class ChaCha20 implements ChaChaStream {
  /** Keystream of a final partial block. */
  private readonly tail = new Uint8Array(64);
  /** HChaCha20 scratch: a zero block turned into keystream, and the 12-byte nonce it uses. */
  private readonly hblock = new Uint8Array(64);
  private readonly hnonce = new Uint8Array(12);

  xor(key: Uint8Array, nonce: Uint8Array, counter: number, buf: Uint8Array, off: number, len: number): void {
    const k0 = le32(key, 0), k1 = le32(key, 4), k2 = le32(key, 8), k3 = le32(key, 12);
    const k4 = le32(key, 16), k5 = le32(key, 20), k6 = le32(key, 24), k7 = le32(key, 28);
    const n0 = le32(nonce, 0), n1 = le32(nonce, 4), n2 = le32(nonce, 8);
    // RFC 8439 §2.4: the block counter is 32 bits; it wraps after 256 GiB, which the
    // callers' rekey limits (far smaller messages, one counter per message) never reach.
    let ctr = counter | 0;
    let p = off;
    const end = off + len;
    while (p < end) {
      let x0 = C0, x1 = C1, x2 = C2, x3 = C3;
      let x4 = k0, x5 = k1, x6 = k2, x7 = k3;
      let x8 = k4, x9 = k5, x10 = k6, x11 = k7;
      let x12 = ctr, x13 = n0, x14 = n1, x15 = n2;
      for (let i = 0; i < 10; i++) {
        // Column round: QR(0,4,8,12) QR(1,5,9,13) QR(2,6,10,14) QR(3,7,11,15) (RFC 8439 §2.1, §2.3).
        x0 = (x0 + x4) | 0; x12 ^= x0; x12 = (x12 << 16) | (x12 >>> 16);
        x8 = (x8 + x12) | 0; x4 ^= x8; x4 = (x4 << 12) | (x4 >>> 20);
        x0 = (x0 + x4) | 0; x12 ^= x0; x12 = (x12 << 8) | (x12 >>> 24);
        x8 = (x8 + x12) | 0; x4 ^= x8; x4 = (x4 << 7) | (x4 >>> 25);

        x1 = (x1 + x5) | 0; x13 ^= x1; x13 = (x13 << 16) | (x13 >>> 16);
        x9 = (x9 + x13) | 0; x5 ^= x9; x5 = (x5 << 12) | (x5 >>> 20);
        x1 = (x1 + x5) | 0; x13 ^= x1; x13 = (x13 << 8) | (x13 >>> 24);
        x9 = (x9 + x13) | 0; x5 ^= x9; x5 = (x5 << 7) | (x5 >>> 25);

        x2 = (x2 + x6) | 0; x14 ^= x2; x14 = (x14 << 16) | (x14 >>> 16);
        x10 = (x10 + x14) | 0; x6 ^= x10; x6 = (x6 << 12) | (x6 >>> 20);
        x2 = (x2 + x6) | 0; x14 ^= x2; x14 = (x14 << 8) | (x14 >>> 24);
        x10 = (x10 + x14) | 0; x6 ^= x10; x6 = (x6 << 7) | (x6 >>> 25);

        x3 = (x3 + x7) | 0; x15 ^= x3; x15 = (x15 << 16) | (x15 >>> 16);
        x11 = (x11 + x15) | 0; x7 ^= x11; x7 = (x7 << 12) | (x7 >>> 20);
        x3 = (x3 + x7) | 0; x15 ^= x3; x15 = (x15 << 8) | (x15 >>> 24);
        x11 = (x11 + x15) | 0; x7 ^= x11; x7 = (x7 << 7) | (x7 >>> 25);

        // Diagonal round: QR(0,5,10,15) QR(1,6,11,12) QR(2,7,8,13) QR(3,4,9,14).
        x0 = (x0 + x5) | 0; x15 ^= x0; x15 = (x15 << 16) | (x15 >>> 16);
        x10 = (x10 + x15) | 0; x5 ^= x10; x5 = (x5 << 12) | (x5 >>> 20);
        x0 = (x0 + x5) | 0; x15 ^= x0; x15 = (x15 << 8) | (x15 >>> 24);
        x10 = (x10 + x15) | 0; x5 ^= x10; x5 = (x5 << 7) | (x5 >>> 25);

        x1 = (x1 + x6) | 0; x12 ^= x1; x12 = (x12 << 16) | (x12 >>> 16);
        x11 = (x11 + x12) | 0; x6 ^= x11; x6 = (x6 << 12) | (x6 >>> 20);
        x1 = (x1 + x6) | 0; x12 ^= x1; x12 = (x12 << 8) | (x12 >>> 24);
        x11 = (x11 + x12) | 0; x6 ^= x11; x6 = (x6 << 7) | (x6 >>> 25);

        x2 = (x2 + x7) | 0; x13 ^= x2; x13 = (x13 << 16) | (x13 >>> 16);
        x8 = (x8 + x13) | 0; x7 ^= x8; x7 = (x7 << 12) | (x7 >>> 20);
        x2 = (x2 + x7) | 0; x13 ^= x2; x13 = (x13 << 8) | (x13 >>> 24);
        x8 = (x8 + x13) | 0; x7 ^= x8; x7 = (x7 << 7) | (x7 >>> 25);

        x3 = (x3 + x4) | 0; x14 ^= x3; x14 = (x14 << 16) | (x14 >>> 16);
        x9 = (x9 + x14) | 0; x4 ^= x9; x4 = (x4 << 12) | (x4 >>> 20);
        x3 = (x3 + x4) | 0; x14 ^= x3; x14 = (x14 << 8) | (x14 >>> 24);
        x9 = (x9 + x14) | 0; x4 ^= x9; x4 = (x4 << 7) | (x4 >>> 25);
      }
      // RFC 8439 §2.3: add the input state to the output of the rounds.
      x0 = (x0 + C0) | 0; x1 = (x1 + C1) | 0; x2 = (x2 + C2) | 0; x3 = (x3 + C3) | 0;
      x4 = (x4 + k0) | 0; x5 = (x5 + k1) | 0; x6 = (x6 + k2) | 0; x7 = (x7 + k3) | 0;
      x8 = (x8 + k4) | 0; x9 = (x9 + k5) | 0; x10 = (x10 + k6) | 0; x11 = (x11 + k7) | 0;
      x12 = (x12 + ctr) | 0; x13 = (x13 + n0) | 0; x14 = (x14 + n1) | 0; x15 = (x15 + n2) | 0;
      ctr = (ctr + 1) | 0;

      if (end - p >= 64) {
        // Serialise little-endian and XOR (a typed-array store keeps the low 8 bits).
        buf[p] ^= x0; buf[p + 1] ^= x0 >>> 8; buf[p + 2] ^= x0 >>> 16; buf[p + 3] ^= x0 >>> 24;
        buf[p + 4] ^= x1; buf[p + 5] ^= x1 >>> 8; buf[p + 6] ^= x1 >>> 16; buf[p + 7] ^= x1 >>> 24;
        buf[p + 8] ^= x2; buf[p + 9] ^= x2 >>> 8; buf[p + 10] ^= x2 >>> 16; buf[p + 11] ^= x2 >>> 24;
        buf[p + 12] ^= x3; buf[p + 13] ^= x3 >>> 8; buf[p + 14] ^= x3 >>> 16; buf[p + 15] ^= x3 >>> 24;
        buf[p + 16] ^= x4; buf[p + 17] ^= x4 >>> 8; buf[p + 18] ^= x4 >>> 16; buf[p + 19] ^= x4 >>> 24;
        buf[p + 20] ^= x5; buf[p + 21] ^= x5 >>> 8; buf[p + 22] ^= x5 >>> 16; buf[p + 23] ^= x5 >>> 24;
        buf[p + 24] ^= x6; buf[p + 25] ^= x6 >>> 8; buf[p + 26] ^= x6 >>> 16; buf[p + 27] ^= x6 >>> 24;
        buf[p + 28] ^= x7; buf[p + 29] ^= x7 >>> 8; buf[p + 30] ^= x7 >>> 16; buf[p + 31] ^= x7 >>> 24;
        buf[p + 32] ^= x8; buf[p + 33] ^= x8 >>> 8; buf[p + 34] ^= x8 >>> 16; buf[p + 35] ^= x8 >>> 24;
        buf[p + 36] ^= x9; buf[p + 37] ^= x9 >>> 8; buf[p + 38] ^= x9 >>> 16; buf[p + 39] ^= x9 >>> 24;
        buf[p + 40] ^= x10; buf[p + 41] ^= x10 >>> 8; buf[p + 42] ^= x10 >>> 16; buf[p + 43] ^= x10 >>> 24;
        buf[p + 44] ^= x11; buf[p + 45] ^= x11 >>> 8; buf[p + 46] ^= x11 >>> 16; buf[p + 47] ^= x11 >>> 24;
        buf[p + 48] ^= x12; buf[p + 49] ^= x12 >>> 8; buf[p + 50] ^= x12 >>> 16; buf[p + 51] ^= x12 >>> 24;
        buf[p + 52] ^= x13; buf[p + 53] ^= x13 >>> 8; buf[p + 54] ^= x13 >>> 16; buf[p + 55] ^= x13 >>> 24;
        buf[p + 56] ^= x14; buf[p + 57] ^= x14 >>> 8; buf[p + 58] ^= x14 >>> 16; buf[p + 59] ^= x14 >>> 24;
        buf[p + 60] ^= x15; buf[p + 61] ^= x15 >>> 8; buf[p + 62] ^= x15 >>> 16; buf[p + 63] ^= x15 >>> 24;
        p += 64;
      } else {
        const t = this.tail;
        t[0] = x0; t[1] = x0 >>> 8; t[2] = x0 >>> 16; t[3] = x0 >>> 24;
        t[4] = x1; t[5] = x1 >>> 8; t[6] = x1 >>> 16; t[7] = x1 >>> 24;
        t[8] = x2; t[9] = x2 >>> 8; t[10] = x2 >>> 16; t[11] = x2 >>> 24;
        t[12] = x3; t[13] = x3 >>> 8; t[14] = x3 >>> 16; t[15] = x3 >>> 24;
        t[16] = x4; t[17] = x4 >>> 8; t[18] = x4 >>> 16; t[19] = x4 >>> 24;
        t[20] = x5; t[21] = x5 >>> 8; t[22] = x5 >>> 16; t[23] = x5 >>> 24;
        t[24] = x6; t[25] = x6 >>> 8; t[26] = x6 >>> 16; t[27] = x6 >>> 24;
        t[28] = x7; t[29] = x7 >>> 8; t[30] = x7 >>> 16; t[31] = x7 >>> 24;
        t[32] = x8; t[33] = x8 >>> 8; t[34] = x8 >>> 16; t[35] = x8 >>> 24;
        t[36] = x9; t[37] = x9 >>> 8; t[38] = x9 >>> 16; t[39] = x9 >>> 24;
        t[40] = x10; t[41] = x10 >>> 8; t[42] = x10 >>> 16; t[43] = x10 >>> 24;
        t[44] = x11; t[45] = x11 >>> 8; t[46] = x11 >>> 16; t[47] = x11 >>> 24;
        t[48] = x12; t[49] = x12 >>> 8; t[50] = x12 >>> 16; t[51] = x12 >>> 24;
        t[52] = x13; t[53] = x13 >>> 8; t[54] = x13 >>> 16; t[55] = x13 >>> 24;
        t[56] = x14; t[57] = x14 >>> 8; t[58] = x14 >>> 16; t[59] = x14 >>> 24;
        t[60] = x15; t[61] = x15 >>> 8; t[62] = x15 >>> 16; t[63] = x15 >>> 24;
        for (let i = 0; p < end; i++, p++) buf[p] ^= t[i];
        // The keystream is key material: do not leave it behind.
        t.fill(0);
      }
    }
  }

  /**
   * HChaCha20 (draft-irtf-cfrg-xchacha-03 §2.2): writes the 32-byte subkey for
   * (key, nonce[nonceOff, nonceOff+16)) to out[outOff, outOff+32).
   *
   * HChaCha20 is the ChaCha20 block with the counter and nonce words replaced
   * by the 16-byte nonce, returning state words 0-3 and 12-15 *before* the
   * input is added back. Rather than keep a second copy of the rounds, this
   * runs the block function of {@link xor} on a zero block (which yields the
   * rounds' output plus the input state) and subtracts those input words again.
   */
  hchacha20(key: Uint8Array, nonce: Uint8Array, nonceOff: number, out: Uint8Array, outOff: number): void {
    const b = this.hblock;
    const n = this.hnonce;
    for (let i = 0; i < 12; i++) n[i] = nonce[nonceOff + 4 + i];
    b.fill(0);
    this.xor(key, n, le32(nonce, nonceOff), b, 0, 64);
    // Subtract the input state: the constants from words 0-3, nonce words 0-3 from words 12-15.
    putLe32(out, outOff, le32(b, 0) - C0);
    putLe32(out, outOff + 4, le32(b, 4) - C1);
    putLe32(out, outOff + 8, le32(b, 8) - C2);
    putLe32(out, outOff + 12, le32(b, 12) - C3);
    for (let i = 0; i < 4; i++) putLe32(out, outOff + 16 + 4 * i, le32(b, 48 + 4 * i) - le32(nonce, nonceOff + 4 * i));
    b.fill(0);
    n.fill(0);
  }
}

/** Writes the low 32 bits of v little-endian (the subtraction above is mod 2^32). */
function putLe32(b: Uint8Array, i: number, v: number): void {
  b[i] = v;
  b[i + 1] = v >>> 8;
  b[i + 2] = v >>> 16;
  b[i + 3] = v >>> 24;
}
