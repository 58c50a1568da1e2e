/**
 * The staging ring (modules/staging.ts) under a seeded random workload, the
 * same on Node and XS: packets of random sizes are staged for random peers,
 * at the back or in front runs, taken out, dropped, cleared and moved, and a
 * plain model (an array per peer) follows along. Whatever the ring holds it
 * gives back byte for byte and in queue order; it never holds more than its
 * budget or records; every packet staged is either taken, dropped (and
 * reported) or still there. Then the edges one by one.
 */
import { Staging } from '../../modules/staging';
import { prng } from '../harness/prng';
import { type Case, deepEqual, equal, ok } from '../harness/suite';

export const cases: Case[] = [];
const stagingCase = (name: string, run: () => void): void => void cases.push([name, run]);

/** Packet `id` of `len` bytes: the id in its first two bytes, then bytes derived from it (content says which packet it is). */
function packet(id: number, len: number): Uint8Array {
  const b = new Uint8Array(len);
  for (let j = 0; j < len; j++) b[j] = j === 0 ? id & 0xff : j === 1 ? id >>> 8 : (id * 31 + j * 7) & 0xff;
  return b;
}

/** Which of `candidates` buf[0, len) is (the first that matches; one with another length never does), or -1. */
function idOf(buf: Uint8Array, len: number, candidates: number[], lengths?: Map<number, number>): number {
  for (const id of candidates) {
    if (lengths !== undefined && lengths.get(id) !== len) continue;
    const want = packet(id, len);
    let same = true;
    for (let j = 0; j < len && same; j++) same = buf[j] === want[j];
    if (same) return id;
  }
  return -1;
}

stagingCase('random workload: contents byte-exact, queue order kept, budget and records never exceeded, nothing unaccounted', () => {
  for (const seed of [1, 2, 3, 4, 5, 6]) {
    const rand = prng(seed);
    const peers = 4;
    const budget = 64 + rand(600);
    const records = 4 + rand(24);
    // The model: what each peer's queue holds (ids, in order), and each id's length.
    const model: number[][] = Array.from({ length: peers }, () => []);
    const lengths = new Map<number, number>();
    let droppedReported = 0;
    const dropsByPeer = new Array<number>(peers).fill(0);
    const staging = new Staging(budget, records, peers, (peer) => {
      droppedReported++;
      dropsByPeer[peer]++;
    });
    const out = new Uint8Array(budget + 16);
    let nextId = 1;
    let staged = 0;
    let taken = 0;
    let dropped = 0;
    /** Removes the ids the ring no longer holds from the model (evicted ones): a reported drop each. */
    const reconcile = (): void => {
      for (let q = 0; q < peers; q++) {
        // The ring's queue, read without taking: take everything, then put it back in order.
        // What survived must be the model's queue in order, less the evicted ones: each packet
        // the ring gives is matched to the first fitting one after the last match (empty
        // packets all look alike, and greedy matching finds an in-order match if there is one).
        const ids: number[] = [];
        let len: number;
        let k = 0;
        while ((len = staging.shift(q, out, 0)) >= 0) {
          const id = idOf(out, len, model[q].slice(k), lengths);
          ok(id >= 0, `seed ${seed}: peer ${q}: a ${len}-byte packet it never had, or out of order`);
          k = model[q].indexOf(id, k) + 1;
          ids.push(id);
        }
        dropped += model[q].length - ids.length;
        model[q] = ids;
        for (const id of ids) staging.push(q, packet(id, lengths.get(id)!), 0, lengths.get(id)!);
      }
    };
    for (let step = 0; step < 400; step++) {
      const q = rand(peers);
      const op = rand(10);
      if (op < 5) {
        const id = nextId++;
        const len = rand(10) === 0 ? 0 : rand(Math.min(200, budget + 40));
        lengths.set(id, len);
        staged++;
        if (op === 4) {
          staging.beginFront();
          staging.pushFront(q, packet(id, len), 0, len);
          if (len <= budget) model[q].unshift(id);
          else dropped++;
        } else {
          staging.push(q, packet(id, len), 0, len);
          if (len <= budget) model[q].push(id);
          else dropped++;
        }
      } else if (op < 8) {
        const len = staging.shift(q, out, 0);
        if (len >= 0) taken++;
        const before = model[q].slice();
        if (len >= 0) {
          const id = idOf(out, len, before, lengths);
          ok(id >= 0, `seed ${seed}: shift gave a packet peer ${q} never had`);
          // Everything in front of it in the model was evicted.
          const at = before.indexOf(id);
          dropped += at;
          model[q] = before.slice(at + 1);
        } else {
          dropped += before.length;
          model[q] = [];
        }
      } else if (op === 8) {
        reconcile();
        const n = staging.clear(q);
        equal(n, model[q].length, `seed ${seed}: clear's count`);
        dropped += n;
        model[q] = [];
      } else {
        reconcile();
        const to = (q + 1) % peers;
        const limit = 1 + rand(6);
        const room = Math.max(0, limit - model[to].length);
        const moved = model[q].slice(0, room);
        dropped += model[q].length - moved.length;
        model[to] = model[to].concat(moved);
        model[q] = [];
        staging.move(q, to, limit);
      }
      let live = 0;
      for (let p = 0; p < peers; p++) live += staging.count(p);
      ok(live <= records, `seed ${seed}: ${live} packets held with ${records} records`);
    }
    reconcile();
    let remaining = 0;
    for (let p = 0; p < peers; p++) remaining += model[p].length;
    equal(staged, taken + dropped + remaining, `seed ${seed}: staged = taken + dropped + still there`);
    ok(droppedReported >= 1, `seed ${seed}: the workload never filled the ring (make it harder)`);
    // Every drop the ring did on its own (evictions, oversize, over a move's limit) was reported; clear()
    // and shift() on an empty queue report nothing, and the model counts those too.
    ok(droppedReported <= dropped, `seed ${seed}: ${droppedReported} reported, ${dropped} dropped`);
  }
});

