/**
 * TAI64N timestamps, the handshake initiation's replay guard (whitepaper §5.1,
 * §5.4.2): a responder accepts an initiation only if its timestamp is greater
 * than the last one it accepted from that peer.
 *
 * Layout (12 bytes, big-endian): an 8-byte TAI64 label, then 4 bytes of
 * nanoseconds. The label is 2^62 + 10 + unix seconds, the constant both
 * wireguard-go (tai64n.go, base 0x400000000000000a) and the kernel use: 2^62
 * marks the TAI64 epoch and 10 s is TAI - UTC at 1970. Only the ordering
 * matters to a peer, but using the same label keeps homeward's timestamps
 * comparable with a stock WireGuard's on the same clock.
 *
 * No BigInt: the label is written as two u32 halves.
 */

/** Bytes in a TAI64N timestamp. */
export const TAI64N_SIZE = 12;

/** 2^62 as the high u32 half of the label. */
const LABEL_HI = 0x40000000;
/** TAI - UTC in 1970, in seconds. */
const TAI_OFFSET = 10;
const TWO_32 = 0x100000000;
/**
 * Nanoseconds are rounded down to a multiple of 2^24 (about 16.8 ms), as
 * wireguard-go's whitenerMask does: the timestamp is encrypted, but whoever
 * decrypts it (the responder, or anyone who later learns a static key) should
 * not get a fine-grained clock reading that could fingerprint the host.
 */
const WHITEN = 0x1000000;

/**
 * Writes the TAI64N of `unixMs` (milliseconds since 1970, >= 0) at out[off, off + 12).
 * Hosts pass max(wall clock, persisted ceiling) so the value never goes back
 * across reboots (DESIGN.md §2).
 */
export function writeTai64n(out: Uint8Array, off: number, unixMs: number): void {
  if (!(unixMs > 0)) unixMs = 0; // also NaN: a clock that was never set
  const seconds = Math.floor(unixMs / 1000);
  let nanos = Math.floor((unixMs - seconds * 1000) * 1e6);
  if (nanos > 999_999_999) nanos = 999_999_999; // float noise on fractional ms
  nanos -= nanos % WHITEN;
  const label = seconds + TAI_OFFSET;
  const lo = label % TWO_32;
  const hi = LABEL_HI + (label - lo) / TWO_32;
  writeU32BE(out, off, hi);
  writeU32BE(out, off + 4, lo);
  writeU32BE(out, off + 8, nanos);
}

/**
 * Lexicographic (= chronological) comparison of two TAI64N timestamps:
 * -1 if a < b, 0 if equal, 1 if a > b.
 */
export function compareTai64n(a: Uint8Array, aOff: number, b: Uint8Array, bOff: number): number {
  for (let i = 0; i < TAI64N_SIZE; i++) {
    const x = a[aOff + i];
    const y = b[bOff + i];
    if (x !== y) return x < y ? -1 : 1;
  }
  return 0;
}

/** The unix time in milliseconds of a TAI64N timestamp (for logs and tests). */
export function readTai64nMs(buf: Uint8Array, off: number): number {
  const hi = readU32BE(buf, off);
  const lo = readU32BE(buf, off + 4);
  const nanos = readU32BE(buf, off + 8);
  const seconds = (hi - LABEL_HI) * TWO_32 + lo - TAI_OFFSET;
  return seconds * 1000 + Math.floor(nanos / 1e6);
}

function writeU32BE(buf: Uint8Array, off: number, v: number): void {
  buf[off] = (v >>> 24) & 0xff;
  buf[off + 1] = (v >>> 16) & 0xff;
  buf[off + 2] = (v >>> 8) & 0xff;
  buf[off + 3] = v & 0xff;
}

function readU32BE(buf: Uint8Array, off: number): number {
  return ((buf[off] << 24) | (buf[off + 1] << 16) | (buf[off + 2] << 8) | buf[off + 3]) >>> 0;
}
