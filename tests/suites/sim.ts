/**
 * The simulator's own cases (hosts/sim), with fake Device-shaped endpoints:
 * they do not need the core. A host-agnostic suite: tests/sim.test.ts runs it
 * on Node and tests/xs.test.ts on the XS engine, where the scenarios of
 * tests/suites/timers.ts and scenarios.ts rely on the same clock, links and
 * seeded randomness.
 */
import type { DeviceHost } from '../../modules/host';
import type { DeviceStatus } from '../../modules/status';
import {
  formatTrace, InvariantError, LivelockError, MemoryStore, Rng, SimulationError, Simulation,
  type LinkSettings, type SimDevice, type SimNode,
} from '../../hosts/sim/index';
import { type Case, deepEqual, equal, hex, match, notEqual, ok, thrown } from '../harness/suite';

export const cases: Case[] = [];
const simCase = (name: string, run: () => void): void => void cases.push([name, run]);

/** fn throws, and what it throws passes check (node:assert's throws with a validation function). */
function throwsWhere(fn: () => unknown, check: (e: unknown) => boolean): void {
  const e = thrown(fn);
  ok(check(e), `the exception did not pass the check: ${String(e)}`);
}

// ---------------------------------------------------------------- fakes

interface FakeOptions {
  /** Where sendUdp and the periodic ping go. */
  peer?: { address: string; port: number };
  /** Send a ping (type 1, 16 random bytes) every `period` ms from `start`. */
  period?: number;
  start?: number;
  /** Answer a ping (type 1) with a pong (type 2). */
  echo?: boolean;
}

/** A Device-shaped endpoint: pings, echoes, records what it received. */
class FakeDevice implements SimDevice {
  readonly received: { now: number; address: string; port: number; data: Uint8Array }[] = [];
  private nextAt: number;
  private readonly buf = new Uint8Array(64);

  constructor(readonly host: DeviceHost, readonly opts: FakeOptions = {}) {
    this.nextAt = opts.period ? opts.start ?? 0 : Infinity;
  }

  handleDatagram(now: number, data: Uint8Array, len: number, address: string, port: number): void {
    this.received.push({ now, address, port, data: data.slice(0, len) });
    this.host.deliverUdp(0, 0, port, 0, data, 0, len);
    if (this.opts.echo && data[0] === 1) {
      data[0] = 2; // in place, as the real Device decrypts in place: the network must hand us a private copy
      this.host.send(data, len, address, port);
    }
  }

  handleTimeout(now: number): void {
    if (now < this.nextAt || !this.opts.peer) return;
    this.buf[0] = 1;
    this.host.random(this.buf.subarray(1, 16));
    this.host.send(this.buf, 16, this.opts.peer.address, this.opts.peer.port);
    this.nextAt = now + this.opts.period!;
  }

  pollTimeout(): number {
    return this.nextAt;
  }

  sendUdp(_now: number, _srcPort: number, _dstIp: number, _dstPort: number, payload: Uint8Array, off: number, len: number): number {
    this.buf.set(payload.subarray(off, off + len));
    this.host.send(this.buf, len, this.opts.peer!.address, this.opts.peer!.port);
    this.buf.fill(0xee); // the sender reuses its buffer at once: the network must have copied
    return 0;
  }

  connect(now: number, peer: number): void {
    this.host.event({ name: 'handshake-sent', peer, publicKey: '', time: now });
  }

  status(): DeviceStatus {
    return { publicKey: 'fake', address: null, peers: [], drops: {}, naksSent: 0, groups: {} };
  }

  setEndpoint(): void {}

  shutdown(): number {
    return 0;
  }

  closingCount(): number {
    return 0;
  }
}

const A = { address: '10.0.0.1', port: 1000 };
const B = { address: '10.0.0.2', port: 2000 };

function twoNodes(seed: number, link: Partial<LinkSettings> = {}, a: FakeOptions = {}, b: FakeOptions = {}) {
  const sim = new Simulation({ seed, link, keepTrace: true });
  const devices: FakeDevice[] = [];
  const mk = (opts: FakeOptions) => (host: DeviceHost) => {
    const d = new FakeDevice(host, opts);
    devices.push(d);
    return d;
  };
  const na = sim.addNode({ name: 'a', ...A, factory: mk({ peer: B, ...a }) });
  const nb = sim.addNode({ name: 'b', ...B, factory: mk({ peer: A, ...b }) });
  return { sim, a: na, b: nb, devices };
}