stagingCase('queue order: pushes at the back, a front run in front of them in its own order', () => {
  const s = new Staging(1024, 16, 2, () => { throw new Error('nothing should be dropped'); });
  for (const id of [10, 11]) s.push(0, packet(id, 5), 0, 5);
  s.beginFront();
  for (const id of [1, 2, 3]) s.pushFront(0, packet(id, 5), 0, 5);
  s.push(1, packet(99, 3), 0, 3);
  const out = new Uint8Array(16);
  const got: number[] = [];
  let len: number;
  while ((len = s.shift(0, out, 0)) >= 0) got.push(idOf(out, len, [1, 2, 3, 10, 11]));
  deepEqual(got, [1, 2, 3, 10, 11]);
  equal(s.count(1), 1, 'the other peer\'s queue is untouched');
});

stagingCase('full: the packet staged longest ago makes room, whoever it was for, and is reported', () => {
  const reported: number[] = [];
  const s = new Staging(100, 64, 2, (peer) => reported.push(peer));
  s.push(0, packet(1, 40), 0, 40);
  s.push(1, packet(2, 40), 0, 40);
  s.push(1, packet(3, 40), 0, 40); // 120 > 100: packet 1 (peer 0) goes
  deepEqual(reported, [0]);
  equal(s.count(0), 0);
  equal(s.count(1), 2);
  s.push(0, packet(4, 101), 0, 101); // larger than the whole ring: dropped at once
  deepEqual(reported, [0, 0]);
  equal(s.count(1), 2, 'an oversize packet evicts nothing');
});

stagingCase('records run out before bytes: the oldest record makes room', () => {
  const reported: number[] = [];
  const s = new Staging(1000, 3, 1, (peer) => reported.push(peer));
  for (let id = 1; id <= 5; id++) s.push(0, packet(id, 0), 0, 0);
  equal(s.count(0), 3);
  equal(reported.length, 2);
  const out = new Uint8Array(4);
  equal(s.shift(0, out, 0), 0, 'keepalives (empty packets) are held too');
});

stagingCase('move: appends in order, and past the limit drops the rest and reports them against the source', () => {
  const reported: number[] = [];
  const s = new Staging(1000, 32, 2, (peer) => reported.push(peer));
  for (const id of [1, 2, 3, 4]) s.push(0, packet(id, 8), 0, 8);
  s.push(1, packet(9, 8), 0, 8);
  s.move(0, 1, 3);
  equal(s.count(0), 0);
  equal(s.count(1), 3);
  deepEqual(reported, [0, 0]);
  const out = new Uint8Array(8);
  const got: number[] = [];
  let len: number;
  while ((len = s.shift(1, out, 0)) >= 0) got.push(idOf(out, len, [1, 2, 3, 4, 9]));
  deepEqual(got, [9, 1, 2]);
});

stagingCase('wrapping: a long run of stage-and-take through a small ring keeps every byte', () => {
  const s = new Staging(97, 8, 1, () => { throw new Error('nothing should be dropped'); });
  const rand = prng(42);
  const out = new Uint8Array(97);
  for (let id = 1; id < 500; id++) {
    const len = rand(40);
    s.push(0, packet(id, len), 0, len);
    equal(s.shift(0, out, 0), len);
    equal(idOf(out, len, [id]), id, `packet ${id}`);
  }
});

stagingCase('a ring of 64 KiB or more (32-bit records, as on a home end) keeps order and bytes the same way', () => {
  const s = new Staging(0x10000 + 100, 0x10000 + 8, 3, () => { throw new Error('nothing should be dropped'); });
  for (const id of [10, 11, 12]) s.push(2, packet(id, 1000), 0, 1000);
  s.beginFront();
  for (const id of [1, 2]) s.pushFront(2, packet(id, 7), 0, 7);
  s.move(2, 0, 100);
  const out = new Uint8Array(1000);
  const got: number[] = [];
  let len: number;
  while ((len = s.shift(0, out, 0)) >= 0) got.push(idOf(out, len, [1, 2, 10, 11, 12]));
  deepEqual(got, [1, 2, 10, 11, 12]);
  equal(s.count(2), 0);
});
