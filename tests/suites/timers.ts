/**
 * WireGuard's timer rules (whitepaper §6) checked against the real Device in
 * the simulator, with time jumped. A host-agnostic suite: tests/timers.test.ts
 * runs it on Node and tests/xs.test.ts on the XS engine.
 *
 * Two peers, 50 ms one way: "gateway" is the initiator (it has an Endpoint),
 * "home" the responder (it has none). homeward's extensions are OFF on both,
 * because these cases pin down plain WireGuard behaviour (with them on, a
 * restart is repaired by a NAK in about one RTT, not by the 15-s rule).
 *
 * Everything is asserted through the public surface only: the datagrams on
 * the wire (byte 0 is the type; 148/92/64/32+ bytes), DeviceEvents, delivered
 * payloads and status(). The constants are written out here from the whitepaper,
 * not imported from the core, so a wrong constant in the core fails a case.
 * Keys come from the core's own X25519 (noble's ed25519 module does not load
 * on XS); the crypto suite checks that function against RFC 7748.
 */
import { publicKey } from '../../modules/crypto/x25519';
import { GATEWAY_LIMITS, NODE_LIMITS, type DeviceConfig, type DeviceLimits } from '../../modules/config';
import { Device } from '../../modules/device';
import type { DeviceStatus } from '../../modules/status';
import {
  buildPair, cidr, deviceFactory, formatTrace, makeKeyPair, PAIR, peerConfig, Simulation,
  type Pair, type SimNode, type TraceEvent,
} from '../../hosts/sim/index';
import { type Case, deepEqual, diagnostic, equal, hex, notEqual, ok } from '../harness/suite';

export const cases: Case[] = [];

// ---------------------------------------------------------------- whitepaper §6 constants

const REKEY_AFTER_TIME = 120_000;
const REJECT_AFTER_TIME = 180_000;
const REKEY_ATTEMPT_TIME = 90_000;
const REKEY_TIMEOUT = 5_000;
/** REKEY_TIMEOUT's jitter is 0–333 ms. */
const JITTER_MAX = 333;
const KEEPALIVE_TIMEOUT = 10_000;
const INITIATION = 1, RESPONSE = 2, COOKIE_REPLY = 3, TRANSPORT = 4;
const INITIATION_SIZE = 148, RESPONSE_SIZE = 92, COOKIE_REPLY_SIZE = 64, KEEPALIVE_SIZE = 32;
/** mac2 is the last 16 bytes of an initiation. */
const INIT_MAC2 = 132;

const LATENCY = 50;
const RTT = 2 * LATENCY;

// ---------------------------------------------------------------- the world

interface World extends Pair<Device> {
  sim: Simulation;
  gw: SimNode<Device>;
}

interface WorldOptions {
  seed?: number;
  gatewayKeepalive?: number;
  homeLimits?: DeviceLimits;
  homeExtraPeers?: DeviceConfig['peers'];
}

let current: Simulation | null = null;

function world(o: WorldOptions = {}): World {
  const sim = new Simulation({ seed: o.seed ?? 1, link: { latency: LATENCY }, keepTrace: true });
  current = sim;
  const pair = buildPair<Device>(sim, {
    makeDevice: (config, host) => new Device(config, host),
    publicKey,
    gatewayLimits: GATEWAY_LIMITS,
    homeLimits: o.homeLimits ?? NODE_LIMITS,
    gatewayKeepalive: o.gatewayKeepalive,
    homeExtraPeers: o.homeExtraPeers,
    extensions: false,
  });
  return { sim, gw: pair.gateway, ...pair };
}

/** A case; when it fails, the tail of the wire log is appended, which is usually all one needs. */
function scenario(name: string, body: () => void): void {
  cases.push([name, () => {
    current = null;
    try {
      body();
    } catch (e) {
      if (current !== null && e instanceof Error && !e.message.includes('--- wire log')) e.message += `\n${wireLog(current)}`;
      throw e;
    }
  }]);
}

function wireLog(sim: Simulation, lines = 60): string {
  const keep = new Set(['send', 'drop', 'event', 'udp', 'kill', 'restart', 'move', 'partition', 'heal']);
  const tail = sim.trace.filter((e) => keep.has(e.kind)).slice(-lines).map(formatTrace);
  return `--- wire log (last ${tail.length} lines, t=${sim.now} ms) ---\n${tail.join('\n')}`;
}