/** Sends `n` datagrams a → b, one per `interval` ms from t=0, with a u32 sequence number in bytes 0..3. */
function stream(sim: Simulation, from: SimNode<FakeDevice>, n: number, interval: number): void {
  let seq = 0;
  sim.every(interval, () => {
    const p = new Uint8Array(8);
    new DataView(p.buffer).setUint32(0, seq++);
    from.sendUdp(0, 0, 0, p);
  }, { start: 0, until: (n - 1) * interval });
}

const seqOf = (d: Uint8Array): number => new DataView(d.buffer, d.byteOffset).getUint32(0);

// ---------------------------------------------------------------- Rng

simCase('Rng: same seed, same stream; different seeds differ; next() in [0,1)', () => {
  const a = new Rng(42);
  const b = new Rng(42);
  const c = new Rng(43);
  const xs = Array.from({ length: 1000 }, () => a.nextU32());
  deepEqual(Array.from({ length: 1000 }, () => b.nextU32()), xs);
  const ys = Array.from({ length: 1000 }, () => c.nextU32());
  ok(xs.filter((x, i) => x === ys[i]).length < 3, 'seeds 42 and 43 give nearly the same stream');
  for (let i = 0; i < 10000; i++) {
    const v = a.next();
    ok(v >= 0 && v < 1, `next() out of range: ${v}`);
  }
});

simCase('Rng: fill() covers odd lengths and is roughly uniform; fork() is independent of later parent draws', () => {
  const r = new Rng(7);
  const counts = new Array(256).fill(0);
  for (let i = 0; i < 3000; i++) for (const v of r.bytes(1 + (i % 37))) counts[v]++;
  const total = counts.reduce((s, v) => s + v, 0);
  const mean = total / 256;
  ok(counts.every((c) => Math.abs(c - mean) < mean * 0.3), `byte histogram far from uniform: min ${Math.min(...counts)} max ${Math.max(...counts)} mean ${mean}`);
  const p1 = new Rng(9);
  const child1 = p1.fork();
  const p2 = new Rng(9);
  const child2 = p2.fork();
  p2.nextU32();
  p2.nextU32(); // the parent moving on must not change the child
  equal(child1.nextU32(), child2.nextU32());
});

// ---------------------------------------------------------------- clock and agenda

simCase('step() jumps to the earliest of arrival, action and pollTimeout; runUntil() sets the clock', () => {
  const { sim, a, b } = twoNodes(1, { latency: 30 }, { period: 1000, start: 500 });
  const log: string[] = [];
  sim.at(200, (now) => log.push(`action@${now}`));
  equal(sim.nextTime(), 200);
  sim.step();
  equal(sim.now, 200);
  sim.step(); // a's first ping (pollTimeout 500)
  equal(sim.now, 500);
  sim.step(); // its arrival at b
  equal(sim.now, 530);
  equal(b.device.received.length, 1);
  sim.runUntil(10_000);
  equal(sim.now, 10_000);
  equal(b.device.received.length, 10, 'pings at 500, 1500 ... 9500');
  deepEqual(log, ['action@200']);
  equal(a.counters.datagramsSent, 10);
  equal(a.counters.bytesSent, 160);
  equal(b.counters.datagramsReceived, 10);
  equal(b.counters.bytesReceived, 160);
});

simCase('every() runs at a fixed period between start and until, and cancel() stops it', () => {
  const sim = new Simulation({ seed: 1 });
  const times: number[] = [];
  const h = sim.every(250, (now) => times.push(now), { start: 100, until: 1000 });
  sim.runUntil(5000);
  deepEqual(times, [100, 350, 600, 850]);
  const more: number[] = [];
  const h2 = sim.every(100, (now) => {
    more.push(now);
    if (more.length === 3) h2.cancel();
  });
  sim.runUntil(10_000);
  deepEqual(more, [5100, 5200, 5300]);
  h.cancel();
});

simCase('datagrams are copied at send time and every arrival gets its own buffer', () => {
  const { sim, a, b } = twoNodes(3, { latency: 5, duplicate: 1 }, {}, { echo: true });
  const p = new Uint8Array([1, 2, 3, 4]);
  sim.at(0, () => a.sendUdp(0, 0, 0, p));
  sim.runUntil(100);
  // FakeDevice.sendUdp scribbles over its buffer right after send; b echoes by overwriting byte 0 in place.
  deepEqual(b.device.received.map((r) => Array.from(r.data)), [[1, 2, 3, 4], [1, 2, 3, 4]]);
  equal(a.device.received.length, 4, 'two echoes, each duplicated');
  ok(a.device.received.every((r) => r.data[0] === 2 && r.data[3] === 4));
  const sent = sim.sent({ node: 'a' });
  equal(sent.length, 1);
  deepEqual(Array.from(sent[0].data!), [1, 2, 3, 4], 'the trace copy stays intact');
});

