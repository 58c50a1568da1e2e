/**
 * One tunnel endpoint for the cross-engine test (tests/cross-engine.test.ts):
 * a Device behind a host that records instead of doing I/O. The same code
 * runs in-process on Node and, bundled by tests/xs/cross-entry.ts, in an XS
 * worker, so any difference the test sees is the engines', not the harness's.
 *
 * Everything crosses the engine boundary as JSON (bytes as hex): a Request
 * carries the time and the operations to apply in order, and the Reply
 * carries what the Device did meanwhile (datagrams sent, UDP payloads
 * delivered, events) and its next deadline. The endpoint never reads a clock
 * and never touches `crypto`: time comes from the test and randomness from a
 * seeded stream, so both engines are fed exactly what the test decides.
 *
 * Nothing here may use Node APIs: it must load on XS as it is.
 */
import { GATEWAY_LIMITS, NODE_LIMITS, type DeviceConfig } from '../../modules/config';
import { Device, type DeviceHost } from '../../modules/device';
import type { DeviceStatus } from '../../modules/status';
import { Rng } from '../../hosts/sim/rng';

/** How to build the Device; `start` with the same setup again is a reboot (keys survive, sessions do not). */
export interface EndpointSetup {
  /** Our static private key, hex. */
  privateKey: string;
  /** The one peer's static public key, hex. */
  peerPublicKey: string;
  /** Our tunnel address and the peer's (its AllowedIPs), as unsigned 32-bit numbers; both /32. */
  tunnelIp: number;
  peerTunnelIp: number;
  listenPort: number;
  /** Where the peer is, or null for a responder that learns it from the first handshake. */
  endpoint: { address: string; port: number } | null;
  limits: 'gateway' | 'node';
  /** Seed of this boot's random stream (DeviceHost.random). */
  seed: number;
}

export type Operation =
  | { op: 'datagram'; data: string; address: string; port: number }
  | { op: 'timeout' }
  | { op: 'sendUdp'; srcPort: number; dstIp: number; dstPort: number; payload: string }
  | { op: 'connect'; peer: number };

export interface Request {
  now: number;
  ops: Operation[];
  /** Include Device.status(now) in the reply (after the operations). */
  status?: boolean;
}

export interface SentDatagram {
  data: string;
  address: string;
  port: number;
}

export interface Delivered {
  peer: number;
  srcIp: number;
  srcPort: number;
  dstPort: number;
  payload: string;
}

export interface RecordedEvent {
  name: string;
  peer: number;
  time: number;
  detail?: string;
}

export interface Reply {
  sent: SentDatagram[];
  delivered: Delivered[];
  events: RecordedEvent[];
  /** sendUdp's SEND_* code for each sendUdp operation, in order. */
  results: number[];
  /** Device.pollTimeout(); null for Infinity (JSON has none). */
  deadline: number | null;
  status?: DeviceStatus;
}

const HEX = '0123456789abcdef';

export function toHex(buf: Uint8Array, off = 0, len = buf.length - off): string {
  let s = '';
  for (let i = off; i < off + len; i++) s += HEX[buf[i] >> 4] + HEX[buf[i] & 15];
  return s;
}

export function fromHex(hex: string): Uint8Array {
  if (hex.length % 2 !== 0 || /[^0-9a-f]/.test(hex)) throw new Error(`not lowercase hex: ${hex.slice(0, 40)}`);
  const out = new Uint8Array(hex.length / 2);
  for (let i = 0; i < out.length; i++) out[i] = parseInt(hex.slice(2 * i, 2 * i + 2), 16);
  return out;
}

export class CrossEndpoint {
  private device: Device | null = null;
  /** Outputs since the last reply; the host appends, `run` hands them over. */
  private out: Reply = CrossEndpoint.empty();
  /** Bumped per boot, so a dropped Device's host (were it ever called again) records nothing. */
  private generation = 0;

  /** Builds a fresh Device, dropping the previous one and all its state. */
  start(setup: EndpointSetup): void {
    this.device = null;
    const generation = ++this.generation;
    this.out = CrossEndpoint.empty();
    const rng = new Rng(setup.seed);
    const live = (): boolean => generation === this.generation;
    const host: DeviceHost = {
      // `data` is the Device's own buffer, reused after return: copy it out now.
      send: (data, len, address, port) => {
        if (live()) this.out.sent.push({ data: toHex(data, 0, len), address, port });
      },
      deliverUdp: (peer, srcIp, srcPort, dstPort, buf, off, len) => {
        if (live()) this.out.delivered.push({ peer, srcIp, srcPort, dstPort, payload: toHex(buf, off, len) });
      },
      random: (out) => rng.fill(out),
      event: (e) => {
        if (!live()) return;
        const r: RecordedEvent = { name: e.name, peer: e.peer, time: e.time };
        if (e.detail !== undefined) r.detail = e.detail;
        this.out.events.push(r);
      },
    };
    const config: DeviceConfig = {
      interface: { privateKey: fromHex(setup.privateKey), listenPort: setup.listenPort, address: { ip: setup.tunnelIp, bits: 32 } },
      peers: [{
        publicKey: fromHex(setup.peerPublicKey),
        presharedKey: null,
        endpoint: setup.endpoint,
        allowedIps: [{ ip: setup.peerTunnelIp, bits: 32 }],
        persistentKeepalive: 0,
      }],
      limits: setup.limits === 'gateway' ? GATEWAY_LIMITS : NODE_LIMITS,
    };
    this.device = new Device(config, host);
  }

  /** Power off: the Device and everything in it are gone until the next start. */
  stop(): void {
    this.device = null;
    this.generation++;
  }

  /** Applies the operations in order at time `now` and returns everything the Device did. */
  run(request: Request): Reply {
    const d = this.device;
    if (d === null) throw new Error('the endpoint is down: start() it first');
    const now = request.now;
    for (const o of request.ops) {
      switch (o.op) {
        case 'datagram': {
          const data = fromHex(o.data);
          d.handleDatagram(now, data, data.length, o.address, o.port);
          break;
        }
        case 'timeout':
          d.handleTimeout(now);
          break;
        case 'sendUdp': {
          const payload = fromHex(o.payload);
          this.out.results.push(d.sendUdp(now, o.srcPort, o.dstIp, o.dstPort, payload, 0, payload.length));
          break;
        }
        case 'connect':
          d.connect(now, o.peer);
          break;
        default:
          throw new Error(`unknown operation ${JSON.stringify(o)}`);
      }
    }
    const reply = this.out;
    this.out = CrossEndpoint.empty();
    const deadline = d.pollTimeout();
    reply.deadline = deadline === Infinity ? null : deadline;
    if (request.status) reply.status = d.status(now);
    return reply;
  }

  private static empty(): Reply {
    return { sent: [], delivered: [], events: [], results: [], deadline: null };
  }
}
