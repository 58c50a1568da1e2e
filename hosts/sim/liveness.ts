/**
 * Liveness and lifecycle scenarios measured in the simulator (docs/PROTOCOL.md
 * §6): dead-peer detection by in-tunnel ping, a partition that heals, failover
 * to a second home end and failback, graceful close (UAL, crossed CLOSEs, lost
 * CLOSE and CLOSE_ACK) and the bounded peer table.
 *
 * Each runner is deterministic (seeded) and returns plain numbers in seconds,
 * or null for "never happened". `extensions: false` runs the same scenario
 * with the extensions off and PingInterval 0: WireGuard's own timers only,
 * which is what a stock WireGuard peer does in the same network.
 *
 * The defaults apply throughout (ping every 10 s, 3 misses, UAL 600 s, MSL
 * 5 s, failover after 5 s, failback after 10 s) at 100 ms RTT.
 */
import { publicKey as x25519PublicKey } from '../../modules/crypto/x25519';
import { GATEWAY_LIMITS, LIFECYCLE_DEFAULTS, NODE_LIMITS, type DeviceConfig, type PeerConfig } from '../../modules/config';
import { Device } from '../../modules/device';
import { NO_SET } from '../../modules/table';
import { MSG_INITIATION, MSG_NAK, MSG_RESPONSE, MSG_TRANSPORT } from '../../modules/messages';
import type { DeviceHost } from '../../modules/host';
import { cidr } from './addr';
import { indexEntries } from './inspect';
import type { RecordedEvent, SimNode } from './node';
import { deviceFactory, makeKeyPair, PAIR, peerConfig, type KeyPair, type Pair } from './pair';
import { homewardPair } from './recovery';
import { Simulation } from './simulation';

/** One-way latency of every link: 100 ms RTT, as in the recovery scenarios. */
export const LATENCY = 50;
/** Telemetry period: 20 datagrams/s, as in the recovery scenarios. */
export const TELEMETRY_PERIOD = 50;
/** Transport datagram sizes: a control frame (HELLO, CLOSE, CLOSE_ACK: 16 bytes padded), and a probe (as is 8-byte telemetry: 48 bytes padded). */
export const CONTROL_SIZE = 48;
export const PROBE_SIZE = 80;

const s = (ms: number | null): number | null => (ms === null ? null : Math.round(ms) / 1000);

/** The pair of recovery.ts with liveness on (defaults) or WireGuard's timers only. */
export function livenessPair(sim: Simulation, extensions: boolean): Pair<Device> {
  return homewardPair(sim, { extensions });
}

/** 8-byte telemetry datagrams with a sequence number, from `node` to `dstIp` every TELEMETRY_PERIOD. */
export class Telemetry {
  seq = 0;

  constructor(private readonly sim: Simulation, private readonly node: SimNode<Device>, private readonly dstIp: string) {}

  start(at: number, until = Infinity): this {
    this.sim.every(TELEMETRY_PERIOD, () => this.sendOne(), { start: at, until, label: `${this.node.name} telemetry` });
    return this;
  }

  sendOne(): void {
    if (!this.node.alive) return;
    const payload = new Uint8Array(8);
    new DataView(payload.buffer).setUint32(0, this.seq++);
    this.node.sendUdp(PAIR.telemetryPort, this.dstIp, PAIR.telemetryPort, payload);
  }
}

/** Sequence number of a delivered telemetry datagram. */
export function seqOf(payload: Uint8Array): number {
  return new DataView(payload.buffer, payload.byteOffset).getUint32(0);
}

/** Records when `node` last received an authenticated-looking datagram (response or transport) from `fromAddress`. */
export function lastHeard(sim: Simulation, node: string, fromAddress: string): { at: number; before(t: number): number } {
  const arrivals: number[] = [];
  const state = {
    at: -Infinity,
    /** The last arrival strictly before t (-Infinity if none). */
    before(t: number): number {
      let best = -Infinity;
      for (const a of arrivals) if (a < t && a > best) best = a;
      return best;
    },
  };
  sim.onTrace((e) => {
    if (e.kind !== 'arrive' || e.node !== node || e.from === undefined || !e.from.startsWith(fromAddress + ':')) return;
    if (e.type !== MSG_RESPONSE && e.type !== MSG_TRANSPORT) return;
    arrivals.push(e.time);
    state.at = e.time;
  });
  return state;
}

function first(events: RecordedEvent[], peer?: number): RecordedEvent | null {
  for (const e of events) if (peer === undefined || e.peer === peer) return e;
  return null;
}

/** Longest gap between consecutive deliveries in [from, to), counting from `from` (so a silence at the start counts). */
function longestGap(times: number[], from: number, to: number): number {
  let prev = from;
  let gap = 0;
  for (const t of times) {
    if (t < from || t >= to) continue;
    gap = Math.max(gap, t - prev);
    prev = t;
  }
  return Math.max(gap, to - prev);
}

// ------------------------------------------------------------------ silent death

export interface SilentDeathResult {
  /** Seconds from the last packet the gateway heard from home to its `peer-down`; null: never. */
  detectS: number | null;
  /** What raised `peer-down` (the event's detail), or null. */
  downReason: string | null;
  /** Seconds from the last packet heard to `handshake-failed` (WireGuard's own giving up); null: never within the run. */
  handshakeFailedS: number | null;
  /** Seconds from the last packet heard to `keys-zeroed`; null: never within the run. */
  keysZeroedS: number | null;
  /** Probes the gateway sent, and probes that went unanswered, after home died. */
  probesSent: number;
  probesMissed: number;
  /** `probe-missed` events after the death. */
  probeMissedEvents: number;
  /** Transport datagrams of probe size the gateway sent after home died (only probes, when no telemetry flows). */
  probePacketsAfterDeath: number;
  /**
   * Seconds from `peer-down` to the next initiation the gateway sent (null: none).
   * A handshake may already be in flight (WireGuard's 10 + 5 s rule counts
   * probes as data): then the next retransmission is the next initiation.
   */
  nextInitiationS: number | null;
  /** Seconds from the last initiation before `peer-down` to `peer-down` (null: none since home died). */
  initiationBeforeS: number | null;
  /** The gateway's view of home at the end of the run. */
  finalState: string;
  runS: number;
}