// ---------------------------------------------------------------- link behaviour

const N = 10_000;

simCase('loss: about the configured fraction is lost', () => {
  const { sim, a, b } = twoNodes(11, { latency: 10, loss: 0.2 });
  stream(sim, a, N, 1);
  sim.runUntil(N + 100);
  const got = b.device.received.length;
  // Binomial(10000, 0.8): sd 40; allow 5 sd.
  ok(Math.abs(got - 0.8 * N) < 200, `received ${got} of ${N} with loss 0.2`);
  equal(sim.trace.filter((e) => e.kind === 'drop' && e.reason === 'loss').length, N - got);
});

simCase('duplication: about the configured fraction arrives twice', () => {
  const { sim, a, b } = twoNodes(12, { latency: 10, duplicate: 0.1 });
  stream(sim, a, N, 1);
  sim.runUntil(N + 100);
  const seen = new Map<number, number>();
  for (const r of b.device.received) seen.set(seqOf(r.data), (seen.get(seqOf(r.data)) ?? 0) + 1);
  const dups = [...seen.values()].filter((c) => c === 2).length;
  equal(seen.size, N, 'nothing lost');
  ok([...seen.values()].every((c) => c <= 2));
  ok(Math.abs(dups - 0.1 * N) < 150, `${dups} duplicated of ${N} with duplicate 0.1`);
});

simCase('reordering: about the configured fraction is overtaken; jitter stays within bounds', () => {
  const { sim, a, b } = twoNodes(13, { latency: 10, reorder: 0.1, reorderDelay: 50 });
  stream(sim, a, N, 1);
  sim.runUntil(N + 200);
  let max = -1;
  let late = 0;
  for (const r of b.device.received) {
    const s = seqOf(r.data);
    if (s < max) late++;
    else max = s;
  }
  equal(b.device.received.length, N);
  ok(Math.abs(late - 0.1 * N) < 150, `${late} of ${N} arrived out of order with reorder 0.1`);

  const j = twoNodes(14, { latency: 50, jitter: 20 });
  stream(j.sim, j.a, 1000, 10);
  j.sim.runUntil(20_000);
  const delays = j.b.device.received.map((r) => r.now - seqOf(r.data) * 10);
  ok(delays.every((d) => d >= 50 && d < 70), `delays outside [50, 70): ${Math.min(...delays)} .. ${Math.max(...delays)}`);
  ok(Math.max(...delays) - Math.min(...delays) > 15, 'jitter had no visible effect');
});

simCase('per-link settings override the global ones, in one or both directions', () => {
  const { sim, a, b } = twoNodes(15, { latency: 10 });
  sim.network.setLink(A.address, B.address, { latency: 100 }, true);
  sim.at(0, () => a.sendUdp(0, 0, 0, new Uint8Array([9])));
  sim.at(0, () => b.sendUdp(0, 0, 0, new Uint8Array([9])));
  sim.runUntil(1000);
  equal(b.device.received[0].now, 100);
  equal(a.device.received[0].now, 10);
  sim.network.clearLink(A.address, B.address);
  equal(sim.network.link(A.address, B.address).latency, 10);
});

simCase('partitions block traffic (in flight too) and heal', () => {
  const { sim, a, b } = twoNodes(16, { latency: 30 });
  stream(sim, a, 300, 10); // seq s sent at 10·s ms
  sim.at(1000, () => sim.network.partition(A.address, B.address));
  sim.at(2000, () => sim.network.heal(A.address, B.address));
  sim.runUntil(4000);
  const seqs = new Set(b.device.received.map((r) => seqOf(r.data)));
  // Sent before 970 ms: arrived before the cut. Sent 970..1999: lost (in flight or blocked). From 2000: delivered.
  for (let s = 0; s < 300; s++) {
    const sentAt = s * 10;
    const expected = sentAt < 970 || sentAt >= 2000;
    equal(seqs.has(s), expected, `seq ${s} sent at ${sentAt} ms`);
  }
  const reasons = sim.trace.filter((e) => e.kind === 'drop').map((e) => e.reason);
  ok(reasons.every((r) => r === 'partition') && reasons.length === 103, `drops: ${reasons.length}`);
});

