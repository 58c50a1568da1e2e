/**
 * Amplification: for every kind of unauthenticated input, the bytes a device
 * sends because of it, over the bytes it received, must not exceed 1.0 — both
 * in all (`out`) and towards the input's (spoofable) source address
 * (`reflected`). Measured through the simulator: the input is injected from
 * an attacker's address into an otherwise quiet world, and the target node's
 * socket counters say what it sent. A control test checks that the worlds are
 * quiet, so every byte counted is the input's doing.
 *
 * The kinds: garbage, transport packets (unknown index → NAK; known index with
 * a bad tag), NAKs and PRODs (off-path guesses and ones that are valid),
 * initiations and responses (junk, valid mac1, valid from a configured peer,
 * replayed, under load → cookie reply) and cookie replies.
 *
 * Two on-path cases come last: a NAK replayed from an observed transport
 * header may start one handshake (and the resend of the ring towards the
 * peer) but no more, because only the current keypair can be NAKed; and the
 * same NAK in WAIT gets its PROD sent to the peer's endpoint, never to the
 * source the NAK claims.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import type { DeviceConfig } from '../modules/config';
import { Device } from '../modules/device';
import type { DeviceHost } from '../modules/host';
import { hash, mac } from '../modules/crypto/hash';
import { ascii } from '../modules/noise';
import { Recovery } from '../modules/recovery';
import { homewardPair, sendTelemetry } from '../hosts/sim/recovery';
import { PAIR, Simulation, type Pair, type Rng, type SimNode } from '../hosts/sim/index';

const ATTACKER = '203.0.113.66';
const ATTACKER_PORT = 40_000;

interface World {
  sim: Simulation;
  pair: Pair<Device>;
}

interface Measure {
  bytesIn: number;
  /** Every byte the target sent in the window, to anyone. */
  out: number;
  /** The bytes it sent to the attacker's address (any port). */
  reflected: number;
  datagramsOut: number;
}

/**
 * Injects `inputs` into `target`, `spacing` ms apart, from the attacker's
 * address (ports vary, as a spoofing flood's would), and runs `drain` ms more.
 */
function measure(w: World, target: SimNode<Device>, inputs: Uint8Array[], spacing = 1, drain = 2_000): Measure {
  const { sim } = w;
  const t0 = sim.now;
  const sentBefore = target.counters.bytesSent;
  const datagramsBefore = target.counters.datagramsSent;
  let bytesIn = 0;
  inputs.forEach((d, i) => {
    bytesIn += d.length;
    sim.at(t0 + i * spacing, () => sim.inject(ATTACKER, ATTACKER_PORT + (i % 64), d, target.address, target.port), 'attack');
  });
  sim.runUntil(t0 + inputs.length * spacing + drain);
  const reflected = sim.sent({ node: target.name, since: t0 })
    .filter((e) => (e.to ?? '').startsWith(`${ATTACKER}:`))
    .reduce((n, e) => n + (e.size ?? 0), 0);
  return {
    bytesIn,
    out: target.counters.bytesSent - sentBefore,
    reflected,
    datagramsOut: target.counters.datagramsSent - datagramsBefore,
  };
}

function assertAtMostOne(t: { diagnostic(s: string): void }, kind: string, m: Measure): void {
  t.diagnostic(`${kind}: in ${m.bytesIn} B, out ${m.out} B (${m.datagramsOut} datagrams), ratio ${(m.out / m.bytesIn).toFixed(3)}, to the source ${m.reflected} B`);
  assert.ok(m.bytesIn > 0, `${kind}: nothing was injected`);
  assert.ok(m.out <= m.bytesIn, `${kind}: amplification ${m.out}/${m.bytesIn} = ${(m.out / m.bytesIn).toFixed(2)}`);
  assert.ok(m.reflected <= m.bytesIn, `${kind}: reflection ${m.reflected}/${m.bytesIn}`);
}

/** A session from ~0.1 s, telemetry until 3 s, home's passive keepalives at ~10 s and ~20 s; then nothing is sent until REKEY_AFTER_TIME. */
function established(): World {
  const sim = new Simulation({ seed: 5, link: { latency: 50 }, keepTrace: true });
  const pair = homewardPair(sim, { extensions: true, pingInterval: 0 });
  sim.every(50, () => sendTelemetry(pair, new Uint8Array(8)), { start: 100, until: 3_000 });
  sim.runUntil(25_000);
  assert.equal(pair.gateway.status().peers[0].state, 'established');
  return { sim, pair };
}

