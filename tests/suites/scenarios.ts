/**
 * The simulator's scenarios against the real Device, with their outcomes
 * asserted: recovery from state loss (hosts/sim/recovery.ts, extensions on
 * against off) and liveness and lifecycle (hosts/sim/liveness.ts: silent
 * death, partitions, failover and failback, graceful close, the bounded
 * table). A host-agnostic suite: tests/recovery.test.ts and
 * tests/liveness.test.ts run it on Node, tests/xs.test.ts on the XS engine.
 * Every scenario runs on XS, none left out: about 40 s in all there, the
 * slowest case (the full table, with its flood of 2000 initiations) about
 * 13 s, inside the per-case timeout of 60 s.
 *
 * 100 ms RTT and 20 telemetry datagrams/s throughout. The targets: a
 * responder restart costs ≤ 0.5 s and nothing lost with the extensions on, a
 * keepalive-only tunnel ≤ 0.5 s, a restart during a key exchange ≤ 1 s, and a
 * silent death is detected within 40 s.
 */
import { REKEY_TIMEOUT, REKEY_TIMEOUT_JITTER_MAX } from '../../modules/constants';
import { livenessStarted, livenessTimer, type LivenessActions } from '../../modules/liveness';
import type { Peer } from '../../modules/peer';
import { runRecovery, runWaitProd, type RecoveryResult } from '../../hosts/sim/recovery';
import { runBusy, runClose, runFailover, runPartition, runSilentDeath, runTable, runTableLru } from '../../hosts/sim/liveness';
import { type Case, deepEqual, diagnostic, equal, match, notEqual, ok } from '../harness/suite';

/** Recovery from state loss, extensions on against off (WireGuard). */
export const recovery: Case[] = [];
const recoveryCase = (name: string, run: () => void): void => void recovery.push([name, run]);

/** Liveness and lifecycle (docs/PROTOCOL.md §6) with the defaults, against WireGuard's own timers where that means something. */
export const liveness: Case[] = [];
const livenessCase = (name: string, run: () => void): void => void liveness.push([name, run]);

// ---------------------------------------------------------------- recovery

/** The figures, without the list of lost sequence numbers. */
const show = (r: RecoveryResult): string => JSON.stringify({ outageS: r.outageS, lost: r.lost, sent: r.sent });

recoveryCase('responder restart while data flows: outage <= 0.5 s and nothing lost with extensions; up to ~15 s without', () => {
  const on = runRecovery('responderRestart', true);
  const off = runRecovery('responderRestart', false);
  diagnostic(`on: ${show(on)} off: ${show(off)}`);
  ok(on.outageS <= 0.5, `outage with extensions ${on.outageS} s`);
  equal(on.lost, 0, 'telemetry lost with extensions');
  // WireGuard waits for its 10+5 s rule; where in that window the restart falls decides the figure.
  ok(off.outageS > 2 && off.outageS <= 15.5, `WireGuard baseline should take the 15 s rule, took ${off.outageS} s`);
  ok(off.lost > 0, 'WireGuard baseline loses the packets sent into the dead session');
});

recoveryCase('initiator restart: both recover in about one round trip (the gateway initiates at once)', () => {
  const on = runRecovery('initiatorRestart', true);
  const off = runRecovery('initiatorRestart', false);
  diagnostic(`on: ${show(on)} off: ${show(off)}`);
  ok(on.outageS <= 0.5, `outage with extensions ${on.outageS} s`);
  ok(off.outageS <= 0.5, `outage without ${off.outageS} s`);
});

recoveryCase('keepalive-only traffic: a new session within 0.5 s of the next keepalive; WireGuard waits for its rekey', () => {
  const on = runRecovery('keepaliveOnly', true);
  const off = runRecovery('keepaliveOnly', false);
  diagnostic(`on: ${show(on)} off: ${show(off)}`);
  ok(on.outageS <= 0.5, `outage with extensions ${on.outageS} s`);
  ok(off.outageS > 10, `WireGuard baseline ${off.outageS} s`);
});