simCase('a one-way partition blocks only one direction', () => {
  const { sim, a, b } = twoNodes(17, { latency: 10 }, { period: 100 }, { echo: true });
  sim.network.partition(B.address, A.address, true);
  sim.runUntil(1000);
  ok(b.device.received.length >= 9, 'a → b still flows');
  equal(a.device.received.length, 0, 'b → a is blocked');
  ok(sim.network.isBlocked(B.address, A.address) && !sim.network.isBlocked(A.address, B.address));
});

// ---------------------------------------------------------------- nodes

simCase('kill() drops the Device and its traffic; restart() builds a fresh one; a stale Device cannot send', () => {
  const { sim, a, b, devices } = twoNodes(18, { latency: 10 }, { period: 100 }, { echo: true });
  sim.runUntil(1000);
  const first = b.device;
  ok(first.received.length >= 9);
  sim.at(1000, () => b.kill());
  sim.runUntil(2000);
  equal(b.alive, false);
  match(String(thrown(() => b.device)), /b is down/);
  ok(sim.trace.some((e) => e.kind === 'drop' && e.reason === 'dead' && e.node === 'b'));
  const receivedWhileDead = b.counters.datagramsReceived;
  const fresh = b.restart();
  notEqual(fresh, first);
  equal(b.generation, 2);
  equal(devices.length, 3, 'the factory ran again');
  equal(fresh.received.length, 0, 'state did not survive');
  sim.runUntil(3000);
  ok(fresh.received.length >= 9 && b.counters.datagramsReceived > receivedWhileDead);
  ok(b.deliveries.some((d) => d.generation === 2) && b.deliveries.some((d) => d.generation === 1));
  const before = sim.trace.length;
  first.host.send(new Uint8Array(4), 4, A.address, A.port);
  equal(sim.trace[before].reason, 'stale', 'the killed Device sent something');
  equal(sim.trace.length, before + 1);
});

simCase('a node that starts down has no Device until restart(); a store survives restarts', () => {
  const sim = new Simulation({ seed: 2 });
  const store = new MemoryStore();
  let built = 0;
  const n = sim.addNode({
    name: 'n', ...A, store, down: true,
    factory: (host) => {
      built++;
      host.store!.saveTimestampCeiling((host.store!.loadTimestampCeiling() ?? 0) + 1);
      return new FakeDevice(host);
    },
  });
  equal(n.alive, false);
  equal(built, 0);
  n.restart();
  n.restart();
  equal(built, 2);
  equal(store.loadTimestampCeiling(), 2);
  equal(store.writes, 2);
});

simCase('moveTo(): the peer sees the new source; datagrams to the old socket are unreachable', () => {
  const { sim, a, b } = twoNodes(19, { latency: 20 }, { period: 100 }, { echo: true });
  sim.runUntil(1000);
  sim.at(1005, () => a.moveTo('10.9.9.9', 4444));
  sim.runUntil(2000);
  const sources = new Set(b.device.received.map((r) => `${r.address}:${r.port}`));
  deepEqual([...sources], ['10.0.0.1:1000', '10.9.9.9:4444']);
  equal(a.address, '10.9.9.9');
  ok(sim.trace.some((e) => e.kind === 'drop' && e.reason === 'unreachable' && e.to === '10.0.0.1:1000'),
    'the echo of the ping sent at 1000 ms went to the old socket');
  match(String(thrown(() => sim.addNode({ name: 'c', address: '10.9.9.9', port: 4444, factory: (h) => new FakeDevice(h) }))), /already bound/);
});

simCase('injected datagrams come from any address and cross the same links', () => {
  const { sim, b } = twoNodes(20, { latency: 7 });
  sim.at(10, () => sim.inject('203.0.113.66', 666, new Uint8Array([4, 0, 0, 0]), B.address, B.port, 'attacker'));
  sim.runUntil(100);
  equal(b.device.received.length, 1);
  equal(b.device.received[0].address, '203.0.113.66');
  equal(b.device.received[0].now, 17);
  equal(sim.sent({ node: 'attacker', type: 4 }).length, 1);
});

// ---------------------------------------------------------------- determinism