/**
 * Home dies silently (power loss) at 30 s; the gateway keeps running.
 * `traffic`: the gateway sends telemetry at 20/s throughout, else the tunnel
 * is idle after one handshake. The run lasts `runS` (default 600) seconds
 * after the death: long enough for WireGuard's own give-up (90 s of retries)
 * and key erasure (540 s after the handshake).
 */
export function runSilentDeath(extensions: boolean, traffic: boolean, o: { seed?: number; runS?: number } = {}): SilentDeathResult {
  const sim = new Simulation({ seed: o.seed ?? 11, link: { latency: LATENCY }, keepTrace: true });
  const pair = livenessPair(sim, extensions);
  const heard = lastHeard(sim, 'gateway', PAIR.homeAddress);
  const deathAt = 30_000;
  const end = deathAt + (o.runS ?? 600) * 1000;
  sim.at(500, () => pair.gateway.connect(0), 'connect');
  const telemetry = new Telemetry(sim, pair.gateway, PAIR.homeTunnelIp);
  if (traffic) telemetry.start(1_000);
  let probesBefore = 0;
  let missedBefore = 0;
  sim.at(deathAt, () => {
    const st = pair.gateway.status().peers[0];
    probesBefore = st.probesSent;
    missedBefore = st.probesMissed;
    pair.home.kill();
  }, 'home dies');
  sim.driveBounded(end, { maxSteps: 5_000_000 });

  const last = heard.before(Infinity);
  const down = first(pair.gateway.eventsNamed('peer-down', deathAt));
  const failed = first(pair.gateway.eventsNamed('handshake-failed', deathAt));
  const zeroed = first(pair.gateway.eventsNamed('keys-zeroed', deathAt));
  const st = pair.gateway.status().peers[0];
  const after = down ? sim.sent({ node: 'gateway', type: MSG_INITIATION, since: down.time }) : [];
  const before = down ? sim.sent({ node: 'gateway', type: MSG_INITIATION, since: deathAt, until: down.time }) : [];
  return {
    detectS: down ? s(down.time - last) : null,
    downReason: down?.detail ?? null,
    handshakeFailedS: failed ? s(failed.time - last) : null,
    keysZeroedS: zeroed ? s(zeroed.time - last) : null,
    probesSent: st.probesSent - probesBefore,
    probesMissed: st.probesMissed - missedBefore,
    probeMissedEvents: pair.gateway.eventsNamed('probe-missed', deathAt).length,
    probePacketsAfterDeath: traffic ? -1 : sim.sent({ node: 'gateway', type: MSG_TRANSPORT, size: PROBE_SIZE, since: deathAt }).length,
    nextInitiationS: down && after.length ? s(after[0].time - down.time) : null,
    initiationBeforeS: down && before.length ? s(down.time - before[before.length - 1].time) : null,
    finalState: st.state,
    runS: (end - deathAt) / 1000,
  };
}

// ------------------------------------------------------------------ partition

export interface PartitionResult {
  /** Seconds from the partition to the gateway's `peer-down` (null: it never declared home dead). */
  gatewayDownS: number | null;
  /** The same for home's view of the gateway. */
  homeDownS: number | null;
  /** Seconds from the heal to the first telemetry delivered at home. */
  resumeS: number;
  /** Seconds from the heal to the next completed handshake on either side (null: none was needed). */
  rekeyS: number | null;
  /** Telemetry datagrams sent and never delivered. */
  lost: number;
  sent: number;
  /** peer-down / peer-up events at the gateway in the whole run. */
  downs: number;
  ups: number;
  /** Deliveries at home after the heal, minus distinct sequence numbers among them (at-least-once resending). */
  duplicates: number;
}

/**
 * The gateway sends telemetry at 20/s from 1 s on; at 20 s the path between
 * the two fails both ways for `durationS`, then heals; the run ends 40 s after
 * the heal. Nothing restarts: both ends keep their state.
 */
export function runPartition(extensions: boolean, durationS: number, seed = 13): PartitionResult {
  const sim = new Simulation({ seed, link: { latency: LATENCY } });
  const pair = livenessPair(sim, extensions);
  const cutAt = 20_000;
  const healAt = cutAt + durationS * 1000;
  const end = healAt + 40_000;
  const telemetry = new Telemetry(sim, pair.gateway, PAIR.homeTunnelIp).start(1_000, end - 5_000);
  sim.at(cutAt, () => sim.network.partition(PAIR.gatewayAddress, PAIR.homeAddress), 'partition');
  sim.at(healAt, () => sim.network.heal(PAIR.gatewayAddress, PAIR.homeAddress), 'heal');
  sim.driveBounded(end, { maxSteps: 5_000_000 });

  const gwDown = first(pair.gateway.eventsNamed('peer-down', cutAt));
  const homeDown = first(pair.home.eventsNamed('peer-down', cutAt));
  const rekey = [...pair.gateway.eventsNamed('handshake-complete', healAt), ...pair.home.eventsNamed('handshake-complete', healAt)]
    .sort((a, b) => a.time - b.time)[0];
  const afterHeal = pair.home.deliveries.filter((d) => d.time >= healAt);
  const got = new Set(pair.home.deliveries.map((d) => seqOf(d.payload)));
  return {
    gatewayDownS: gwDown ? s(gwDown.time - cutAt) : null,
    homeDownS: homeDown ? s(homeDown.time - cutAt) : null,
    resumeS: afterHeal.length ? s(afterHeal[0].time - healAt)! : Infinity,
    rekeyS: rekey ? s(rekey.time - healAt) : null,
    lost: telemetry.seq - got.size,
    sent: telemetry.seq,
    downs: pair.gateway.eventsNamed('peer-down').length,
    ups: pair.gateway.eventsNamed('peer-up').length,
    duplicates: afterHeal.length - new Set(afterHeal.map((d) => seqOf(d.payload))).size,
  };
}

