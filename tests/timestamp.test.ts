/**
 * The most reported ESP32 WireGuard failure: after a reboot without RTC or
 * SNTP the clock reads 1970, the TAI64N goes backwards, and the peer rejects
 * every handshake as a replay. With a stored ceiling the gateway's next
 * handshake is accepted by a peer that behaves exactly like stock WireGuard;
 * without one, it is rejected (the control).
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { homewardPair, sendTelemetry } from '../hosts/sim/recovery';
import { MemoryStore, Simulation } from '../hosts/sim/index';

function reboot(withStore: boolean) {
  const sim = new Simulation({ seed: 5, link: { latency: 50 } });
  const rebootAt = 30_000;
  const store = withStore ? new MemoryStore() : undefined;
  const pair = homewardPair(sim, {
    gatewayStore: store,
    // Extensions off: the home end behaves as a stock WireGuard peer would. (With them on, the
    // home end's NAK-triggered initiation would rescue even the control case.)
    extensions: false,
    // A real date until the reboot; after it, seconds since 1970 as on an ESP32 before SNTP.
    wallClock: (now) => (now < rebootAt ? 1_790_000_000_000 + now : now - rebootAt),
  });
  sim.every(100, () => sendTelemetry(pair, new Uint8Array(4)), { start: 100 });
  sim.at(rebootAt, () => pair.gateway.restart(), 'gateway reboots, clock at 1970');
  sim.runUntil(rebootAt + 10_000);
  const after = pair.home.deliveries.filter((d) => d.time > rebootAt).length;
  return { after, store, drops: pair.home.status().drops };
}

test('a gateway rebooting to a 1970 clock is accepted at once thanks to the stored ceiling', () => {
  const r = reboot(true);
  assert.ok(r.after > 50, `telemetry after the reboot: ${r.after}`);
  assert.equal(r.drops.replayedInitiation, 0);
  assert.ok(r.store!.writes <= 2, `flash writes: ${r.store!.writes} (the ceiling is rewritten only when passed)`);
});

test('control: without the ceiling the peer rejects the 1970 timestamp as a replay', () => {
  const r = reboot(false);
  assert.equal(r.after, 0, 'home accepted a timestamp that went backwards');
  assert.ok(r.drops.replayedInitiation > 0);
});