recoveryCase('home restarts while the gateway roamed (home cannot know its address): outage <= 0.5 s, nothing lost', () => {
  const on = runRecovery('roamingResponderRestart', true);
  diagnostic(`on: ${show(on)}`);
  ok(on.outageS <= 0.5, `outage ${on.outageS} s`);
  equal(on.lost, 0);
});

recoveryCase('both ends restart: back within one handshake; the one datagram lost is the one on the wire at the restart', () => {
  const on = runRecovery('bothRestart', true);
  const off = runRecovery('bothRestart', false);
  diagnostic(`on: ${show(on)} lost ${JSON.stringify(on.lostSeqs)}; off lost ${JSON.stringify(off.lostSeqs)}`);
  ok(on.outageS <= 0.5, `outage ${on.outageS} s`);
  // Telemetry every 50 ms from 1 s, 50 ms one way, restart at 20 s: the datagram sent at 19.95 s
  // (number 379) arrives at the new home, which NAKs it to a new gateway that never had its index;
  // its only copy was in the old gateway's resend ring. WireGuard loses the same one.
  const inFlight = (20_000 - 50 - 1_000) / 50;
  deepEqual(on.lostSeqs, [inFlight]);
  deepEqual(off.lostSeqs, [inFlight]);
});

recoveryCase('restart during a key exchange: outage <= 1 s after the restarted end returns; WireGuard waits for a retransmit', () => {
  const on = runRecovery('restartDuringHandshake', true);
  const off = runRecovery('restartDuringHandshake', false);
  diagnostic(`on: ${show(on)} off: ${show(off)}`);
  ok(on.outageS <= 1, `outage with extensions ${on.outageS} s`);
  ok(off.outageS > on.outageS, `WireGuard baseline ${off.outageS} s`);
});

recoveryCase('WAIT + PROD (secnet\'s case): home restarted while the gateway sits in WAIT is back within one retransmit timeout + RTT, not after the wait-time', () => {
  const on = runWaitProd(true);
  const noProd = runWaitProd(true, { dropProds: true });
  const off = runWaitProd(false);
  const brief = (r: typeof on) => JSON.stringify({ outageS: r.outageS, lost: r.lost, waitMs: r.waitMs, gaveUpAt: r.gaveUpAt, prods: [r.prodsSent, r.prodsReceived] });
  diagnostic(`on: ${brief(on)} PRODs lost: ${brief(noProd)} off: ${brief(off)}`);
  ok(on.waitMs >= 10_000 && on.waitMs <= 30_000, `the gateway was not in WAIT when home returned (${on.waitMs} ms)`);
  ok(on.prodsSent >= 1 && on.prodsReceived >= 1, 'the PROD path was not taken');
  const bound = (REKEY_TIMEOUT + REKEY_TIMEOUT_JITTER_MAX + 100) / 1000;
  ok(on.outageS <= bound, `outage with PROD ${on.outageS} s > one retransmit timeout + RTT (${bound} s)`);
  ok(on.outageS <= 1, `outage with PROD ${on.outageS} s: more than a few round trips`);
  equal(on.lost, 0, 'the resend ring covers what went into the partition and into the restarted home');
  // The same run with every PROD lost: the gateway holds back until its wait-time is over.
  const remaining = (noProd.gaveUpAt + noProd.waitMs - noProd.backAt) / 1000;
  equal(noProd.prodsReceived, 0);
  ok(noProd.outageS >= remaining && noProd.outageS <= remaining + 1,
    `without PROD the outage (${noProd.outageS} s) should be the rest of the wait-time (${remaining} s)`);
  ok(noProd.outageS >= 10 * on.outageS, `WAIT alone ${noProd.outageS} s against ${on.outageS} s with PROD`);
  // WireGuard has no WAIT: its next attempt comes from REKEY_AFTER_TIME on send or the 10+5 s rule.
  equal(off.waitMs, 0);
  ok(off.outageS <= 15.5, `WireGuard baseline ${off.outageS} s`);
  ok(off.lost > 0, 'WireGuard loses what it sent into the partition and the restarted home');
});

