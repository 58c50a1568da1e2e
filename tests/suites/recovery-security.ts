/**
 * The recovery messages (NAK, PROD) and every other unauthenticated input,
 * against the real Device in the deterministic simulator: forged, replayed and
 * off-path hints destroy nothing (security), no input makes a device send more
 * bytes than it received (amplification), and the PROD path brings back a
 * home end restarted while the gateway sits in WAIT (prod). A host-agnostic
 * suite: tests/recovery-security.test.ts, tests/recovery-amplification.test.ts
 * and tests/prod.test.ts run it on Node, tests/xs.test.ts on the XS engine.
 * Every case runs on XS: about 12 s in all there, the slowest case (the
 * initiations, with some 340 genuine handshakes and their DH work) about 8 s,
 * inside the per-case timeout of 60 s.
 */
import type { DeviceConfig } from '../../modules/config';
import { Device } from '../../modules/device';
import type { DeviceHost } from '../../modules/host';
import { hash, mac } from '../../modules/crypto/hash';
import { ascii } from '../../modules/noise';
import { Recovery } from '../../modules/recovery';
import { homewardPair, sendTelemetry } from '../../hosts/sim/recovery';
import { PAIR, Simulation, type Pair, type Rng, type SimNode } from '../../hosts/sim/index';
import { type Case, diagnostic, equal, match, ok } from '../harness/suite';

/** Forged, replayed and off-path NAKs and PRODs. */
export const security: Case[] = [];
const securityCase = (name: string, run: () => void): void => void security.push([name, run]);

/** Bytes out over bytes in for every kind of unauthenticated input. */
export const amplification: Case[] = [];
const amplificationCase = (name: string, run: () => void): void => void amplification.push([name, run]);

/** The PROD path out of WAIT. */
export const prod: Case[] = [];
const prodCase = (name: string, run: () => void): void => void prod.push([name, run]);

// ---------------------------------------------------------------- security

/*
 * The recovery messages are unauthenticated: forged, replayed and off-path
 * NAKs and PRODs must destroy nothing, start no more handshakes than the rate
 * limits allow, and never make a device send more bytes than it received.
 */
function world() {
  const sim = new Simulation({ seed: 3, link: { latency: 50 }, keepTrace: true });
  const pair = homewardPair(sim, {
    gatewayKeepalive: 25,
    extensions: true,
  });
  sim.every(50, () => sendTelemetry(pair, new Uint8Array(8)), { start: 100 });
  sim.runUntil(2_000);
  return { sim, ...pair };
}

function initiations(sim: Simulation, since: number): number {
  return sim.sent({ node: 'gateway', type: 1, since }).length;
}

securityCase('a flood of forged NAKs and PRODs from off path deletes no keys and starts no handshake', () => {
  const { sim, gateway, home } = world();
  const start = sim.now;
  const before = gateway.status().peers[0];
  equal(before.state, 'established');
  let bytesIn = 0;
  const rng = sim.rng.fork();
  for (let i = 0; i < 2_000; i++) {
    const nak = new Uint8Array(16);
    nak[0] = 5;
    rng.fill(nak.subarray(4)); // random index and counter: an off-path guess
    const prod = new Uint8Array(148);
    prod[0] = 6;
    rng.fill(prod.subarray(8, 24));
    sim.at(start + i, () => {
      sim.inject('203.0.113.9', 4000 + (i % 50), nak, PAIR.gatewayAddress, PAIR.gatewayPort);
      sim.inject('203.0.113.9', 4000 + (i % 50), prod, PAIR.homeAddress, PAIR.homePort);
    });
    bytesIn += nak.length + prod.length;
  }
  sim.runUntil(start + 5_000);
  const after = gateway.status().peers[0];
  equal(after.state, 'established', 'the session survived');
  equal(initiations(sim, start), 0, 'no handshake was started by forged hints');
  equal(gateway.eventsNamed('keys-zeroed').length + home.eventsNamed('keys-zeroed').length, 0);
  const answers = sim.sent({ since: start }).filter((e) => (e.to ?? '').startsWith('203.0.113.9'));
  const bytesOut = answers.reduce((n, e) => n + (e.size ?? 0), 0);
  ok(bytesOut <= bytesIn, `amplification ${bytesOut}/${bytesIn}`);
  equal(bytesOut, 0, 'nothing answers a NAK or an invalid PROD');
});