/** No session; the link between the ends is cut and the gateway's first initiation has just gone out (its retry is 5 s away). */
function handshakeInFlight(): World & { senderIndex: Uint8Array } {
  const sim = new Simulation({ seed: 5, link: { latency: 50 }, keepTrace: true });
  const pair = homewardPair(sim, { extensions: true, pingInterval: 0 });
  sim.network.partition(PAIR.gatewayAddress, PAIR.homeAddress);
  sim.at(1_000, () => pair.gateway.connect(0), 'connect');
  sim.runUntil(1_010);
  const init = sim.sent({ node: 'gateway', type: 1 });
  assert.equal(init.length, 1);
  assert.equal(pair.gateway.status().peers[0].state, 'handshake');
  return { sim, pair, senderIndex: init[0].data!.slice(4, 8) };
}

function typed(rng: Rng, type: number, size: number): Uint8Array {
  const d = rng.bytes(size);
  d[0] = type;
  d[1] = d[2] = d[3] = 0;
  return d;
}

/** mac1 as a sender that knows the receiver's public key (anyone may) computes it. */
function withMac1(msg: Uint8Array, receiverPublic: Uint8Array): Uint8Array {
  const at = msg.length - 32;
  msg.set(mac(hash(ascii('mac1----'), receiverPublic), msg.subarray(0, at)), at);
  msg.fill(0, at + 16);
  return msg;
}

/**
 * Genuine initiations from a configured peer's keys (what an on-path attacker
 * could capture and send on ahead of the original from a spoofed source): one
 * fresh Device per initiation, its clock `step` ms further on, so each
 * TAI64N is newer than the last.
 */
function genuineInitiations(config: DeviceConfig, rng: Rng, count: number, start: number, step: number): Uint8Array[] {
  const out: Uint8Array[] = [];
  for (let i = 0; i < count; i++) {
    const host: DeviceHost = {
      send: (data, len) => { if (data[0] === 1) out.push(data.slice(0, len)); },
      deliverUdp: () => {},
      random: (b) => rng.fill(b),
      event: () => {},
    };
    const d = new Device(config, host);
    const now = start + i * step;
    d.setEndpoint(now, 0, ATTACKER, 1);
    d.connect(now, 0);
  }
  assert.equal(out.length, count);
  return out;
}

test('control: the worlds are quiet, so every byte measured is the input\'s doing', () => {
  for (const w of [established(), handshakeInFlight()]) {
    const before = w.pair.gateway.counters.bytesSent + w.pair.home.counters.bytesSent;
    // The longest window a measurement below uses on one world before the world is discarded.
    const m = measure(w, w.pair.gateway, [], 1, 3_500);
    assert.equal(m.out, 0, `the gateway sent ${m.out} B unprompted`);
    assert.equal(w.pair.gateway.counters.bytesSent + w.pair.home.counters.bytesSent, before, 'home sent unprompted');
  }
  // An established world stays quiet for a long time (until REKEY_AFTER_TIME on send).
  const a = established();
  const before = a.pair.gateway.counters.bytesSent + a.pair.home.counters.bytesSent;
  a.sim.runFor(60_000);
  assert.equal(a.pair.gateway.counters.bytesSent + a.pair.home.counters.bytesSent, before);
});

test('garbage of every length and type byte is answered with nothing', (t) => {
  for (const target of ['gateway', 'home'] as const) {
    const w = established();
    const rng = w.sim.rng.fork();
    const inputs: Uint8Array[] = [];
    for (let i = 0; i < 600; i++) {
      const d = rng.bytes(rng.int(300));
      if (d.length > 0) d[0] = i % 3 === 0 ? 7 + rng.int(249) : rng.int(7); // extension-like, or 0–6 with a wrong length or reserved bytes
      // Types 1–6 at their exact size with a random non-zero reserved byte: malformed too.
      if (i % 50 === 1) {
        const sizes = [148, 92, 64, 32, 16, 148];
        const k = i % 6;
        const m = rng.bytes(sizes[k]);
        m[0] = k + 1;
        m[1] = 1 + rng.int(255);
        inputs.push(m);
        continue;
      }
      inputs.push(d);
    }
    const m = measure(w, w.pair[target], inputs);
    assertAtMostOne(t, `garbage → ${target}`, m);
    assert.equal(m.out, 0, 'garbage drew an answer');
  }
});

