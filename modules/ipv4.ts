/**
 * Minimal IPv4 for the tunnel (DESIGN.md §1): tunnel payloads are IP packets,
 * so the core frames its UDP telemetry as IPv4/UDP, answers ICMP echo, and
 * checks the headers of what it receives.
 *
 * Packet functions run per packet: they never allocate and never throw, on any
 * input (a bad packet is a `false`, counted by the caller as a drop). The
 * address helpers at the end are for configuration and may throw.
 *
 * Addresses are u32 numbers in host order: 10.0.0.1 is 0x0a000001.
 */
import type { Cidr } from './config';

/** An IPv4 header without options (RFC 791 §3.1). */
export const IPV4_HEADER = 20;
/** RFC 768. */
export const UDP_HEADER = 8;
/** Type, code, checksum, and the echo identifier and sequence number (RFC 792). */
export const ICMP_HEADER = 8;

export const IPPROTO_ICMP = 1;
export const IPPROTO_TCP = 6;
export const IPPROTO_UDP = 17;

export const ICMP_ECHO_REPLY = 0;
export const ICMP_ECHO_REQUEST = 8;

/** The TTL of packets we originate (Linux's default, RFC 1700's recommendation). */
export const DEFAULT_TTL = 64;

/** Flags/fragment-offset word: Don't Fragment, More Fragments, offset (RFC 791 §3.1). */
const FLAG_DF = 0x4000;
const FLAG_MF = 0x2000;
const OFFSET_MASK = 0x1fff;
const MAX_TOTAL_LENGTH = 0xffff;

/**
 * The ones'-complement sum of 16-bit big-endian words, not yet folded or
 * complemented (RFC 1071 §4.1: sum first, fold carries once at the end). An odd
 * trailing byte is padded with a zero. `sum` carries a sum over earlier data.
 * Plain number arithmetic, no bit operations on the sum: 64 KiB of words stays
 * far below 2^53.
 */
function sum16(buf: Uint8Array, off: number, len: number, sum: number): number {
  const end = off + len - 1;
  let i = off;
  for (; i < end; i += 2) sum += (buf[i] << 8) | buf[i + 1];
  if (i === end) sum += buf[i] << 8;
  return sum;
}

/** Folds the carries back in (end-around carry, RFC 1071 §2(B)) and complements. */
function finish(sum: number): number {
  while (sum > 0xffff) sum = (sum & 0xffff) + Math.floor(sum / 0x10000);
  return ~sum & 0xffff;
}

/**
 * The Internet checksum (RFC 1071) of buf[off, off + len): the ones'
 * complement of the ones'-complement sum of its 16-bit words. Over data that
 * includes a correct checksum field it is 0.
 *
 * @param initial an unfolded ones'-complement sum of data that logically
 *   precedes, e.g. {@link pseudoHeaderSum} for UDP; default 0.
 */
export function checksum(buf: Uint8Array, off: number, len: number, initial = 0): number {
  return finish(sum16(buf, off, len, initial));
}

/**
 * The sum of the UDP/TCP pseudo-header (RFC 768): source, destination, zero,
 * protocol, and the transport length, to pass as `initial` to {@link checksum}.
 */
export function pseudoHeaderSum(src: number, dst: number, protocol: number, length: number): number {
  return (src >>> 16) + (src & 0xffff) + (dst >>> 16) + (dst & 0xffff) + protocol + length;
}

function writeU16(buf: Uint8Array, off: number, v: number): void {
  buf[off] = (v >>> 8) & 0xff;
  buf[off + 1] = v & 0xff;
}

function writeU32BE(buf: Uint8Array, off: number, v: number): void {
  buf[off] = (v >>> 24) & 0xff;
  buf[off + 1] = (v >>> 16) & 0xff;
  buf[off + 2] = (v >>> 8) & 0xff;
  buf[off + 3] = v & 0xff;
}

function readU16(buf: Uint8Array, off: number): number {
  return (buf[off] << 8) | buf[off + 1];
}

function readU32BE(buf: Uint8Array, off: number): number {
  return ((buf[off] << 24) | (buf[off + 1] << 16) | (buf[off + 2] << 8) | buf[off + 3]) >>> 0;
}

