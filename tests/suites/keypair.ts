/**
 * The keypair store's two windows per pair (modules/keypair.ts) and the
 * handover between them (ReplayRing.carry): the current keypair always has
 * the full window; moving a window from one size to the other keeps what it
 * can and can only refuse more, never accept a counter twice. Checked
 * against a model that remembers every counter ever accepted.
 */
import { KeypairStore } from '../../modules/keypair';
import { ReplayRing } from '../../modules/replay';
import { type Case, equal, ok } from '../harness/suite';
import { prng } from '../harness/prng';

const KEY = new Uint8Array(32);

/** One window of `ring`'s size in its own words. */
function windowOf(ring: ReplayRing): Uint32Array {
  return new Uint32Array(ring.words);
}

/** Records every counter of `counters` in the window (all must be accepted). */
function receive(ring: ReplayRing, w: Uint32Array, counters: number[]): void {
  for (const c of counters) ok(ring.update(w, 0, c, 0), `update(${c})`);
}

/** Opens slot k with a distinct local index. */
function open(store: KeypairStore, k: number, now = 0): void {
  store.open(k, KEY, KEY, now, true, 100 + k, 200 + k, 1 + k);
}

/** Every counter `store` slot k would accept now, among [from, to]. */
function accepted(store: KeypairStore, k: number, from: number, to: number): number[] {
  const out: number[] = [];
  for (let c = Math.max(0, from); c <= to; c++) if (store.replayCheck(k, c, 0)) out.push(c);
  return out;
}