/** Datagrams a node sent, optionally of one type and in [since, until]. */
function sent(sim: Simulation, node: string, type?: number, since?: number, until?: number): TraceEvent[] {
  return sim.sent({ node, type, since, until });
}
const times = (es: { time: number }[]): number[] => es.map((e) => e.time);
const gaps = (ts: number[]): number[] => ts.slice(1).map((t, i) => t - ts[i]);

/** Telemetry payload: "TLM" + u32 sequence number. */
function payload(seq: number): Uint8Array {
  const p = new Uint8Array(7);
  p.set([0x54, 0x4c, 0x4d]);
  new DataView(p.buffer).setUint32(3, seq);
  return p;
}
const seqOf = (p: Uint8Array): number => (p.length === 7 && p[0] === 0x54 ? new DataView(p.buffer, p.byteOffset).getUint32(3) : -1);

/** The gateway sends telemetry seq 0, 1, ... through the tunnel every `period` ms in [start, until]. Returns seq → send time. */
function telemetry(w: World, start: number, until: number, period = 1000): Map<number, number> {
  const sentAt = new Map<number, number>();
  let seq = 0;
  w.sim.every(period, (now) => {
    sentAt.set(seq, now);
    const r = w.gw.sendUdp(PAIR.telemetryPort, PAIR.homeTunnelIp, PAIR.telemetryPort, payload(seq++));
    ok(r === 0 || r === 2, `sendUdp returned ${r} at t=${now} (expected SEND_OK 0 or SEND_STAGED 2)`);
  }, { start, until, label: 'telemetry' });
  return sentAt;
}

const delivered = (n: SimNode<Device>, since = -Infinity): number[] =>
  n.deliveries.filter((d) => d.time >= since).map((d) => seqOf(d.payload));

function dropTotal(s: DeviceStatus): number {
  return Object.values(s.drops).reduce((a, b) => a + b, 0);
}
function dropDiff(before: DeviceStatus, after: DeviceStatus): Record<string, number> {
  const d: Record<string, number> = {};
  for (const [k, v] of Object.entries(after.drops)) if (v !== (before.drops[k] ?? 0)) d[k] = v - (before.drops[k] ?? 0);
  return d;
}

/** Establishes the session: the gateway connects at `at`; returns when both sides completed the handshake. */
function establish(w: World, at = 1000): number {
  w.sim.at(at, () => w.gw.connect(0), 'connect');
  const done = w.sim.waitFor(() => w.gw.eventsNamed('handshake-complete').length > 0 && w.home.eventsNamed('handshake-complete').length > 0, at + 2000);
  notEqual(done, null, 'the first handshake did not complete within 2 s');
  return w.gw.eventsNamed('handshake-complete')[0].time;
}

// ---------------------------------------------------------------- §6.2 first packet, staging

scenario('the first data packet starts a handshake and the staged packets follow it, none lost', () => {
  const w = world();
  w.sim.at(1000, () => {
    for (let i = 0; i < 3; i++) {
      const r = w.gw.sendUdp(PAIR.telemetryPort, PAIR.homeTunnelIp, PAIR.telemetryPort, payload(i));
      equal(r, 2, `packet ${i} before any session: expected SEND_STAGED (2), got ${r}`);
    }
  });
  w.sim.runUntil(5000);
  const inits = sent(w.sim, 'gateway', INITIATION);
  deepEqual(times(inits), [1000], 'exactly one initiation, sent at once');
  equal(inits[0].size, INITIATION_SIZE);
  const resp = sent(w.sim, 'home', RESPONSE);
  deepEqual(times(resp), [1000 + LATENCY], 'one response, sent on arrival');
  equal(resp[0].size, RESPONSE_SIZE);
  deepEqual(delivered(w.home), [0, 1, 2], 'staged packets delivered in order');
  ok(w.home.deliveries.every((d) => d.time <= 1000 + RTT + LATENCY), 'staged packets go out as soon as the response arrives');
  equal(w.gw.eventsNamed('handshake-complete').length, 1);
  equal(w.home.eventsNamed('handshake-complete').length, 1);
  equal(w.gw.status().peers[0].state, 'established');
  notEqual(w.home.status().peers[0].lastHandshakeAgoMs, null);
  equal(w.home.status().peers[0].endpoint, `${PAIR.gatewayAddress}:${PAIR.gatewayPort}`, 'home learned the endpoint');
});

// ---------------------------------------------------------------- §6.2 rekey

