/**
 * The gateway's TAI64N across a reboot to a 1970 clock, in the deterministic
 * simulator (the codec itself is tests/suites/tai64n.ts). A host-agnostic
 * suite: tests/timestamp.test.ts runs it on Node, tests/xs.test.ts on XS.
 *
 * The most reported ESP32 WireGuard failure: after a reboot without RTC or
 * SNTP the clock reads 1970, the TAI64N goes backwards, and the peer rejects
 * every handshake as a replay. With a stored ceiling the gateway's next
 * handshake is accepted by a peer that behaves exactly like stock WireGuard;
 * without one, it is rejected (the control).
 */
import { homewardPair, sendTelemetry } from '../../hosts/sim/recovery';
import { MemoryStore, Simulation } from '../../hosts/sim/index';
import { type Case, equal, ok } from '../harness/suite';

export const cases: Case[] = [];
const rebootCase = (name: string, run: () => void): void => void cases.push([name, run]);

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

rebootCase('a gateway rebooting to a 1970 clock is accepted at once thanks to the stored ceiling', () => {
  const r = reboot(true);
  ok(r.after > 50, `telemetry after the reboot: ${r.after}`);
  equal(r.drops.replayedInitiation, 0);
  ok(r.store!.writes <= 2, `flash writes: ${r.store!.writes} (the ceiling is rewritten only when passed)`);
});

rebootCase('control: without the ceiling the peer rejects the 1970 timestamp as a replay', () => {
  const r = reboot(false);
  equal(r.after, 0, 'home accepted a timestamp that went backwards');
  ok(r.drops.replayedInitiation > 0);
});