// ------------------------------------------------------------------ failover group

/** The second home end's public address (the first is PAIR.homeAddress). */
export const HOME2_ADDRESS = '198.51.100.2';

export interface GroupTopology {
  gateway: SimNode<Device>;
  home1: SimNode<Device>;
  home2: SimNode<Device>;
  gatewayConfig: DeviceConfig;
}

/**
 * One field gateway and two home ends that are alternatives for the same
 * routes: the gateway's peers 0 (home1, preferred) and 1 (home2) both carry
 * 10.100.0.1/32 in group 'home'. Both home ends use the tunnel address
 * 10.100.0.1 and know the gateway without an endpoint (they learn it).
 * `extensions: false`: extensions off and PingInterval 0 on every peer
 * (the group still exists: failover then rests on WireGuard's timers alone);
 * `pingInterval` overrides the interval on every peer.
 */
export function buildGroup(sim: Simulation, extensions: boolean, pingInterval?: number): GroupTopology {
  const publicKey = x25519PublicKey;
  const make = (config: DeviceConfig, host: DeviceHost): Device => new Device(config, host);
  const gatewayKeys = makeKeyPair(sim.rng, publicKey);
  const home1Keys = makeKeyPair(sim.rng, publicKey);
  const home2Keys = makeKeyPair(sim.rng, publicKey);
  const ping = pingInterval ?? (extensions ? undefined : 0);
  const member = (keys: KeyPair, address: string): PeerConfig => ({
    ...peerConfig(keys.publicKey, null, { address, port: PAIR.homePort }, `${PAIR.homeTunnelIp}/32`, 0, extensions, ping),
    group: 'home',
  });
  const gatewayConfig: DeviceConfig = {
    interface: { privateKey: gatewayKeys.privateKey, listenPort: PAIR.gatewayPort, address: cidr(`${PAIR.gatewayTunnelIp}/32`) },
    peers: [member(home1Keys, PAIR.homeAddress), member(home2Keys, HOME2_ADDRESS)],
    limits: GATEWAY_LIMITS,
  };
  const homeConfig = (keys: KeyPair): DeviceConfig => ({
    interface: { privateKey: keys.privateKey, listenPort: PAIR.homePort, address: cidr(`${PAIR.homeTunnelIp}/32`) },
    peers: [peerConfig(gatewayKeys.publicKey, null, null, `${PAIR.gatewayTunnelIp}/32`, 0, extensions, ping)],
    limits: NODE_LIMITS,
  });
  const home1 = sim.addNode({ name: 'home1', address: PAIR.homeAddress, port: PAIR.homePort, factory: deviceFactory('home1', homeConfig(home1Keys), make) });
  const home2 = sim.addNode({ name: 'home2', address: HOME2_ADDRESS, port: PAIR.homePort, factory: deviceFactory('home2', homeConfig(home2Keys), make) });
  const gateway = sim.addNode({ name: 'gateway', address: PAIR.gatewayAddress, port: PAIR.gatewayPort, factory: deviceFactory('gateway', gatewayConfig, make) });
  return { gateway, home1, home2, gatewayConfig };
}

export interface FailoverResult {
  /** Seconds from the last packet the gateway heard from home1 to its `peer-down` for home1 (null: never). */
  detectS: number | null;
  /** Seconds from home1's death to the `failover` event, and to the first telemetry delivered at home2 (null: never). */
  failoverEventS: number | null;
  failoverS: number | null;
  /** Seconds from the gateway's `peer-down` for home1 to the first telemetry delivered at home2 (null: either never). */
  afterDetectS: number | null;
  /** Longest gap (s) between initiations to home1 from the failover until its return: how often the down member is asked. */
  askGapMaxS: number | null;
  /** Seconds from home1's return (restarted, state lost) to `failback`, and to the first telemetry delivered at the new home1 (null: never). */
  failbackEventS: number | null;
  failbackS: number | null;
  /** Telemetry at home2 after the first one at the returned home1 (0: routes moved back at once and for good). */
  home2AfterFailback: number;
  /** Telemetry sent and delivered at neither home end. */
  lost: number;
  sent: number;
  /** `failover` / `failback` events at the gateway. */
  failovers: number;
  failbacks: number;
  /** The gateway's status 1 s before home1 returns: the active member's index, and whether `groups.home` names home2's key. */
  activeWhileDown: number;
  groupNamesHome2: boolean;
  /** The gateway's group status at the end: the active member's index. */
  activeAtEnd: number;
}

/**
 * Telemetry at 20/s from the gateway to 10.100.0.1 from 1 s on. home1 (the
 * preferred member) dies silently at `deathAtS` (default 30 s) and comes back
 * restarted at `returnAtS` (default 150 s); the run ends 60 s later.
 * `telemetryUntilS` stops the telemetry early (an idle tunnel: then only the
 * core's own timers can start handshakes).
 */