scenario('REKEY_AFTER_TIME: the initiator rekeys on send after 120 s; telemetry flows across it with nothing lost', () => {
  const w = world();
  const sentAt = telemetry(w, 1000, 150_000);
  w.sim.runUntil(152_000);
  const hs = w.gw.eventsNamed('handshake-complete');
  equal(hs.length, 2, `handshakes completed at ${times(hs)}`);
  const inits = times(sent(w.sim, 'gateway', INITIATION));
  equal(inits.length, 2, `gateway initiations at ${inits}`);
  const age = inits[1] - hs[0].time;
  ok(age >= REKEY_AFTER_TIME && age <= REKEY_AFTER_TIME + 1000, `rekey ${age} ms after the first handshake (want 120 s, on the next send)`);
  equal(sent(w.sim, 'home', INITIATION).length, 0, 'only the initiator rekeys on time');
  deepEqual(delivered(w.home), [...sentAt.keys()], 'every telemetry packet delivered once, in order');
  // The new session uses a new receiver index.
  const data = sent(w.sim, 'gateway', TRANSPORT).filter((e) => e.size! > KEEPALIVE_SIZE);
  const index = (e: TraceEvent): string => hex(e.data!.subarray(4, 8));
  notEqual(index(data[0]), index(data[data.length - 1]), 'the rekeyed session still sends to the old receiver index');
});

// ---------------------------------------------------------------- §6.2 reject

scenario('REJECT_AFTER_TIME: with no new handshake possible, nothing is sent or accepted on a key older than 180 s', () => {
  const w = world();
  telemetry(w, 1000, 300_000);
  w.sim.at(100_000, () => w.sim.network.partition(PAIR.gatewayAddress, PAIR.homeAddress), 'partition');
  w.sim.runUntil(199_000);
  const created = w.gw.eventsNamed('handshake-complete')[0].time;
  const expiry = created + REJECT_AFTER_TIME;
  const data = times(sent(w.sim, 'gateway', TRANSPORT));
  ok(data.some((t) => t >= expiry - 10_000 && t < expiry), 'the old key should still be used up to 180 s');
  const late = data.filter((t) => t >= expiry);
  deepEqual(late, [], `transport sent on a key older than 180 s (created ${created})`);
  ok(sent(w.sim, 'gateway', INITIATION, created + REKEY_AFTER_TIME).length > 0, 'the gateway should be trying to rekey');

  // A packet sealed with the old key before expiry but never delivered (the partition ate it) is refused after 180 s.
  const sealed = sent(w.sim, 'gateway', TRANSPORT, expiry - 5000, expiry).find((e) => e.size! > KEEPALIVE_SIZE)!;
  const before = w.home.status();
  const n = w.home.deliveries.length;
  w.sim.at(200_000, () => w.sim.inject('192.0.2.99', 9999, sealed.data!, PAIR.homeAddress, PAIR.homePort));
  w.sim.runUntil(300_000);
  equal(w.home.deliveries.length, n, 'a packet on an expired key was delivered');
  equal(dropTotal(w.home.status()) - dropTotal(before), 1, `drops: ${JSON.stringify(dropDiff(before, w.home.status()))}`);
  equal(w.home.status().peers[0].endpoint, `${PAIR.gatewayAddress}:${PAIR.gatewayPort}`, 'an expired packet moved the endpoint');
  deepEqual(times(sent(w.sim, 'gateway', TRANSPORT, expiry)), [], 'transport sent on an expired key');
  deepEqual(times(sent(w.sim, 'home', TRANSPORT, w.home.eventsNamed('handshake-complete')[0].time + REJECT_AFTER_TIME)), [],
    'home sent transport on a key older than 180 s');
});

// ---------------------------------------------------------------- §6.4 retransmit, give up

