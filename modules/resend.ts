/**
 * The resend ring: recently sent plaintext packets, kept so that a peer that
 * lost its state loses no telemetry. A valid NAK names the first counter the
 * peer never saw; after the new handshake, everything we sent on that keypair
 * from that counter on is sent again.
 *
 * One preallocated byte buffer shared by all peers, bounded by a byte budget:
 * recording never allocates, and the oldest entries make room for new ones.
 * Each entry is a 16-byte header (peer, length, keypair id, counter lo/hi)
 * followed by the packet, 4-byte aligned. An entry never wraps: when it does
 * not fit before the end, a skip marker sends readers back to offset 0.
 */

import { readU32, writeU32 } from './messages';

const HEADER = 16;
const SKIP = 0xffff;

function align(n: number): number {
  return (n + 3) & ~3;
}

export class ResendRing {
  private readonly buf: Uint8Array;
  /** Offset of the oldest entry, of the next free byte, and bytes in use (including skipped tails). */
  private head = 0;
  private tail = 0;
  private used = 0;
  /** Packets that were evicted before anyone asked for them again: only these can be lost. */
  evicted = 0;
  /** Packets too large for the budget at all. */
  oversize = 0;

  constructor(readonly budget: number) {
    this.buf = new Uint8Array(Math.max(align(budget), HEADER * 2));
  }

  /** Keeps a copy of src[off, off+len), sent with (keypair id, counter) to a peer. */
  record(peer: number, keypair: number, lo: number, hi: number, src: Uint8Array, off: number, len: number): void {
    const size = HEADER + align(len);
    const cap = this.buf.length;
    if (size > cap) {
      this.oversize++;
      return;
    }
    this.reserve(size);
    const b = this.buf;
    const t = this.tail;
    this.writeU16(t, peer);
    this.writeU16(t + 2, len);
    this.writeU32(t + 4, keypair);
    this.writeU32(t + 8, lo);
    this.writeU32(t + 12, hi);
    for (let i = 0; i < len; i++) b[t + HEADER + i] = src[off + i];
    this.tail = t + size === cap ? 0 : t + size;
    this.used += size;
  }

  /** Evicts the oldest entries until `size` contiguous bytes are free at the tail (wrapping if needed). */
  private reserve(size: number): void {
    const cap = this.buf.length;
    for (;;) {
      if (this.used === 0) {
        this.head = this.tail = 0;
        return;
      }
      if (this.tail > this.head) {
        if (cap - this.tail >= size) return;
        if (this.head >= size) {
          // Skip the tail end: readers jump from here back to offset 0.
          if (cap - this.tail >= 2) this.writeU16(this.tail, SKIP);
          this.used += cap - this.tail;
          this.tail = 0;
          return;
        }
      } else if (this.tail < this.head && this.head - this.tail >= size) {
        return;
      }
      this.evictOldest();
    }
  }

  private evictOldest(): void {
    const cap = this.buf.length;
    const h = this.head;
    if (cap - h < HEADER || this.readU16(h) === SKIP) {
      this.used -= cap - h;
      this.head = 0;
      return;
    }
    const size = HEADER + align(this.readU16(h + 2));
    this.used -= size;
    this.head = h + size === cap ? 0 : h + size;
    this.evicted++;
  }

  /**
   * Visits, oldest first, every packet sent to `peer` on `keypair` with a
   * counter >= (lo, hi). Returns the number of counters from there to the
   * first one still held that are gone: the packets lost for good.
   */
  replay(peer: number, keypair: number, lo: number, hi: number, visit: (buf: Uint8Array, off: number, len: number) => void): number {
    const cap = this.buf.length;
    let h = this.head;
    let remaining = this.used;
    let first = -1;
    let firstHi = 0;
    while (remaining > 0) {
      const tag = cap - h < HEADER ? SKIP : this.readU16(h);
      if (tag === SKIP) {
        remaining -= cap - h;
        h = 0;
        continue;
      }
      const len = this.readU16(h + 2);
      const size = HEADER + align(len);
      if (tag === peer && this.readU32(h + 4) === keypair) {
        const elo = this.readU32(h + 8);
        const ehi = this.readU32(h + 12);
        if (ehi > hi || (ehi === hi && elo >= lo)) {
          if (first < 0) {
            first = elo;
            firstHi = ehi;
          }
          visit(this.buf, h + HEADER, len);
        }
      }
      remaining -= size;
      h = h + size === cap ? 0 : h + size;
    }
    if (first < 0) return 0;
    // Counters below 2^53 are exact as numbers; the gap is what the ring no longer holds.
    return (firstHi - hi) * 0x100000000 + (first - lo);
  }

  /** Forgets everything (a restart, or tests). */
  clear(): void {
    this.head = this.tail = this.used = 0;
  }

  private readU16(o: number): number {
    return this.buf[o] | (this.buf[o + 1] << 8);
  }

  private writeU16(o: number, v: number): void {
    this.buf[o] = v & 0xff;
    this.buf[o + 1] = (v >>> 8) & 0xff;
  }

  private readU32(o: number): number {
    return readU32(this.buf, o);
  }

  private writeU32(o: number, v: number): void {
    writeU32(this.buf, o, v);
  }
}