export function runFailover(
  extensions: boolean,
  o: { seed?: number; returnAtS?: number; pingInterval?: number; deathAtS?: number; telemetryUntilS?: number } = {},
): FailoverResult {
  const returnAtS = o.returnAtS ?? 150;
  const sim = new Simulation({ seed: o.seed ?? 17, link: { latency: LATENCY }, keepTrace: true });
  const g = buildGroup(sim, extensions, o.pingInterval);
  const heard = lastHeard(sim, 'gateway', PAIR.homeAddress);
  const deathAt = (o.deathAtS ?? 30) * 1000;
  const returnAt = returnAtS * 1000;
  const end = returnAt + 60_000;
  const telemetryUntil = o.telemetryUntilS !== undefined ? o.telemetryUntilS * 1000 : end - 5_000;
  const telemetry = new Telemetry(sim, g.gateway, PAIR.homeTunnelIp).start(1_000, telemetryUntil);
  sim.at(deathAt, () => g.home1.kill(), 'home1 dies');
  sim.at(returnAt, () => g.home1.restart(), 'home1 back');
  let activeWhileDown = -1;
  let groupNamesHome2 = false;
  sim.at(returnAt - 1_000, () => {
    const st = g.gateway.status();
    activeWhileDown = st.peers.findIndex((p) => p.active);
    groupNamesHome2 = st.groups.home === st.peers[1].publicKey && st.peers.every((p) => p.group === 'home');
  }, 'sample group');
  sim.driveBounded(end, { maxSteps: 5_000_000 });

  const down = first(g.gateway.eventsNamed('peer-down', deathAt), 0);
  const failover = first(g.gateway.eventsNamed('failover', deathAt));
  const failback = first(g.gateway.eventsNamed('failback', returnAt));
  const atHome2 = g.home2.deliveries.filter((d) => d.time >= deathAt);
  const atHome1Again = g.home1.deliveries.filter((d) => d.generation >= 2);
  const backAt = atHome1Again.length ? atHome1Again[0].time : Infinity;
  const got = new Set([...g.home1.deliveries, ...g.home2.deliveries].map((d) => seqOf(d.payload)));
  const st = g.gateway.status();
  let askGap: number | null = null;
  if (failover) {
    const asks = sim.sent({ node: 'gateway', type: MSG_INITIATION, since: failover.time, until: returnAt })
      .filter((e) => e.to === `${PAIR.homeAddress}:${PAIR.homePort}`).map((e) => e.time);
    if (asks.length) askGap = s(longestGap(asks, failover.time, returnAt));
  }
  return {
    detectS: down ? s(down.time - heard.before(down.time)) : null,
    failoverEventS: failover ? s(failover.time - deathAt) : null,
    failoverS: atHome2.length ? s(atHome2[0].time - deathAt) : null,
    afterDetectS: down && atHome2.length ? s(atHome2[0].time - down.time) : null,
    askGapMaxS: askGap,
    failbackEventS: failback ? s(failback.time - returnAt) : null,
    failbackS: atHome1Again.length ? s(backAt - returnAt) : null,
    home2AfterFailback: g.home2.deliveries.filter((d) => d.time > backAt).length,
    lost: telemetry.seq - got.size,
    sent: telemetry.seq,
    failovers: g.gateway.eventsNamed('failover').length,
    failbacks: g.gateway.eventsNamed('failback').length,
    activeWhileDown,
    groupNamesHome2,
    activeAtEnd: st.peers.findIndex((p) => p.active),
  };
}

// ------------------------------------------------------------------ graceful close

/**
 * Loses datagrams the moment they are sent: while `pending` > 0, a datagram
 * from `from` to `toAddress` that `match`es is cut by a one-way partition
 * raised as it leaves, lifted again in the next step (still at the same
 * instant). It shows in sim.sent() (it was sent) and is traced as dropped.
 */
export function loseDatagrams(
  sim: Simulation, from: string, fromAddress: string, toAddress: string, count: number,
  match: (size: number, type: number, time: number) => boolean,
): { readonly lost: number } {
  const state = { lost: 0 };
  sim.onTrace((e) => {
    if (state.lost >= count || e.kind !== 'send' || e.node !== from || e.to === undefined || !e.to.startsWith(toAddress + ':')) return;
    if (!match(e.size ?? 0, e.type ?? -1, e.time)) return;
    state.lost++;
    sim.network.partition(fromAddress, toAddress, true);
    sim.at(e.time, () => sim.network.heal(fromAddress, toAddress), 'end of loss');
  });
  return state;
}

/** LIFECYCLE_DEFAULTS.maxSegmentLifetimeMs: CLOSING retries this long after the first CLOSE. */
const MSL = LIFECYCLE_DEFAULTS.maxSegmentLifetimeMs;

export type CloseTrigger = 'unused' | 'crossed' | 'shutdown';
export type CloseLoss = 'none' | 'close-once' | 'ack-once' | 'close-all' | 'ack-all';

export interface CloseOptions {
  /**
   * unused: the gateway sends telemetry from 1 s to 10 s, then nothing; UAL
   * (600 s) closes the session. crossed: both ends send to each other at the
   * same instants, so UAL fires on both at once and the CLOSEs cross.
   * shutdown: the same telemetry, then Device.shutdown() on the gateway at 25 s
   * (between two of home's probes, which go out at 20.05 s, 30.05 s, ...).
   */
  trigger?: CloseTrigger;
  /** Close frames (48-byte transport datagrams) lost: the gateway's CLOSE or home's CLOSE_ACK, the first one or all. */
  loss?: CloseLoss;
  /**
   * Home is a stock WireGuard peer (extensions off, no ping) while the gateway
   * has the extensions on: home never says HELLO, so it must never get a CLOSE.
   */
  homeStock?: boolean;
  /** Home restarts (state lost) 1 s before the close: the gateway's CLOSE meets an unknown index. */
  homeRestarted?: boolean;
  /** New data after the close began: one datagram from this side, `afterS` seconds after the first CLOSE. */
  reopen?: { from: 'gateway' | 'home'; afterS: number };
  /**
   * shutdown only: shut down 20 ms before home's next liveness probe is due
   * (instead of at 25 s), so that probe is in flight while the gateway is
   * CLOSING: an echo request meets a closing session.
   */
  crossProbe?: boolean;
  seed?: number;
}