securityCase('a NAK-for-NAK loop cannot start: a NAK is never answered', () => {
  const { sim } = world();
  const start = sim.now;
  const nak = new Uint8Array(16);
  nak[0] = 5;
  sim.inject(PAIR.homeAddress, PAIR.homePort, nak, PAIR.gatewayAddress, PAIR.gatewayPort);
  sim.runUntil(start + 1_000);
  const naks = [...sim.sent({ node: 'gateway', since: start, type: 5 }), ...sim.sent({ node: 'home', since: start, type: 5 })];
  equal(naks.length, 0, 'a NAK was answered');
});

securityCase('garbage transport for unknown indices gets NAKs no larger than itself, within the rate limits', () => {
  const { sim } = world();
  const start = sim.now;
  let bytesIn = 0;
  for (let i = 0; i < 1_000; i++) {
    const pkt = new Uint8Array(32 + (i % 64));
    pkt[0] = 4;
    pkt[4] = i & 0xff;
    pkt[5] = 0xee;
    bytesIn += pkt.length;
    sim.at(start + i, () => sim.inject('203.0.113.7', 5000, pkt, PAIR.homeAddress, PAIR.homePort));
  }
  sim.runUntil(start + 1_500);
  const naks = sim.sent({ node: 'home', type: 5, since: start });
  const bytesOut = naks.reduce((n, e) => n + (e.size ?? 0), 0);
  ok(naks.length > 0, 'NAKs are sent at all');
  ok(naks.length <= 5 + 10 * 1.0 + 1, `per-source limit: ${naks.length} NAKs in 1 s`);
  ok(bytesOut <= bytesIn, `amplification ${bytesOut}/${bytesIn}`);
});

// ---------------------------------------------------------------- amplification

/*
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

function assertAtMostOne(kind: string, m: Measure): void {
  diagnostic(`${kind}: in ${m.bytesIn} B, out ${m.out} B (${m.datagramsOut} datagrams), ratio ${(m.out / m.bytesIn).toFixed(3)}, to the source ${m.reflected} B`);
  ok(m.bytesIn > 0, `${kind}: nothing was injected`);
  ok(m.out <= m.bytesIn, `${kind}: amplification ${m.out}/${m.bytesIn} = ${(m.out / m.bytesIn).toFixed(2)}`);
  ok(m.reflected <= m.bytesIn, `${kind}: reflection ${m.reflected}/${m.bytesIn}`);
}

/** A session from ~0.1 s, telemetry until 3 s, home's passive keepalives at ~10 s and ~20 s; then nothing is sent until REKEY_AFTER_TIME. */
function established(): World {
  const sim = new Simulation({ seed: 5, link: { latency: 50 }, keepTrace: true });
  const pair = homewardPair(sim, { extensions: true, pingInterval: 0 });
  sim.every(50, () => sendTelemetry(pair, new Uint8Array(8)), { start: 100, until: 3_000 });
  sim.runUntil(25_000);
  equal(pair.gateway.status().peers[0].state, 'established');
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
  equal(init.length, 1);
  equal(pair.gateway.status().peers[0].state, 'handshake');
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
  equal(out.length, count);
  return out;
}

amplificationCase('control: the worlds are quiet, so every byte measured is the input\'s doing', () => {
  for (const w of [established(), handshakeInFlight()]) {
    const before = w.pair.gateway.counters.bytesSent + w.pair.home.counters.bytesSent;
    // The longest window a measurement below uses on one world before the world is discarded.
    const m = measure(w, w.pair.gateway, [], 1, 3_500);
    equal(m.out, 0, `the gateway sent ${m.out} B unprompted`);
    equal(w.pair.gateway.counters.bytesSent + w.pair.home.counters.bytesSent, before, 'home sent unprompted');
  }
  // An established world stays quiet for a long time (until REKEY_AFTER_TIME on send).
  const a = established();
  const before = a.pair.gateway.counters.bytesSent + a.pair.home.counters.bytesSent;
  a.sim.runFor(60_000);
  equal(a.pair.gateway.counters.bytesSent + a.pair.home.counters.bytesSent, before);
});