// ---------------------------------------------------------------- liveness and lifecycle

/** interval × (misses + 1) with the defaults. */
const DETECT_BOUND_S = 10 * (3 + 1);
/** One handshake at 100 ms RTT and the datagram behind it, with room for the 0–333 ms jitter. */
const ONE_HANDSHAKE_S = 0.5;

livenessCase('silent death, idle tunnel: 3 probes, peer-down within 40 s of the last packet, handshake in flight; WireGuard raises nothing', () => {
  const on = runSilentDeath(true, false);
  const off = runSilentDeath(false, false);
  diagnostic(`on: ${JSON.stringify(on)}`);
  diagnostic(`off: ${JSON.stringify(off)}`);
  ok(on.detectS !== null && on.detectS <= DETECT_BOUND_S && on.detectS > 30, `detected after ${on.detectS} s`);
  match(on.downReason ?? '', /no answer to 3 probes/);
  equal(on.probesSent, 3, 'probes after the death');
  equal(on.probesMissed, 3, 'probes counted as missed');
  equal(on.probeMissedEvents, 3, 'probe-missed events');
  equal(on.probePacketsAfterDeath, 3, '80-byte probes on the wire after the death');
  // At the threshold a handshake runs: either one is in flight (WireGuard's 10 + 5 s rule counts
  // probes as data) and retransmits within REKEY_TIMEOUT + jitter, or one starts at once.
  ok(on.nextInitiationS !== null && on.nextInitiationS <= 5.34, `next initiation ${on.nextInitiationS} s after peer-down`);
  ok(on.initiationBeforeS === null || on.initiationBeforeS <= 5.34 || on.nextInitiationS === 0);
  notEqual(on.finalState, 'established', 'keys deleted at detection');

  // WireGuard: no probes, no give-up (nothing to send), only the key erasure 540 s after the handshake.
  equal(off.probesSent, 0);
  equal(off.probePacketsAfterDeath, 0, 'an idle WireGuard session sends nothing');
  equal(off.handshakeFailedS, null);
  equal(off.downReason, 'keys zeroed', 'the only peer-down is the 540 s key erasure');
  ok(off.detectS !== null && off.detectS > 500, `WireGuard's keys-zeroed after ${off.detectS} s`);
});

livenessCase('silent death while data flows: detected within 40 s; WireGuard retries for ever and never gives up', () => {
  // 300 s after the death: three of WireGuard's 90 s attempt series would have given up by then.
  const on = runSilentDeath(true, true, { runS: 300 });
  const off = runSilentDeath(false, true, { runS: 300 });
  diagnostic(`on: ${JSON.stringify(on)}`);
  diagnostic(`off: ${JSON.stringify(off)}`);
  ok(on.detectS !== null && on.detectS <= DETECT_BOUND_S && on.detectS > 30, `detected after ${on.detectS} s`);
  match(on.downReason ?? '', /probes/);
  equal(on.probesSent, 3);
  equal(on.probesMissed, 3);
  equal(on.finalState, 'handshake', 'still trying to reach the peer (data keeps asking)');
  // wireguard-go resets its attempt counter on every data-driven initiation: no handshake-failed
  // while data flows, and no peer-down either (its keys are erased only 540 s after the handshake).
  equal(off.handshakeFailedS, null);
  equal(off.detectS, null);
  equal(off.probesSent, 0);
  equal(off.finalState, 'handshake');
});

