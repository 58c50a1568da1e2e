/**
 * Property tests (fast-check, Node only): the codecs and parsers never throw on
 * arbitrary input, encoders and decoders round-trip, and the replay window,
 * routing table and rate limiter agree with simple reference models.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import fc from 'fast-check';
import {
  AEAD_TAG_SIZE,
  decodeMessage,
  encodeMessage,
  INITIATION_SIZE,
  messageType,
  NAK_SIZE,
  PROD_SIZE,
  RESPONSE_SIZE,
  COOKIE_REPLY_SIZE,
  TRANSPORT_MIN_SIZE,
  type Message,
} from '../modules/messages';
import { checksum, icmpEchoToReply, Ipv4Info, parseIpv4, parseUdp, UdpInfo, writeIpv4Udp, cidrContains, prefixMask } from '../modules/ipv4';
import { ReplayWindow } from '../modules/replay';
import { decodeBase64, decodeKey, encodeBase64 } from '../modules/base64';
import { AllowedIps } from '../modules/allowedips';
import { SourceRateLimiter, TokenBucket } from '../modules/ratelimiter';
import type { Cidr } from '../modules/config';

const RUNS = { numRuns: 300 };

// ---------------------------------------------------------------- messages

/** Lengths that are not just small integers: negatives, fractions, NaN, huge. */
const anyLength = fc.oneof(
  fc.integer({ min: -4, max: 400 }),
  fc.constantFrom(INITIATION_SIZE, RESPONSE_SIZE, COOKIE_REPLY_SIZE, TRANSPORT_MIN_SIZE, NAK_SIZE, PROD_SIZE),
  fc.double(),
);

/** Bytes that often look like a message header, so the switch arms are reached. */
const messageLike = fc
  .tuple(fc.uint8Array({ maxLength: 300 }), fc.integer({ min: 0, max: 7 }), fc.boolean())
  .map(([bytes, type, headerLike]) => {
    if (headerLike && bytes.length >= 4) bytes.set([type, 0, 0, 0]);
    return bytes;
  });

test('messageType and decodeMessage never throw on arbitrary bytes and lengths', () => {
  fc.assert(
    fc.property(messageLike, anyLength, (bytes, len) => {
      const t = messageType(bytes, len);
      assert.ok(t >= 0 && t <= 6);
      const m = decodeMessage(bytes, len);
      if (Number.isInteger(len) && len >= 0 && len <= bytes.length) assert.equal(m === null, t === 0);
      else assert.equal(m, null);
    }),
    { numRuns: 2000 },
  );
});

test('decodeMessage never throws on non-Uint8Array input', () => {
  for (const bad of [null, undefined, 42, 'x', {}, [1, 0, 0, 0]]) assert.equal(decodeMessage(bad as unknown as Uint8Array, 4), null);
});

const u32 = fc.integer({ min: 0, max: 0xffffffff });
const bytes = (n: number) => fc.uint8Array({ minLength: n, maxLength: n });

const messageArb: fc.Arbitrary<Message> = fc.oneof(
  fc.record({
    type: fc.constant('initiation' as const),
    sender: u32,
    ephemeral: bytes(32),
    encryptedStatic: bytes(48),
    encryptedTimestamp: bytes(28),
    mac1: bytes(16),
    mac2: bytes(16),
  }),
  fc.record({
    type: fc.constant('response' as const),
    sender: u32,
    receiver: u32,
    ephemeral: bytes(32),
    encryptedNothing: bytes(16),
    mac1: bytes(16),
    mac2: bytes(16),
  }),
  fc.record({ type: fc.constant('cookie-reply' as const), receiver: u32, nonce: bytes(24), encryptedCookie: bytes(32) }),
  fc.record({
    type: fc.constant('transport' as const),
    receiver: u32,
    counterLo: u32,
    counterHi: u32,
    data: fc.uint8Array({ minLength: AEAD_TAG_SIZE, maxLength: 200 }),
  }),
  fc.record({ type: fc.constant('nak' as const), index: u32, counterLo: u32, counterHi: u32 }),
  fc.record({ type: fc.constant('prod' as const), id: bytes(16) }),
);

test('decodeMessage(encodeMessage(m)) is m, for every message type', () => {
  fc.assert(
    fc.property(messageArb, (m) => {
      const wire = encodeMessage(m);
      assert.ok(messageType(wire, wire.length) !== 0);
      assert.deepStrictEqual(decodeMessage(wire, wire.length), { ...m }); // fc.record objects have a null prototype
      // And back: the encoding of the decoded message is the same bytes.
      assert.deepStrictEqual(encodeMessage(decodeMessage(wire, wire.length)!), wire);
    }),
    RUNS,
  );
});

