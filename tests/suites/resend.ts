/**
 * The resend ring (modules/resend.ts) against a model, with a seeded PRNG so
 * the same runs happen on Node and XS: whatever sizes are recorded and however
 * the ring wraps, a replay returns an unbroken, in-order suffix of what was
 * recorded for that peer and keypair, byte for byte, always including the
 * newest entry, and reports the counters it no longer holds. Then the edges:
 * a start counter, 64-bit counters, other keypairs, oversize packets,
 * eviction counts, clear(). (tests/resend.test.ts runs the same property with
 * fast-check on Node.)
 */
import { ResendRing } from '../../modules/resend';
import { prng } from '../harness/prng';
import { type Case, deepEqual, equal, equalBytes, ok } from '../harness/suite';

const HEADER = 16;
const align = (n: number) => (n + 3) & ~3;
/** Whether a packet of `len` bytes can be held at all by a ring of `budget` bytes. */
const fits = (budget: number, len: number) => HEADER + align(len) <= Math.max(align(budget), 2 * HEADER);

function packet(tag: number, len: number): Uint8Array {
  const b = new Uint8Array(len);
  for (let j = 0; j < len; j++) b[j] = (tag * 7 + j) & 0xff;
  return b;
}

function collect(ring: ResendRing, peer: number, keypair: number, lo: number, hi: number): { got: Uint8Array[]; lost: number } {
  const got: Uint8Array[] = [];
  const lost = ring.replay(peer, keypair, lo, hi, (buf, off, len) => got.push(buf.slice(off, off + len)));
  return { got, lost };
}

/** One run of the model check: random budget, entries over three peers, replay for one. */
function modelRun(rand: (n: number) => number, run: number): void {
  const budget = 64 + rand(2048 - 64 + 1);
  const count = rand(201);
  const who = rand(3);
  const ring = new ResendRing(budget);
  const model: { counter: number; bytes: Uint8Array }[] = [];
  const counter = [0, 0, 0];
  let last: { peer: number; len: number } | undefined;
  for (let i = 0; i < count; i++) {
    const peer = rand(3);
    const len = rand(301);
    const bytes = packet(i, len);
    const c = counter[peer]++;
    // The ring copies: the caller's buffer is reused at once.
    const holder = new Uint8Array(len + 8);
    holder.set(bytes, 5);
    ring.record(peer, 1, c, 0, holder, 5, len);
    holder.fill(0xee);
    if (peer === who && fits(budget, len)) model.push({ counter: c, bytes });
    last = { peer, len };
  }
  const { got, lost } = collect(ring, who, 1, 0, 0);
  const where = `run ${run} (budget ${budget}, ${count} entries, peer ${who})`;
  ok(got.length <= model.length, `${where}: replayed more than recorded`);
  const suffix = model.slice(model.length - got.length);
  for (let i = 0; i < got.length; i++) equalBytes(got[i], suffix[i].bytes, `${where}: entry ${i}`);
  if (last && last.peer === who && fits(budget, last.len)) ok(got.length >= 1, `${where}: the newest entry is always held`);
  equal(lost, got.length ? suffix[0].counter : 0, `${where}: lost = counters before the first one held`);
}

