/**
 * Recovery from state loss, extensions on against off (WireGuard), in the
 * deterministic simulator at 100 ms RTT and 20 datagrams/s.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { REKEY_TIMEOUT, REKEY_TIMEOUT_JITTER_MAX } from '../modules/constants';
import { runRecovery, runWaitProd, SCENARIOS, type RecoveryResult } from '../hosts/sim/recovery';
import { benchRecovery, OUTAGE_FLOOR_S, outageRatio } from '../bench/recovery';

/** The figures, without the list of lost sequence numbers. */
const show = (r: RecoveryResult): string => JSON.stringify({ outageS: r.outageS, lost: r.lost, sent: r.sent });

test('responder restart while data flows: outage <= 0.5 s and nothing lost with extensions; up to ~15 s without', (t) => {
  const on = runRecovery('responderRestart', true);
  const off = runRecovery('responderRestart', false);
  t.diagnostic(`on: ${show(on)} off: ${show(off)}`);
  assert.ok(on.outageS <= 0.5, `outage with extensions ${on.outageS} s`);
  assert.equal(on.lost, 0, 'telemetry lost with extensions');
  // WireGuard waits for its 10+5 s rule; where in that window the restart falls decides the figure.
  assert.ok(off.outageS > 2 && off.outageS <= 15.5, `WireGuard baseline should take the 15 s rule, took ${off.outageS} s`);
  assert.ok(off.lost > 0, 'WireGuard baseline loses the packets sent into the dead session');
});

test('initiator restart: both recover in about one round trip (the gateway initiates at once)', (t) => {
  const on = runRecovery('initiatorRestart', true);
  const off = runRecovery('initiatorRestart', false);
  t.diagnostic(`on: ${show(on)} off: ${show(off)}`);
  assert.ok(on.outageS <= 0.5, `outage with extensions ${on.outageS} s`);
  assert.ok(off.outageS <= 0.5, `outage without ${off.outageS} s`);
});

test('keepalive-only traffic: a new session within 0.5 s of the next keepalive; WireGuard waits for its rekey', (t) => {
  const on = runRecovery('keepaliveOnly', true);
  const off = runRecovery('keepaliveOnly', false);
  t.diagnostic(`on: ${show(on)} off: ${show(off)}`);
  assert.ok(on.outageS <= 0.5, `outage with extensions ${on.outageS} s`);
  assert.ok(off.outageS > 10, `WireGuard baseline ${off.outageS} s`);
});

test('home restarts while the gateway roamed (home cannot know its address): outage <= 0.5 s, nothing lost', (t) => {
  const on = runRecovery('roamingResponderRestart', true);
  t.diagnostic(`on: ${show(on)}`);
  assert.ok(on.outageS <= 0.5, `outage ${on.outageS} s`);
  assert.equal(on.lost, 0);
});

test('both ends restart: back within one handshake; the one datagram lost is the one on the wire at the restart', (t) => {
  const on = runRecovery('bothRestart', true);
  const off = runRecovery('bothRestart', false);
  t.diagnostic(`on: ${show(on)} lost ${JSON.stringify(on.lostSeqs)}; off lost ${JSON.stringify(off.lostSeqs)}`);
  assert.ok(on.outageS <= 0.5, `outage ${on.outageS} s`);
  // Telemetry every 50 ms from 1 s, 50 ms one way, restart at 20 s: the datagram sent at 19.95 s
  // (number 379) arrives at the new home, which NAKs it to a new gateway that never had its index;
  // its only copy was in the old gateway's resend ring. WireGuard loses the same one.
  const inFlight = (20_000 - 50 - 1_000) / 50;
  assert.deepEqual(on.lostSeqs, [inFlight]);
  assert.deepEqual(off.lostSeqs, [inFlight]);
});