test('encodeMessage(decodeMessage(b)) is b for valid wire bytes (PROD: reserved and padding zeroed)', () => {
  fc.assert(
    fc.property(fc.constantFrom(1, 2, 3, 4, 5, 6), fc.uint8Array({ minLength: 200, maxLength: 200 }), fc.integer({ min: 0, max: 168 }), (type, raw, extra) => {
      const len = [0, INITIATION_SIZE, RESPONSE_SIZE, COOKIE_REPLY_SIZE, TRANSPORT_MIN_SIZE + extra, NAK_SIZE, PROD_SIZE][type];
      raw.set([type, 0, 0, 0]);
      const m = decodeMessage(raw, len);
      assert.ok(m !== null);
      const wire = encodeMessage(m);
      if (type === 6) {
        assert.deepStrictEqual(wire.subarray(8, 24), raw.subarray(8, 24));
        assert.ok(wire.subarray(24).every((b) => b === 0) && wire.subarray(4, 8).every((b) => b === 0));
      } else {
        assert.deepStrictEqual(wire, raw.slice(0, len));
      }
    }),
    RUNS,
  );
});

test('encodeMessage rejects wrong field sizes', () => {
  assert.throws(() => encodeMessage({ type: 'prod', id: new Uint8Array(15) }), RangeError);
  assert.throws(() => encodeMessage({ type: 'transport', receiver: 0, counterLo: 0, counterHi: 0, data: new Uint8Array(15) }), RangeError);
  assert.throws(() => encodeMessage({ type: 'bogus' } as unknown as Message), RangeError);
});

// ---------------------------------------------------------------- IPv4

/** A valid IPv4/UDP packet, as writeIpv4Udp frames it. */
const udpPacket = fc
  .record({ src: u32, dst: u32, sp: fc.integer({ min: 0, max: 0xffff }), dp: fc.integer({ min: 0, max: 0xffff }), id: fc.integer({ min: 0, max: 0xffff }), payload: fc.uint8Array({ maxLength: 100 }), off: fc.integer({ min: 0, max: 8 }), pad: fc.integer({ min: 0, max: 15 }) })
  .map((r) => {
    const buf = new Uint8Array(r.off + 28 + r.payload.length + r.pad);
    buf.set(r.payload, r.off + 28);
    const n = writeIpv4Udp(buf, r.off, r.src, r.dst, r.sp, r.dp, r.payload.length, r.id);
    return { ...r, buf, n };
  });

/** A valid ICMP echo request (IHL 5 or with NOP options). */
const echoPacket = fc
  .record({ src: u32, dst: u32, ttl: fc.integer({ min: 1, max: 255 }), options: fc.integer({ min: 0, max: 10 }), data: fc.uint8Array({ maxLength: 64 }), idseq: bytes(4) })
  .map((r) => {
    const hl = 20 + r.options * 4;
    const total = hl + 8 + r.data.length;
    const buf = new Uint8Array(total);
    buf[0] = 0x40 | (hl / 4);
    buf[2] = total >>> 8;
    buf[3] = total & 0xff;
    buf[8] = r.ttl;
    buf[9] = 1;
    new DataView(buf.buffer).setUint32(12, r.src);
    new DataView(buf.buffer).setUint32(16, r.dst);
    buf.fill(1, 20, hl); // NOP options
    buf[hl] = 8;
    buf.set(r.idseq, hl + 4);
    buf.set(r.data, hl + 8);
    let c = checksum(buf, hl, total - hl);
    buf[hl + 2] = c >>> 8;
    buf[hl + 3] = c & 0xff;
    c = checksum(buf, 0, hl);
    buf[10] = c >>> 8;
    buf[11] = c & 0xff;
    return { ...r, buf, hl, total };
  });

/** Mutates a few bytes of a valid packet, so the deep checks are reached. */
function mutate(buf: Uint8Array, edits: [number, number][]): Uint8Array {
  const out = buf.slice();
  for (const [at, v] of edits) if (out.length) out[at % out.length] = v;
  return out;
}
const edits = fc.array(fc.tuple(fc.nat(), fc.integer({ min: 0, max: 255 })), { maxLength: 3 });

