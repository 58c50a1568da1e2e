/**
 * Everything the device keeps about one peer: its handshake, three rotating
 * keypair slots while it has a session, its endpoint, the five WireGuard
 * timers and homeward's own deadlines, staged packets and counters. Behaviour
 * lives in device.ts, timers.ts, recovery.ts, liveness.ts and close.ts.
 */
import type { ChaChaPoly } from './crypto/aead';
import { PING_DEFAULTS, type PeerConfig } from './config';
import { DropCounters } from './drops';
import { prefixMask } from './ipv4';
import { CookieGenerator } from './cookie';
import type { Keypair } from './keypair';
import { Handshake } from './noise';

export class Peer {
  readonly handshake: Handshake;
  readonly cookies: CookieGenerator;
  /** Three slots from the SessionTable while the peer has a session, else null; previous/current/next point into them. */
  slots: Keypair[] | null = null;
  previous: Keypair | null = null;
  current: Keypair | null = null;
  next: Keypair | null = null;

  /** Where we send: the configured endpoint, then the last authenticated source (roaming, §2.1). */
  endpointAddress: string | null;
  endpointPort: number;

  // The five timers of wireguard-go (timers.go), as absolute deadlines; Infinity is "not pending".
  retransmitHandshakeAt = Infinity;
  sendKeepaliveAt = Infinity;
  newHandshakeAt = Infinity;
  zeroKeyMaterialAt = Infinity;
  persistentKeepaliveAt = Infinity;
  handshakeAttempts = 0;
  needAnotherKeepalive = false;
  sentLastMinuteHandshake = false;
  persistentKeepaliveInterval: number;

  /** Plaintext IP packets waiting for a session (copied; bounded by limits.stagedPackets). */
  readonly staged: Uint8Array[] = [];

  lastHandshakeAt = -Infinity;
  up = false;

  // Recovery from state loss (docs/PROTOCOL.md §5).
  /** True once the peer sent a HELLO: it speaks homeward's extensions. */
  homeward = false;
  /** WAIT: after a key exchange gave up, our own attempts are held back until then. */
  waitUntil = -Infinity;
  /** Data packets we would have sent in WAIT: the PROD budget (secnet's rule). */
  prodAllowance = 0;
  lastNakActionAt = -Infinity;
  lastProdHonouredAt = -Infinity;
  /** The first counter a valid NAK said was lost, on keypair `resendKeypair` (0: none). */
  resendKeypair = 0;
  resendLo = 0;
  resendHi = 0;
  /** Identifier a PROD from this peer carries (keyed BLAKE2s of its public key), and the one ours carry. */
  prodId: Uint8Array = new Uint8Array(16);
  prodIdOut: Uint8Array = new Uint8Array(16);
  /**
   * Our send counter on keypair `heardKeypair` when the peer last proved it was
   * alive: packets from there on are unconfirmed, and a NAK resends them too.
   */
  heardKeypair = 0;
  heardLo = 0;
  heardHi = 0;
  naksReceived = 0;
  prodsSent = 0;
  prodsReceived = 0;
  resent = 0;
  lost = 0;
  rxBytes = 0;
  txBytes = 0;
  rxPackets = 0;
  txPackets = 0;
  naksSent = 0;
  /** Drops that can be pinned on this peer (authenticated or addressed to its session). */
  readonly drops = new DropCounters();

  // Liveness (liveness.ts): in-tunnel ping, in ms; interval 0 is off, target -1 is none.
  readonly pingInterval: number;
  readonly pingMisses: number;
  readonly pingTarget: number;
  probeAt = Infinity;
  /** Probes sent since the last authenticated packet arrived. */
  probesOutstanding = 0;
  probeSeq = 0;
  probesSent = 0;
  probesMissed = 0;
  lastReceivedAt = -Infinity;
  /** Last UDP data to or from the host through this peer: UAL and the table's LRU count only this. */
  lastDataAt = -Infinity;
  /** When the current unanswered series of initiations began; Infinity when none is unanswered. */
  failingSince = Infinity;
  /** When the current session came up (failback waits for it to stay up). */
  upSince = Infinity;

  // Graceful close (close.ts, HIP).
  closeState = 0;
  /** Our CLOSE's echo nonce. */
  readonly closeNonce = new Uint8Array(8);
  /** Next UAL check while open; next CLOSE retransmission while CLOSING. */
  closeAt = Infinity;
  /** CLOSING gives up, or CLOSED forgets, at this time. */
  closeEndAt = Infinity;

  /** Extensions are on unless the config turns them off for this peer. */
  readonly extensions: boolean;

  constructor(
    readonly index: number,
    readonly config: PeerConfig,
    readonly publicKeyBase64: string,
    localPrivate: Uint8Array,
    aead: ChaChaPoly,
  ) {
    this.handshake = new Handshake(config.publicKey, config.presharedKey ?? new Uint8Array(32), localPrivate);
    this.cookies = new CookieGenerator(config.publicKey, aead);
    this.endpointAddress = config.endpoint ? config.endpoint.address : null;
    this.endpointPort = config.endpoint ? config.endpoint.port : 0;
    this.persistentKeepaliveInterval = config.persistentKeepalive * 1000;
    this.extensions = config.extensions !== false;
    this.pingInterval = (config.pingInterval ?? PING_DEFAULTS.interval) * 1000;
    this.pingMisses = config.pingMisses ?? PING_DEFAULTS.misses;
    this.pingTarget = config.pingTarget ?? defaultPingTarget(config);
  }

  /** A slot that is neither current nor next: previous is always dropped by a rotation. */
  freeSlot(): Keypair {
    const slots = this.slots!;
    for (let i = 0; i < 3; i++) {
      const s = slots[i];
      if (s !== this.current && s !== this.next && s !== this.previous) return s;
    }
    for (let i = 0; i < 3; i++) {
      const s = slots[i];
      if (s !== this.current && s !== this.next) return s;
    }
    return slots[0]; // unreachable: three slots, at most two are current/next
  }

  /** The earliest of this peer's deadlines. */
  nextDeadline(): number {
    return Math.min(
      this.retransmitHandshakeAt,
      this.sendKeepaliveAt,
      this.newHandshakeAt,
      this.zeroKeyMaterialAt,
      this.persistentKeepaliveAt,
      this.probeAt,
      this.closeAt,
      this.closeEndAt,
    );
  }
}

/** The first host of the first AllowedIPs prefix (the prefix itself for /31 and /32); -1 (no probing) for /0. */
function defaultPingTarget(config: PeerConfig): number {
  const c = config.allowedIps[0];
  if (c === undefined || c.bits === 0) return -1;
  const network = (c.ip & prefixMask(c.bits)) >>> 0;
  return c.bits >= 31 ? network : (network + 1) >>> 0;
}
