/**
 * The `liveness` section of bench/results.json: dead-peer detection, failover
 * and failback, partitions, graceful close and the bounded table, measured in
 * the deterministic simulator with the defaults (ping every 10 s, 3 misses,
 * UAL 600 s, MSL 5 s, failover after 5 s, failback after 10 s; 100 ms RTT,
 * 20 telemetry datagrams/s). Every `wireguard…` key is the same scenario with
 * the extensions off and no ping: what WireGuard's own timers do. null means
 * "never happened in the run".
 */
import { runClose, runFailover, runPartition, runSilentDeath, runTable } from '../hosts/sim/liveness';

export function benchLiveness(): Record<string, unknown> {
  const idle = runSilentDeath(true, false);
  const busy = runSilentDeath(true, true);
  const wgIdle = runSilentDeath(false, false);
  const wgBusy = runSilentDeath(false, true);
  const failover = runFailover(true);
  const wgFailover = runFailover(false);
  const partition = runPartition(true, 60);
  const wgPartition = runPartition(false, 60);
  const shortPartition = runPartition(true, 25);
  const ual = runClose(true, { reopen: { from: 'gateway', afterS: 60 } });
  const wgUal = runClose(false, { reopen: { from: 'gateway', afterS: 60 } });
  const crossed = runClose(true, { trigger: 'crossed' });
  const closeLost = runClose(true, { trigger: 'shutdown', loss: 'close-once' });
  const ackLost = runClose(true, { trigger: 'shutdown', loss: 'ack-once' });
  const allAcksLost = runClose(true, { trigger: 'shutdown', loss: 'ack-all' });
  const peerGone = runClose(true, { trigger: 'shutdown', homeRestarted: true });
  const table = runTable(true);

  return {
    // Headline figures (seconds).
    /** Last packet heard from a silently dead peer → `peer-down`, idle tunnel. Bound: interval × (misses + 1) = 40 s. */
    silentDeathDetectS: idle.detectS,
    /** The same while the gateway sends telemetry into the dead peer. */
    silentDeathBusyDetectS: busy.detectS,
    /** Last packet heard from the dead preferred home end → first telemetry delivered through the second (detection + one handshake). */
    failoverS: failover.detectS !== null && failover.afterDetectS !== null ? +(failover.detectS + failover.afterDetectS).toFixed(3) : null,
    /** The same counted from the death itself (where the death falls between two heard packets decides it). */
    failoverFromDeathS: failover.failoverS,
    /** `peer-down` → first telemetry through the second home end. */
    failoverAfterDetectS: failover.afterDetectS,
    /** The preferred home end returns (restarted) → first telemetry delivered to it again (ask ≤ 10 s + hold 10 s). */
    failbackS: failover.failbackS,
    failoverLost: failover.lost,

    partitionDetectS: partition.gatewayDownS,
    /** A 60 s partition heals → first telemetry delivered (the keys were dropped at detection: the next retransmitted initiation). */
    partitionResumeS: partition.resumeS,
    /** A 25 s partition (shorter than detection): no peer-down, resume at once. */
    shortPartitionDowns: shortPartition.downs,
    shortPartitionResumeS: shortPartition.resumeS,

    /** Last data → CLOSE (UAL). */
    ualCloseS: ual.idleBeforeCloseS,
    /** CLOSE → freed by CLOSE_ACK (one RTT); the peer lingers in CLOSED for 2 × MSL. */
    closeAckS: ual.gatewayClosedS,
    closedLingerS: ual.homeClosedS,
    /** New data after the close → delivered (a new handshake). */
    reopenS: ual.reopenS,
    crossedClosesFreedS: Math.max(crossed.gatewayClosedS ?? Infinity, crossed.homeClosedS ?? Infinity),
    /** First CLOSE lost → freed after the 1 s retransmission. */
    closeLostFreedS: closeLost.gatewayClosedS,
    /** First CLOSE_ACK lost → the CLOSED peer re-acknowledges the retransmitted CLOSE. */
    closeAckLostFreedS: ackLost.gatewayClosedS,
    /** Every CLOSE_ACK lost → CLOSING gives up after MSL. */
    allAcksLostGiveUpS: allAcksLost.gatewayClosedS,
    allAcksLostCloses: allAcksLost.gatewayCloseFrames,
    /** The peer restarted before the CLOSE: its NAK ends CLOSING at once. */
    peerGoneFreedS: peerGone.gatewayClosedS,

    tableCapacity: table.capacity,
    tableConfiguredPeers: table.configured,
    tableMaxHeld: table.maxHeld,
    tableEvictions: table.evictions.length,
    tableEvictedIdleS: table.evictions.map((e) => e.idleS),
    tableFullDrops: table.tableFullDrops,
    tableFloodDatagrams: table.flood.datagrams,
    tableFloodIndexGrowth: table.flood.indexEntriesAfter - table.flood.indexEntriesBefore,
    tableFloodHeldGrowth: table.flood.heldAfter - table.flood.heldBefore,

    // WireGuard's own timers in the same scenarios.
    /** Never: with no traffic WireGuard sends nothing and raises nothing until its keys are erased. */
    wireguardSilentDeathDetectS: wgIdle.downReason === 'keys zeroed' ? null : wgIdle.detectS,
    /** Keys erased 3 × REJECT_AFTER_TIME after the handshake (`keys-zeroed`, with a `peer-down`): the same for a live idle peer. */
    wireguardKeysZeroedS: wgIdle.keysZeroedS,
    /** While data flows, WireGuard retries for ever: every packet restarts its 90 s attempt series. */
    wireguardBusyHandshakeFailedS: wgBusy.handshakeFailedS,
    wireguardBusyKeysZeroedS: wgBusy.keysZeroedS,
    /** No ping: the dead member still has keys within the run, so the group never moves. */
    wireguardFailoverS: wgFailover.failoverS,
    /** WireGuard keeps its keys through a partition: data resumes as soon as it heals. */
    wireguardPartitionDetectS: wgPartition.gatewayDownS,
    wireguardPartitionResumeS: wgPartition.resumeS,
    /** No CLOSE: the session lingers until its keys are erased (540 s after the handshake). */
    wireguardUalCloseS: wgUal.idleBeforeCloseS,
    wireguardReopenS: wgUal.reopenS,
  };
}