function parseAll(buf: Uint8Array, off: number, len: number): void {
  const info = new Ipv4Info();
  const udp = new UdpInfo();
  if (parseIpv4(buf, off, len, info)) {
    assert.equal(info.version, 4);
    assert.ok(info.headerLength >= 20 && info.headerLength <= info.totalLength && info.totalLength <= len);
    if (parseUdp(buf, off, info, udp)) {
      assert.ok(udp.payloadOffset + udp.payloadLength <= off + info.totalLength);
    }
    icmpEchoToReply(buf, off, info);
  }
  // Also with an info that does not describe this buffer.
  parseUdp(buf, off, info, udp);
  icmpEchoToReply(buf, off, info);
}

test('parseIpv4, parseUdp and icmpEchoToReply never throw on arbitrary bytes, offsets and lengths', () => {
  fc.assert(
    fc.property(fc.uint8Array({ maxLength: 120 }), fc.integer({ min: -2, max: 130 }), fc.integer({ min: -2, max: 130 }), (buf, off, len) => {
      parseAll(buf, off, len);
    }),
    { numRuns: 2000 },
  );
  fc.assert(
    fc.property(fc.oneof(udpPacket.map((p) => p.buf), echoPacket.map((p) => p.buf)), edits, (buf, e) => {
      const b = mutate(buf, e);
      parseAll(b, 0, b.length);
      for (let off = 0; off < 9; off++) parseAll(b, off, b.length - off);
    }),
    { numRuns: 1000 },
  );
});

test('writeIpv4Udp output parses back to what was written', () => {
  fc.assert(
    fc.property(udpPacket, (p) => {
      assert.equal(p.n, 28 + p.payload.length);
      const info = new Ipv4Info();
      const udp = new UdpInfo();
      assert.ok(parseIpv4(p.buf, p.off, p.buf.length - p.off, info));
      assert.deepStrictEqual([info.src, info.dst, info.protocol, info.ttl, info.fragment, info.totalLength], [p.src, p.dst, 17, 64, false, p.n]);
      assert.ok(parseUdp(p.buf, p.off, info, udp));
      assert.deepStrictEqual([udp.srcPort, udp.dstPort, udp.payloadLength], [p.sp, p.dp, p.payload.length]);
      assert.deepStrictEqual(p.buf.subarray(udp.payloadOffset, udp.payloadOffset + udp.payloadLength), p.payload);
      // A single-bit flip anywhere in the IP header or UDP datagram changes a
      // ones'-complement sum by +-2^k, never 0 mod 0xffff, so it is caught.
      // Two exceptions are left out: the UDP length (it also changes what is
      // summed) and a flip that turns the UDP checksum into 0 ("none").
      const at = (p.id * 7 + p.sp) % p.n;
      const bit = 1 << (p.dp % 8);
      if (at === 24 || at === 25) return;
      p.buf[p.off + at] ^= bit;
      if (p.buf[p.off + 26] === 0 && p.buf[p.off + 27] === 0) return;
      const ok = parseIpv4(p.buf, p.off, p.buf.length - p.off, info) && parseUdp(p.buf, p.off, info, udp);
      assert.equal(ok, false, `bit ${bit} of byte ${at} flipped`);
    }),
    RUNS,
  );
});

test('icmpEchoToReply answers every valid echo request with a valid reply', () => {
  fc.assert(
    fc.property(echoPacket, (p) => {
      const info = new Ipv4Info();
      assert.ok(parseIpv4(p.buf, 0, p.total, info));
      const before = p.buf.slice();
      assert.ok(icmpEchoToReply(p.buf, 0, info));
      const after = new Ipv4Info();
      assert.ok(parseIpv4(p.buf, 0, p.total, after));
      assert.deepStrictEqual([after.src, after.dst, after.ttl], [p.dst, p.src, 64]);
      assert.deepStrictEqual([info.src, info.dst, info.ttl], [p.dst, p.src, 64]);
      assert.equal(p.buf[p.hl], 0);
      assert.equal(checksum(p.buf, p.hl, p.total - p.hl), 0);
      assert.deepStrictEqual(p.buf.subarray(p.hl + 4), before.subarray(p.hl + 4));
      assert.equal(icmpEchoToReply(p.buf, 0, after), false, 'a reply is not answered');
    }),
    RUNS,
  );
});

// ---------------------------------------------------------------- replay window

const R = (1n << 64n) - (1n << 13n) - 1n;
const U64 = (1n << 64n) - 1n;