/** True if off/len are non-negative integers that fit inside buf. */
function inside(buf: Uint8Array, off: number, len: number): boolean {
  return off === off >>> 0 && len === len >>> 0 && off + len <= buf.length;
}

/**
 * Writes an IPv4 header (20 bytes, TTL 64, DF set, no options) and a UDP header
 * at buf[off, off + 28) in front of a payload already at buf[off + 28, +payloadLen),
 * with the IP header checksum and the UDP checksum over the pseudo-header
 * (RFC 768; a computed 0 is sent as 0xffff, since 0 means "no checksum").
 * DF because the tunnel's inner MTU is fixed and fragments inside a tunnel are
 * useless to a telemetry receiver.
 *
 * @returns the total IP length, or 0 (nothing written) if the datagram would
 *   exceed 65535 bytes or the buffer.
 */
export function writeIpv4Udp(
  buf: Uint8Array,
  off: number,
  src: number,
  dst: number,
  srcPort: number,
  dstPort: number,
  payloadLen: number,
  id: number,
): number {
  const total = IPV4_HEADER + UDP_HEADER + payloadLen;
  if (!(payloadLen >= 0) || !inside(buf, off, total) || total > MAX_TOTAL_LENGTH) return 0;
  writeIpv4Header(buf, off, src, dst, IPPROTO_UDP, total, id);
  const u = off + IPV4_HEADER;
  const udpLen = UDP_HEADER + payloadLen;
  writeU16(buf, u, srcPort);
  writeU16(buf, u + 2, dstPort);
  writeU16(buf, u + 4, udpLen);
  buf[u + 6] = 0;
  buf[u + 7] = 0;
  const c = checksum(buf, u, udpLen, pseudoHeaderSum(src, dst, IPPROTO_UDP, udpLen));
  writeU16(buf, u + 6, c === 0 ? 0xffff : c);
  return total;
}

/** Bytes of payload in our echo requests (after the 8-byte ICMP header): small, like a DPD probe should be. */
export const ECHO_PAYLOAD = 8;

/**
 * Writes an ICMP echo request (RFC 792) from src to dst at buf[off, off + 36):
 * identifier, sequence number and 8 zero bytes of payload. Linux answers it on
 * its wg address, so a stock WireGuard home server answers our liveness probe.
 *
 * @returns the total IP length, or 0 if it does not fit.
 */
export function writeIcmpEcho(buf: Uint8Array, off: number, src: number, dst: number, ident: number, seq: number, id: number): number {
  const total = IPV4_HEADER + ICMP_HEADER + ECHO_PAYLOAD;
  if (!inside(buf, off, total)) return 0;
  writeIpv4Header(buf, off, src, dst, IPPROTO_ICMP, total, id);
  const i = off + IPV4_HEADER;
  buf[i] = ICMP_ECHO_REQUEST;
  buf[i + 1] = 0;
  buf[i + 2] = 0;
  buf[i + 3] = 0;
  writeU16(buf, i + 4, ident);
  writeU16(buf, i + 6, seq);
  for (let k = i + ICMP_HEADER; k < off + total; k++) buf[k] = 0;
  writeU16(buf, i + 2, checksum(buf, i, ICMP_HEADER + ECHO_PAYLOAD));
  return total;
}

/** True if the parsed packet at buf[off] is an ICMP echo reply. */
export function isIcmpEchoReply(buf: Uint8Array, off: number, info: Ipv4Info): boolean {
  return info.protocol === IPPROTO_ICMP && !info.fragment && info.totalLength - info.headerLength >= ICMP_HEADER &&
    buf[off + info.headerLength] === ICMP_ECHO_REPLY;
}

/** A 20-byte IPv4 header (TTL 64, DF set, no options) with its checksum. */
function writeIpv4Header(buf: Uint8Array, off: number, src: number, dst: number, protocol: number, total: number, id: number): void {
  buf[off] = 0x45; // version 4, IHL 5
  buf[off + 1] = 0; // DSCP/ECN
  writeU16(buf, off + 2, total);
  writeU16(buf, off + 4, id);
  writeU16(buf, off + 6, FLAG_DF);
  buf[off + 8] = DEFAULT_TTL;
  buf[off + 9] = protocol;
  buf[off + 10] = 0;
  buf[off + 11] = 0;
  writeU32BE(buf, off + 12, src);
  writeU32BE(buf, off + 16, dst);
  writeU16(buf, off + 10, checksum(buf, off, IPV4_HEADER));
}