scenario('REKEY_TIMEOUT: an unanswered initiation is retried every 5 s (+0–333 ms) and abandoned after REKEY_ATTEMPT_TIME', () => {
  const w = world();
  w.sim.network.partition(PAIR.gatewayAddress, PAIR.homeAddress);
  w.sim.at(1000, () => w.gw.sendUdp(PAIR.telemetryPort, PAIR.homeTunnelIp, PAIR.telemetryPort, payload(0)));
  w.sim.runUntil(200_000);
  const inits = times(sent(w.sim, 'gateway', INITIATION));
  equal(inits[0], 1000);
  for (const g of gaps(inits)) ok(g >= REKEY_TIMEOUT && g <= REKEY_TIMEOUT + JITTER_MAX, `retry gap ${g} ms (want 5000–5333): ${inits}`);
  ok(new Set(gaps(inits)).size > 1, 'the retry jitter never varied');
  // wireguard-go/Linux: the first initiation plus MAX_TIMER_HANDSHAKES + 1 = 19 retries = 20 in all;
  // REKEY_ATTEMPT_TIME / REKEY_TIMEOUT alone would suggest 18–19.
  ok(inits.length >= 18 && inits.length <= 20, `${inits.length} initiations before giving up`);
  const failed = w.gw.eventsNamed('handshake-failed');
  diagnostic(`${inits.length} initiations from ${inits[0]} to ${inits[inits.length - 1]} ms; gave up at ${failed[0]?.time}`);
  equal(failed.length, 1, 'one handshake-failed event');
  ok(failed[0].time - 1000 >= REKEY_ATTEMPT_TIME, `gave up after ${failed[0].time - 1000} ms (< REKEY_ATTEMPT_TIME)`);
  ok(failed[0].time - inits[inits.length - 1] <= REKEY_TIMEOUT + JITTER_MAX, 'gave up long after the last try');
  equal(sent(w.sim, 'gateway', INITIATION, failed[0].time + 1).length, 0, 'initiations after giving up');

  // The packet staged behind the failed handshake is gone; new data starts afresh.
  w.sim.network.heal(PAIR.gatewayAddress, PAIR.homeAddress);
  w.sim.at(201_000, () => w.gw.sendUdp(PAIR.telemetryPort, PAIR.homeTunnelIp, PAIR.telemetryPort, payload(1)));
  w.sim.runUntil(205_000);
  deepEqual(delivered(w.home), [1], 'after giving up, staged packets are dropped (wireguard-go FlushStagedPackets)');
});

// ---------------------------------------------------------------- §6.5 passive keepalive

scenario('passive keepalive: 10 s after receiving data with nothing sent back, a 32-byte keepalive goes out', () => {
  const w = world();
  establish(w);
  w.sim.at(5000, () => w.gw.sendUdp(PAIR.telemetryPort, PAIR.homeTunnelIp, PAIR.telemetryPort, payload(0)));
  w.sim.runUntil(29_000);
  const ka = sent(w.sim, 'home', TRANSPORT);
  deepEqual(times(ka), [5000 + LATENCY + KEEPALIVE_TIMEOUT], 'one keepalive, KEEPALIVE_TIMEOUT after the data arrived');
  equal(ka[0].size, KEEPALIVE_SIZE);

  // Replying with data within 10 s cancels it; the gateway then owes one.
  w.sim.at(30_000, () => w.gw.sendUdp(PAIR.telemetryPort, PAIR.homeTunnelIp, PAIR.telemetryPort, payload(1)));
  w.sim.at(31_000, () => w.home.sendUdp(PAIR.telemetryPort, PAIR.gatewayTunnelIp, PAIR.telemetryPort, payload(100)));
  w.sim.runUntil(70_000);
  deepEqual(sent(w.sim, 'home', TRANSPORT, 30_000).map((e) => e.size! > KEEPALIVE_SIZE), [true], 'home sent only its data');
  const gwKa = sent(w.sim, 'gateway', TRANSPORT, 31_000).filter((e) => e.size === KEEPALIVE_SIZE);
  deepEqual(times(gwKa), [31_000 + LATENCY + KEEPALIVE_TIMEOUT], 'the gateway keepalive after home\'s data');
  equal(sent(w.sim, 'gateway', INITIATION).length, 1, 'no new handshake');
});

// ---------------------------------------------------------------- §6.5 the 10+5 s rule

scenario('10+5 s: data sent with no authenticated reply for 15 s starts a new handshake', () => {
  const w = world();
  establish(w);
  w.sim.at(2000, () => w.sim.network.partition(PAIR.gatewayAddress, PAIR.homeAddress));
  w.sim.at(3000, () => w.gw.sendUdp(PAIR.telemetryPort, PAIR.homeTunnelIp, PAIR.telemetryPort, payload(0)));
  w.sim.runUntil(40_000);
  const inits = times(sent(w.sim, 'gateway', INITIATION, 2000));
  ok(inits.length > 0, 'no new handshake after 15 s of silence');
  const after = inits[0] - 3000;
  ok(after >= KEEPALIVE_TIMEOUT + REKEY_TIMEOUT && after <= KEEPALIVE_TIMEOUT + REKEY_TIMEOUT + JITTER_MAX,
    `new handshake ${after} ms after the data (want 15000–15333)`);
});

scenario('10+5 s: keepalives alone do not arm the new-handshake rule', () => {
  const w = world({ gatewayKeepalive: 5 });
  const hs = establish(w);
  w.sim.at(2000, () => w.sim.network.partition(PAIR.gatewayAddress, PAIR.homeAddress));
  w.sim.runUntil(hs + REKEY_AFTER_TIME - 5000);
  const ka = sent(w.sim, 'gateway', TRANSPORT, 2000);
  ok(ka.length >= 20 && ka.every((e) => e.size === KEEPALIVE_SIZE), `${ka.length} keepalives, sizes ${ka.map((e) => e.size)}`);
  deepEqual(times(sent(w.sim, 'gateway', INITIATION, 2000)), [], 'keepalives armed a new handshake');
});

