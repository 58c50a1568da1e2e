/**
 * Cryptokey routing: longest-prefix match, host-bit normalisation, moving a
 * prefix to another peer, removal, capacity, and a seeded comparison against
 * a brute-force longest-prefix model.
 */
import { AllowedIps } from '../../modules/allowedips';
import { cidrContains, formatCidr, parseCidr, parseIpv4Address } from '../../modules/ipv4';
import type { Cidr } from '../../modules/config';
import { type Case, equal, ok, throws } from '../harness/suite';

const ip = parseIpv4Address;
const cidr = parseCidr;

/** The peer of the longest prefix containing `addr` among the live entries (latest insert wins a tie). */
export function bruteForce(entries: { c: Cidr; peer: number }[], addr: number): number {
  let best = -1;
  let bestBits = -1;
  for (const { c, peer } of entries) {
    if (cidrContains(c, addr) && c.bits >= bestBits) {
      best = peer;
      bestBits = c.bits;
    }
  }
  return best;
}

/** xorshift32: a deterministic PRNG, so the same case runs identically on XS. */
function rng(seed: number): () => number {
  let s = seed >>> 0 || 1;
  return () => {
    s ^= s << 13;
    s ^= s >>> 17;
    s ^= s << 5;
    return (s >>>= 0);
  };
}