amplificationCase('garbage of every length and type byte is answered with nothing', () => {
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
    assertAtMostOne(`garbage → ${target}`, m);
    equal(m.out, 0, 'garbage drew an answer');
  }
});

amplificationCase('transport packets: an unknown index draws a 16-byte NAK at most (rate-limited); a bad tag draws nothing', () => {
  const w = established();
  const rng = w.sim.rng.fork();
  const unknown: Uint8Array[] = [];
  for (let i = 0; i < 1_000; i++) {
    const d = typed(rng, 4, 32 + rng.int(1_421));
    d[4] = 0xee; // an index home never handed out (they are random; a collision would decrypt-fail anyway)
    unknown.push(d);
  }
  const m = measure(w, w.pair.home, unknown);
  assertAtMostOne('transport, unknown index → home', m);
  ok(m.datagramsOut > 0, 'no NAK at all: the kind was not exercised');
  ok(m.out * 2 <= m.bytesIn, 'a NAK is at most half of the smallest transport packet');

  // The smallest transport packets, at the per-source burst: still ≤ 0.5.
  const small = Array.from({ length: 200 }, () => { const d = typed(rng, 4, 32); d[4] = 0xee; return d; });
  assertAtMostOne('transport 32 B, unknown index → gateway', measure(w, w.pair.gateway, small));

  // The index of a live session (seen on the wire) with a forged counter and tag: decryption fails, nothing is sent.
  const real = w.sim.sent({ node: 'gateway', type: 4 }).find((e) => (e.size ?? 0) > 48)!.data!;
  const forged = Array.from({ length: 200 }, (_, i) => {
    const d = typed(rng, 4, 32 + (i % 100));
    d.set(real.subarray(4, 8), 4);
    return d;
  });
  const mk = measure(w, w.pair.home, forged);
  assertAtMostOne('transport, live index, bad tag → home', mk);
  equal(mk.out, 0);
});

amplificationCase('NAKs: off-path guesses and forgeries draw nothing; a valid one is never answered towards its source', () => {
  const w = established();
  const rng = w.sim.rng.fork();
  const guesses = Array.from({ length: 2_000 }, () => typed(rng, 5, 16));
  const m = measure(w, w.pair.gateway, guesses);
  assertAtMostOne('NAK, random index/counter → gateway', m);
  equal(m.out, 0);
  assertAtMostOne('NAK, random → home', measure(w, w.pair.home, guesses));

  // A NAK echoing a header seen on the wire (on path), from a spoofed source, in a flood: the
  // handshake it starts goes to the stored endpoint, never to the source.
  const real = w.sim.sent({ node: 'gateway', type: 4 }).filter((e) => (e.size ?? 0) > 48).at(-1)!.data!;
  const nak = new Uint8Array(16);
  nak[0] = 5;
  nak.set(real.subarray(4, 16), 4);
  const flood = measure(w, w.pair.gateway, Array.from({ length: 5_000 }, () => nak), 1, 1_000);
  assertAtMostOne('NAK, valid (replayed header), flood of 5000 in 5 s → gateway', flood);
  equal(flood.reflected, 0, 'a NAK was answered towards its source');
  ok(w.pair.gateway.status().peers[0].naksReceived > 0, 'the NAK was not valid: the kind was not exercised');
});