scenario('10+5 s: after a responder restart while the gateway sends, the tunnel recovers within 15.3 s + RTT', () => {
  const w = world();
  const period = 1000;
  telemetry(w, 1000, 100_000, period);
  // Worst case: restart just after a keepalive from home reached the gateway, so the next data arms the timer.
  w.sim.runUntil(20_000);
  const kaAt = w.sim.waitFor(() => sent(w.sim, 'home', TRANSPORT, 20_000).length > 0, 40_000);
  notEqual(kaAt, null, 'home sent no passive keepalive while receiving telemetry');
  const restartAt = kaAt! + LATENCY + 10;
  w.sim.at(restartAt, () => w.home.restart(), 'restart home');
  w.sim.runUntil(100_000);

  const tLost = sent(w.sim, 'gateway', TRANSPORT, restartAt).find((e) => e.size! > KEEPALIVE_SIZE)!.time;
  const hs = w.gw.eventsNamed('handshake-complete', restartAt);
  ok(hs.length > 0, 'the gateway never completed a new handshake after the restart');
  const outage = hs[0].time - tLost;
  const bound = KEEPALIVE_TIMEOUT + REKEY_TIMEOUT + JITTER_MAX + RTT;
  diagnostic(`restart at ${restartAt} ms; first lost packet ${tLost}; new session at ${hs[0].time}: ${outage} ms (bound ${bound})`);
  ok(outage <= bound, `recovery took ${outage} ms after the first lost packet (bound ${bound})`);
  const firstNew = w.home.deliveries.find((d) => d.generation === 2);
  ok(firstNew && firstNew.time - tLost <= bound + period + LATENCY, `first delivery after restart at ${firstNew?.time}`);
  deepEqual(sent(w.sim, 'home', undefined, restartAt).filter((e) => e.type !== RESPONSE && e.time < hs[0].time).map((e) => e.type), [],
    'the restarted home answered old-session packets (WireGuard drops them silently)');
  ok(dropTotal(w.home.status()) > 0, 'the restarted home did not count the old-index packets as drops');
  const got = new Set(delivered(w.home, firstNew!.time));
  const lastSeq = Math.max(...got);
  for (let s = seqOf(firstNew!.payload); s <= lastSeq; s++) ok(got.has(s), `seq ${s} lost after recovery`);
});

// ---------------------------------------------------------------- persistent keepalive

scenario('persistent keepalive: every N s when configured', () => {
  const w = world({ gatewayKeepalive: 25 });
  const hs = establish(w);
  w.sim.runUntil(hs + REKEY_AFTER_TIME - 5000);
  const ka = sent(w.sim, 'gateway', TRANSPORT, hs + 1);
  ok(ka.every((e) => e.size === KEEPALIVE_SIZE), 'only keepalives expected');
  equal(ka[0].time, hs + 25_000, 'first persistent keepalive 25 s after the handshake');
  ok(ka.length >= 4, `${ka.length} persistent keepalives in ${REKEY_AFTER_TIME - 5000} ms`);
  for (const g of gaps(times(ka))) equal(g, 25_000, `keepalive interval ${g} ms`);
  equal(sent(w.sim, 'home', TRANSPORT).length, 0, 'keepalives are not data: home owes no passive keepalive');
});

scenario('persistent keepalive: none when 0', () => {
  const w = world({ gatewayKeepalive: 0 });
  const hs = establish(w);
  w.sim.runUntil(hs + REKEY_AFTER_TIME - 5000);
  // The one transport packet is the initiator's confirmation keepalive right after the response.
  deepEqual(times(sent(w.sim, 'gateway', TRANSPORT)), [hs], 'transport besides the confirmation keepalive');
  equal(sent(w.sim, 'home', TRANSPORT).length, 0);
});

// ---------------------------------------------------------------- §6.3 key zeroing