export const cases: Case[] = [
  ['longest prefix wins', () => {
    const t = new AllowedIps(8);
    t.insert(cidr('0.0.0.0/0'), 0);
    t.insert(cidr('10.0.0.0/8'), 1);
    t.insert(cidr('10.1.0.0/16'), 2);
    t.insert(cidr('10.1.2.3/32'), 3);
    t.insert(cidr('192.168.4.0/24'), 4);
    t.insert(cidr('192.168.4.128/25'), 5);
    equal(t.lookup(ip('10.1.2.3')), 3);
    equal(t.lookup(ip('10.1.2.4')), 2);
    equal(t.lookup(ip('10.2.0.1')), 1);
    equal(t.lookup(ip('11.0.0.1')), 0);
    equal(t.lookup(ip('192.168.4.127')), 4);
    equal(t.lookup(ip('192.168.4.128')), 5);
    equal(t.lookup(ip('255.255.255.255')), 0);
    equal(t.size, 6);
  }],
  ['no match is -1; /0 matches everything', () => {
    const t = new AllowedIps(2);
    equal(t.lookup(ip('1.2.3.4')), -1, 'empty');
    t.insert(cidr('172.16.0.0/12'), 7);
    equal(t.lookup(ip('172.31.255.255')), 7);
    equal(t.lookup(ip('172.32.0.0')), -1);
    t.insert(cidr('0.0.0.0/0'), 9);
    equal(t.lookup(ip('172.32.0.0')), 9);
    equal(t.lookup(0), 9);
    equal(t.lookup(0xffffffff), 9);
    equal(t.lookup(-1), 9, 'an int32 view of 255.255.255.255');
  }],
  ['host bits are cleared, as wg does', () => {
    const t = new AllowedIps(4);
    t.insert(cidr('10.1.2.3/24'), 1);
    equal(t.entries(1).map(formatCidr).join(','), '10.1.2.0/24');
    equal(t.lookup(ip('10.1.2.200')), 1);
    t.insert(cidr('10.1.2.99/24'), 1);
    equal(t.size, 1, 'the same prefix once normalised');
    t.insert({ ip: 0xffffffff, bits: 0 }, 2);
    equal(t.entries(2).map(formatCidr).join(','), '0.0.0.0/0');
  }],
  ['inserting a present prefix moves it to the new peer', () => {
    const t = new AllowedIps(2);
    t.insert(cidr('10.0.0.0/24'), 1);
    t.insert(cidr('10.0.0.0/24'), 2);
    equal(t.size, 1);
    equal(t.lookup(ip('10.0.0.5')), 2);
    equal(t.entries(1).length, 0);
    equal(t.entries(2).length, 1);
  }],
  ['removePeer removes only that peer, and lookups fall back to shorter prefixes', () => {
    const t = new AllowedIps(8);
    t.insert(cidr('10.0.0.0/8'), 1);
    t.insert(cidr('10.1.0.0/16'), 2);
    t.insert(cidr('10.1.1.0/24'), 2);
    t.insert(cidr('10.2.0.0/16'), 3);
    t.removePeer(2);
    equal(t.size, 2);
    equal(t.lookup(ip('10.1.1.1')), 1);
    equal(t.lookup(ip('10.2.1.1')), 3);
    equal(t.entries(2).length, 0);
    t.removePeer(42);
    equal(t.size, 2, 'an unknown peer is a no-op');
    t.insert(cidr('10.1.1.0/24'), 4);
    equal(t.lookup(ip('10.1.1.1')), 4, 'space is reusable after removal');
  }],
  ['entries keep insertion order', () => {
    const t = new AllowedIps(4);
    t.insert(cidr('10.0.0.1/32'), 0);
    t.insert(cidr('192.168.0.0/16'), 0);
    t.insert(cidr('10.0.0.2/32'), 1);
    equal(t.entries(0).map(formatCidr).join(','), '10.0.0.1/32,192.168.0.0/16');
  }],
  ['capacity is fixed; misuse throws', () => {
    const t = new AllowedIps(2);
    t.insert(cidr('10.0.0.1/32'), 0);
    t.insert(cidr('10.0.0.2/32'), 0);
    throws(() => t.insert(cidr('10.0.0.3/32'), 0), 'full');
    t.insert(cidr('10.0.0.2/32'), 1); // moving a present prefix needs no space
    equal(t.lookup(ip('10.0.0.2')), 1);
    throws(() => t.insert({ ip: 1, bits: 33 }, 0));
    throws(() => t.insert({ ip: 1, bits: -1 }, 0));
    throws(() => t.insert({ ip: 2 ** 32, bits: 32 }, 0));
    throws(() => t.insert({ ip: 1, bits: 32 }, -1));
    throws(() => new AllowedIps(-1));
    throws(() => new AllowedIps(1.5));
    const empty = new AllowedIps(0);
    throws(() => empty.insert(cidr('1.2.3.4/32'), 0));
    equal(empty.lookup(ip('1.2.3.4')), -1);
  }],
  ['agrees with a brute-force longest-prefix model (seeded)', () => {
    const next = rng(0x5eed);
    const t = new AllowedIps(600);
    const model: { c: Cidr; peer: number }[] = [];
    const find = (c: Cidr) => model.findIndex((e) => e.c.ip === c.ip && e.c.bits === c.bits);
    // Prefixes cluster under a few /8s so that nested prefixes are common.
    const randomAddr = () => ((([10, 172, 192][next() % 3] << 24) | (next() & 0x00ffffff)) >>> 0);
    for (let round = 0; round < 600; round++) {
      const bits = next() % 33;
      const mask = bits === 0 ? 0 : (0xffffffff << (32 - bits)) >>> 0;
      const c = { ip: (randomAddr() & mask) >>> 0, bits };
      const peer = next() % 10;
      if (round % 97 === 96) {
        const victim = next() % 10;
        t.removePeer(victim);
        for (let i = model.length - 1; i >= 0; i--) if (model[i].peer === victim) model.splice(i, 1);
      } else {
        t.insert(c, peer);
        const at = find(c);
        if (at >= 0) model[at].peer = peer;
        else model.push({ c, peer });
      }
      equal(t.size, model.length, 'size');
      for (let q = 0; q < 20; q++) {
        const addr = q % 2 === 0 ? randomAddr() : (model[next() % model.length]?.c.ip ?? 0);
        equal(t.lookup(addr), bruteForce(model, addr), `lookup at round ${round}`);
      }
    }
    ok(model.length > 100);
  }],
];