export interface CloseResult {
  /** Seconds from the gateway's last data to its `closing` event (null: it never closed). */
  idleBeforeCloseS: number | null;
  /** Seconds from the first CLOSE to the gateway's and home's `closing` and `closed` events, with their details. */
  gatewayClosingS: number | null;
  gatewayClosedS: number | null;
  gatewayClosedWhy: string | null;
  homeClosingS: number | null;
  homeClosingWhy: string | null;
  homeClosedS: number | null;
  homeClosedWhy: string | null;
  /** The gateway's peer state right after it sent CLOSE, and home's 1 s later. */
  gatewayStateClosing: string;
  homeStateClosed: string;
  /** Close frames (48-byte transport datagrams) each side sent in the MSL after the first CLOSE (before any reopen). */
  gatewayCloseFrames: number;
  homeCloseFrames: number;
  /** How many of them the network lost (the `loss` option). */
  framesLost: number;
  /** NAKs home sent in the same window. */
  homeNaks: number;
  /** Handshakes completed on either side after the first CLOSE and before the reopen (a close must not reopen by itself). */
  handshakesDuringClose: number;
  /** Transport datagrams either side sent after both were freed and before the reopen: a closed session is silent. */
  transportAfterFreed: number;
  /** Each side's peer state 15 s after the first CLOSE (before any reopen). */
  gatewayStateAfter: string;
  homeStateAfter: string;
  /** closingCount() on the gateway right after the close began, and 15 s later. */
  closingCountAtStart: number;
  closingCountAfter: number;
  /** Seconds from the reopen datagram to its delivery at the other end (null: not delivered, or no reopen). */
  reopenS: number | null;
  /** Handshakes completed on the reopening side after the reopen. */
  reopenHandshakes: number;
  /** Seconds from the gateway's last data to `keys-zeroed` there (WireGuard's own cleanup; null: not within the run). */
  keysZeroedS: number | null;
  /** Whether the gateway sees home as homeward (it said HELLO), at the end. */
  homeSaidHello: boolean;
  /** Per side, `closing` events minus `closed` events over the whole run: 0 when every close was seen through. */
  unpairedClosing: { gateway: number; home: number };
}

