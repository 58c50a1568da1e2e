/**
 * The recovery messages are unauthenticated: forged, replayed and off-path
 * NAKs and PRODs must destroy nothing, start no more handshakes than the rate
 * limits allow, and never make a device send more bytes than it received.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { homewardPair, sendTelemetry } from '../hosts/sim/recovery';
import { PAIR, Simulation } from '../hosts/sim/index';

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

test('a flood of forged NAKs and PRODs from off path deletes no keys and starts no handshake', () => {
  const { sim, gateway, home } = world();
  const start = sim.now;
  const before = gateway.status().peers[0];
  assert.equal(before.state, 'established');
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
  assert.equal(after.state, 'established', 'the session survived');
  assert.equal(initiations(sim, start), 0, 'no handshake was started by forged hints');
  assert.equal(gateway.eventsNamed('keys-zeroed').length + home.eventsNamed('keys-zeroed').length, 0);
  const answers = sim.sent({ since: start }).filter((e) => (e.to ?? '').startsWith('203.0.113.9'));
  const bytesOut = answers.reduce((n, e) => n + (e.size ?? 0), 0);
  assert.ok(bytesOut <= bytesIn, `amplification ${bytesOut}/${bytesIn}`);
  assert.equal(bytesOut, 0, 'nothing answers a NAK or an invalid PROD');
});

test('a NAK-for-NAK loop cannot start: a NAK is never answered', () => {
  const { sim } = world();
  const start = sim.now;
  const nak = new Uint8Array(16);
  nak[0] = 5;
  sim.inject(PAIR.homeAddress, PAIR.homePort, nak, PAIR.gatewayAddress, PAIR.gatewayPort);
  sim.runUntil(start + 1_000);
  const naks = [...sim.sent({ node: 'gateway', since: start, type: 5 }), ...sim.sent({ node: 'home', since: start, type: 5 })];
  assert.equal(naks.length, 0, 'a NAK was answered');
});

test('garbage transport for unknown indices gets NAKs no larger than itself, within the rate limits', () => {
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
  assert.ok(naks.length > 0, 'NAKs are sent at all');
  assert.ok(naks.length <= 5 + 10 * 1.0 + 1, `per-source limit: ${naks.length} NAKs in 1 s`);
  assert.ok(bytesOut <= bytesIn, `amplification ${bytesOut}/${bytesIn}`);
});
