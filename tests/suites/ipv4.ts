/**
 * Minimal IPv4: checksums against RFC 1071 and real packets, header and UDP
 * parsing, UDP framing reproducing a captured datagram byte for byte, ICMP
 * echo replies matching the Linux kernel's, and the address helpers.
 *
 * Packets:
 * - SSDP: a broadcast UDP datagram (192.168.1.2:48301 -> 192.168.1.255:32412,
 *   "M-SEARCH * HTTP/1.1\r\n") captured with Wireshark, as printed in a public
 *   packet-decoder's tests; both its checksums verify independently.
 * - The IPv4 header checksum example from Wikipedia's "Internet checksum"
 *   article (checksum 0xb861).
 * - PING: an echo request and the kernel's reply, captured on Linux loopback
 *   with an AF_PACKET socket during `ping -c1 -s 16 127.0.0.1`.
 */
import {
  checksum,
  cidrContains,
  formatCidr,
  formatIpv4,
  icmpEchoToReply,
  Ipv4Info,
  IPV4_HEADER,
  IPPROTO_ICMP,
  IPPROTO_UDP,
  parseCidr,
  parseIpv4,
  parseIpv4Address,
  parseUdp,
  prefixMask,
  pseudoHeaderSum,
  UDP_HEADER,
  UdpInfo,
  writeIpv4Udp,
} from '../../modules/ipv4';
import { type Case, equal, equalBytes, fromHex, hex, ok, throws } from '../harness/suite';

const SSDP = '450000312733400040118f37c0a80102c0a801ffbcad7e9c001dc9d94d2d534541524348202a20485454502f312e310d0a';
const WIKIPEDIA_HEADER = '45000073000040004011b861c0a80001c0a800c7';
const PING_REQUEST = '4500002c777640004001c5587f0000017f0000010800b7b7310700015aee026b00000000a7e60a0000000000';
const PING_REPLY = '4500002c77770000400105587f0000017f0000010000bfb7310700015aee026b00000000a7e60a0000000000';

/** `hexBytes` at offset `off` of a buffer of `off + n + tail` bytes (other bytes 0xa5). */
function placed(hexBytes: string, off: number, tail = 0): Uint8Array {
  const b = fromHex(hexBytes);
  const buf = new Uint8Array(off + b.length + tail).fill(0xa5);
  buf.set(b, off);
  return buf;
}

function ascii(bytes: Uint8Array): string {
  let s = '';
  for (let i = 0; i < bytes.length; i++) s += String.fromCharCode(bytes[i]);
  return s;
}

/** Rewrites the IP header checksum after a test edits the header. */
function fixHeader(buf: Uint8Array, off: number): void {
  const hl = (buf[off] & 15) * 4;
  buf[off + 10] = 0;
  buf[off + 11] = 0;
  const c = checksum(buf, off, hl);
  buf[off + 10] = c >>> 8;
  buf[off + 11] = c & 0xff;
}

/** An echo request 10.0.0.2 -> 10.0.0.1, TTL 63, id 0x1234, seq 7, 5 bytes of data. */
function echoRequest(off: number): Uint8Array {
  const buf = placed('4500002100004000' + '3f01' + '0000' + '0a000002' + '0a000001' + '0800' + '0000' + '12340007' + '68656c6c6f', off);
  const i = off + IPV4_HEADER;
  const c = checksum(buf, i, 13);
  buf[i + 2] = c >>> 8;
  buf[i + 3] = c & 0xff;
  fixHeader(buf, off);
  return buf;
}