export function runClose(extensions: boolean, o: CloseOptions = {}): CloseResult {
  const trigger = o.trigger ?? 'unused';
  const loss = o.loss ?? 'none';
  const sim = new Simulation({ seed: o.seed ?? 19, link: { latency: LATENCY }, keepTrace: true });
  const pair = livenessPair(sim, extensions);
  if (o.homeStock) {
    // A restart rebuilds the Device from this same config object: home comes up as stock WireGuard.
    pair.homeConfig.peers[0].extensions = false;
    pair.homeConfig.peers[0].pingInterval = 0;
    pair.home.restart();
  }
  const toHome = new Telemetry(sim, pair.gateway, PAIR.homeTunnelIp).start(1_000, 10_000);
  if (trigger === 'crossed') new Telemetry(sim, pair.home, PAIR.gatewayTunnelIp).start(1_000, 10_000);
  const lastData = 10_000;
  let expected = trigger === 'shutdown' ? 25_000 : lastData + 600_000 + (trigger === 'crossed' ? LATENCY : 0);
  if (trigger === 'shutdown' && o.crossProbe) {
    sim.runUntil(15_000);
    expected = pair.home.device.peers[0].probeAt - 20;
  }
  if (trigger === 'shutdown') sim.at(expected, (now) => pair.gateway.device.shutdown(now), 'gateway shutdown');
  if (o.homeRestarted) sim.at(expected - 1_000, () => pair.home.restart(), 'home restarts');

  // The first CLOSE: the gateway's `closing` event (WireGuard has none: the time UAL or shutdown would act).
  let closeStart = extensions ? Infinity : expected;
  let closingCountAtStart = 0;
  let gatewayStateClosing = '';
  let homeStateClosed = '';
  sim.onTrace((e) => {
    if (closeStart === Infinity && e.kind === 'event' && (e.node === 'gateway' || e.node === 'home') && e.detail?.startsWith('closing ')) {
      closeStart = e.time;
      sim.at(e.time, () => {
        closingCountAtStart = pair.gateway.device.closingCount();
        gatewayStateClosing = pair.gateway.status().peers[0].state;
      }, 'sample closing');
      sim.at(e.time + 1_000, () => { homeStateClosed = pair.home.status().peers[0].state; }, 'sample closed');
    }
  });
  // Only close frames of the association being closed: none from a later handshake (its HELLO is 48 bytes too) or reopen.
  let reopenAt = Infinity;
  const armed = (t: number) => t >= closeStart && t < Math.min(reopenAt, closeStart + MSL);
  let framesLost = { lost: 0 } as { readonly lost: number };
  const isFrame = (size: number, type: number, t: number) => size === CONTROL_SIZE && type === MSG_TRANSPORT && armed(t);
  if (loss === 'close-once' || loss === 'close-all') {
    framesLost = loseDatagrams(sim, 'gateway', PAIR.gatewayAddress, PAIR.homeAddress, loss === 'close-once' ? 1 : Infinity, isFrame);
  } else if (loss === 'ack-once' || loss === 'ack-all') {
    framesLost = loseDatagrams(sim, 'home', PAIR.homeAddress, PAIR.gatewayAddress, loss === 'ack-once' ? 1 : Infinity, isFrame);
  }

  sim.driveBounded(expected - 5_000, { maxSteps: 5_000_000 });
  const closeBy = sim.waitFor(() => closeStart !== Infinity, expected + 5_000);
  if (closeBy === null) closeStart = expected;
  let gatewayStateAfter = '';
  let homeStateAfter = '';
  let closingCountAfter = 0;
  sim.at(closeStart + 15_000, () => {
    gatewayStateAfter = pair.gateway.status().peers[0].state;
    homeStateAfter = pair.home.status().peers[0].state;
    closingCountAfter = pair.gateway.device.closingCount();
  }, 'sample states');
  let reopenSeq = -1;
  if (o.reopen) {
    const from = o.reopen.from === 'gateway' ? toHome : new Telemetry(sim, pair.home, PAIR.gatewayTunnelIp);
    if (o.reopen.from === 'home') from.seq = 1_000_000;
    reopenAt = closeStart + o.reopen.afterS * 1000;
    sim.at(reopenAt, () => { reopenSeq = from.seq; from.sendOne(); }, 'reopen');
  }
  const end = reopenAt === Infinity ? closeStart + 30_000 : Math.max(closeStart + 30_000, reopenAt + 10_000);
  sim.driveBounded(end, { maxSteps: 5_000_000 });

  const ev = (node: SimNode<Device>, name: 'closing' | 'closed') => first(node.eventsNamed(name, closeStart));
  const rel = (e: RecordedEvent | null) => (e ? s(e.time - closeStart) : null);
  const gwClosing = ev(pair.gateway, 'closing');
  const gwClosed = ev(pair.gateway, 'closed');
  const homeClosing = ev(pair.home, 'closing');
  const homeClosed = ev(pair.home, 'closed');
  const windowEnd = Math.min(reopenAt, end) - 1;
  const frames = (node: string) =>
    sim.sent({ node, type: MSG_TRANSPORT, size: CONTROL_SIZE, since: closeStart, until: Math.min(windowEnd, closeStart + MSL - 1) }).length;
  const freedAt = Math.max(gwClosed?.time ?? Infinity, homeClosed?.time ?? Infinity);
  const transportAfterFreed = freedAt === Infinity ? -1 :
    sim.sent({ type: MSG_TRANSPORT, since: freedAt + 1, until: windowEnd }).filter((e) => e.node === 'gateway' || e.node === 'home').length;
  let reopenS: number | null = null;
  let reopenHandshakes = 0;
  if (o.reopen) {
    const to = o.reopen.from === 'gateway' ? pair.home : pair.gateway;
    const d = to.deliveries.find((x) => x.time >= reopenAt && seqOf(x.payload) === reopenSeq);
    reopenS = d ? s(d.time - reopenAt) : null;
    reopenHandshakes = (o.reopen.from === 'gateway' ? pair.gateway : pair.home).eventsNamed('handshake-complete', reopenAt).length;
  }
  const zeroed = first(pair.gateway.eventsNamed('keys-zeroed', lastData));
  return {
    idleBeforeCloseS: gwClosing ? s(gwClosing.time - lastData) : null,
    gatewayClosingS: rel(gwClosing),
    gatewayClosedS: rel(gwClosed),
    gatewayClosedWhy: gwClosed?.detail ?? null,
    homeClosingS: rel(homeClosing),
    homeClosingWhy: homeClosing?.detail ?? null,
    homeClosedS: rel(homeClosed),
    homeClosedWhy: homeClosed?.detail ?? null,
    gatewayCloseFrames: frames('gateway'),
    homeCloseFrames: frames('home'),
    framesLost: framesLost.lost,
    homeNaks: sim.sent({ node: 'home', type: MSG_NAK, since: closeStart, until: windowEnd }).length,
    transportAfterFreed,
    handshakesDuringClose: [...pair.gateway.eventsNamed('handshake-complete', closeStart), ...pair.home.eventsNamed('handshake-complete', closeStart)]
      .filter((e) => e.time < Math.min(reopenAt, end)).length,
    gatewayStateClosing,
    homeStateClosed,
    gatewayStateAfter,
    homeStateAfter,
    closingCountAtStart,
    closingCountAfter,
    reopenS,
    reopenHandshakes,
    keysZeroedS: zeroed ? s(zeroed.time - lastData) : null,
    homeSaidHello: pair.gateway.status().peers[0].homeward,
    unpairedClosing: {
      gateway: pair.gateway.eventsNamed('closing', 0).length - pair.gateway.eventsNamed('closed', 0).length,
      home: pair.home.eventsNamed('closing', 0).length - pair.home.eventsNamed('closed', 0).length,
    },
  };
}

// ------------------------------------------------------------------ bounded table

export interface TableTopology {
  home: SimNode<Device>;
  /** gateways[i] is home's peer i. */
  gateways: SimNode<Device>[];
  /** Nodes whose keys home does not know. */
  strangers: SimNode<Device>[];
  homeConfig: DeviceConfig;
}

/** Tunnel address of gateway i: 10.100.0.(10 + i). */
export const gatewayTunnelIp = (i: number): string => `10.100.0.${10 + i}`;

/**
 * A home end whose table holds `capacity` sessions, with `gateways` configured
 * gateways (more than fit) and `strangers` nodes that know home but are
 * unknown to it. Gateway i is at 192.0.2.(10 + i), a stranger j at
 * 203.0.113.(10 + j); all send to home at PAIR.homeAddress.
 */