scenario('key zeroing: after 3×REJECT_AFTER_TIME without a new handshake, all key material is erased', () => {
  const w = world();
  const hs = establish(w);
  const homeHs = w.home.eventsNamed('handshake-complete')[0].time;
  w.sim.runUntil(hs + 3 * REJECT_AFTER_TIME - 1000);
  equal(w.gw.eventsNamed('keys-zeroed').length, 0, 'keys zeroed early');
  w.sim.runUntil(hs + 3 * REJECT_AFTER_TIME + 2000);
  const z = w.gw.eventsNamed('keys-zeroed');
  equal(z.length, 1, 'gateway: one keys-zeroed event');
  ok(z[0].time - hs >= 3 * REJECT_AFTER_TIME && z[0].time - hs <= 3 * REJECT_AFTER_TIME + 200, `gateway zeroed ${z[0].time - hs} ms after the session`);
  const hz = w.home.eventsNamed('keys-zeroed');
  equal(hz.length, 1, 'home: one keys-zeroed event');
  // home derived its keys one way-trip before the gateway, when the initiation arrived.
  ok(hz[0].time <= homeHs + 3 * REJECT_AFTER_TIME, `home zeroed at ${hz[0].time}`);
  for (const n of [w.gw, w.home]) notEqual(n.status().peers[0].state, 'established', `${n.name} still reports a session`);
  // With no keys, data must start a handshake rather than go out on any old key.
  const t0 = w.sim.now;
  w.sim.at(t0 + 1000, () => w.gw.sendUdp(PAIR.telemetryPort, PAIR.homeTunnelIp, PAIR.telemetryPort, payload(7)));
  w.sim.runUntil(t0 + 5000);
  equal(sent(w.sim, 'gateway', undefined, t0)[0]?.type, INITIATION);
  deepEqual(delivered(w.home), [7]);
});

// ---------------------------------------------------------------- initiation rate limit

scenario('at most one initiation per 5 s per peer, however often connect() or data asks', () => {
  for (const how of ['connect', 'data'] as const) {
    const w = world({ seed: how === 'connect' ? 1 : 2 });
    w.sim.network.partition(PAIR.gatewayAddress, PAIR.homeAddress);
    w.sim.every(100, () => {
      if (how === 'connect') w.gw.connect(0);
      else w.gw.sendUdp(PAIR.telemetryPort, PAIR.homeTunnelIp, PAIR.telemetryPort, payload(0));
    }, { start: 1000, until: 31_000 });
    w.sim.runUntil(31_000);
    const inits = times(sent(w.sim, 'gateway', INITIATION));
    ok(inits.length >= 5 && inits.length <= 7, `${how}: ${inits.length} initiations in 30 s: ${inits}`);
    for (const g of gaps(inits)) ok(g >= REKEY_TIMEOUT, `${how}: initiations ${g} ms apart: ${inits}`);
  }
  // And with a reachable peer: handshakes complete, but still no more than one per 5 s.
  const w = world({ seed: 3 });
  w.sim.every(100, () => w.gw.connect(0), { start: 1000, until: 31_000 });
  w.sim.runUntil(31_000);
  const inits = times(sent(w.sim, 'gateway', INITIATION));
  for (const g of gaps(inits)) ok(g >= REKEY_TIMEOUT, `reachable: initiations ${g} ms apart: ${inits}`);
});

// ---------------------------------------------------------------- cookies

scenario('under load the responder answers with a 64-byte cookie reply; the retry carries mac2 and completes', () => {
  const w = world({ homeLimits: { ...NODE_LIMITS, underLoadHandshakesPerSecond: 0 } });
  w.sim.at(1000, () => w.gw.sendUdp(PAIR.telemetryPort, PAIR.homeTunnelIp, PAIR.telemetryPort, payload(0)));
  w.sim.runUntil(20_000);
  const fromHome = sent(w.sim, 'home');
  equal(fromHome[0]?.type, COOKIE_REPLY, 'home\'s first answer should be a cookie reply');
  equal(fromHome[0].size, COOKIE_REPLY_SIZE);
  ok(w.home.eventsNamed('cookie-sent').length >= 1, 'no cookie-sent event');
  ok(w.gw.eventsNamed('cookie-received').length >= 1, 'no cookie-received event');
  const inits = sent(w.sim, 'gateway', INITIATION);
  const mac2 = (e: TraceEvent): boolean => e.data!.subarray(INIT_MAC2, INITIATION_SIZE).some((b) => b !== 0);
  equal(mac2(inits[0]), false, 'the first initiation should have an all-zero mac2');
  ok(inits.length >= 2 && mac2(inits[1]), 'the retry should carry mac2');
  const resp = sent(w.sim, 'home', RESPONSE);
  equal(resp.length, 1);
  equal(resp[0].time, inits[1].time + LATENCY, 'the retry with mac2 was answered');
  equal(w.gw.eventsNamed('handshake-complete').length, 1);
  deepEqual(delivered(w.home), [0], 'the staged packet survived the cookie round');
});