livenessCase('a busy tunnel sends no probes; an idle live one probes and never declares its peer dead', () => {
  const both = runBusy(true);
  const oneWay = runBusy(false);
  diagnostic(`both ways: ${JSON.stringify(both)} one way: ${JSON.stringify(oneWay)}`);
  equal(both.gatewayProbes, 0);
  equal(both.homeProbes, 0);
  // One way: home hears data all the time; the gateway hears home's passive keepalives (≤ 10 s apart).
  equal(oneWay.homeProbes, 0);
  ok(oneWay.gatewayProbes <= 2, `gateway probes with one-way data: ${oneWay.gatewayProbes}`);
  for (const r of [both, oneWay]) {
    ok(r.idleGatewayProbes + r.idleHomeProbes > 0, 'an idle tunnel is probed');
    ok(r.idleGatewayProbes <= 6 && r.idleHomeProbes <= 6, 'at most one probe per interval per side');
    equal(r.peerDowns, 0, 'no false peer-down');
  }
});

livenessCase('partition that heals: 60 s → both ends detect it, data back within one retransmission; 25 s → no peer-down', () => {
  const on = runPartition(true, 60);
  const off = runPartition(false, 60);
  const short = runPartition(true, 25);
  diagnostic(`on: ${JSON.stringify(on)}`);
  diagnostic(`off: ${JSON.stringify(off)}`);
  diagnostic(`short: ${JSON.stringify(short)}`);
  ok(on.gatewayDownS !== null && on.gatewayDownS <= DETECT_BOUND_S, `gateway detected after ${on.gatewayDownS} s`);
  ok(on.homeDownS !== null && on.homeDownS <= DETECT_BOUND_S, `home detected after ${on.homeDownS} s`);
  equal(on.downs, 1);
  equal(on.ups, 2, 'up, down, up again');
  // Keys were dropped at detection: the next initiation (every REKEY_TIMEOUT + jitter, from either end) restores the path.
  ok(on.resumeS <= 5.34 + ONE_HANDSHAKE_S, `resumed ${on.resumeS} s after the heal`);
  ok(on.rekeyS !== null && on.rekeyS <= 5.34 + ONE_HANDSHAKE_S);
  equal(on.duplicates, 0);
  // WireGuard keeps its keys: data flows again the moment the path heals, and nothing was reported.
  equal(off.gatewayDownS, null);
  equal(off.homeDownS, null);
  ok(off.resumeS <= 0.1, `WireGuard resumed ${off.resumeS} s after the heal`);
  // A partition shorter than detection: no false peer-down, no new handshake needed to resume.
  equal(short.gatewayDownS, null);
  equal(short.homeDownS, null);
  equal(short.downs, 0);
  ok(short.resumeS <= 0.1, `short partition resumed after ${short.resumeS} s`);
});

livenessCase('failover to the second home end within detection + one handshake, failback when the first returns', () => {
  const on = runFailover(true);
  const off = runFailover(false);
  diagnostic(`on: ${JSON.stringify(on)}`);
  diagnostic(`off: ${JSON.stringify(off)}`);
  ok(on.detectS !== null && on.detectS <= DETECT_BOUND_S, `detected after ${on.detectS} s`);
  ok(on.afterDetectS !== null && on.afterDetectS <= ONE_HANDSHAKE_S, `traffic through home2 ${on.afterDetectS} s after peer-down`);
  ok(on.failoverS !== null && on.failoverS <= DETECT_BOUND_S + ONE_HANDSHAKE_S, `failover ${on.failoverS} s after the death`);
  equal(on.failovers, 1);
  equal(on.activeWhileDown, 1, 'status: home2 active while home1 is down');
  ok(on.groupNamesHome2, "status: groups.home is home2's key, both members in group 'home'");
  // The down member is asked at least every ping interval (plus jitter).
  ok(on.askGapMaxS !== null && on.askGapMaxS <= 10.4, `longest gap between initiations to home1: ${on.askGapMaxS} s`);
  // Failback: asked within one ping interval, then up for FailbackAfter (10 s).
  ok(on.failbackEventS !== null && on.failbackEventS >= 10 && on.failbackEventS <= 20 + ONE_HANDSHAKE_S, `failback ${on.failbackEventS} s`);
  ok(on.failbackS !== null && on.failbackS <= 20 + ONE_HANDSHAKE_S);
  equal(on.failbacks, 1);
  equal(on.home2AfterFailback, 0, 'routes moved back at once and for good');
  equal(on.activeAtEnd, 0);
  // Without ping, home1's keys are still "usable" until REJECT_AFTER_TIME: nothing moves before it returns.
  equal(off.failovers, 0);
  equal(off.failoverS, null);
  ok(off.lost > on.lost, `WireGuard's timers lose ${off.lost}, homeward ${on.lost}`);
});