/** wireguard-go ValidateCounter as a model: a Set of seen counters and the greatest one. */
class ReplayModel {
  private seen = new Set<bigint>();
  max = 0n;
  constructor(private readonly w: bigint) {}
  wouldAccept(c: bigint): boolean {
    if (c >= R) return false;
    if (c > this.max) return true;
    return this.max - c <= this.w && !this.seen.has(c);
  }
  update(c: bigint): boolean {
    const ok = this.wouldAccept(c);
    if (ok) {
      this.seen.add(c);
      if (c > this.max) this.max = c;
    }
    return ok;
  }
}

/** A counter to try, relative to the model's current greatest counter or absolute. */
type Step = { rel: bigint } | { abs: bigint };
const stepArb: fc.Arbitrary<Step> = fc.oneof(
  fc.record({ abs: fc.bigInt({ min: 0n, max: 3000n }) }),
  fc.record({ rel: fc.bigInt({ min: -40n, max: 40n }) }), // around the greatest
  fc.record({ rel: fc.oneof(fc.bigInt({ min: -8200n, max: -8100n }), fc.bigInt({ min: -1060n, max: -990n }), fc.bigInt({ min: -70n, max: -30n })) }), // the window's edge
  fc.record({ rel: fc.bigInt({ min: 1n, max: 70n }) }), // walks ahead, across block and u32 boundaries
  fc.record({ rel: fc.bigInt({ min: 1n, max: 1n << 40n }) }), // jumps ahead
  fc.record({ abs: fc.bigInt({ min: R - 20n, max: U64 }) }), // near 2^64 and REJECT_AFTER_MESSAGES
  fc.record({ abs: fc.bigInt({ min: (1n << 32n) - 300n, max: (1n << 32n) + 300n }) }), // the u32 boundary
  fc.record({ abs: fc.bigInt({ min: (3n << 32n) - 300n, max: (3n << 32n) + 300n }) }),
  fc.record({ abs: fc.bigInt({ min: 0n, max: U64 }) }),
);

test('ReplayWindow.update and check agree with the wireguard-go model', () => {
  fc.assert(
    fc.property(fc.constantFrom(1, 32, 100, 1024, 8128), fc.array(stepArb, { maxLength: 300 }), (size, steps) => {
      const win = new ReplayWindow(size);
      const model = new ReplayModel(BigInt(win.size));
      for (const s of steps) {
        let c = 'abs' in s ? s.abs : model.max + s.rel;
        if (c < 0n) c = 0n;
        if (c > U64) c = U64;
        const lo = Number(c & 0xffffffffn);
        const hi = Number(c >> 32n);
        assert.equal(win.check(lo, hi), model.wouldAccept(c), `check(${c}) with max ${model.max}`);
        assert.equal(win.update(lo, hi), model.update(c), `update(${c}) with max ${model.max}`);
      }
    }),
    { numRuns: 500 },
  );
});

// ---------------------------------------------------------------- base64

test('base64: decode(encode(b)) is b; encode(decode(s)) is s whenever s decodes', () => {
  fc.assert(
    fc.property(fc.uint8Array({ maxLength: 100 }), (b) => {
      const s = encodeBase64(b);
      assert.deepStrictEqual(decodeBase64(s), b);
      assert.equal(s, Buffer.from(b).toString('base64'), 'same as Node');
      if (b.length === 32) assert.deepStrictEqual(decodeKey(s), b);
    }),
    RUNS,
  );
  const candidates = fc.oneof(
    fc.string({ unit: 'binary', maxLength: 60 }),
    fc.base64String({ maxLength: 60 }),
    fc.tuple(fc.base64String({ minLength: 4, maxLength: 60 }), fc.nat(), fc.string({ unit: 'binary', minLength: 1, maxLength: 1 })).map(([s, at, ch]) => {
      const i = at % s.length;
      return s.slice(0, i) + ch + s.slice(i + 1);
    }),
  );
  fc.assert(
    fc.property(candidates, (s) => {
      const d = decodeBase64(s);
      const k = decodeKey(s);
      if (d !== null) {
        assert.equal(encodeBase64(d), s, 'strict: one encoding per byte string');
        assert.deepStrictEqual(d, new Uint8Array(Buffer.from(s, 'base64')), 'same bytes as Node');
      }
      if (k !== null) assert.ok(d !== null && d.length === 32 && s.length === 44);
    }),
    { numRuns: 3000 },
  );
});

// ---------------------------------------------------------------- AllowedIps

type RouteOp = { insert: Cidr; peer: number } | { remove: number };