// ---------------------------------------------------------------- roaming

scenario('roaming: the endpoint follows the last authenticated source, not forged or replayed packets', () => {
  const w = world();
  telemetry(w, 1000, 60_000);
  const NEW = '203.0.113.7:40000';
  w.sim.at(20_500, () => w.gw.moveTo('203.0.113.7', 40000), 'gateway roams');
  w.sim.runUntil(29_000);
  const moved = w.home.eventsNamed('endpoint-changed');
  equal(moved.length, 1, 'one endpoint-changed event');
  equal(moved[0].time, 21_000 + LATENCY, 'the endpoint moves with the first packet from the new address');
  equal(w.home.status().peers[0].endpoint, NEW);
  const ka = sent(w.sim, 'home', TRANSPORT, 21_000 + LATENCY);
  ok(ka.length > 0 && ka.every((e) => e.to === NEW), 'home\'s packets go to the new address');

  const evil = '198.18.0.66';
  const genuine = sent(w.sim, 'gateway', TRANSPORT, 22_000, 24_000).find((e) => e.size! > KEEPALIVE_SIZE)!;
  const forged = genuine.data!.slice();
  // A counter ahead of anything sent (inside the window, below REJECT_AFTER_MESSAGES), so only the tag can refuse it.
  new DataView(forged.buffer).setUint32(8, new DataView(forged.buffer).getUint32(8, true) + 10_000, true);
  forged[forged.length - 1] ^= 1;
  const oldInit = sent(w.sim, 'gateway', INITIATION)[0];
  const attacks: [string, Uint8Array][] = [['replayed transport', genuine.data!], ['forged transport', forged], ['replayed initiation', oldInit.data!]];
  let at = 30_000;
  for (const [what, bytes] of attacks) {
    const before = w.home.status();
    w.sim.at(at, () => w.sim.inject(evil, 666, bytes, PAIR.homeAddress, PAIR.homePort, 'attacker'));
    w.sim.runUntil(at + 500);
    equal(w.home.status().peers[0].endpoint, NEW, `a ${what} from ${evil} moved the endpoint`);
    equal(dropTotal(w.home.status()) - dropTotal(before), 1, `${what}: drops ${JSON.stringify(dropDiff(before, w.home.status()))}`);
    at += 1000;
  }
  w.sim.runUntil(61_000);
  equal(w.home.eventsNamed('endpoint-changed').length, 1);
  equal(sent(w.sim, 'home').filter((e) => e.to?.startsWith(evil)).length, 0, 'home answered the attacker');
  equal(new Set(delivered(w.home)).size, w.home.deliveries.length, 'a payload was delivered twice');
  equal(w.home.deliveries.length, 60, 'telemetry lost across the move');
});

// ---------------------------------------------------------------- full peer table

scenario('a full peer table: handshakes from unknown keys are dropped and the table does not grow', () => {
  const other = makeKeyPair(new Simulation({ seed: 99 }).rng, publicKey);
  const w = world({
    homeLimits: { ...NODE_LIMITS, maxPeers: 2 },
    homeExtraPeers: [peerConfig(other.publicKey, null, null, '10.100.0.3/32', 0, false)],
  });
  const stranger = makeKeyPair(w.sim.rng, publicKey);
  const strangerConfig: DeviceConfig = {
    interface: { privateKey: stranger.privateKey, listenPort: 51820, address: cidr('10.100.0.4/32') },
    peers: [peerConfig(w.homeKeys.publicKey, null, { address: PAIR.homeAddress, port: PAIR.homePort }, `${PAIR.homeTunnelIp}/32`, 0, false)],
    limits: GATEWAY_LIMITS,
  };
  const s = w.sim.addNode({ name: 'stranger', address: '192.0.2.77', port: 51820, factory: deviceFactory('stranger', strangerConfig, (c, h) => new Device(c, h)) });
  w.sim.invariant('home peer table stays at 2', () => w.home.status().peers.length === 2 || `${w.home.status().peers.length} peers`);
  w.sim.every(1000, () => s.sendUdp(PAIR.telemetryPort, PAIR.homeTunnelIp, PAIR.telemetryPort, payload(0)), { start: 1000, until: 30_000 });
  const before = dropTotal(w.home.status());
  w.sim.at(1500, () => w.gw.connect(0));
  w.sim.runUntil(31_000);
  // Only initiations that have arrived by now can have been counted.
  const tries = sent(w.sim, 'stranger', INITIATION, 0, w.sim.now - LATENCY).length;
  ok(tries >= 5, `the stranger sent only ${tries} initiations`);
  equal(sent(w.sim, 'home').filter((e) => e.to?.startsWith('192.0.2.77')).length, 0, 'home answered an unknown key');
  equal(dropTotal(w.home.status()) - before, tries, 'each initiation from an unknown key should be one drop');
  equal(s.eventsNamed('handshake-complete').length, 0);
  equal(w.gw.eventsNamed('handshake-complete').length, 1, 'a configured peer still gets through');
});