livenessCase('failover without ping: once the dead member\'s keys expire (REJECT_AFTER_TIME) the group moves on', () => {
  // PROTOCOL §6: failover when the active member has no usable session and its first unanswered
  // initiation is ≥ FailoverAfter old. With PingInterval 0 both hold from ~181 s (keys made at ~1 s).
  const r = runFailover(true, { pingInterval: 0, returnAtS: 400 });
  diagnostic(JSON.stringify(r));
  ok(r.failoverEventS !== null, 'the group never failed over although home1 had no usable session from ~181 s on');
  ok(r.failoverEventS <= 180 - 30 + 2, `failover ${r.failoverEventS} s after the death`);
});

livenessCase('death within REKEY_TIMEOUT of the handshake: the initiation that may not go at peer-down follows when allowed, then failover', () => {
  // Keys made at ~1 s, telemetry stops at 1.2 s (an idle tunnel: no data will ask for a handshake),
  // home1 dead at 1.5 s, detected by 0.5 s probes at ~3.5 s: the rate limit (one initiation per
  // 5 s) forbids one at peer-down. It must come at ~6 s, or nothing marks home1 failing and the
  // group never moves on.
  const r = runFailover(true, { pingInterval: 0.5, deathAtS: 1.5, telemetryUntilS: 1.2, returnAtS: 60 });
  diagnostic(JSON.stringify(r));
  ok(r.detectS !== null && r.detectS <= 0.5 * (3 + 1), `detected after ${r.detectS} s`);
  equal(r.failovers, 1, 'failover events');
  // The initiation at ~6 s, then FailoverAfter (5 s).
  ok(r.failoverEventS !== null && r.failoverEventS <= 6 - 1.5 + 5 + 0.4, `failover ${r.failoverEventS} s after the death`);
});

livenessCase('no tunnel Address: a probe that cannot be sent is not a miss, so a live idle peer is never declared dead', () => {
  // Only the liveness fields are read; the device's sendProbe reports false without an Address.
  const p = { pingInterval: 10_000, pingMisses: 3, pingTarget: 0x0a640001, probesSent: 0, probesMissed: 0 } as unknown as Peer;
  const calls = { probes: 0, missed: 0, dead: 0 };
  const actions: LivenessActions = {
    sendable: () => true,
    sendProbe: () => { calls.probes++; return false; },
    probeMissed: () => { calls.missed++; },
    sessionDead: () => { calls.dead++; },
  };
  livenessStarted(p, 0);
  for (let now = 0; now <= 600_000 && p.probeAt !== Infinity; now += 1_000) {
    if (p.probeAt <= now) livenessTimer(p, now, actions);
  }
  equal(calls.dead, 0, 'declared dead although no probe ever left');
  equal(calls.missed, 0);
  equal(p.probesSent, 0, 'probes counted as sent');
  equal(calls.probes, 1, 'asked once, then detection stays off');
  equal(p.probeAt, Infinity);
});