test('AllowedIps.lookup agrees with a brute-force longest-prefix model', () => {
  // Addresses from a few /16s, so prefixes nest and overlap often.
  const addr = fc.tuple(fc.constantFrom(0x0a000000, 0x0a010000, 0xc0a80000, 0x00000000), fc.integer({ min: 0, max: 0xffff })).map(([base, low]) => (base | low) >>> 0);
  const op: fc.Arbitrary<RouteOp> = fc.oneof(
    { weight: 8, arbitrary: fc.record({ insert: fc.record({ ip: fc.oneof(addr, u32), bits: fc.integer({ min: 0, max: 32 }) }), peer: fc.integer({ min: 0, max: 5 }) }) },
    { weight: 1, arbitrary: fc.record({ remove: fc.integer({ min: 0, max: 5 }) }) },
  );
  fc.assert(
    fc.property(fc.array(op, { maxLength: 80 }), fc.array(fc.oneof(addr, u32), { minLength: 1, maxLength: 40 }), (ops, queries) => {
      const t = new AllowedIps(80);
      const model = new Map<string, { c: Cidr; peer: number }>();
      for (const o of ops) {
        if ('insert' in o) {
          t.insert(o.insert, o.peer);
          const c = { ip: (o.insert.ip & prefixMask(o.insert.bits)) >>> 0, bits: o.insert.bits };
          model.set(`${c.ip}/${c.bits}`, { c, peer: o.peer });
        } else {
          t.removePeer(o.remove);
          for (const [k, v] of model) if (v.peer === o.remove) model.delete(k);
        }
      }
      assert.equal(t.size, model.size);
      const all = [...queries, ...[...model.values()].map((e) => e.c.ip)];
      for (const q of all) {
        let best = -1;
        let bestBits = -1;
        for (const { c, peer } of model.values()) {
          if (cidrContains(c, q) && c.bits > bestBits) {
            best = peer;
            bestBits = c.bits;
          }
        }
        assert.equal(t.lookup(q), best, `lookup ${q}`);
      }
      for (let p = 0; p <= 5; p++) {
        const expected = [...model.values()].filter((e) => e.peer === p).map((e) => `${e.c.ip}/${e.c.bits}`).sort();
        assert.deepStrictEqual(t.entries(p).map((c) => `${c.ip}/${c.bits}`).sort(), expected);
      }
    }),
    RUNS,
  );
});

// ---------------------------------------------------------------- rate limiting

/** Over every interval between two allowed events, at most burst + rate * t allowed (inclusive). */
function assertBounded(times: number[], rate: number, burst: number, who: string): void {
  for (let i = 0; i < times.length; i++) {
    for (let j = i; j < times.length; j++) {
      const allowed = j - i + 1;
      const bound = burst + (rate * (times[j] - times[i])) / 1000;
      assert.ok(allowed <= bound + 1e-9, `${who}: ${allowed} allowed in [${times[i]}, ${times[j]}] > ${bound}`);
    }
  }
}

test('SourceRateLimiter never allows any one source more than rate * t + burst', () => {
  fc.assert(
    fc.property(
      fc.integer({ min: 1, max: 50 }),
      fc.integer({ min: 1, max: 8 }),
      fc.integer({ min: 1, max: 12 }),
      fc.array(fc.tuple(fc.integer({ min: 0, max: 400 }), fc.integer({ min: 0, max: 30 }), fc.integer({ min: 0, max: 0xffff })), { maxLength: 400 }),
      (rate, burst, slots, schedule) => {
        const limiter = new SourceRateLimiter(rate, burst, slots);
        const allowed = new Map<string, number[]>();
        let now = 1000;
        for (const [dt, source, port] of schedule) {
          now += dt % 5 === 0 ? 0 : dt; // many simultaneous events
          const address = `198.51.100.${source}`;
          if (limiter.allow(now, address, port)) {
            if (!allowed.has(address)) allowed.set(address, []);
            allowed.get(address)!.push(now);
          }
        }
        for (const [address, times] of allowed) assertBounded(times, rate, burst, address);
      },
    ),
    { numRuns: 500 },
  );
});

test('TokenBucket never allows more than rate * t + burst', () => {
  fc.assert(
    fc.property(fc.integer({ min: 1, max: 100 }), fc.integer({ min: 1, max: 10 }), fc.array(fc.integer({ min: 0, max: 300 }), { maxLength: 300 }), (rate, burst, gaps) => {
      const b = new TokenBucket(rate, burst);
      const times: number[] = [];
      let now = 0;
      for (const g of gaps) {
        now += g % 3 === 0 ? 0 : g;
        if (b.take(now)) times.push(now);
      }
      assertBounded(times, rate, burst, 'bucket');
    }),
    RUNS,
  );
});