amplificationCase('PRODs: a wrong identifier draws nothing; a right one (public keys suffice) draws one initiation of the same size, at most every 5 s', () => {
  const w = established();
  const rng = w.sim.rng.fork();
  const wrong = Array.from({ length: 1_000 }, () => { const d = new Uint8Array(148); d[0] = 6; rng.fill(d.subarray(8, 24)); return d; });
  const mw = measure(w, w.pair.home, wrong);
  assertAtMostOne('PROD, random identifier → home', mw);
  equal(mw.out, 0);

  // The identifier is a MAC of public keys: anyone who knows both can forge it.
  const id = Recovery.prodId(w.pair.gatewayKeys.publicKey, w.pair.homeKeys.publicKey);
  const prod = new Uint8Array(148);
  prod[0] = 6;
  prod.set(id, 8);
  // Home holds a key: ignored.
  const held = measure(w, w.pair.home, [prod]);
  assertAtMostOne('PROD, valid identifier, home holds a key', held);
  equal(held.out, 0);
  // Home restarted (no key, nothing in flight): honoured, an initiation to the PROD's source.
  w.pair.home.restart();
  const one = measure(w, w.pair.home, [prod], 1, 1_000);
  assertAtMostOne('PROD, valid identifier, home restarted, one', one);
  equal(one.reflected, 148, 'the honoured PROD did not draw exactly one initiation');
  const flood = measure(w, w.pair.home, Array.from({ length: 200 }, () => prod), 50, 1_000);
  assertAtMostOne('PROD, valid identifier, home restarted, 200 in 10 s', flood);
});

amplificationCase('initiations: junk, valid mac1 from unknown keys, replays → nothing; genuine ones → a 92-byte response; under load → a 64-byte cookie reply', () => {
  const w = established();
  const rng = w.sim.rng.fork();
  const junk = Array.from({ length: 500 }, () => typed(rng, 1, 148));
  const mj = measure(w, w.pair.home, junk);
  assertAtMostOne('initiation, junk without mac1 → home', mj);
  equal(mj.out, 0);
  // mac1 right (the responder's public key is all it takes), the rest junk: DH work, then nothing.
  const mac1Junk = Array.from({ length: 50 }, () => withMac1(typed(rng, 1, 148), w.pair.homeKeys.publicKey));
  const mm = measure(w, w.pair.home, mac1Junk, 25);
  assertAtMostOne('initiation, valid mac1, junk body → home', mm);
  equal(mm.out, 0);
  // Replayed: the gateway's own initiation, captured. Its TAI64N is old.
  const captured = w.sim.sent({ node: 'gateway', type: 1 })[0].data!;
  const mr = measure(w, w.pair.home, Array.from({ length: 100 }, () => captured), 25);
  assertAtMostOne('initiation, replayed → home', mr);
  equal(mr.out, 0);
  // Genuine initiations from the configured gateway's keys, sent on ahead from a spoofed source
  // (25 ms apart: past the 20 ms flood limit and the TAI64N whitening). Each draws a response.
  const genuine = genuineInitiations(w.pair.gatewayConfig, rng, 40, w.sim.now, 25);
  const mg = measure(w, w.pair.home, genuine, 25);
  assertAtMostOne('initiation, genuine (configured peer) → home', mg);
  equal(mg.reflected, 92 * genuine.length, 'every genuine initiation draws one 92-byte response');

  // Under load (the gateway's threshold is 100 handshake messages/s): cookie replies.
  const g = handshakeInFlight();
  const grng = g.sim.rng.fork();
  const load = Array.from({ length: 400 }, () => withMac1(typed(grng, 1, 148), g.pair.gatewayKeys.publicKey));
  const ml = measure(g, g.pair.gateway, load, 2, 1_000);
  assertAtMostOne('initiation, valid mac1, under load → gateway', ml);
  ok(g.pair.gateway.device.drops.cookieRequired > 0, 'never under load: the kind was not exercised');
  // Genuine ones from home's keys while under load: responses or cookie replies, never more.
  const g2 = handshakeInFlight();
  const genuineHome = genuineInitiations(g2.pair.homeConfig, g2.sim.rng.fork(), 300, g2.sim.now, 3);
  const ml2 = measure(g2, g2.pair.gateway, genuineHome, 3, 1_000);
  assertAtMostOne('initiation, genuine (configured peer), under load → gateway', ml2);
  ok(g2.pair.gateway.device.drops.cookieRequired > 0, 'never under load');
});