livenessCase('UAL close and reopen: CLOSE after 600 s without data, CLOSE_ACK frees it, CLOSED lingers 2 × MSL; new data reopens', () => {
  const on = runClose(true, { reopen: { from: 'gateway', afterS: 60 } });
  const off = runClose(false, { reopen: { from: 'gateway', afterS: 60 } });
  diagnostic(`on: ${JSON.stringify(on)}`);
  diagnostic(`off: ${JSON.stringify(off)}`);
  equal(on.idleBeforeCloseS, 600);
  equal(on.gatewayStateClosing, 'closing');
  equal(on.closingCountAtStart, 1);
  equal(on.gatewayClosedS, 0.1, 'freed one RTT after the CLOSE');
  equal(on.gatewayClosedWhy, 'CLOSE_ACK');
  equal(on.homeClosingS, 0.05);
  equal(on.homeClosingWhy, 'CLOSE from peer');
  equal(on.homeStateClosed, 'closed');
  equal(on.homeClosedS, 0.05 + 10, 'CLOSED lingers 2 × MSL');
  equal(on.gatewayCloseFrames, 1, 'one CLOSE');
  equal(on.homeCloseFrames, 1, 'one CLOSE_ACK');
  equal(on.transportAfterFreed, 0, 'no probe or keepalive on a closed association');
  equal(on.gatewayStateAfter, 'idle');
  equal(on.homeStateAfter, 'idle');
  equal(on.closingCountAfter, 0);
  ok(on.reopenS !== null && on.reopenS <= ONE_HANDSHAKE_S, `reopened in ${on.reopenS} s`);
  equal(on.reopenHandshakes, 1);
  // WireGuard: no CLOSE; its keys are erased 540 s after the handshake.
  equal(off.idleBeforeCloseS, null);
  equal(off.gatewayCloseFrames + off.homeCloseFrames, 0);
  ok(off.keysZeroedS !== null && off.keysZeroedS > 500);
  ok(off.reopenS !== null && off.reopenS <= ONE_HANDSHAKE_S);
});

livenessCase('CLOSE goes only to peers that said HELLO: a stock WireGuard peer never gets one', () => {
  const r = runClose(true, { homeStock: true, reopen: { from: 'gateway', afterS: 60 } });
  diagnostic(JSON.stringify(r));
  equal(r.homeSaidHello, false);
  equal(r.idleBeforeCloseS, null, 'no closing event');
  equal(r.gatewayCloseFrames, 0, 'no 48-byte control frame after UAL');
  ok(r.reopenS !== null && r.reopenS <= ONE_HANDSHAKE_S);
});

livenessCase('data to send in CLOSING or CLOSED starts a new handshake', () => {
  // CLOSING: every CLOSE is lost, the gateway has new data 2 s in.
  const closing = runClose(true, { trigger: 'shutdown', loss: 'close-all', reopen: { from: 'gateway', afterS: 2 } });
  // CLOSED: home acknowledged the CLOSE and has data 2 s later.
  const closed = runClose(true, { trigger: 'shutdown', reopen: { from: 'home', afterS: 2 } });
  diagnostic(`closing: ${JSON.stringify(closing)}`);
  diagnostic(`closed: ${JSON.stringify(closed)}`);
  for (const r of [closing, closed]) {
    ok(r.reopenS !== null && r.reopenS <= ONE_HANDSHAKE_S, `delivered ${r.reopenS} s after the send`);
    equal(r.reopenHandshakes, 1, 'a new handshake, not the old session');
    equal(r.gatewayStateAfter, 'established');
    equal(r.homeStateAfter, 'established');
    equal(r.closingCountAfter, 0);
    deepEqual(r.unpairedClosing, { gateway: 0, home: 0 }, 'every closing ends in closed, reopened ones too');
  }
  equal(closing.gatewayCloseFrames, 2, 'CLOSE at 0 s and 1 s, then the data took over');
  equal(closed.homeStateClosed, 'closed');
});