export function buildTable(sim: Simulation, extensions: boolean, capacity: number, gateways: number, strangers: number): TableTopology {
  const publicKey = x25519PublicKey;
  const make = (config: DeviceConfig, host: DeviceHost): Device => new Device(config, host);
  const ping = extensions ? undefined : 0;
  const homeKeys = makeKeyPair(sim.rng, publicKey);
  const gatewayKeys = Array.from({ length: gateways }, () => makeKeyPair(sim.rng, publicKey));
  const strangerKeys = Array.from({ length: strangers }, () => makeKeyPair(sim.rng, publicKey));
  const homeConfig: DeviceConfig = {
    interface: { privateKey: homeKeys.privateKey, listenPort: PAIR.homePort, address: cidr(`${PAIR.homeTunnelIp}/32`) },
    peers: gatewayKeys.map((k, i) => peerConfig(k.publicKey, null, null, `${gatewayTunnelIp(i)}/32`, 0, extensions, ping)),
    limits: { ...GATEWAY_LIMITS, maxPeers: capacity },
  };
  const home = sim.addNode({ name: 'home', address: PAIR.homeAddress, port: PAIR.homePort, factory: deviceFactory('home', homeConfig, make) });
  const field = (name: string, keys: KeyPair, address: string, tunnelIp: string): SimNode<Device> => {
    const config: DeviceConfig = {
      interface: { privateKey: keys.privateKey, listenPort: PAIR.gatewayPort, address: cidr(`${tunnelIp}/32`) },
      peers: [peerConfig(homeKeys.publicKey, null, { address: PAIR.homeAddress, port: PAIR.homePort }, `${PAIR.homeTunnelIp}/32`, 0, extensions, ping)],
      limits: GATEWAY_LIMITS,
    };
    return sim.addNode({ name, address, port: PAIR.gatewayPort, factory: deviceFactory(name, config, make) });
  };
  return {
    home,
    gateways: gatewayKeys.map((k, i) => field(`gw${i}`, k, `192.0.2.${10 + i}`, gatewayTunnelIp(i))),
    strangers: strangerKeys.map((k, j) => field(`stranger${j}`, k, `203.0.113.${10 + j}`, `10.200.0.${10 + j}`)),
    homeConfig,
  };
}

export interface TableResult {
  capacity: number;
  configured: number;
  /** Most peers holding session slots at home at any step (never above capacity). */
  maxHeld: number;
  /** Most receiver-index entries at home at any step (bounded by configured + 3 × capacity). */
  maxIndexEntries: number;
  /** Home's `evicted` events: peer, time (s), and how long that peer had been without data (s). */
  evictions: { peer: number; atS: number; idleS: number }[];
  /** A CLOSE (48-byte transport) went from home to each evicted gateway at its eviction. */
  closeOnEviction: boolean[];
  /** `table-full` events at home, by peer, home's tableFull drop count, and the per-peer counts in status(). */
  tableFullPeers: number[];
  tableFullDrops: number;
  tableFullByPeer: number[];
  /** Home's peer states at the end (gw1 and gw3 hold the two sessions). */
  statesAtEnd: string[];
  /** Seconds from gw2's first datagram to its first delivery at home (it needs gw0's slot). */
  gw2JoinS: number | null;
  /** Seconds from gw3's first datagram to its first delivery (it waits until gw2 has been idle for 15 s). */
  gw3JoinS: number | null;
  /** gw4 (a one-off connect while both sessions are busy) never got a session. */
  gw4Established: boolean;
  /** Longest gap in gw1's deliveries while it sent (s): the busy session is never disturbed. */
  gw1LongestGapS: number;
  /** Strangers and spoofed copies of their initiations: what the flood was and what it left behind. */
  flood: {
    datagrams: number;
    badInitiation: number;
    cookieRequired: number;
    rateLimited: number;
    heldBefore: number;
    heldAfter: number;
    indexEntriesBefore: number;
    indexEntriesAfter: number;
  };
}

/**
 * Home holds 2 sessions, 5 gateways are configured, telemetry at 20/s:
 * - gw0 sends from 1 s to 5 s, gw1 from 1 s to the end (busy throughout);
 * - gw2 sends from 30 s to 60 s: gw0 (idle 25 s) is evicted for it;
 * - gw3 sends from 40 s on: both sessions are busy (table-full) until gw2 has
 *   been idle for 15 s (75 s); gw3's next attempt evicts gw2;
 * - gw4 only connects once, at 45 s: table-full;
 * - at 50 s, 20 strangers (keys home does not know) connect once, and 2000
 *   spoofed copies of their initiations arrive within one second (home has a
 *   gateway's limits: under load after 100 handshake messages/s).
 * The run ends at 120 s.
 */