/** The fields of a parsed IPv4 header. Allocate one and reuse it (no per-packet allocation). */
export class Ipv4Info {
  version = 0;
  /** IHL in bytes (20 to 60). */
  headerLength = 0;
  /** The IP total length; the buffer may hold more (WireGuard pads to 16). */
  totalLength = 0;
  protocol = 0;
  src = 0;
  dst = 0;
  ttl = 0;
  /** More Fragments set or a non-zero offset: one piece of a datagram. */
  fragment = false;
}

/**
 * Parses and checks the IPv4 header at buf[off, off + len). False unless version
 * 4, IHL >= 5, IHL <= total length <= len, and the header checksum holds.
 * Never throws, whatever buf, off and len are; `out` is written only on success.
 */
export function parseIpv4(buf: Uint8Array, off: number, len: number, out: Ipv4Info): boolean {
  if (!inside(buf, off, len) || len < IPV4_HEADER) return false;
  const b0 = buf[off];
  const headerLength = (b0 & 0x0f) * 4;
  const totalLength = readU16(buf, off + 2);
  if (b0 >>> 4 !== 4 || headerLength < IPV4_HEADER || totalLength < headerLength || totalLength > len) return false;
  if (checksum(buf, off, headerLength) !== 0) return false;
  const flags = readU16(buf, off + 6);
  out.version = 4;
  out.headerLength = headerLength;
  out.totalLength = totalLength;
  out.protocol = buf[off + 9];
  out.src = readU32BE(buf, off + 12);
  out.dst = readU32BE(buf, off + 16);
  out.ttl = buf[off + 8];
  out.fragment = (flags & (FLAG_MF | OFFSET_MASK)) !== 0;
  return true;
}

/** The fields of a parsed UDP header; offsets are into the same buffer. */
export class UdpInfo {
  srcPort = 0;
  dstPort = 0;
  /** The UDP length field: header plus payload. */
  length = 0;
  payloadOffset = 0;
  payloadLength = 0;
}

/** The `info` header (from parseIpv4 on buf at ipOff) is sane and fits in buf. */
function headerFits(buf: Uint8Array, ipOff: number, info: Ipv4Info): boolean {
  const hl = info.headerLength;
  const total = info.totalLength;
  return hl >= IPV4_HEADER && total >= hl && inside(buf, ipOff, total);
}

/**
 * Parses the UDP datagram of the IPv4 packet at buf[ipOff..] described by
 * `info`. False for a fragment (its checksum cannot be checked), for a UDP
 * length below 8 or beyond the IP payload (RFC 768; bytes after it are
 * ignored, as Linux does), or for a non-zero checksum that does not verify.
 */
export function parseUdp(buf: Uint8Array, ipOff: number, info: Ipv4Info, out: UdpInfo): boolean {
  if (info.protocol !== IPPROTO_UDP || info.fragment || !headerFits(buf, ipOff, info)) return false;
  const u = ipOff + info.headerLength;
  const available = info.totalLength - info.headerLength;
  if (available < UDP_HEADER) return false;
  const length = readU16(buf, u + 4);
  if (length < UDP_HEADER || length > available) return false;
  // A zero checksum means the sender computed none (RFC 768); otherwise the
  // sum over pseudo-header and datagram, checksum included, must be zero.
  if (readU16(buf, u + 6) !== 0 && checksum(buf, u, length, pseudoHeaderSum(info.src, info.dst, IPPROTO_UDP, length)) !== 0) {
    return false;
  }
  out.srcPort = readU16(buf, u);
  out.dstPort = readU16(buf, u + 2);
  out.length = length;
  out.payloadOffset = u + UDP_HEADER;
  out.payloadLength = length - UDP_HEADER;
  return true;
}

/**
 * Turns the ICMP echo request (RFC 792, type 8) in the IPv4 packet at buf[off..],
 * described by `info`, into its echo reply in place: type 0, same identifier,
 * sequence and data, new ICMP checksum; source and destination swapped, TTL 64,
 * new header checksum. IP options are kept as they are. `info` is updated to
 * match. False, with nothing changed, unless it is an unfragmented echo request
 * whose ICMP checksum holds.
 */