export const cases: Case[] = [
  ['RFC 1071 §3 numerical example', () => {
    // Words 0001 f203 f4f5 f6f7 sum to 0x2ddf0, folded 0xddf2; the checksum is its complement.
    const b = fromHex('0001f203f4f5f6f7');
    equal(checksum(b, 0, 8), 0x220d);
    // An odd length is padded with a zero byte (§4.1).
    equal(checksum(fromHex('0001f203f4f5f6'), 0, 7), 0x2304, '0001 + f203 + f4f5 + f600 = 0x2dcf9 -> 0xdcfb');
    equal(checksum(new Uint8Array(0), 0, 0), 0xffff, 'the empty sum is 0, complemented');
    equal(checksum(fromHex('ffff'), 0, 2), 0, '-0 complements to 0');
    equal(checksum(b, 0, 8, 0x10000), checksum(b, 0, 8, 1), 'initial sums fold with end-around carry');
  }],
  ['header checksum: Wikipedia example', () => {
    const h = fromHex(WIKIPEDIA_HEADER);
    equal(checksum(h, 0, 20), 0, 'a correct header sums to zero');
    h[10] = 0;
    h[11] = 0;
    equal(checksum(h, 0, 20), 0xb861);
  }],
  ['parseIpv4 and parseUdp on a captured datagram', () => {
    const buf = placed(SSDP, 3, 11); // at an offset, WireGuard-style padding after
    const info = new Ipv4Info();
    ok(parseIpv4(buf, 3, buf.length - 3, info));
    equal(info.version, 4);
    equal(info.headerLength, 20);
    equal(info.totalLength, 49);
    equal(info.protocol, IPPROTO_UDP);
    equal(formatIpv4(info.src), '192.168.1.2');
    equal(formatIpv4(info.dst), '192.168.1.255');
    equal(info.ttl, 64);
    equal(info.fragment, false, 'DF alone is not a fragment');
    const udp = new UdpInfo();
    ok(parseUdp(buf, 3, info, udp));
    equal(udp.srcPort, 48301);
    equal(udp.dstPort, 32412);
    equal(udp.length, 29);
    equal(udp.payloadOffset, 3 + 28);
    equal(udp.payloadLength, 21);
    equal(ascii(buf.subarray(udp.payloadOffset, udp.payloadOffset + udp.payloadLength)), 'M-SEARCH * HTTP/1.1\r\n');
  }],
  ['writeIpv4Udp reproduces the captured datagram byte for byte', () => {
    const expected = fromHex(SSDP);
    const buf = new Uint8Array(5 + expected.length).fill(0xcc);
    buf.set(expected.subarray(28), 5 + 28); // the payload is already in place
    const n = writeIpv4Udp(buf, 5, parseIpv4Address('192.168.1.2'), parseIpv4Address('192.168.1.255'), 48301, 32412, 21, 0x2733);
    equal(n, 49);
    equal(hex(buf.subarray(5)), SSDP);
    equal(hex(buf.subarray(0, 5)), 'cccccccccc', 'nothing before off is touched');
  }],
  ['writeIpv4Udp: a computed UDP checksum of 0 goes out as 0xffff and verifies', () => {
    const buf = new Uint8Array(30);
    const src = parseIpv4Address('10.0.0.1');
    const dst = parseIpv4Address('10.0.0.2');
    writeIpv4Udp(buf, 0, src, dst, 1000, 2000, 2, 1);
    // With payload word 0 the checksum c = ~S; with payload word c the sum is 0xffff, its complement 0.
    const c = (buf[26] << 8) | buf[27];
    buf[28] = c >>> 8;
    buf[29] = c & 0xff;
    equal(writeIpv4Udp(buf, 0, src, dst, 1000, 2000, 2, 1), 30);
    equal(hex(buf.subarray(26, 28)), 'ffff');
    const info = new Ipv4Info();
    const udp = new UdpInfo();
    ok(parseIpv4(buf, 0, 30, info) && parseUdp(buf, 0, info, udp));
  }],
  ['writeIpv4Udp refuses what does not fit, without writing', () => {
    const buf = new Uint8Array(40);
    equal(writeIpv4Udp(buf, 0, 1, 2, 3, 4, 13, 0), 0, 'buffer too small');
    equal(writeIpv4Udp(buf, 20, 1, 2, 3, 4, 0, 0), 0, 'offset too far');
    equal(writeIpv4Udp(new Uint8Array(70000), 0, 1, 2, 3, 4, 65508, 0), 0, 'over 65535 bytes');
    equal(writeIpv4Udp(buf, 0, 1, 2, 3, 4, -1, 0), 0, 'negative length');
    equal(hex(buf), '00'.repeat(40));
    equal(writeIpv4Udp(new Uint8Array(65535), 0, 1, 2, 3, 4, 65507, 0), 65535, 'the largest datagram');
  }],
  ['parseIpv4 rejects', () => {
    const info = new Ipv4Info();
    const good = fromHex(SSDP);
    ok(parseIpv4(good, 0, 49, info));
    equal(parseIpv4(good, 0, 48, info), false, 'total length beyond len');
    equal(parseIpv4(good, 0, 19, info), false, 'shorter than a header');
    equal(parseIpv4(good, 1, 49, info), false, 'len beyond the buffer');
    equal(parseIpv4(good, -1, 20, info), false, 'negative offset');
    equal(parseIpv4(good, 0.5, 20, info), false, 'fractional offset');
    const v6 = fromHex(SSDP);
    v6[0] = 0x65;
    fixHeader(v6, 0);
    equal(parseIpv4(v6, 0, 49, info), false, 'version 6');
    const ihl4 = fromHex(SSDP);
    ihl4[0] = 0x44;
    equal(parseIpv4(ihl4, 0, 49, info), false, 'IHL 4');
    const short = fromHex(SSDP);
    short[2] = 0;
    short[3] = 19;
    fixHeader(short, 0);
    equal(parseIpv4(short, 0, 49, info), false, 'total length below the header');
    for (let i = 0; i < 20; i++) {
      const bad = fromHex(SSDP);
      bad[i] ^= 0x10;
      equal(parseIpv4(bad, 0, 49, info), false, `a flipped bit in header byte ${i}`);
    }
  }],
  ['fragments are flagged, and UDP in a fragment is not parsed', () => {
    const info = new Ipv4Info();
    const udp = new UdpInfo();
    for (const flags of ['2000', '0001', '2001', '1fff']) {
      const buf = fromHex(SSDP.slice(0, 12) + flags + SSDP.slice(16));
      fixHeader(buf, 0);
      ok(parseIpv4(buf, 0, 49, info), flags);
      equal(info.fragment, true, flags);
      equal(parseUdp(buf, 0, info, udp), false, `UDP in fragment ${flags}`);
    }
  }],
  ['IP options: UDP is found after them', () => {
    // The SSDP datagram with four NOP option bytes (IHL 6).
    const buf = fromHex('46000035' + SSDP.slice(8, 40) + '01010101' + SSDP.slice(40));
    fixHeader(buf, 0);
    const info = new Ipv4Info();
    const udp = new UdpInfo();
    ok(parseIpv4(buf, 0, buf.length, info));
    equal(info.headerLength, 24);
    ok(parseUdp(buf, 0, info, udp));
    equal(udp.payloadOffset, 32);
    equal(udp.dstPort, 32412);
  }],
  ['parseUdp rejects bad lengths and checksums; a zero checksum is not checked', () => {
    const info = new Ipv4Info();
    const udp = new UdpInfo();
    const flip = fromHex(SSDP);
    flip[40] ^= 1; // payload
    ok(parseIpv4(flip, 0, 49, info));
    equal(parseUdp(flip, 0, info, udp), false, 'payload bit flipped');
    flip[26] = 0;
    flip[27] = 0;
    ok(parseUdp(flip, 0, info, udp), 'checksum 0 means none (RFC 768)');
    const long = fromHex(SSDP);
    long[25] = 30; // UDP length 30 > 29 bytes of IP payload
    ok(parseIpv4(long, 0, 49, info));
    equal(parseUdp(long, 0, info, udp), false, 'UDP length beyond the IP payload');
    const tiny = fromHex(SSDP);
    tiny[25] = 7;
    tiny[26] = 0;
    tiny[27] = 0;
    equal(parseUdp(tiny, 0, info, udp), false, 'UDP length below 8');
    const icmp = fromHex(PING_REQUEST);
    ok(parseIpv4(icmp, 0, icmp.length, info));
    equal(parseUdp(icmp, 0, info, udp), false, 'not UDP');
  }],
  ['parseUdp accepts a UDP length shorter than the IP payload (trailing bytes ignored)', () => {
    // 8-byte header + 4 bytes of payload in a 36-byte IP packet.
    const buf = new Uint8Array(36);
    buf.set([1, 2, 3, 4], 28);
    writeIpv4Udp(buf, 0, 0x0a000001, 0x0a000002, 1, 2, 4, 9);
    buf[2] = 0;
    buf[3] = 36;
    fixHeader(buf, 0);
    const info = new Ipv4Info();
    const udp = new UdpInfo();
    ok(parseIpv4(buf, 0, 36, info));
    ok(parseUdp(buf, 0, info, udp));
    equal(udp.payloadLength, 4);
  }],
  ['icmpEchoToReply turns the captured request into the kernel\'s reply', () => {
    const buf = placed(PING_REQUEST, 7, 5);
    const info = new Ipv4Info();
    ok(parseIpv4(buf, 7, buf.length - 7, info));
    equal(info.protocol, IPPROTO_ICMP);
    ok(icmpEchoToReply(buf, 7, info));
    equal(hex(buf.subarray(7 + 20, 7 + 44)), PING_REPLY.slice(40), 'ICMP identical to Linux\'s reply');
    // Linux's reply differs in the IP id and DF; ours keeps the request's header fields.
    equal(hex(buf.subarray(7, 7 + 20)), PING_REQUEST.slice(0, 40), 'loopback: same addresses, TTL 64');
    equal(hex(buf.subarray(0, 7)), 'a5'.repeat(7));
    equal(hex(buf.subarray(51)), 'a5'.repeat(5));
    ok(parseIpv4(buf, 7, 44, info), 'still a valid packet');
  }],
  ['icmpEchoToReply swaps addresses, sets TTL 64, fixes both checksums, updates info', () => {
    const buf = echoRequest(2);
    const info = new Ipv4Info();
    ok(parseIpv4(buf, 2, 33, info));
    equal(info.ttl, 63);
    ok(icmpEchoToReply(buf, 2, info));
    equal(formatIpv4(info.src), '10.0.0.1');
    equal(formatIpv4(info.dst), '10.0.0.2');
    equal(info.ttl, 64);
    const again = new Ipv4Info();
    ok(parseIpv4(buf, 2, 33, again));
    equal(again.src, info.src);
    equal(again.dst, info.dst);
    equal(again.ttl, 64);
    equal(buf[22], 0, 'type 0');
    equal(checksum(buf, 22, 13), 0, 'ICMP checksum');
    equal(hex(buf.subarray(26, 35)), '1234000768656c6c6f', 'identifier, sequence and data kept');
  }],
  ['icmpEchoToReply refuses non-requests and bad checksums, changing nothing', () => {
    const info = new Ipv4Info();
    const reply = fromHex(PING_REPLY);
    ok(parseIpv4(reply, 0, reply.length, info));
    equal(icmpEchoToReply(reply, 0, info), false, 'a reply');
    equal(hex(reply), PING_REPLY);
    const bad = fromHex(PING_REQUEST);
    bad[40] ^= 1;
    ok(parseIpv4(bad, 0, bad.length, info));
    equal(icmpEchoToReply(bad, 0, info), false, 'bad ICMP checksum');
    equal(bad[20], 8);
    const udp = fromHex(SSDP);
    ok(parseIpv4(udp, 0, udp.length, info));
    equal(icmpEchoToReply(udp, 0, info), false, 'not ICMP');
    const frag = fromHex(PING_REQUEST.slice(0, 12) + '2000' + PING_REQUEST.slice(16));
    fixHeader(frag, 0);
    ok(parseIpv4(frag, 0, frag.length, info));
    equal(icmpEchoToReply(frag, 0, info), false, 'a fragment');
    const truncated = fromHex('45000019' + PING_REQUEST.slice(8, 40) + '0800f7ff00');
    fixHeader(truncated, 0);
    ok(parseIpv4(truncated, 0, truncated.length, info));
    equal(icmpEchoToReply(truncated, 0, info), false, 'shorter than an ICMP header');
  }],
  ['pseudo-header sum', () => {
    // 192.168.1.2 -> 192.168.1.255, UDP, length 29: c0a8 + 0102 + c0a8 + 01ff + 0011 + 001d
    equal(pseudoHeaderSum(0xc0a80102, 0xc0a801ff, 17, 29), 0xc0a8 + 0x0102 + 0xc0a8 + 0x01ff + 0x11 + 0x1d);
  }],
  ['address parsing and formatting', () => {
    equal(parseIpv4Address('10.0.0.1'), 0x0a000001);
    equal(parseIpv4Address('255.255.255.255'), 0xffffffff);
    equal(parseIpv4Address('0.0.0.0'), 0);
    equal(formatIpv4(0xc0a80001), '192.168.0.1');
    equal(formatIpv4(-1), '255.255.255.255', 'an int32 view');
    for (const s of ['', '1.2.3', '1.2.3.4.5', '256.0.0.1', '01.2.3.4', '1.2.3.-4', '1.2.3.4 ', 'a.b.c.d', '1..3.4', '1.2.3.1000', '::1']) {
      throws(() => parseIpv4Address(s), JSON.stringify(s));
    }
    let message = '';
    try {
      parseIpv4Address('10.0.0.300');
    } catch (e) {
      message = (e as Error).message;
    }
    ok(message.indexOf('10.0.0.300') >= 0, 'the error names the input');
  }],
  ['CIDR parsing, formatting and containment', () => {
    const c = parseCidr('10.1.2.3/24');
    equal(c.ip, 0x0a010203, 'host bits kept (an interface address)');
    equal(c.bits, 24);
    equal(formatCidr(c), '10.1.2.3/24');
    equal(parseCidr('10.0.0.1').bits, 32, 'a bare address is /32');
    equal(parseCidr(' 0.0.0.0/0 ').bits, 0);
    ok(cidrContains(c, parseIpv4Address('10.1.2.255')));
    ok(!cidrContains(c, parseIpv4Address('10.1.3.0')));
    ok(cidrContains(parseCidr('0.0.0.0/0'), 0xffffffff));
    ok(cidrContains(parseCidr('1.2.3.4/32'), 0x01020304));
    ok(!cidrContains(parseCidr('1.2.3.4/32'), 0x01020305));
    for (const s of ['10.0.0.0/33', '10.0.0.0/', '10.0.0.0/-1', '10.0.0.0/08', '10.0.0.0/8/8', '/8', '10.0.0/8', '10.0.0.0/x']) {
      throws(() => parseCidr(s), JSON.stringify(s));
    }
    equal(prefixMask(0), 0);
    equal(prefixMask(1), 0x80000000);
    equal(prefixMask(24), 0xffffff00);
    equal(prefixMask(32), 0xffffffff);
  }],
];