test('transport packets: an unknown index draws a 16-byte NAK at most (rate-limited); a bad tag draws nothing', (t) => {
  const w = established();
  const rng = w.sim.rng.fork();
  const unknown: Uint8Array[] = [];
  for (let i = 0; i < 1_000; i++) {
    const d = typed(rng, 4, 32 + rng.int(1_421));
    d[4] = 0xee; // an index home never handed out (they are random; a collision would decrypt-fail anyway)
    unknown.push(d);
  }
  const m = measure(w, w.pair.home, unknown);
  assertAtMostOne(t, 'transport, unknown index → home', m);
  assert.ok(m.datagramsOut > 0, 'no NAK at all: the kind was not exercised');
  assert.ok(m.out * 2 <= m.bytesIn, 'a NAK is at most half of the smallest transport packet');

  // The smallest transport packets, at the per-source burst: still ≤ 0.5.
  const small = Array.from({ length: 200 }, () => { const d = typed(rng, 4, 32); d[4] = 0xee; return d; });
  assertAtMostOne(t, 'transport 32 B, unknown index → gateway', measure(w, w.pair.gateway, small));

  // The index of a live session (seen on the wire) with a forged counter and tag: decryption fails, nothing is sent.
  const real = w.sim.sent({ node: 'gateway', type: 4 }).find((e) => (e.size ?? 0) > 48)!.data!;
  const forged = Array.from({ length: 200 }, (_, i) => {
    const d = typed(rng, 4, 32 + (i % 100));
    d.set(real.subarray(4, 8), 4);
    return d;
  });
  const mk = measure(w, w.pair.home, forged);
  assertAtMostOne(t, 'transport, live index, bad tag → home', mk);
  assert.equal(mk.out, 0);
});

test('NAKs: off-path guesses and forgeries draw nothing; a valid one is never answered towards its source', (t) => {
  const w = established();
  const rng = w.sim.rng.fork();
  const guesses = Array.from({ length: 2_000 }, () => typed(rng, 5, 16));
  const m = measure(w, w.pair.gateway, guesses);
  assertAtMostOne(t, 'NAK, random index/counter → gateway', m);
  assert.equal(m.out, 0);
  assertAtMostOne(t, 'NAK, random → home', measure(w, w.pair.home, guesses));

  // A NAK echoing a header seen on the wire (on path), from a spoofed source, in a flood: the
  // handshake it starts goes to the stored endpoint, never to the source.
  const real = w.sim.sent({ node: 'gateway', type: 4 }).filter((e) => (e.size ?? 0) > 48).at(-1)!.data!;
  const nak = new Uint8Array(16);
  nak[0] = 5;
  nak.set(real.subarray(4, 16), 4);
  const flood = measure(w, w.pair.gateway, Array.from({ length: 5_000 }, () => nak), 1, 1_000);
  assertAtMostOne(t, 'NAK, valid (replayed header), flood of 5000 in 5 s → gateway', flood);
  assert.equal(flood.reflected, 0, 'a NAK was answered towards its source');
  assert.ok(w.pair.gateway.status().peers[0].naksReceived > 0, 'the NAK was not valid: the kind was not exercised');
});

test('PRODs: a wrong identifier draws nothing; a right one (public keys suffice) draws one initiation of the same size, at most every 5 s', (t) => {
  const w = established();
  const rng = w.sim.rng.fork();
  const wrong = Array.from({ length: 1_000 }, () => { const d = new Uint8Array(148); d[0] = 6; rng.fill(d.subarray(8, 24)); return d; });
  const mw = measure(w, w.pair.home, wrong);
  assertAtMostOne(t, 'PROD, random identifier → home', mw);
  assert.equal(mw.out, 0);

  // The identifier is a MAC of public keys: anyone who knows both can forge it.
  const id = Recovery.prodId(w.pair.gatewayKeys.publicKey, w.pair.homeKeys.publicKey);
  const prod = new Uint8Array(148);
  prod[0] = 6;
  prod.set(id, 8);
  // Home holds a key: ignored.
  const held = measure(w, w.pair.home, [prod]);
  assertAtMostOne(t, 'PROD, valid identifier, home holds a key', held);
  assert.equal(held.out, 0);
  // Home restarted (no key, nothing in flight): honoured, an initiation to the PROD's source.
  w.pair.home.restart();
  const one = measure(w, w.pair.home, [prod], 1, 1_000);
  assertAtMostOne(t, 'PROD, valid identifier, home restarted, one', one);
  assert.equal(one.reflected, 148, 'the honoured PROD did not draw exactly one initiation');
  const flood = measure(w, w.pair.home, Array.from({ length: 200 }, () => prod), 50, 1_000);
  assertAtMostOne(t, 'PROD, valid identifier, home restarted, 200 in 10 s', flood);
});

