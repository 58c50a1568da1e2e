/**
 * Recovery scenarios measured in the simulator: telemetry at a fixed rate from
 * gateway to home, a restart with state lost, and the outage and loss that
 * follow — with homeward's extensions on, and off (WireGuard's behaviour).
 */
import { x25519 } from '@noble/curves/ed25519.js';
import { GATEWAY_LIMITS, NODE_LIMITS } from '../../modules/config';
import { Device } from '../../modules/device';
import { buildPair, PAIR, type Pair, type PairOptions } from './pair';
import { Simulation } from './simulation';

/** The simulator's gateway/home pair running the real Device with the default limits. */
export function homewardPair(
  sim: Simulation,
  options: Omit<PairOptions<Device>, 'makeDevice' | 'publicKey' | 'gatewayLimits' | 'homeLimits'> = {},
): Pair<Device> {
  return buildPair<Device>(sim, {
    makeDevice: (config, host) => new Device(config, host),
    publicKey: (k) => x25519.getPublicKey(k),
    gatewayLimits: GATEWAY_LIMITS,
    homeLimits: NODE_LIMITS,
    ...options,
  });
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
}

export type ScenarioName =
  | 'responderRestart'
  | 'keepaliveOnly'
  | 'initiatorRestart'
  | 'roamingResponderRestart'
  | 'bothRestart'
  | 'restartDuringHandshake';

export const SCENARIOS: ScenarioName[] = [
  'responderRestart', 'keepaliveOnly', 'initiatorRestart', 'roamingResponderRestart', 'bothRestart', 'restartDuringHandshake',
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
 */
export function runRecovery(scenario: ScenarioName, extensions: boolean, seed = 7): RecoveryResult {
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
    return { outageS: Math.max(0, done - firstKa) / 1000, lost: 0, sent: 0 };
  }

  const got = new Set<number>();
  const times: number[] = [];
  for (const d of pair.home.deliveries) {
    got.add(new DataView(d.payload.buffer, d.payload.byteOffset).getUint32(0));
    times.push(d.time);
  }
  times.sort((a, b) => a - b);
  let gap = 0;
  for (let i = 1; i < times.length; i++) {
    // restartDuringHandshake has a planned dark time; the outage is what follows it.
    const from = Math.max(times[i - 1], quietUntil);
    gap = Math.max(gap, times[i] - from);
  }
  return { outageS: gap / 1000, lost: seq - got.size, sent: seq };
}