export function icmpEchoToReply(buf: Uint8Array, off: number, info: Ipv4Info): boolean {
  if (info.protocol !== IPPROTO_ICMP || info.fragment || !headerFits(buf, off, info)) return false;
  const hl = info.headerLength;
  const i = off + hl;
  const n = info.totalLength - hl;
  if (n < ICMP_HEADER || buf[i] !== ICMP_ECHO_REQUEST || checksum(buf, i, n) !== 0) return false;

  buf[i] = ICMP_ECHO_REPLY;
  buf[i + 2] = 0;
  buf[i + 3] = 0;
  writeU16(buf, i + 2, checksum(buf, i, n));

  for (let k = 12; k < 16; k++) {
    const t = buf[off + k];
    buf[off + k] = buf[off + k + 4];
    buf[off + k + 4] = t;
  }
  buf[off + 8] = DEFAULT_TTL;
  buf[off + 10] = 0;
  buf[off + 11] = 0;
  writeU16(buf, off + 10, checksum(buf, off, hl));

  const src = info.src;
  info.src = info.dst;
  info.dst = src;
  info.ttl = DEFAULT_TTL;
  return true;
}

// ---- Configuration helpers: allocation is fine here, and bad input throws. ----

/** The netmask of a prefix length 0..32 as a u32 (0 for /0: `x << 32` is `x << 0` in JS). */
export function prefixMask(bits: number): number {
  return bits <= 0 ? 0 : bits >= 32 ? 0xffffffff : (0xffffffff << (32 - bits)) >>> 0;
}

/** A decimal 0..max with no sign, no leading zero and nothing else, or -1. */
function parseDecimal(s: string, max: number): number {
  if (s.length === 0 || s.length > 3 || (s.length > 1 && s.charCodeAt(0) === 48)) return -1;
  let v = 0;
  for (let i = 0; i < s.length; i++) {
    const c = s.charCodeAt(i) - 48;
    if (c < 0 || c > 9) return -1;
    v = v * 10 + c;
  }
  return v <= max ? v : -1;
}

/**
 * Parses dotted-quad IPv4 ("10.0.0.1") to a u32. Strict: four decimal parts
 * 0..255, no leading zeros (which some parsers read as octal), nothing else.
 * Throws Error on anything else.
 */
export function parseIpv4Address(s: string): number {
  const parts = typeof s === 'string' ? s.split('.') : [];
  let n = 0;
  if (parts.length === 4) {
    for (let i = 0; i < 4; i++) {
      const v = parseDecimal(parts[i], 255);
      if (v < 0) {
        n = -1;
        break;
      }
      n = n * 256 + v;
    }
    if (n >= 0) return n;
  }
  throw new Error(`invalid IPv4 address ${JSON.stringify(s)}: expected four decimal numbers 0-255 like 10.0.0.1`);
}

/** Formats a u32 as dotted-quad IPv4. */
export function formatIpv4(n: number): string {
  return `${n >>> 24}.${(n >>> 16) & 0xff}.${(n >>> 8) & 0xff}.${n & 0xff}`;
}

/**
 * Parses "a.b.c.d/bits" (bits 0..32); a bare address means /32, as wg(8)
 * accepts in AllowedIPs. Host bits are kept, since an interface Address such
 * as 10.0.0.2/24 names the host; AllowedIps masks them when it inserts.
 * Throws Error on invalid input.
 */
export function parseCidr(s: string): Cidr {
  const text = typeof s === 'string' ? s.trim() : '';
  const slash = text.indexOf('/');
  if (slash < 0) return { ip: parseIpv4Address(text), bits: 32 };
  const bits = parseDecimal(text.slice(slash + 1), 32);
  if (bits < 0) throw new Error(`invalid prefix length in ${JSON.stringify(s)}: expected /0 to /32`);
  return { ip: parseIpv4Address(text.slice(0, slash)), bits };
}

/** Formats a prefix as "a.b.c.d/bits". */
export function formatCidr(c: Cidr): string {
  return `${formatIpv4(c.ip)}/${c.bits}`;
}

/** Whether `ip` lies inside the prefix `c` (host bits of c.ip are ignored). */
export function cidrContains(c: Cidr, ip: number): boolean {
  return ((c.ip ^ ip) & prefixMask(c.bits)) === 0;
}