function scenarioTrace(seed: number): { text: string; payloads: string } {
  const { sim, a, b } = twoNodes(seed, { latency: 20, jitter: 15, loss: 0.1, duplicate: 0.05, reorder: 0.05 }, { period: 37 }, { echo: true, period: 101 });
  sim.at(3000, () => b.kill());
  sim.at(3500, () => b.restart());
  sim.at(4000, () => a.moveTo('10.0.0.3'));
  sim.at(6000, () => sim.network.partition('10.0.0.3', B.address));
  sim.at(7000, () => sim.network.healAll());
  sim.runUntil(10_000);
  return {
    text: sim.trace.map(formatTrace).join('\n'),
    payloads: a.deliveries.concat(b.deliveries).map((d) => hex(d.payload)).join(','),
  };
}

simCase('determinism: the same seed gives an identical trace; different seeds differ', () => {
  const x = scenarioTrace(1234);
  const y = scenarioTrace(1234);
  const z = scenarioTrace(1235);
  ok(x.text.split('\n').length > 500, 'scenario too small to mean anything');
  equal(x.text, y.text);
  equal(x.payloads, y.payloads, 'DeviceHost.random must follow the seed');
  notEqual(x.text, z.text);
  notEqual(x.payloads, z.payloads);
});

// ---------------------------------------------------------------- livelock, invariants, errors

/** A broken endpoint whose deadline never moves: handleTimeout does nothing. */
class StuckDevice extends FakeDevice {
  override pollTimeout(): number {
    return 0;
  }
  override handleTimeout(): void {}
}

simCase('livelock: a pollTimeout that never advances throws LivelockError with a trace', () => {
  const sim = new Simulation({ seed: 5, maxStallSteps: 100 });
  sim.addNode({ name: 'stuck', ...A, factory: (h) => new StuckDevice(h) });
  sim.at(0, () => {}, 'last words');
  let err: unknown;
  try {
    sim.runUntil(1000);
  } catch (e) {
    err = e;
  }
  ok(err instanceof LivelockError, `expected LivelockError, got ${String(err)}`);
  match(err.message, /101 steps without the clock advancing past 0 ms/);
  match(err.message, /timeout\s+stuck/);
  ok(err.recent.length > 0 && err.recent.length <= 40);
});

simCase('livelock: a zero-latency ping-pong at one instant is caught, and driveBounded caps total steps', () => {
  const sim = new Simulation({ seed: 6, link: { latency: 0 }, maxStallSteps: 500 });
  const echo = (host: DeviceHost) => new (class extends FakeDevice {
    override handleDatagram(now: number, data: Uint8Array, len: number, address: string, port: number): void {
      this.host.send(data, len, address, port);
    }
  })(host);
  const a = sim.addNode({ name: 'a', ...A, factory: echo });
  sim.addNode({ name: 'b', ...B, factory: echo });
  sim.at(50, () => sim.network.send(a, new Uint8Array([1]), 1, B.address, B.port));
  throwsWhere(() => sim.runUntil(1000), (e: unknown) => e instanceof LivelockError && /without the clock advancing past 50 ms/.test(e.message));

  const busy = twoNodes(7, { latency: 1 }, { period: 1 }, {});
  throwsWhere(() => busy.sim.driveBounded(10_000, { maxSteps: 1000 }), (e: unknown) => e instanceof LivelockError && /step limit/.test(e.message));
  busy.sim.driveBounded(busy.sim.now + 10, { maxSteps: 1000 }); // bounds are per call: a short drive still works
});

simCase('invariants are checked after every step', () => {
  const { sim, b } = twoNodes(8, { latency: 10 }, { period: 100 });
  let checks = 0;
  sim.invariant('b receives at most 5', () => {
    checks++;
    return b.device.received.length <= 5 || `b received ${b.device.received.length}`;
  });
  throwsWhere(() => sim.runUntil(10_000), (e: unknown) => e instanceof InvariantError && /b received 6/.test(e.message) && /at t=510 ms/.test(e.message));
  ok(checks > 10);
});

simCase('an exception inside a Device is reported with the time and the recent trace', () => {
  const sim = new Simulation({ seed: 9 });
  const n = sim.addNode({
    name: 'n', ...A, factory: (h) => new (class extends FakeDevice {
      override handleDatagram(): void {
        throw new RangeError('offset out of bounds');
      }
    })(h),
  });
  sim.at(5, () => sim.inject('1.2.3.4', 5, new Uint8Array(3), n.address, n.port));
  throwsWhere(() => sim.runUntil(100), (e: unknown) =>
    e instanceof SimulationError && /threw at t=15 ms: offset out of bounds/.test(e.message) && /arrive\s+n/.test(e.message));
});