export const cases: Case[] = [
  ['replays an intact, in-order suffix and counts the gap as lost (500 seeded runs)', () => {
    const rand = prng(0x7e5e4d);
    for (let run = 0; run < 500; run++) modelRun(rand, run);
  }],
  ['nothing recorded: nothing replayed, nothing lost', () => {
    const ring = new ResendRing(1024);
    const { got, lost } = collect(ring, 0, 1, 0, 0);
    equal(got.length, 0);
    equal(lost, 0);
  }],
  ['replay starts at the requested counter; lost counts only from there', () => {
    const ring = new ResendRing(4096);
    for (let c = 0; c < 10; c++) ring.record(0, 1, c, 0, packet(c, 20), 0, 20);
    const from4 = collect(ring, 0, 1, 4, 0);
    equal(from4.got.length, 6);
    equalBytes(from4.got[0], packet(4, 20));
    equal(from4.lost, 0, 'everything from counter 4 is held');
    equal(collect(ring, 0, 1, 10, 0).got.length, 0, 'past the newest');
  }],
  ['only the named peer and keypair are replayed', () => {
    const ring = new ResendRing(4096);
    ring.record(0, 1, 0, 0, packet(1, 10), 0, 10);
    ring.record(1, 1, 0, 0, packet(2, 10), 0, 10);
    ring.record(0, 2, 0, 0, packet(3, 10), 0, 10);
    ring.record(0, 1, 1, 0, packet(4, 10), 0, 10);
    const { got } = collect(ring, 0, 1, 0, 0);
    deepEqual(got.map((g) => g[0]), [packet(1, 10)[0], packet(4, 10)[0]]);
    equal(collect(ring, 0, 3, 0, 0).got.length, 0, 'an unknown keypair');
    equal(collect(ring, 2, 1, 0, 0).got.length, 0, 'an unknown peer');
  }],
  ['64-bit counters: ordering and the lost count cross the 2^32 boundary', () => {
    const ring = new ResendRing(4096);
    const MAX = 0xffffffff;
    ring.record(0, 1, MAX - 1, 0, packet(1, 8), 0, 8);
    ring.record(0, 1, MAX, 0, packet(2, 8), 0, 8);
    ring.record(0, 1, 0, 1, packet(3, 8), 0, 8);
    ring.record(0, 1, 1, 1, packet(4, 8), 0, 8);
    const high = collect(ring, 0, 1, 0, 1);
    equal(high.got.length, 2, 'counters >= 2^32');
    equalBytes(high.got[0], packet(3, 8));
    equal(high.lost, 0);
    const all = collect(ring, 0, 1, MAX - 1, 0);
    equal(all.got.length, 4);
    const gap = collect(ring, 0, 1, MAX - 11, 0);
    equal(gap.got.length, 4);
    equal(gap.lost, 10, 'ten counters below the oldest held');
    // Asked from far below: the gap spans the high word.
    const far = new ResendRing(4096);
    far.record(0, 1, 5, 1, packet(5, 8), 0, 8);
    equal(collect(far, 0, 1, MAX, 0).lost, 6, '2^32 + 5 - (2^32 - 1)');
  }],
  ['a packet larger than the whole ring is counted as oversize and not kept', () => {
    const ring = new ResendRing(64);
    ring.record(0, 1, 0, 0, packet(0, 40), 0, 40);
    ring.record(0, 1, 1, 0, packet(1, 49), 0, 49);
    equal(ring.oversize, 1);
    const { got } = collect(ring, 0, 1, 0, 0);
    equal(got.length, 1);
    equalBytes(got[0], packet(0, 40));
  }],
  ['eviction: the oldest entries go first and are counted; the ring keeps working across many wraps', () => {
    const ring = new ResendRing(256);
    let expectEvicted = 0;
    for (let c = 0; c < 1000; c++) {
      const len = 1 + ((c * 37) % 90);
      ring.record(0, 1, c, 0, packet(c, len), 0, len);
      const { got, lost } = collect(ring, 0, 1, 0, 0);
      ok(got.length >= 1, `wrap ${c}: the newest entry is gone`);
      equalBytes(got[got.length - 1], packet(c, len), `wrap ${c}: newest`);
      equal(lost, c + 1 - got.length, `wrap ${c}: lost`);
      expectEvicted = c + 1 - got.length;
    }
    equal(ring.evicted, expectEvicted, 'evicted counts every entry pushed out');
  }],
  ['clear() forgets everything; the ring is usable again', () => {
    const ring = new ResendRing(128);
    for (let c = 0; c < 10; c++) ring.record(0, 1, c, 0, packet(c, 30), 0, 30);
    ring.clear();
    equal(collect(ring, 0, 1, 0, 0).got.length, 0);
    ring.record(0, 1, 10, 0, packet(10, 30), 0, 30);
    const { got, lost } = collect(ring, 0, 1, 10, 0);
    equal(got.length, 1);
    equal(lost, 0);
  }],
];