export const cases: Case[] = [
  ['carry into a smaller window: the same answers within it, refusals beyond', () => {
    const full = new ReplayRing(1024);
    const small = new ReplayRing(256);
    const a = windowOf(full);
    // Every even counter up to 3000, and a few odd ones.
    const got: number[] = [];
    for (let c = 0; c <= 3000; c += 2) got.push(c);
    got.push(2999, 2801, 2001);
    receive(full, a, got);
    const b = windowOf(small);
    full.carry(a, 0, small, b, 0);
    for (let c = 3000 - 1100; c <= 3010; c++) {
      const expected = full.check(a, 0, c, 0) && 3000 - c <= small.size;
      equal(small.check(b, 0, c, 0), expected, `counter ${c}`);
    }
    ok(small.check(b, 0, 2997, 0), 'an odd counter 3 behind is still new');
    equal(small.check(b, 0, 2999, 0), false, 'one received is still seen');
    equal(small.check(b, 0, 2001, 0), false, 'beyond the smaller window');
  }],
  ['carry into a larger window: what the smaller knew, and everything older counts as seen', () => {
    const small = new ReplayRing(256);
    const full = new ReplayRing(1024);
    const a = windowOf(small);
    receive(small, a, [5000, 4990, 4800]);
    const b = windowOf(full);
    b.fill(0x5a5a5a5a); // whatever the full window held before is overwritten
    small.carry(a, 0, full, b, 0);
    for (let c = 5000 - 1100; c <= 5010; c++) {
      const before = small.check(a, 0, c, 0);
      const after = full.check(b, 0, c, 0);
      // Exactly the same answers in every block the smaller window holds whole; elsewhere it may only refuse more.
      if (5000 - c <= small.size - 32) equal(after, before, `counter ${c}`);
      else ok(!after || before, `counter ${c}: refused before the carry, accepted after`);
    }
    equal(full.check(b, 0, 5000 - 300, 0), false, 'older than the smaller window: seen');
    ok(full.update(b, 0, 5001, 0), 'the window moves on from there');
    equal(full.update(b, 0, 4990, 0), false, '4990 was received before the carry');
  }],
  ['carry near counter 0: a fresh window stays fresh (counter 0 accepted once)', () => {
    const small = new ReplayRing(256);
    const full = new ReplayRing(1024);
    const a = windowOf(small);
    const b = windowOf(full);
    b.fill(0xffffffff);
    small.carry(a, 0, full, b, 0);
    ok(full.update(b, 0, 0, 0), '0 on a carried fresh window');
    equal(full.update(b, 0, 0, 0), false, '0 again');
    receive(full, b, [1, 2, 40]);
    const c = windowOf(small);
    full.carry(b, 0, small, c, 0);
    ok(small.check(c, 0, 3, 0), '3 was never received');
    equal(small.check(c, 0, 40, 0), false, '40 was');
    equal(small.check(c, 0, 0, 0), false, '0 was');
  }],
  ['carry across the u32 boundary of the counter', () => {
    const full = new ReplayRing(1024);
    const small = new ReplayRing(256);
    const a = windowOf(full);
    ok(full.update(a, 0, 0xffffff80, 0));
    ok(full.update(a, 0, 10, 1), '2^32 + 10');
    const b = windowOf(small);
    full.carry(a, 0, small, b, 0);
    equal(small.check(b, 0, 0xffffff80, 0), false, 'seen, 138 behind');
    ok(small.check(b, 0, 0xffffff81, 0), 'unseen, 137 behind');
    equal(small.check(b, 0, 10, 1), false, 'the greatest, seen');
    ok(small.check(b, 0, 11, 1), 'ahead');
  }],
  ['carried windows never accept a counter twice (random traffic, handed back and forth)', () => {
    const rand = prng(7);
    const full = new ReplayRing(1024);
    const small = new ReplayRing(256);
    for (let round = 0; round < 20; round++) {
      const seen = new Set<number>();
      let ring = full;
      let w = windowOf(full);
      let top = 0;
      for (let step = 0; step < 400; step++) {
        // Mostly forward, some late, some duplicates.
        const c = rand(10) < 6 ? (top += 1 + rand(40)) : Math.max(0, top - rand(1500));
        const took = ring.update(w, 0, c, 0);
        if (took) {
          ok(!seen.has(c), `round ${round}: counter ${c} accepted twice`);
          seen.add(c);
        }
        if (step % 37 === 36) {
          const to = ring === full ? small : full;
          const next = windowOf(to);
          ring.carry(w, 0, to, next, 0);
          ring = to;
          w = next;
        }
      }
    }
  }],
  ['the first keypair of a pair gets the full window, the second the smaller', () => {
    const store = new KeypairStore(4, 1024, 256);
    open(store, 0);
    ok(store.hasFullWindow(0));
    open(store, 1);
    equal(store.hasFullWindow(1), false, 'the other slot holds the full one');
    open(store, 3);
    ok(store.hasFullWindow(3), 'another pair: its own windows');
    // The full one takes 1024 behind, the smaller 256.
    ok(store.replayUpdate(0, 2000, 0));
    ok(store.replayUpdate(1, 2000, 0));
    ok(store.replayCheck(0, 2000 - 1024, 0), 'full: 1024 behind');
    equal(store.replayCheck(1, 2000 - 257, 0), false, 'smaller: 257 behind');
    ok(store.replayCheck(1, 2000 - 256, 0), 'smaller: 256 behind');
  }],
  ['promote hands the full window over and keeps what both windows knew', () => {
    const store = new KeypairStore(2, 1024, 256);
    open(store, 0);
    for (let c = 0; c <= 3000; c += 2) ok(store.replayUpdate(0, c, 0));
    open(store, 1);
    for (let c = 0; c < 20; c++) ok(store.replayUpdate(1, c, 0));
    store.promote(1);
    ok(store.hasFullWindow(1), 'the new current has the full window');
    equal(store.hasFullWindow(0), false, 'the old one the smaller');
    equal(accepted(store, 1, 0, 25).join(), '20,21,22,23,24,25', 'slot 1 still knows 0..19');
    ok(store.replayCheck(0, 2999, 0), 'slot 0: an odd counter just behind is new');
    equal(store.replayCheck(0, 2998, 0), false, 'slot 0: an even one was received');
    equal(store.replayCheck(0, 2001, 0), false, 'slot 0: beyond its smaller window now');
    store.promote(1);
    ok(store.hasFullWindow(1), 'promoting the holder changes nothing');
  }],
  ['erasing the full window\'s holder hands it to the other keypair', () => {
    const store = new KeypairStore(2, 1024, 256);
    open(store, 0);
    open(store, 1);
    for (let c = 100; c < 120; c++) ok(store.replayUpdate(1, c, 0));
    store.erase(0);
    equal(store.live(0), false);
    ok(store.hasFullWindow(1), 'the survivor has the full window');
    equal(store.replayCheck(1, 110, 0), false, 'and remembers what it received');
    ok(store.replayCheck(1, 120, 0));
    open(store, 0);
    equal(store.hasFullWindow(0), false, 'a new keypair beside it gets the smaller');
    equal(accepted(store, 0, 0, 3).join(), '0,1,2,3', 'with a fresh window');
    store.erase(1);
    store.erase(0);
    open(store, 1);
    ok(store.hasFullWindow(1), 'an empty pair: the full window');
    ok(store.replayCheck(1, 110, 0), 'fresh: nothing of the erased keypairs is left');
  }],
  ['equal window sizes: a handover loses nothing', () => {
    const store = new KeypairStore(2, 1024);
    open(store, 0);
    for (let c = 0; c <= 3000; c += 2) ok(store.replayUpdate(0, c, 0));
    open(store, 1);
    store.promote(1);
    ok(store.replayCheck(0, 3000 - 1023, 0), 'the old current keeps its whole window');
    equal(store.replayCheck(0, 3000 - 1024, 0), false);
  }],
];
