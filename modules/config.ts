/**
 * The configuration the core consumes. Hosts parse their own formats (wg-quick
 * INI on Node, manifest + Preference on Moddable) into these shapes; the core
 * never parses text or resolves names.
 */

/** An IPv4 prefix; `ip` is the address as an unsigned 32-bit number. */
export interface Cidr {
  ip: number;
  bits: number;
}

/** A UDP endpoint with a literal IP address (hosts resolve DNS names first). */
export interface Endpoint {
  address: string;
  port: number;
}

export interface PeerConfig {
  publicKey: Uint8Array;
  presharedKey: Uint8Array | null;
  endpoint: Endpoint | null;
  allowedIps: Cidr[];
  /** Seconds; 0 turns persistent keepalive off (wg-quick's default). */
  persistentKeepalive: number;
}

export interface InterfaceConfig {
  privateKey: Uint8Array;
  /** 0 lets the host pick a port. */
  listenPort: number;
  /** The tunnel address of this endpoint; it answers ICMP echo and receives UDP there. */
  address: Cidr | null;
}

/** Sizes fixed at construction: memory never grows with traffic. */
export interface DeviceLimits {
  /** Peer-table capacity. */
  maxPeers: number;
  /** Replay window in counters (RFC 6479); rounded up to a multiple of 32 minus 32... see replay.ts. */
  replayWindow: number;
  /** Packets staged per peer while a handshake is in flight (WireGuard: 128). */
  stagedPackets: number;
  /** Handshake messages per second above which the device is "under load" and demands cookies. */
  underLoadHandshakesPerSecond: number;
}

export interface DeviceConfig {
  interface: InterfaceConfig;
  peers: PeerConfig[];
  limits: DeviceLimits;
}

export const NODE_LIMITS: DeviceLimits = {
  maxPeers: 1024,
  replayWindow: 8128,
  stagedPackets: 128,
  underLoadHandshakesPerSecond: 1000,
};

export const GATEWAY_LIMITS: DeviceLimits = {
  maxPeers: 8,
  replayWindow: 1024,
  stagedPackets: 32,
  underLoadHandshakesPerSecond: 100,
};