amplificationCase('responses and cookie replies: junk, valid mac1, or naming the handshake in flight → nothing; under load → a 64-byte cookie reply', () => {
  const w = handshakeInFlight();
  const rng = w.sim.rng.fork();
  const gwPub = w.pair.gatewayKeys.publicKey;
  const junk = Array.from({ length: 500 }, () => typed(rng, 2, 92));
  const mj = measure(w, w.pair.gateway, junk, 1, 500);
  assertAtMostOne('response, junk → gateway', mj);
  equal(mj.out, 0);
  // Valid mac1 and the receiver index of the initiation in flight (both seen on the wire): DH work, then nothing.
  const aimed = Array.from({ length: 50 }, () => {
    const d = typed(rng, 2, 92);
    d.set(w.senderIndex, 8);
    return withMac1(d, gwPub);
  });
  const ma = measure(w, w.pair.gateway, aimed, 10, 500);
  assertAtMostOne('response, valid mac1, index in flight → gateway', ma);
  equal(ma.out, 0);
  const cookies = Array.from({ length: 500 }, (_, i) => {
    const d = typed(rng, 3, 64);
    if (i % 2 === 0) d.set(w.senderIndex, 4);
    return d;
  });
  const mc = measure(w, w.pair.gateway, cookies, 1, 500);
  assertAtMostOne('cookie reply, junk and aimed at the handshake in flight → gateway', mc);
  equal(mc.out, 0);
  equal(w.pair.gateway.status().peers[0].state, 'handshake', 'the handshake in flight survived');

  // Under load: valid-mac1 responses get cookie replies (64 B for 92 B).
  const g = handshakeInFlight();
  const grng = g.sim.rng.fork();
  const load = Array.from({ length: 400 }, () => withMac1(typed(grng, 2, 92), g.pair.gatewayKeys.publicKey));
  const ml = measure(g, g.pair.gateway, load, 2, 1_000);
  assertAtMostOne('response, valid mac1, under load → gateway', ml);
  ok(g.pair.gateway.device.drops.cookieRequired > 0, 'never under load: the kind was not exercised');
});

// ------------------------------------------------------------ replayed NAKs (on path)

amplificationCase('NAK replayed from one observed header, once every 1.5 s (on path): nothing to the source, one handshake at most', () => {
  const w = established();
  const real = w.sim.sent({ node: 'gateway', type: 4 }).filter((e) => (e.size ?? 0) > 48)[5].data!;
  const nak = new Uint8Array(16);
  nak[0] = 5;
  nak.set(real.subarray(4, 16), 4);
  const t0 = w.sim.now;
  const m = measure(w, w.pair.gateway, Array.from({ length: 10 }, () => nak), 1_500, 1_000);
  // A valid NAK starting a 148-byte handshake is the design (DESIGN.md §2), so the byte ratio of a
  // slow trickle is above 1 by construction; it goes to the stored endpoint only, at most 1/s.
  diagnostic(`NAK, valid (one replayed header), 1 per 1.5 s → gateway: in ${m.bytesIn} B, out ${m.out} B, ratio ${(m.out / m.bytesIn).toFixed(2)}, to the source ${m.reflected} B`);
  equal(m.reflected, 0, 'a NAK was answered towards its source');
  const handshakes = w.sim.sent({ node: 'gateway', type: 1, since: t0 }).length;
  ok(handshakes <= 1, `one captured header started ${handshakes} handshakes`);
});

amplificationCase('NAK replayed from an observed header while the gateway is in WAIT: no PROD to a spoofed source', () => {
  const sim = new Simulation({ seed: 11, link: { latency: 50 }, keepTrace: true });
  const pair = homewardPair(sim, { extensions: true, pingInterval: 0 });
  const telemetry = () => sendTelemetry(pair, new Uint8Array(8));
  sim.every(50, telemetry, { start: 500, until: 12_000 });
  sim.at(10_000, () => sim.network.partition(PAIR.gatewayAddress, PAIR.homeAddress), 'link down');
  const waitAt = sim.waitFor(() => pair.gateway.eventsNamed('wait').length > 0, 170_000);
  ok(waitAt !== null, 'the gateway never entered WAIT');
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
  diagnostic(`NAK in WAIT: in ${m.bytesIn} B, to the spoofed source ${m.reflected} B`);
  equal(m.reflected, 0, `reflection ${m.reflected}/${m.bytesIn}`);
  // The NAKs were valid and did draw PRODs: to home's endpoint, one per datagram sent in WAIT at most.
  const prods = sim.sent({ node: 'gateway', type: 6, since: waitAt + 1_000 });
  ok(prods.length > 0, 'no PROD at all: the case was not exercised');
  ok(prods.every((e) => e.to === `${PAIR.homeAddress}:${PAIR.homePort}`), 'a PROD went elsewhere than the endpoint');
});