livenessCase('crossed CLOSEs: both ends close at once, each answers the other, both freed in one RTT', () => {
  const r = runClose(true, { trigger: 'crossed' });
  diagnostic(JSON.stringify(r));
  equal(r.gatewayClosingS, 0);
  equal(r.homeClosingS, 0, 'both CLOSEs leave at the same instant');
  equal(r.homeClosingWhy, 'unused');
  equal(r.gatewayClosedS, 0.1);
  equal(r.homeClosedS, 0.1, 'no 2 × MSL linger: its own CLOSE was acknowledged');
  equal(r.gatewayClosedWhy, 'CLOSE_ACK');
  equal(r.homeClosedWhy, 'CLOSE_ACK');
  equal(r.gatewayCloseFrames, 2, 'one CLOSE and one CLOSE_ACK, no retransmission');
  equal(r.homeCloseFrames, 2);
  equal(r.transportAfterFreed, 0);
  equal(r.handshakesDuringClose, 0);
  equal(r.gatewayStateAfter, 'idle');
  equal(r.homeStateAfter, 'idle');
});

livenessCase('CLOSE lost, CLOSE_ACK lost: retransmission every second, re-acknowledged duplicates, give-up after MSL', () => {
  const closeOnce = runClose(true, { trigger: 'shutdown', loss: 'close-once' });
  const ackOnce = runClose(true, { trigger: 'shutdown', loss: 'ack-once' });
  const ackAll = runClose(true, { trigger: 'shutdown', loss: 'ack-all' });
  const closeAll = runClose(true, { trigger: 'shutdown', loss: 'close-all' });
  for (const [name, r] of Object.entries({ closeOnce, ackOnce, ackAll, closeAll })) diagnostic(`${name}: ${JSON.stringify(r)}`);

  equal(closeOnce.framesLost, 1);
  equal(closeOnce.gatewayCloseFrames, 2, 'CLOSE sent again after 1 s');
  equal(closeOnce.gatewayClosedS, 1.1);
  equal(closeOnce.gatewayClosedWhy, 'CLOSE_ACK');
  equal(closeOnce.homeClosingS, 1.05);

  equal(ackOnce.framesLost, 1);
  equal(ackOnce.gatewayCloseFrames, 2);
  equal(ackOnce.homeCloseFrames, 2, 'CLOSED answers the duplicate CLOSE with another CLOSE_ACK');
  equal(ackOnce.gatewayClosedS, 1.1);
  equal(ackOnce.gatewayClosedWhy, 'CLOSE_ACK');
  equal(ackOnce.homeClosedS, 10.05, 'the duplicate does not extend CLOSED');

  equal(ackAll.gatewayCloseFrames, 5, 'CLOSE at 0, 1, 2, 3, 4 s');
  equal(ackAll.homeCloseFrames, 5, 'every one re-acknowledged');
  equal(ackAll.gatewayClosedS, 5, 'CLOSING gives up after MSL');
  equal(ackAll.gatewayClosedWhy, 'no CLOSE_ACK');
  equal(ackAll.homeClosedS, 10.05);
  equal(ackAll.transportAfterFreed, 0);

  equal(closeAll.gatewayCloseFrames, 5);
  equal(closeAll.gatewayClosedS, 5);
  equal(closeAll.gatewayClosedWhy, 'no CLOSE_ACK');
  equal(closeAll.homeClosingS, null, 'home never heard of it');
});

livenessCase('a NAK for a CLOSING session counts as "already gone": freed at once', () => {
  const r = runClose(true, { trigger: 'shutdown', homeRestarted: true });
  diagnostic(JSON.stringify(r));
  equal(r.homeNaks, 1);
  equal(r.gatewayCloseFrames, 1, 'no retransmission');
  equal(r.gatewayClosedS, 0.1);
  equal(r.gatewayClosedWhy, 'NAK: peer already gone');
  equal(r.gatewayStateAfter, 'idle');
});

livenessCase('a probe from the peer that crosses our CLOSE does not reopen the association', () => {
  // Home's liveness probe leaves 20 ms after the gateway's CLOSE (before it arrives). Answering
  // the echo is not data of ours: it must not stage a reply that starts a new handshake.
  const r = runClose(true, { trigger: 'shutdown', crossProbe: true });
  diagnostic(JSON.stringify(r));
  equal(r.gatewayClosedWhy, 'CLOSE_ACK');
  equal(r.handshakesDuringClose, 0, 'a new session came up after the shutdown');
  equal(r.gatewayStateAfter, 'idle');
  equal(r.homeStateAfter, 'idle');
});

