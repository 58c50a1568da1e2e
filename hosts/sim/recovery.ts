/**
 * Recovery scenarios measured in the simulator: telemetry at a fixed rate from
 * gateway to home, a restart with state lost, and the outage and loss that
 * follow — with homeward's extensions on, and off (WireGuard's behaviour).
 */
import { publicKey as x25519PublicKey } from '../../modules/crypto/x25519';
import { GATEWAY_LIMITS, NODE_LIMITS } from '../../modules/config';
import { Device } from '../../modules/device';
import type { DeviceHost } from '../../modules/host';
import { MSG_PROD } from '../../modules/messages';
import { buildPair, PAIR, type Pair, type PairOptions } from './pair';
import { Simulation } from './simulation';

/** The simulator's gateway/home pair running the real Device with the default limits. */
export function homewardPair(
  sim: Simulation,
  options: Omit<PairOptions<Device>, 'makeDevice' | 'publicKey' | 'gatewayLimits' | 'homeLimits'> & {
    /** Every PROD either end sends is lost on the path (it never reaches the network): WAIT without its shortcut. */
    dropProds?: boolean;
  } = {},
): Pair<Device> {
  const { dropProds, ...rest } = options;
  return buildPair<Device>(sim, {
    makeDevice: (config, host) => new Device(config, dropProds ? withoutProds(host) : host),
    publicKey: x25519PublicKey,
    gatewayLimits: GATEWAY_LIMITS,
    homeLimits: NODE_LIMITS,
    ...rest,
  });
}

/** A host whose socket loses every PROD (type 6) the Device sends. */
function withoutProds(host: DeviceHost): DeviceHost {
  return {
    ...host,
    send: (data, len, address, port) => {
      if (len > 0 && data[0] === MSG_PROD) return;
      host.send(data, len, address, port);
    },
  };
}

/** One telemetry datagram from the gateway to the home end's telemetry port, through the tunnel. */
export function sendTelemetry(pair: Pair<Device>, payload: Uint8Array): void {
  pair.gateway.sendUdp(PAIR.telemetryPort, PAIR.homeTunnelIp, PAIR.telemetryPort, payload);
}

export interface RecoveryResult {
  /** Longest gap between consecutive telemetry arrivals at home, in seconds. */
  outageS: number;
  /** Telemetry datagrams sent but never delivered. */
  lost: number;
  sent: number;
  /** The sequence numbers of the lost datagrams (telemetry is numbered from 0). */
  lostSeqs: number[];
}

export type ScenarioName =
  | 'responderRestart'
  | 'keepaliveOnly'
  | 'initiatorRestart'
  | 'roamingResponderRestart'
  | 'bothRestart'
  | 'restartDuringHandshake'
  | 'waitProd';

export const SCENARIOS: ScenarioName[] = [
  'responderRestart', 'keepaliveOnly', 'initiatorRestart', 'roamingResponderRestart', 'bothRestart', 'restartDuringHandshake',
  'waitProd',
];

/**
 * 100 ms RTT, 20 datagrams/s, persistent keepalive 25 s. The restart happens
 * at 20 s; the run ends at 60 s (keepaliveOnly: 200 s).
 * - keepaliveOnly: no telemetry at all, only keepalives; the outage is from the
 *   first keepalive after the restart to the next completed handshake.
 * - roamingResponderRestart: the gateway moved to a new address (NAT
 *   rebinding) before home restarts, so home cannot know where it is.
 * - restartDuringHandshake: home goes dark at 20 s and comes back restarted at
 *   24 s, while the gateway's key exchange is in flight; the outage counts
 *   from its return.
 * - bothRestart: both ends lose their state at the same instant. The one
 *   datagram on the wire at that moment (50 ms one-way at 20/s: there is
 *   always exactly one) is lost in both modes: its only copy was in the old
 *   gateway's resend ring, and the NAK it draws names an index the new
 *   gateway never had (see `lostSeqs`).
 * - waitProd: see runWaitProd.
 */