// ---------------------------------------------------------------- prod

/*
 * The seeds' case: the gateway's key exchange gave up (WAIT) while the home
 * end was unreachable, and the home end comes back with its state lost. The
 * gateway still sends on its old keypair; the home end NAKs; the gateway, in
 * WAIT, answers with a PROD; the home end, holding no key, initiates to the
 * PROD's source. The outage is a few round trips instead of the wait-time.
 */
prodCase('PROD: a home end restarted while the gateway sits in WAIT is back within 1 s, not after the wait-time', () => {
  const sim = new Simulation({ seed: 11, link: { latency: 50 }, keepTrace: true });
  // Ping off: with it, liveness would erase the old keypair after 40 s, and then
  // nothing is left to be NAKed (tests/liveness.test.ts covers that case).
  const pair = homewardPair(sim, {
    extensions: true,
    pingInterval: 0,
  });
  const telemetry = () => sendTelemetry(pair, new Uint8Array(8));
  // Telemetry pauses after 12 s (new data would restart the exchange, as in WireGuard).
  sim.every(50, telemetry, { start: 500, until: 12_000 });
  sim.at(10_000, () => sim.network.partition(PAIR.gatewayAddress, PAIR.homeAddress), 'link down');
  // The 15 s rule starts an exchange at ~25 s; it gives up ~100 s later: WAIT. The old keypair
  // (from ~0.5 s) stays usable until 180 s.
  const waitAt = sim.waitFor(() => pair.gateway.eventsNamed('wait').length > 0, 170_000);
  ok(waitAt !== null, 'the gateway never entered WAIT');
  const healAt = waitAt + 2_000;
  sim.at(healAt, () => { pair.home.restart(); sim.network.heal(PAIR.gatewayAddress, PAIR.homeAddress); }, 'home back, state lost');
  sim.every(50, telemetry, { start: healAt, until: healAt + 10_000 });
  sim.runUntil(healAt + 10_000);
  const back = pair.home.deliveries.filter((d) => d.time > healAt);
  if (back.length === 0) {
    const types = sim.sent({ since: healAt - 1 }).slice(0, 30).map((e) => `${e.time} ${e.node} t${e.type} ${e.size} ${e.to}`);
    diagnostic(types.join('\n') + '\n' + JSON.stringify(pair.gateway.status().peers[0]) + JSON.stringify(pair.home.status()));
  }
  ok(back.length > 0, 'no telemetry after the home end came back');
  const outage = back[0].time - healAt;
  const gw = pair.gateway.status().peers[0];
  const home = pair.home.status().peers[0];
  diagnostic(`WAIT at ${waitAt} ms; back at ${healAt}; first delivery after ${outage} ms; PRODs sent ${gw.prodsSent}, received ${home.prodsReceived}`);
  ok(gw.prodsSent >= 1 && home.prodsReceived >= 1, 'the PROD path was not taken');
  ok(outage <= 1_000, `outage ${outage} ms`);
  // The log says what recovery did, once per action (not per NAK or PROD received).
  const nakEvents = pair.gateway.eventsNamed('nak-received', healAt);
  ok(nakEvents.length >= 1 && nakEvents.length <= gw.prodsSent, `${nakEvents.length} nak-received events for ${gw.prodsSent} PRODs`);
  match(nakEvents[0].detail ?? '', /PROD sent/);
  const prodEvents = pair.home.eventsNamed('prod-received');
  equal(prodEvents.length, 1, 'one PROD honoured');
  match(prodEvents[0].detail ?? '', new RegExp(`initiating to ${PAIR.gatewayAddress.replace(/\./g, '\\.')}:${PAIR.gatewayPort}`));
});

/** Every case above, for tests/xs.test.ts (which runs the export named `cases`). */
export const cases: Case[] = [...security, ...amplification, ...prod];