// ---------------------------------------------------------------- replays

scenario('replayed transport packets and replayed initiations are dropped and counted', () => {
  const w = world();
  telemetry(w, 1000, 20_000);
  w.sim.runUntil(10_000);
  const pkt = sent(w.sim, 'gateway', TRANSPORT, 4000, 6000).find((e) => e.size! > KEEPALIVE_SIZE)!;
  const init = sent(w.sim, 'gateway', INITIATION)[0];
  const replay = (what: string, data: Uint8Array, at: number, reason: RegExp): void => {
    const before = w.home.status();
    w.sim.at(at, () => w.sim.inject(PAIR.gatewayAddress, PAIR.gatewayPort, data, PAIR.homeAddress, PAIR.homePort, 'replayer'));
    w.sim.runUntil(at + 400);
    const diff = dropDiff(before, w.home.status());
    equal(dropTotal(w.home.status()) - dropTotal(before), 1, `${what}: drops ${JSON.stringify(diff)}`);
    ok(Object.keys(diff).some((k) => reason.test(k)), `${what}: counted as ${JSON.stringify(diff)}`);
  };
  replay('replayed transport', pkt.data!, 10_500, /replay/i);
  equal(w.home.deliveries.length, new Set(delivered(w.home)).size, 'a replayed payload was delivered again');
  replay('replayed initiation', init.data!, 12_500, /replay/i);
  equal(sent(w.sim, 'home', RESPONSE, 12_500).length, 0, 'home answered a replayed initiation');
  w.sim.runUntil(22_000);
  equal(w.gw.eventsNamed('handshake-complete').length, 1, 'the replay disturbed the session');
  deepEqual(delivered(w.home), Array.from({ length: 20 }, (_, i) => i));
});

// ---------------------------------------------------------------- garbage

scenario('random garbage never throws and every datagram is counted as a drop', () => {
  const w = world();
  telemetry(w, 1000, 20_000);
  w.sim.runUntil(4000);
  const rng = w.sim.rng.fork();
  const sample = sent(w.sim, 'gateway', TRANSPORT)[0].data!;
  const sizes: Record<number, number> = { 1: 148, 2: 92, 3: 64, 5: 16, 6: 148 };
  const garbage = (i: number): Uint8Array => {
    switch (i % 4) {
      case 0: return rng.bytes(rng.int(200)); // anything at all, empty included
      case 1: { // a valid header and exact size, random body: exercises mac1 and the AEAD
        const type = [1, 2, 3, 5, 6][rng.int(5)];
        const b = rng.bytes(sizes[type]);
        b.set([type, 0, 0, 0]);
        return b;
      }
      case 2: { // transport to a live receiver index: only the tag can refuse it
        const b = rng.bytes(32 + rng.int(100));
        b.set(sample.subarray(0, 8));
        return b;
      }
      default: { // transport to a random index
        const b = rng.bytes(32 + rng.int(100));
        b.set([4, 0, 0, 0]);
        return b;
      }
    }
  };
  const N = 2000;
  const before = { home: w.home.status(), gw: w.gw.status() };
  for (let i = 0; i < N; i++) {
    const to = i % 2 ? w.home : w.gw;
    const b = garbage(i >> 1);
    w.sim.at(5000 + i * 2, () => w.sim.inject(`198.18.${i & 255}.${(i >> 8) & 255}`, 1024 + (i & 1023), b, to.address, to.port, 'fuzzer'));
  }
  w.sim.runUntil(22_000);
  for (const [name, n, b] of [['home', w.home, before.home], ['gateway', w.gw, before.gw]] as const) {
    const after = n.status();
    equal(dropTotal(after) - dropTotal(b), N / 2, `${name}: ${N / 2} garbage datagrams, drops ${JSON.stringify(dropDiff(b, after))}`);
    equal(after.peers.length, 1);
  }
  deepEqual(delivered(w.home), Array.from({ length: 20 }, (_, i) => i), 'garbage disturbed the telemetry');
  equal(sent(w.sim, 'home').filter((e) => e.to?.startsWith('198.18.')).length, 0, 'home answered garbage');
});
