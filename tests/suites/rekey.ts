/**
 * Rekeys under reordering and duplication, both ends on gateway limits (a
 * 1024-counter window for the current keypair, 256 for the other): every
 * datagram arrives exactly once in both directions, late ones that cross a
 * rekey are taken on the previous keypair, and every duplicate is refused.
 * A host-agnostic suite: tests/rekey.test.ts runs it on Node,
 * tests/xs.test.ts on the XS engine.
 */
import { GATEWAY_LIMITS } from '../../modules/config';
import { REKEY_AFTER_TIME } from '../../modules/constants';
import { Device } from '../../modules/device';
import { publicKey } from '../../modules/crypto/x25519';
import { buildPair, PAIR } from '../../hosts/sim/pair';
import { Simulation } from '../../hosts/sim/index';
import { type Case, diagnostic, equal, ok } from '../harness/suite';

const PERIOD = 50;
const START = 1_000;
const END = 3 * REKEY_AFTER_TIME + 30_000;
const HELD_BACK = 400;

function seqOf(payload: Uint8Array): number {
  return ((payload[0] << 24) | (payload[1] << 16) | (payload[2] << 8) | payload[3]) >>> 0;
}

function numbered(seq: number): Uint8Array {
  const p = new Uint8Array(8);
  p[0] = seq >>> 24;
  p[1] = (seq >>> 16) & 0xff;
  p[2] = (seq >>> 8) & 0xff;
  p[3] = seq & 0xff;
  return p;
}

export const cases: Case[] = [
  ['rekeys with reordering and duplicates on gateway limits: every datagram once, late ones across a rekey taken', () => {
    const sim = new Simulation({ seed: 11, link: { latency: 50, reorder: 0.1, reorderDelay: HELD_BACK, duplicate: 0.03 } });
    const pair = buildPair<Device>(sim, {
      makeDevice: (config, host) => new Device(config, host),
      publicKey,
      gatewayLimits: GATEWAY_LIMITS,
      homeLimits: GATEWAY_LIMITS,
      gatewayKeepalive: 25,
    });
    let up = 0;
    let down = 0;
    sim.every(PERIOD, () => void pair.gateway.sendUdp(PAIR.telemetryPort, PAIR.homeTunnelIp, PAIR.telemetryPort, numbered(up++)), { start: START, until: END - 5_000 });
    sim.every(PERIOD, () => void pair.home.sendUdp(PAIR.telemetryPort, PAIR.gatewayTunnelIp, PAIR.telemetryPort, numbered(down++)), { start: START + 25, until: END - 5_000 });
    sim.driveBounded(END, { maxSteps: 5_000_000 });

    const rekeys = pair.gateway.eventsNamed('handshake-complete').map((e) => e.time);
    ok(rekeys.length >= 3, `${rekeys.length} handshakes in ${END / 1000} s: the first and at least two rekeys`);
    for (const [name, node, sent, offset] of [['home', pair.home, up, 0], ['gateway', pair.gateway, down, 25]] as const) {
      const seqs = node.deliveries.map((d) => seqOf(d.payload));
      equal(new Set(seqs).size, sent, `${name}: distinct datagrams delivered, of ${sent} sent`);
      equal(seqs.length, sent, `${name}: no datagram delivered twice`);
      // Sent before a rekey and delivered after it (its sender had moved to the new keypair):
      // taken on the receiver's previous keypair, in the smaller window.
      const crossed = node.deliveries.filter((d) => {
        const sentAt = START + offset + seqOf(d.payload) * PERIOD;
        return rekeys.some((t) => t > START + 1_000 && sentAt < t && d.time > t + 100);
      }).length;
      const replays = node.status().drops.replay ?? 0;
      diagnostic(`${name}: ${sent} sent, ${crossed} delivered late across a rekey, ${replays} duplicates refused`);
      ok(crossed > 0, `${name}: some datagrams crossed a rekey late (the scenario must exercise the previous keypair)`);
      ok(replays > 0, `${name}: the link's duplicates were refused as replays`);
    }
  }],
];