livenessCase('full table: 2 slots, 5 gateways, a flood of strangers: never more than 2 sessions, only idle ones evicted, politely', () => {
  const on = runTable(true);
  const off = runTable(false);
  diagnostic(`on: ${JSON.stringify(on)}`);
  diagnostic(`off: ${JSON.stringify(off)}`);
  for (const r of [on, off]) {
    equal(r.maxHeld, r.capacity, 'peers holding slots (checked after every step)');
    ok(r.maxIndexEntries <= r.configured + 3 * r.capacity, `index entries ${r.maxIndexEntries}`);
    deepEqual(r.evictions.map((e) => e.peer), [0, 2], 'gw0 for gw2, then gw2 for gw3');
    for (const e of r.evictions) ok(e.idleS >= 15, `evicted after ${e.idleS} s idle`);
    ok(!r.evictions.some((e) => e.peer === 1), 'the busy gw1 is never evicted');
    ok(r.gw1LongestGapS <= 0.1, `gw1's telemetry gap ${r.gw1LongestGapS} s`);
    ok(r.gw2JoinS !== null && r.gw2JoinS <= ONE_HANDSHAKE_S);
    // gw3 waits while gw1 and gw2 are busy, and gets gw2's slot at its first attempt after gw2 is idle for 15 s.
    ok(r.gw3JoinS !== null && r.gw3JoinS >= 35 && r.gw3JoinS <= 40 + ONE_HANDSHAKE_S, `gw3 joined after ${r.gw3JoinS} s`);
    deepEqual(r.tableFullPeers, [3, 4]);
    ok(r.tableFullDrops > 0);
    equal(r.tableFullByPeer[3] + r.tableFullByPeer[4], r.tableFullDrops, 'status: tableFull drops per peer');
    equal(r.gw4Established, false);
    deepEqual(r.statesAtEnd, ['idle', 'established', 'idle', 'established', 'idle']);
    // Unknown keys: > 2000 initiations (under load most get a cookie reply), no state at all.
    ok(r.flood.datagrams >= 2_000);
    // Every one dropped (the count may include a retry of gw3 or gw4 answered with a cookie in the same window).
    const dropped = r.flood.badInitiation + r.flood.cookieRequired + r.flood.rateLimited;
    ok(dropped >= r.flood.datagrams && dropped <= r.flood.datagrams + 4, `${dropped} dropped of ${r.flood.datagrams}`);
    ok(r.flood.cookieRequired > 0, 'under load');
    equal(r.flood.heldAfter, r.flood.heldBefore);
    equal(r.flood.indexEntriesAfter, r.flood.indexEntriesBefore);
  }
  deepEqual(on.closeOnEviction, [true, true], 'a homeward peer gets a CLOSE when evicted');
  deepEqual(off.closeOnEviction, [false, false], 'a stock WireGuard peer gets none');
});

livenessCase('eviction picks the least recently used idle session, not the first configured', () => {
  for (const extensions of [true, false]) {
    const r = runTableLru(extensions);
    diagnostic(`extensions ${extensions}: ${JSON.stringify(r)}`);
    deepEqual(r.evicted, [1], 'gw1 (idle since 5 s) goes, gw0 (idle since 8 s) stays');
    deepEqual(r.holders, [0, 2]);
    ok(r.gw2JoinS !== null && r.gw2JoinS <= ONE_HANDSHAKE_S);
  }
});

export const cases: Case[] = [
  ...recovery.map(([name, run]): Case => [`recovery: ${name}`, run]),
  ...liveness.map(([name, run]): Case => [`liveness: ${name}`, run]),
];