export function runRecovery(scenario: ScenarioName, extensions: boolean, seed = 7): RecoveryResult {
  if (scenario === 'waitProd') return runWaitProd(extensions, { seed });
  const sim = new Simulation({ seed, link: { latency: 50 }, keepTrace: scenario === 'keepaliveOnly' });
  const pair = homewardPair(sim, { gatewayKeepalive: 25, extensions });
  const restartAt = 20_000;
  const end = scenario === 'keepaliveOnly' ? 200_000 : 60_000;
  let seq = 0;
  const telemetry = (now: number) => {
    if (scenario === 'keepaliveOnly') return;
    void now;
    const payload = new Uint8Array(8);
    new DataView(payload.buffer).setUint32(0, seq++);
    sendTelemetry(pair, payload);
  };
  sim.every(50, telemetry, { start: 1_000, until: end - 5_000 });
  // keepaliveOnly: one handshake up front (as `homeward up` does for a peer with PersistentKeepalive).
  if (scenario === 'keepaliveOnly') sim.at(500, () => pair.gateway.connect(0), 'connect');
  let quietUntil = -Infinity;
  if (scenario === 'initiatorRestart') sim.at(restartAt, () => pair.gateway.restart(), 'restart');
  else if (scenario === 'bothRestart') sim.at(restartAt, () => { pair.gateway.restart(); pair.home.restart(); }, 'restart');
  else if (scenario === 'restartDuringHandshake') {
    // Dark from 16 s (the gateway's 10+5 s rule starts a key exchange at ~31 s... or a NAK-less retry
    // series runs), back restarted at 33 s, in the middle of that exchange.
    sim.at(16_000, () => pair.home.kill(), 'home dies');
    sim.at(33_000, () => pair.home.restart(), 'home back, state lost');
    quietUntil = 33_000;
  } else {
    if (scenario === 'roamingResponderRestart') sim.at(restartAt - 5_000, () => pair.gateway.moveTo('192.0.2.77', 40_000), 'NAT rebinding');
    sim.at(restartAt, () => pair.home.restart(), 'restart');
  }
  sim.driveBounded(end, { maxSteps: 5_000_000 });

  if (scenario === 'keepaliveOnly') {
    // Keepalives carry no telemetry: the outage is from the first keepalive that
    // reaches the restarted home to the new session.
    const hs = pair.gateway.eventsNamed('handshake-complete', restartAt);
    const ka = sim.sent({ node: 'gateway', type: 4, since: restartAt });
    const firstKa = ka.length ? ka[0].time + 50 : end;
    const done = hs.length ? hs[0].time : end;
    return { outageS: Math.max(0, done - firstKa) / 1000, lost: 0, sent: 0, lostSeqs: [] };
  }

  const { got, times } = arrivals(pair);
  // restartDuringHandshake has a planned dark time; the outage is what follows it.
  return { outageS: longestGap(times, quietUntil) / 1000, lost: seq - got.size, sent: seq, lostSeqs: missing(got, seq) };
}

/** The longest gap between consecutive arrival times (sorted), not counting planned dark time before `quietUntil`. */
function longestGap(times: number[], quietUntil: number): number {
  let gap = 0;
  for (let i = 1; i < times.length; i++) {
    const from = Math.max(times[i - 1], quietUntil);
    gap = Math.max(gap, times[i] - from);
  }
  return gap;
}

function missing(got: Set<number>, sent: number): number[] {
  const out: number[] = [];
  for (let i = 0; i < sent; i++) if (!got.has(i)) out.push(i);
  return out;
}

function seqOf(payload: Uint8Array): number {
  return new DataView(payload.buffer, payload.byteOffset).getUint32(0);
}

export interface WaitProdResult extends RecoveryResult {
  /** When the gateway's key exchange gave up (REKEY_ATTEMPT_TIME), and when home came back. ms. */
  gaveUpAt: number;
  backAt: number;
  /** The WAIT the gateway drew (ms; 0 with the extensions off: WireGuard has no WAIT). */
  waitMs: number;
  /** PRODs the gateway's Device sent (with dropProds, all lost on the path) and home's Device received. */
  prodsSent: number;
  prodsReceived: number;
}

