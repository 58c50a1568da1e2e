/**
 * The seeds' case: the gateway's key exchange gave up (WAIT) while the home
 * end was unreachable, and the home end comes back with its state lost. The
 * gateway still sends on its old keypair; the home end NAKs; the gateway, in
 * WAIT, answers with a PROD; the home end, holding no key, initiates to the
 * PROD's source. The outage is a few round trips instead of the wait-time.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { homewardPair, sendTelemetry } from '../hosts/sim/recovery';
import { PAIR, Simulation } from '../hosts/sim/index';

test('PROD: a home end restarted while the gateway sits in WAIT is back within 1 s, not after the wait-time', (t) => {
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
  assert.ok(waitAt !== null, 'the gateway never entered WAIT');
  const healAt = waitAt + 2_000;
  sim.at(healAt, () => { pair.home.restart(); sim.network.heal(PAIR.gatewayAddress, PAIR.homeAddress); }, 'home back, state lost');
  sim.every(50, telemetry, { start: healAt, until: healAt + 10_000 });
  sim.runUntil(healAt + 10_000);
  const back = pair.home.deliveries.filter((d) => d.time > healAt);
  if (back.length === 0) {
    const types = sim.sent({ since: healAt - 1 }).slice(0, 30).map((e) => `${e.time} ${e.node} t${e.type} ${e.size} ${e.to}`);
    t.diagnostic(types.join('\n') + '\n' + JSON.stringify(pair.gateway.status().peers[0]) + JSON.stringify(pair.home.status()));
  }
  assert.ok(back.length > 0, 'no telemetry after the home end came back');
  const outage = back[0].time - healAt;
  const gw = pair.gateway.status().peers[0];
  const home = pair.home.status().peers[0];
  t.diagnostic(`WAIT at ${waitAt} ms; back at ${healAt}; first delivery after ${outage} ms; PRODs sent ${gw.prodsSent}, received ${home.prodsReceived}`);
  assert.ok(gw.prodsSent >= 1 && home.prodsReceived >= 1, 'the PROD path was not taken');
  assert.ok(outage <= 1_000, `outage ${outage} ms`);
  // The log says what recovery did, once per action (not per NAK or PROD received).
  const nakEvents = pair.gateway.eventsNamed('nak-received', healAt);
  assert.ok(nakEvents.length >= 1 && nakEvents.length <= gw.prodsSent, `${nakEvents.length} nak-received events for ${gw.prodsSent} PRODs`);
  assert.match(nakEvents[0].detail ?? '', /PROD sent/);
  const prodEvents = pair.home.eventsNamed('prod-received');
  assert.equal(prodEvents.length, 1, 'one PROD honoured');
  assert.match(prodEvents[0].detail ?? '', new RegExp(`initiating to ${PAIR.gatewayAddress.replace(/\./g, '\\.')}:${PAIR.gatewayPort}`));
});
