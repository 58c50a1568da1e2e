/**
 * Recovery scenarios measured in the simulator: telemetry at a fixed rate from
 * gateway to home, a restart with state lost, and the outage and loss that
 * follow — with homeward's extensions on, and off (WireGuard's behaviour).
 */
import { x25519 } from '@noble/curves/ed25519.js';
import { GATEWAY_LIMITS, NODE_LIMITS } from '../../modules/config';
import { Device } from '../../modules/device';
import { buildPair, PAIR } from './pair';
import { Simulation } from './simulation';

export interface RecoveryResult {
  /** Longest gap between consecutive telemetry arrivals at home, in seconds. */
  outageS: number;
  /** Telemetry datagrams sent but never delivered. */
  lost: number;
  sent: number;
}

export type ScenarioName = 'responderRestart' | 'initiatorRestart' | 'keepaliveOnly';

/**
 * 100 ms RTT, 20 datagrams/s. The restart happens at 20 s; the run ends at 60 s
 * (keepaliveOnly: telemetry resumes only after the next keepalive, at 25 s).
 */
export function runRecovery(scenario: ScenarioName, extensions: boolean, seed = 7): RecoveryResult {
  const sim = new Simulation({ seed, link: { latency: 50 } });
  const pair = buildPair<Device>(sim, {
    makeDevice: (config, host) => new Device(config, host),
    publicKey: (k) => x25519.getPublicKey(k),
    gatewayLimits: GATEWAY_LIMITS,
    homeLimits: NODE_LIMITS,
    gatewayKeepalive: 25,
    extensions,
  });
  const restartAt = 20_000;
  const end = 60_000;
  let seq = 0;
  const telemetry = (now: number) => {
    if (scenario === 'keepaliveOnly' && now > restartAt - 5_000 && now < restartAt + 10_000) return;
    const payload = new Uint8Array(8);
    new DataView(payload.buffer).setUint32(0, seq++);
    pair.gateway.sendUdp(PAIR.telemetryPort, PAIR.homeTunnelIp, PAIR.telemetryPort, payload);
  };
  sim.every(50, telemetry, { start: 1_000, until: end - 5_000 });
  const victim = scenario === 'initiatorRestart' ? pair.gateway : pair.home;
  sim.at(restartAt, () => victim.restart(), 'restart');
  sim.driveBounded(end, { maxSteps: 5_000_000 });

  const got = new Set<number>();
  const times: number[] = [];
  for (const d of pair.home.deliveries) {
    got.add(new DataView(d.payload.buffer, d.payload.byteOffset).getUint32(0));
    times.push(d.time);
  }
  times.sort((a, b) => a - b);
  let gap = 0;
  for (let i = 1; i < times.length; i++) {
    // keepaliveOnly has a planned silence; the outage is what follows it.
    const from = scenario === 'keepaliveOnly' ? Math.max(times[i - 1], restartAt + 10_000) : times[i - 1];
    gap = Math.max(gap, times[i] - from);
  }
  return { outageS: gap / 1000, lost: seq - got.size, sent: seq };
}