test('initiations: junk, valid mac1 from unknown keys, replays → nothing; genuine ones → a 92-byte response; under load → a 64-byte cookie reply', (t) => {
  const w = established();
  const rng = w.sim.rng.fork();
  const junk = Array.from({ length: 500 }, () => typed(rng, 1, 148));
  const mj = measure(w, w.pair.home, junk);
  assertAtMostOne(t, 'initiation, junk without mac1 → home', mj);
  assert.equal(mj.out, 0);
  // mac1 right (the responder's public key is all it takes), the rest junk: DH work, then nothing.
  const mac1Junk = Array.from({ length: 50 }, () => withMac1(typed(rng, 1, 148), w.pair.homeKeys.publicKey));
  const mm = measure(w, w.pair.home, mac1Junk, 25);
  assertAtMostOne(t, 'initiation, valid mac1, junk body → home', mm);
  assert.equal(mm.out, 0);
  // Replayed: the gateway's own initiation, captured. Its TAI64N is old.
  const captured = w.sim.sent({ node: 'gateway', type: 1 })[0].data!;
  const mr = measure(w, w.pair.home, Array.from({ length: 100 }, () => captured), 25);
  assertAtMostOne(t, 'initiation, replayed → home', mr);
  assert.equal(mr.out, 0);
  // Genuine initiations from the configured gateway's keys, sent on ahead from a spoofed source
  // (25 ms apart: past the 20 ms flood limit and the TAI64N whitening). Each draws a response.
  const genuine = genuineInitiations(w.pair.gatewayConfig, rng, 40, w.sim.now, 25);
  const mg = measure(w, w.pair.home, genuine, 25);
  assertAtMostOne(t, 'initiation, genuine (configured peer) → home', mg);
  assert.equal(mg.reflected, 92 * genuine.length, 'every genuine initiation draws one 92-byte response');

  // Under load (the gateway's threshold is 100 handshake messages/s): cookie replies.
  const g = handshakeInFlight();
  const grng = g.sim.rng.fork();
  const load = Array.from({ length: 400 }, () => withMac1(typed(grng, 1, 148), g.pair.gatewayKeys.publicKey));
  const ml = measure(g, g.pair.gateway, load, 2, 1_000);
  assertAtMostOne(t, 'initiation, valid mac1, under load → gateway', ml);
  assert.ok(g.pair.gateway.device.drops.cookieRequired > 0, 'never under load: the kind was not exercised');
  // Genuine ones from home's keys while under load: responses or cookie replies, never more.
  const g2 = handshakeInFlight();
  const genuineHome = genuineInitiations(g2.pair.homeConfig, g2.sim.rng.fork(), 300, g2.sim.now, 3);
  const ml2 = measure(g2, g2.pair.gateway, genuineHome, 3, 1_000);
  assertAtMostOne(t, 'initiation, genuine (configured peer), under load → gateway', ml2);
  assert.ok(g2.pair.gateway.device.drops.cookieRequired > 0, 'never under load');
});

test('responses and cookie replies: junk, valid mac1, or naming the handshake in flight → nothing; under load → a 64-byte cookie reply', (t) => {
  const w = handshakeInFlight();
  const rng = w.sim.rng.fork();
  const gwPub = w.pair.gatewayKeys.publicKey;
  const junk = Array.from({ length: 500 }, () => typed(rng, 2, 92));
  const mj = measure(w, w.pair.gateway, junk, 1, 500);
  assertAtMostOne(t, 'response, junk → gateway', mj);
  assert.equal(mj.out, 0);
  // Valid mac1 and the receiver index of the initiation in flight (both seen on the wire): DH work, then nothing.
  const aimed = Array.from({ length: 50 }, () => {
    const d = typed(rng, 2, 92);
    d.set(w.senderIndex, 8);
    return withMac1(d, gwPub);
  });
  const ma = measure(w, w.pair.gateway, aimed, 10, 500);
  assertAtMostOne(t, 'response, valid mac1, index in flight → gateway', ma);
  assert.equal(ma.out, 0);
  const cookies = Array.from({ length: 500 }, (_, i) => {
    const d = typed(rng, 3, 64);
    if (i % 2 === 0) d.set(w.senderIndex, 4);
    return d;
  });
  const mc = measure(w, w.pair.gateway, cookies, 1, 500);
  assertAtMostOne(t, 'cookie reply, junk and aimed at the handshake in flight → gateway', mc);
  assert.equal(mc.out, 0);
  assert.equal(w.pair.gateway.status().peers[0].state, 'handshake', 'the handshake in flight survived');

  // Under load: valid-mac1 responses get cookie replies (64 B for 92 B).
  const g = handshakeInFlight();
  const grng = g.sim.rng.fork();
  const load = Array.from({ length: 400 }, () => withMac1(typed(grng, 2, 92), g.pair.gatewayKeys.publicKey));
  const ml = measure(g, g.pair.gateway, load, 2, 1_000);
  assertAtMostOne(t, 'response, valid mac1, under load → gateway', ml);
  assert.ok(g.pair.gateway.device.drops.cookieRequired > 0, 'never under load: the kind was not exercised');
});