export function runTable(extensions: boolean, seed = 23): TableResult {
  const capacity = 2;
  const sim = new Simulation({ seed, link: { latency: LATENCY }, keepTrace: true });
  const t = buildTable(sim, extensions, capacity, 5, 20);
  const home = t.home;
  const end = 120_000;
  const tel = t.gateways.map((g) => new Telemetry(sim, g, PAIR.homeTunnelIp));
  tel[0].start(1_000, 5_000);
  tel[1].start(1_000, end);
  tel[2].start(30_000, 60_000);
  tel[3].start(40_000, end);
  sim.at(45_000, () => t.gateways[4].connect(0), 'gw4 connects');

  let maxHeld = 0;
  let maxIndexEntries = 0;
  sim.invariant('table bound', () => {
    if (!home.alive) return true;
    const held = home.device.peers.filter((p) => p.sessionSet !== NO_SET).length;
    maxHeld = Math.max(maxHeld, held);
    maxIndexEntries = Math.max(maxIndexEntries, indexEntries(home.device));
    return held <= capacity || `${held} peers hold slots, capacity ${capacity}`;
  });

  const floodAt = 50_000;
  let heldBefore = 0;
  let indexBefore = 0;
  let dropsBefore = home.device.drops.toRecord();
  let floodDatagrams = 0;
  sim.at(floodAt - 1, () => {
    heldBefore = home.device.peers.filter((p) => p.sessionSet !== NO_SET).length;
    indexBefore = indexEntries(home.device);
    dropsBefore = home.device.drops.toRecord();
  }, 'before flood');
  sim.at(floodAt, () => { for (const st of t.strangers) st.connect(0); }, 'strangers connect');
  sim.at(floodAt + 200, () => {
    const inits = sim.sent({ type: MSG_INITIATION, since: floodAt }).filter((e) => e.node?.startsWith('stranger'));
    // The strangers' own retries add nothing but run time: the spoofed copies are the flood.
    for (const st of t.strangers) st.kill();
    for (let i = 0; i < 2_000; i++) {
      const e = inits[i % inits.length];
      sim.at(floodAt + 200 + i * 0.5, () => sim.inject(`203.0.113.${100 + (i % 100)}`, 40_000 + i, e.data!, PAIR.homeAddress, PAIR.homePort, 'flood'));
    }
  }, 'flood');
  let floodResult: TableResult['flood'] | null = null;
  sim.at(floodAt + 5_000, () => {
    const d = home.device.drops.toRecord();
    floodDatagrams = sim.sent({ since: floodAt, until: floodAt + 5_000 }).filter((e) => e.node === 'flood' || e.node?.startsWith('stranger')).length;
    floodResult = {
      datagrams: floodDatagrams,
      badInitiation: d.badInitiation - dropsBefore.badInitiation,
      cookieRequired: d.cookieRequired - dropsBefore.cookieRequired,
      rateLimited: d.rateLimited - dropsBefore.rateLimited,
      heldBefore,
      heldAfter: home.device.peers.filter((p) => p.sessionSet !== NO_SET).length,
      indexEntriesBefore: indexBefore,
      indexEntriesAfter: indexEntries(home.device),
    };
  }, 'after flood');
  sim.driveBounded(end, { maxSteps: 5_000_000 });

  const deliveries = (peer: number) => home.deliveries.filter((d) => d.peer === peer).map((d) => d.time);
  const evictions = home.eventsNamed('evicted').map((e) => {
    const before = deliveries(e.peer).filter((x) => x <= e.time);
    return { peer: e.peer, atS: e.time / 1000, idleS: s(e.time - (before.length ? before[before.length - 1] : 0))! };
  });
  const closeOnEviction = home.eventsNamed('evicted').map((e) =>
    sim.sent({ node: 'home', type: MSG_TRANSPORT, size: CONTROL_SIZE, since: e.time, until: e.time })
      .some((x) => x.to === `192.0.2.${10 + e.peer}:${PAIR.gatewayPort}`));
  const join = (peer: number, from: number) => {
    const d = deliveries(peer).find((x) => x >= from);
    return d === undefined ? null : s(d - from);
  };
  const gw1 = deliveries(1);
  return {
    capacity,
    configured: t.homeConfig.peers.length,
    maxHeld,
    maxIndexEntries,
    evictions,
    closeOnEviction,
    tableFullPeers: [...new Set(home.eventsNamed('table-full').map((e) => e.peer))].sort(),
    tableFullDrops: home.device.drops.tableFull,
    tableFullByPeer: home.status().peers.map((p) => p.drops.tableFull ?? 0),
    statesAtEnd: home.status().peers.map((p) => p.state),
    gw2JoinS: join(2, 30_000),
    gw3JoinS: join(3, 40_000),
    gw4Established: t.gateways[4].eventsNamed('handshake-complete').length > 0,
    gw1LongestGapS: s(longestGap(gw1, 1_100, end))!,
    flood: floodResult!,
  };
}

/**
 * LRU among idle sessions: 2 slots, gw0 sends from 1 s to 8 s and gw1 from
 * 1 s to 5 s, so both are idle when gw2 starts at 30 s. gw1, used least
 * recently (not gw0, first in config order), must make room. Returns home's
 * evicted peers in order and who holds sessions at the end.
 */
export function runTableLru(extensions = true, seed = 31): { evicted: number[]; holders: number[]; gw2JoinS: number | null } {
  const sim = new Simulation({ seed, link: { latency: LATENCY } });
  const t = buildTable(sim, extensions, 2, 3, 0);
  new Telemetry(sim, t.gateways[0], PAIR.homeTunnelIp).start(1_000, 8_000);
  new Telemetry(sim, t.gateways[1], PAIR.homeTunnelIp).start(1_000, 5_000);
  new Telemetry(sim, t.gateways[2], PAIR.homeTunnelIp).start(30_000, 40_000);
  sim.driveBounded(45_000, { maxSteps: 1_000_000 });
  const first2 = t.home.deliveries.find((d) => d.peer === 2);
  return {
    evicted: t.home.eventsNamed('evicted').map((e) => e.peer),
    holders: t.home.device.peers.filter((p) => p.sessionSet !== NO_SET).map((p) => p.index),
    gw2JoinS: first2 ? s(first2.time - 30_000) : null,
  };
}

// ------------------------------------------------------------------ busy tunnel

export interface BusyResult {
  /** Probes each side sent while telemetry flowed (other traffic proves liveness). */
  gatewayProbes: number;
  homeProbes: number;
  /** Probes after the telemetry stopped (the tunnel idle, both ends alive) and `peer-down` events in the whole run. */
  idleGatewayProbes: number;
  idleHomeProbes: number;
  peerDowns: number;
}

/**
 * Telemetry at 20/s for 120 s, from the gateway to home, and back too if
 * `bothWays`; then 60 s idle with both ends alive.
 */
export function runBusy(bothWays: boolean, seed = 29): BusyResult {
  const sim = new Simulation({ seed, link: { latency: LATENCY } });
  const pair = livenessPair(sim, true);
  const stopAt = 121_000;
  new Telemetry(sim, pair.gateway, PAIR.homeTunnelIp).start(1_000, stopAt);
  if (bothWays) new Telemetry(sim, pair.home, PAIR.gatewayTunnelIp).start(1_025, stopAt);
  let gw = 0;
  let home = 0;
  sim.at(stopAt + 1, () => {
    gw = pair.gateway.status().peers[0].probesSent;
    home = pair.home.status().peers[0].probesSent;
  }, 'sample probes');
  sim.driveBounded(stopAt + 60_000, { maxSteps: 5_000_000 });
  return {
    gatewayProbes: gw,
    homeProbes: home,
    idleGatewayProbes: pair.gateway.status().peers[0].probesSent - gw,
    idleHomeProbes: pair.home.status().peers[0].probesSent - home,
    peerDowns: pair.gateway.eventsNamed('peer-down').length + pair.home.eventsNamed('peer-down').length,
  };
}
