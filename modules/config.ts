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
  /**
   * homeward's recovery extensions with this peer (NAK, PROD, WAIT, resend,
   * HELLO). Off gives exactly WireGuard's behaviour. Default: on.
   */
  extensions?: boolean;
  /**
   * Dead-peer detection by in-tunnel ping (RFC 3706 style): seconds between
   * ICMP echo probes when nothing authenticated arrived; 0 turns it off.
   * Default 10 (PING_DEFAULTS).
   */
  pingInterval?: number;
  /** Probes missed in a row before the session is declared dead. Default 3. */
  pingMisses?: number;
  /**
   * Where probes go (IPv4 as an unsigned 32-bit number). Default: the first
   * host of the first AllowedIPs prefix; none (probing off) for a /0.
   */
  pingTarget?: number | null;
  /**
   * Failover group: peers with the same group are alternative gateways for
   * the same routes, preferred in config order. Default: none.
   */
  group?: string | null;
}

export const PING_DEFAULTS = { interval: 10, misses: 3 } as const;

export interface InterfaceConfig {
  privateKey: Uint8Array;
  /** 0 lets the host pick a port. */
  listenPort: number;
  /** The tunnel address of this endpoint; it answers ICMP echo and receives UDP there. */
  address: Cidr | null;
}

/** Sizes fixed at construction: memory never grows with traffic. */
export interface DeviceLimits {
  /**
   * Peer-table capacity: peers that may hold session state (keypairs and
   * replay windows) at once. Fixed at start; when full, the least recently
   * used idle session is closed to make room.
   */
  maxPeers: number;
  /**
   * Replay window W in counters (RFC 6479), rounded up to a multiple of 32;
   * each keypair keeps a ring of W/32 + 1 u32 blocks (replay.ts): 1024
   * gives 33 blocks, 132 bytes.
   */
  replayWindow: number;
  /**
   * The replay window of a session's other keypair (the previous one after
   * a rekey, or the next one until its first packet confirms it), which
   * takes only late packets: at most replayWindow. The current keypair
   * always has the full one (keypair.ts). Default: replayWindow.
   */
  previousReplayWindow?: number;
  /**
   * Handshakes in flight at once (handshake-pool.ts): their state comes
   * from a pool of this size (at most maxPeers), not from every peer. When
   * all are in use, the initiation sent longest ago gives its state up and
   * is retried. Default DEFAULT_HANDSHAKES.
   */
  handshakes?: number;
  /** Packets staged per peer while a handshake is in flight (WireGuard: 128). */
  stagedPackets: number;
  /**
   * Bytes of staged packets for all peers together (staging.ts): one ring
   * allocated at start; when it is full, the packet staged longest ago
   * makes room. Default DEFAULT_STAGING_BUDGET.
   */
  stagingBudget?: number;
  /** Handshake messages per second above which the device is "under load" and demands cookies. */
  underLoadHandshakesPerSecond: number;
  /** Bytes of recently sent packets kept for resending after a peer lost its state. */
  resendBudget?: number;
}

/** Limits on homeward's unauthenticated recovery messages (DESIGN.md §6). */
export interface RecoveryLimits {
  /** NAKs sent per second to one source address, and the burst. */
  nakPerSecondPerSource: number;
  nakBurstPerSource: number;
  /** NAKs sent per second in all. */
  nakPerSecondGlobal: number;
  /** WAIT after a key exchange gave up: uniformly between these (ms). */
  waitMinMs: number;
  waitMaxMs: number;
}

export const RECOVERY_DEFAULTS: RecoveryLimits = Object.freeze({
  nakPerSecondPerSource: 10,
  nakBurstPerSource: 5,
  nakPerSecondGlobal: 100,
  waitMinMs: 10_000,
  waitMaxMs: 30_000,
});

/** Failover and graceful close (DESIGN.md §3, docs/PROTOCOL.md). */
export interface LifecycleLimits {
  /** HIP's unused-association lifetime: no data this long, and a homeward session is closed. */
  unusedLifetimeMs: number;
  /** HIP's maximum segment lifetime: CLOSING retries for this long, CLOSED lingers twice as long. */
  maxSegmentLifetimeMs: number;
  /** The active gateway of a group is dead and its handshakes have failed this long: move to the next. */
  failoverAfterMs: number;
  /** A preferred gateway must stay up this long before the group moves back to it. */
  failbackAfterMs: number;
}

export const LIFECYCLE_DEFAULTS: LifecycleLimits = Object.freeze({
  unusedLifetimeMs: 600_000,
  maxSegmentLifetimeMs: 5_000,
  failoverAfterMs: 5_000,
  failbackAfterMs: 10_000,
});

export interface DeviceConfig {
  interface: InterfaceConfig;
  /**
   * Every peer this endpoint may talk to. There may be more than
   * limits.maxPeers: sessions take slots from the table on demand.
   */
  peers: PeerConfig[];
  limits: DeviceLimits;
  recovery?: RecoveryLimits;
  lifecycle?: LifecycleLimits;
}

/** Staging bytes when the limits do not say (DeviceLimits.stagingBudget). */
export const DEFAULT_STAGING_BUDGET = 64 * 1024;

/** Handshakes in flight at once when the limits do not say (DeviceLimits.handshakes). */
export const DEFAULT_HANDSHAKES = 4;

export const NODE_LIMITS: DeviceLimits = Object.freeze({
  maxPeers: 1024,
  handshakes: 64,
  replayWindow: 8128,
  stagedPackets: 128,
  stagingBudget: 4 * 1024 * 1024,
  underLoadHandshakesPerSecond: 1000,
  resendBudget: 256 * 1024,
});

export const GATEWAY_LIMITS: DeviceLimits = Object.freeze({
  maxPeers: 8,
  // A gateway initiates to its home end and, in a failover group, to one alternative at a time.
  handshakes: 2,
  replayWindow: 1024,
  previousReplayWindow: 256,
  stagedPackets: 32,
  // The resend ring's 4 KiB, resent in front of what waited, and as much again of new telemetry.
  stagingBudget: 8 * 1024,
  underLoadHandshakesPerSecond: 100,
  resendBudget: 4 * 1024,
});