// ------------------------------------------------------------ replayed NAKs (on path)

test('NAK replayed from one observed header, once every 1.5 s (on path): nothing to the source, one handshake at most', (t) => {
  const w = established();
  const real = w.sim.sent({ node: 'gateway', type: 4 }).filter((e) => (e.size ?? 0) > 48)[5].data!;
  const nak = new Uint8Array(16);
  nak[0] = 5;
  nak.set(real.subarray(4, 16), 4);
  const t0 = w.sim.now;
  const m = measure(w, w.pair.gateway, Array.from({ length: 10 }, () => nak), 1_500, 1_000);
  // A valid NAK starting a 148-byte handshake is the design (DESIGN.md §2), so the byte ratio of a
  // slow trickle is above 1 by construction; it goes to the stored endpoint only, at most 1/s.
  t.diagnostic(`NAK, valid (one replayed header), 1 per 1.5 s → gateway: in ${m.bytesIn} B, out ${m.out} B, ratio ${(m.out / m.bytesIn).toFixed(2)}, to the source ${m.reflected} B`);
  assert.equal(m.reflected, 0, 'a NAK was answered towards its source');
  const handshakes = w.sim.sent({ node: 'gateway', type: 1, since: t0 }).length;
  assert.ok(handshakes <= 1, `one captured header started ${handshakes} handshakes`);
});

test('NAK replayed from an observed header while the gateway is in WAIT: no PROD to a spoofed source', (t) => {
  const sim = new Simulation({ seed: 11, link: { latency: 50 }, keepTrace: true });
  const pair = homewardPair(sim, { extensions: true, pingInterval: 0 });
  const telemetry = () => sendTelemetry(pair, new Uint8Array(8));
  sim.every(50, telemetry, { start: 500, until: 12_000 });
  sim.at(10_000, () => sim.network.partition(PAIR.gatewayAddress, PAIR.homeAddress), 'link down');
  const waitAt = sim.waitFor(() => pair.gateway.eventsNamed('wait').length > 0, 170_000);
  assert.ok(waitAt !== null, 'the gateway never entered WAIT');
  // Telemetry goes on in WAIT (each datagram allows one PROD); an on-path attacker echoes a header.
  sim.every(50, telemetry, { start: waitAt + 100, until: waitAt + 8_000 });
  sim.runUntil(waitAt + 1_000);
  const real = sim.sent({ node: 'gateway', type: 4, since: waitAt }).at(-1)!.data!;
  const nak = new Uint8Array(16);
  nak[0] = 5;
  nak.set(real.subarray(4, 16), 4);
  const w = { sim, pair };
  const m = measure(w, pair.gateway, Array.from({ length: 200 }, () => nak), 20, 1_000);
  // What the gateway sends to home's (dead) address is its own telemetry; only what went to the source counts here.
  t.diagnostic(`NAK in WAIT: in ${m.bytesIn} B, to the spoofed source ${m.reflected} B`);
  assert.equal(m.reflected, 0, `reflection ${m.reflected}/${m.bytesIn}`);
  // The NAKs were valid and did draw PRODs: to home's endpoint, one per datagram sent in WAIT at most.
  const prods = sim.sent({ node: 'gateway', type: 6, since: waitAt + 1_000 });
  assert.ok(prods.length > 0, 'no PROD at all: the case was not exercised');
  assert.ok(prods.every((e) => e.to === `${PAIR.homeAddress}:${PAIR.homePort}`), 'a PROD went elsewhere than the endpoint');
});
