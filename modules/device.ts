/**
 * The sans-IO endpoint: datagrams and timeouts in; datagrams, deliveries and
 * events out through the host. `now` is always an argument, in milliseconds
 * of a monotonic clock chosen by the host.
 *
 * (API stub: the implementation lands in this file.)
 */
import type { DeviceConfig } from './config';

export type DeviceEventName =
  | 'handshake-sent'
  | 'handshake-complete'
  | 'handshake-failed'
  | 'peer-up'
  | 'peer-down'
  | 'keys-zeroed'
  | 'endpoint-changed'
  | 'cookie-sent'
  | 'cookie-received';

export interface DeviceEvent {
  name: DeviceEventName;
  /** Index of the peer in DeviceConfig.peers. */
  peer: number;
  /** The peer's public key in base64, as wg prints it. */
  publicKey: string;
  time: number;
  detail?: string;
}

export interface DeviceHost {
  /** Sends a datagram. `data` is reused after return: a host that sends later must copy it. */
  send(data: Uint8Array, address: string, port: number): void;
  /**
   * A UDP datagram arrived through the tunnel for our Address. `payload` is a
   * view valid only during the call. `peer` is the index of the sending peer.
   */
  deliverUdp(peer: number, srcIp: number, srcPort: number, dstPort: number, payload: Uint8Array): void;
  /** Fills `out` with cryptographically secure random bytes. */
  random(out: Uint8Array): void;
  /** Something happened that an operator would want in a log. */
  event(e: DeviceEvent): void;
}

export interface PeerStatus {
  publicKey: string;
  endpoint: string | null;
  allowedIps: string[];
  state: string;
  /** Milliseconds since the last completed handshake, or null if none. */
  lastHandshakeAgoMs: number | null;
  rxBytes: number;
  txBytes: number;
  rxPackets: number;
  txPackets: number;
  persistentKeepalive: number;
}

export interface DeviceStatus {
  publicKey: string;
  address: string | null;
  peers: PeerStatus[];
  /** Dropped datagrams and packets, by reason. */
  drops: Record<string, number>;
}

/** Result codes of sendUdp / sendPacket: 0 is success. */
export const SEND_OK = 0;
export const SEND_NO_ROUTE = 1;
export const SEND_STAGED = 2;
export const SEND_TOO_BIG = 3;

/** Largest inner IP packet (WireGuard's default MTU on a 1500-byte path). */
export const MTU = 1420;

export declare class DeviceApi {
  constructor(config: DeviceConfig, host: DeviceHost);
  /** A datagram from the network. Never throws; bad input is dropped and counted. */
  handleDatagram(now: number, data: Uint8Array, len: number, address: string, port: number): void;
  /** Runs every timer whose deadline is <= now. */
  handleTimeout(now: number): void;
  /** The next deadline (absolute, same clock as now), or Infinity. */
  pollTimeout(): number;
  /**
   * Sends a UDP datagram through the tunnel from our Address:srcPort to
   * dstIp:dstPort (dstIp as u32), routed by AllowedIPs. Returns a SEND_* code.
   */
  sendUdp(now: number, srcPort: number, dstIp: number, dstPort: number, payload: Uint8Array, off: number, len: number): number;
  /** Sends a raw IPv4 packet through the tunnel, routed by its destination. */
  sendPacket(now: number, packet: Uint8Array, off: number, len: number): number;
  /** Starts a handshake with a peer now (as `wg` does when a packet is queued). */
  connect(now: number, peer: number): void;
  status(now: number): DeviceStatus;
}
