/**
 * What the core asks of its host, and the events it reports. Hosts (Node,
 * Moddable, the simulator) implement DeviceHost; the core never touches a
 * socket, clock or random source itself.
 */
import type { Store } from './store';
import type { DeviceStatus } from './status';

export type DeviceEventName =
  | 'handshake-sent'
  | 'handshake-complete'
  | 'handshake-failed'
  | 'peer-up'
  | 'peer-down'
  | 'keys-zeroed'
  | 'endpoint-changed'
  | 'cookie-sent'
  | 'cookie-received'
  | 'nak-received'
  | 'prod-received'
  | 'resent'
  | 'wait'
  | 'probe-missed'
  | 'failover'
  | 'failback'
  | 'closing'
  | 'closed'
  | 'evicted'
  | 'table-full';

export interface DeviceEvent {
  name: DeviceEventName;
  /** Index of the peer in DeviceConfig.peers, or -1 when no peer is known yet. */
  peer: number;
  /** The peer's public key in base64, as wg prints it ('' when unknown). */
  publicKey: string;
  time: number;
  detail?: string;
}

export interface DeviceHost {
  /**
   * Sends the datagram data[0, len). `data` is reused after return: a host that
   * sends later must copy it. (A length, not a view: making a view allocates.)
   */
  send(data: Uint8Array, len: number, address: string, port: number): void;
  /**
   * A UDP datagram arrived through the tunnel for our Address: its payload is
   * buf[off, off+len), valid only during the call. `peer` is the index of the
   * sending peer in DeviceConfig.peers.
   */
  deliverUdp(peer: number, srcIp: number, srcPort: number, dstPort: number, buf: Uint8Array, off: number, len: number): void;
  /** Fills `out` with cryptographically secure random bytes. */
  random(out: Uint8Array): void;
  /** Something happened that an operator would want in a log. */
  event(e: DeviceEvent): void;
  /**
   * Wall-clock time in Unix milliseconds, for the TAI64N in initiations. A host
   * without one (a gateway before SNTP) may leave it out: `now` is used instead.
   */
  wallClock?(): number;
  /**
   * Where the TAI64N ceiling survives a restart, so a gateway that reboots
   * without a clock never sends a timestamp its peers reject as a replay.
   */
  store?: Store;
}

/** The surface a host drives: what Device implements (hosts and the simulator type against this). */
export interface DeviceApi {
  /** A datagram from the network. Never throws; bad input is dropped and counted. */
  handleDatagram(now: number, data: Uint8Array, len: number, address: string, port: number): void;
  /** Runs every timer whose deadline is <= now. */
  handleTimeout(now: number): void;
  /** The next deadline in absolute ms, or Infinity. */
  pollTimeout(): number;
  sendUdp(now: number, srcPort: number, dstIp: number, dstPort: number, payload: Uint8Array, off: number, len: number): number;
  connect(now: number, peer: number): void;
  status(now: number): DeviceStatus;
  /**
   * The host resolved the peer's Endpoint name again (after a failed handshake
   * series or a failover): send there from now on.
   */
  setEndpoint(now: number, peer: number, address: string, port: number): void;
  /**
   * Closes every session politely (CLOSE to homeward peers, per HIP) and
   * returns how many still wait for a CLOSE_ACK. Idempotent; the host keeps
   * feeding datagrams and timeouts until closingCount() is 0 or its own
   * deadline passes.
   */
  shutdown(now: number): number;
  closingCount(): number;
}