/**
 * secnet's case, WAIT + PROD. 100 ms RTT, 20 datagrams/s, no persistent
 * keepalive, and PingInterval 0: with ping, liveness would erase the old
 * keypair after 40 s and nothing would be left to NAK (that path is
 * hosts/sim/liveness.ts's); it would also short-circuit WAIT.
 *
 * The link between the ends goes down at 10 s; the gateway's telemetry goes on
 * until 12 s and then pauses (new data would only restart the exchange). The
 * 10+5 s rule (armed by the first datagram after home's last answer, at
 * ~0.6 s) starts a key exchange at ~16 s, which gives up after 20 attempts
 * at ~118 s: the gateway enters WAIT (10–30 s) while its old keypair (from
 * 0.6 s, good until 180 s) is still usable. 2 s later the home end returns
 * with its state lost (it has no Endpoint for the gateway, so it cannot
 * initiate on its own) and telemetry resumes on the old keypair.
 *
 * - on: home NAKs the first datagram; the gateway, in WAIT, PRODs; home,
 *   holding no key, initiates to the PROD's source: about 3.5 RTT.
 * - `dropProds` (on, every PROD lost): what WAIT alone costs — the gateway
 *   holds its attempts back until the wait-time is over.
 * - off (WireGuard): no WAIT; the next attempt comes from REKEY_AFTER_TIME
 *   (120 s on send) or the 10+5 s rule, whichever is first. Where the old
 *   keypair is in its life decides the figure: here it is ~119 s old when
 *   home returns, so the rekey on send comes within a second. Since giving
 *   up takes ~105 s after the link fails and REKEY_AFTER_TIME is 120 s,
 *   WireGuard's figure here is at most ~13 s, and usually about one RTT.
 *
 * The outage counts from the home end's return; lost counts every datagram
 * sent in the run that never arrived (those sent into the partition included).
 */
export function runWaitProd(extensions: boolean, o: { seed?: number; dropProds?: boolean } = {}): WaitProdResult {
  const sim = new Simulation({ seed: o.seed ?? 7, link: { latency: 50 } });
  const pair = homewardPair(sim, { extensions, pingInterval: 0, dropProds: o.dropProds });
  let seq = 0;
  const telemetry = () => {
    const payload = new Uint8Array(8);
    new DataView(payload.buffer).setUint32(0, seq++);
    sendTelemetry(pair, payload);
  };
  const downAt = 10_000;
  sim.every(50, telemetry, { start: 500, until: downAt + 2_000 });
  sim.at(downAt, () => sim.network.partition(PAIR.gatewayAddress, PAIR.homeAddress), 'link down');
  const gaveUpAt = sim.waitFor(() => pair.gateway.eventsNamed('handshake-failed').length > 0, 300_000);
  if (gaveUpAt === null) throw new Error('waitProd: the gateway\'s key exchange never gave up');
  const wait = pair.gateway.eventsNamed('wait');
  if (extensions && wait.length === 0) throw new Error('waitProd: the gateway never entered WAIT');
  const gw = pair.gateway.device.peers[0];
  const waitMs = extensions ? gw.waitUntil - gaveUpAt : 0;
  const backAt = gaveUpAt + 2_000;
  sim.at(backAt, () => { pair.home.restart(); sim.network.heal(PAIR.gatewayAddress, PAIR.homeAddress); }, 'home back, state lost');
  // Longer than the longest WAIT (30 s), so every variant recovers within the run.
  const end = backAt + 40_000;
  sim.every(50, telemetry, { start: backAt, until: end - 5_000 });
  sim.driveBounded(end, { maxSteps: 5_000_000 });

  const { got, times } = arrivals(pair);
  return {
    outageS: longestGap(times, backAt) / 1000,
    lost: seq - got.size,
    sent: seq,
    lostSeqs: missing(got, seq),
    gaveUpAt,
    backAt,
    waitMs,
    prodsSent: pair.gateway.status().peers[0].prodsSent,
    prodsReceived: pair.home.status().peers[0].prodsReceived,
  };
}

/** What reached the home end: the telemetry sequence numbers, and the arrival times in order. */
function arrivals(pair: Pair<Device>): { got: Set<number>; times: number[] } {
  const got = new Set<number>();
  const times: number[] = [];
  for (const d of pair.home.deliveries) {
    got.add(seqOf(d.payload));
    times.push(d.time);
  }
  times.sort((a, b) => a - b);
  return { got, times };
}