test('restart during a key exchange: outage <= 1 s after the restarted end returns; WireGuard waits for a retransmit', (t) => {
  const on = runRecovery('restartDuringHandshake', true);
  const off = runRecovery('restartDuringHandshake', false);
  t.diagnostic(`on: ${show(on)} off: ${show(off)}`);
  assert.ok(on.outageS <= 1, `outage with extensions ${on.outageS} s`);
  assert.ok(off.outageS > on.outageS, `WireGuard baseline ${off.outageS} s`);
});

test('WAIT + PROD (secnet\'s case): home restarted while the gateway sits in WAIT is back within one retransmit timeout + RTT, not after the wait-time', (t) => {
  const on = runWaitProd(true);
  const noProd = runWaitProd(true, { dropProds: true });
  const off = runWaitProd(false);
  const brief = (r: typeof on) => JSON.stringify({ outageS: r.outageS, lost: r.lost, waitMs: r.waitMs, gaveUpAt: r.gaveUpAt, prods: [r.prodsSent, r.prodsReceived] });
  t.diagnostic(`on: ${brief(on)} PRODs lost: ${brief(noProd)} off: ${brief(off)}`);
  assert.ok(on.waitMs >= 10_000 && on.waitMs <= 30_000, `the gateway was not in WAIT when home returned (${on.waitMs} ms)`);
  assert.ok(on.prodsSent >= 1 && on.prodsReceived >= 1, 'the PROD path was not taken');
  const bound = (REKEY_TIMEOUT + REKEY_TIMEOUT_JITTER_MAX + 100) / 1000;
  assert.ok(on.outageS <= bound, `outage with PROD ${on.outageS} s > one retransmit timeout + RTT (${bound} s)`);
  assert.ok(on.outageS <= 1, `outage with PROD ${on.outageS} s: more than a few round trips`);
  assert.equal(on.lost, 0, 'the resend ring covers what went into the partition and into the restarted home');
  // The same run with every PROD lost: the gateway holds back until its wait-time is over.
  const remaining = (noProd.gaveUpAt + noProd.waitMs - noProd.backAt) / 1000;
  assert.equal(noProd.prodsReceived, 0);
  assert.ok(noProd.outageS >= remaining && noProd.outageS <= remaining + 1,
    `without PROD the outage (${noProd.outageS} s) should be the rest of the wait-time (${remaining} s)`);
  assert.ok(noProd.outageS >= 10 * on.outageS, `WAIT alone ${noProd.outageS} s against ${on.outageS} s with PROD`);
  // WireGuard has no WAIT: its next attempt comes from REKEY_AFTER_TIME on send or the 10+5 s rule.
  assert.equal(off.waitMs, 0);
  assert.ok(off.outageS <= 15.5, `WireGuard baseline ${off.outageS} s`);
  assert.ok(off.lost > 0, 'WireGuard loses what it sent into the partition and the restarted home');
});

test('bench: every scenario has on/off figures and a finite ratio; outages below one telemetry period count as the floor', () => {
  assert.equal(outageRatio(3, 0), 3 / OUTAGE_FLOOR_S);
  assert.equal(outageRatio(0, 0), 1);
  assert.equal(outageRatio(6.55, 0.25), 26.2);
  const { results, table } = benchRecovery();
  assert.deepEqual(Object.keys(results), SCENARIOS);
  for (const name of SCENARIOS) {
    const r = results[name] as { on: { outageS: number; lost: number }; off: { outageS: number; lost: number }; ratio: number };
    for (const v of [r.on.outageS, r.on.lost, r.off.outageS, r.off.lost, r.ratio]) {
      assert.ok(typeof v === 'number' && Number.isFinite(v), `${name}: ${JSON.stringify(r)}`);
    }
    assert.equal(r.ratio, outageRatio(r.off.outageS, r.on.outageS));
    assert.ok(table.some((line) => line.startsWith(`| ${name} |`)), `${name} missing from the table`);
  }
  const wp = results.waitProd as { on: { outageS: number }; prodsLost: { outageS: number } };
  assert.ok(wp.prodsLost.outageS > wp.on.outageS);
});
