/**
 * Everything the device keeps about one peer: its handshake, a set of two
 * rotating keypair slots while it has a session, its endpoint, the five WireGuard
 * timers and homeward's own deadlines, and counters (its staged packets are
 * in the device's staging ring, staging.ts). Behaviour
 * lives in device.ts, timers.ts, recovery.ts, liveness.ts and close.ts.
 *
 * Memory layout. On XS every object, property and typed array costs 16-byte
 * heap slots (a typed array: 7, a view on an existing buffer: 4), and a
 * gateway keeps this for every peer. So the ~60 numbers and flags of a peer
 * live in the device's PeerStore at the named offsets below, read and
 * written through accessors on the prototype (`p.rxBytes += n` reads as a
 * field and allocates nothing): times, deadlines and large counts as
 * doubles; u32 fields, a word of flags, a word of keypair roles and the
 * per-peer drop counters as u32; then its small byte fields (the PROD
 * identifier, close nonce, the precomputed static-static DH, the last
 * TAI64N, the cookie, the public key). The store also keeps what the device
 * needs of the peers' configs, so no Peer holds a string, array or key of
 * its own. What stays a property is its index, its handshake binding and
 * its endpoint address. Exchange state in flight comes from the device's
 * handshake pool, session keys from the table's keypair store.
 */
import { PING_DEFAULTS, type Cidr, type PeerConfig } from './config';
import { nonZeroCounts, type DropReason } from './drops';
import { prefixMask } from './ipv4';
import { COOKIE_STATE_BYTES } from './cookie';
import { x25519 } from './crypto/x25519';
import { encodeBase64 } from './base64';
import { HS_INITIATION_CREATED, type Handshake } from './noise';

/**
 * The numeric fields of a Peer that need a double, and their initial values,
 * in storage order (the offset of a field is its position here): times and
 * deadlines in ms (Infinity is "not pending" for a deadline, -Infinity
 * "never" for a past event), byte and packet counts that may pass 2^32, and
 * the ping target (an IPv4 address, or -1 for none).
 */
const NUMBERS = {
  retransmitHandshakeAt: Infinity,
  sendKeepaliveAt: Infinity,
  newHandshakeAt: Infinity,
  zeroKeyMaterialAt: Infinity,
  persistentKeepaliveAt: Infinity,
  probeAt: Infinity,
  closeAt: Infinity,
  closeEndAt: Infinity,
  lastHandshakeAt: -Infinity,
  cookieSetAt: -Infinity,
  lastSentHandshake: -Infinity,
  lastInitiationConsumption: -Infinity,
  waitUntil: -Infinity,
  lastNakActionAt: -Infinity,
  lastProdHonouredAt: -Infinity,
  lastReceivedAt: -Infinity,
  lastDataAt: -Infinity,
  failingSince: Infinity,
  upSince: Infinity,
  rxBytes: 0,
  txBytes: 0,
  rxPackets: 0,
  txPackets: 0,
  pingTarget: 0,
} satisfies Partial<Record<keyof Peer, number>>;

/**
 * The fields that are u32 by nature (counter halves, keypair ids, a port,
 * small counts and states, ms intervals, where the pre-shared key is), in a
 * Uint32Array after the doubles: half the bytes. All start at 0.
 */
const COUNTS = [
  'handshakeAttempts', 'endpointPort', 'prodAllowance', 'persistentKeepaliveInterval', 'pingInterval', 'presharedKeyAt',
  'resendKeypair', 'resendLo', 'resendHi', 'heardKeypair', 'heardLo', 'heardHi',
  'naksReceived', 'prodsSent', 'prodsReceived', 'resent', 'lost', 'naksSent',
  'pingMisses', 'probesOutstanding', 'probeSeq', 'probesSent', 'probesMissed', 'closeState',
] as const satisfies readonly (keyof Peer)[];

/**
 * The drop reasons that can be pinned on a peer (its packet authenticated,
 * or it was addressed to its session), each a u32 among its counts; the
 * device counts every reason in all.
 */
export const PEER_DROP_REASONS = [
  'expiredKeypair', 'replay', 'decrypt', 'badInnerPacket', 'allowedIps', 'notForUs',
  'stagedOverflow', 'stagedDropped', 'extensionsOff', 'unknownControl', 'tableFull',
] as const satisfies readonly DropReason[];
export type PeerDropReason = (typeof PEER_DROP_REASONS)[number];
const PEER_DROP_INDEX = Object.freeze(Object.fromEntries(PEER_DROP_REASONS.map((r, i) => [r, i]))) as Readonly<Record<PeerDropReason, number>>;

/**
 * The keypair slots a peer uses, in one u32 word after the flags word: the
 * set it holds from the table (sessions.ts), plus one so that 0 is none, in
 * the high bits, and previous, current and next in two bits each (0 none,
 * else 1 + which of the set's two slots; keypair.ts numbers the slots of set
 * s 2s and 2s + 1). The getters give slot numbers, or -1 (NO_SET, NO_KEYPAIR).
 */
const ROLES = ['previous', 'current', 'next'] as const satisfies readonly (keyof Peer)[];
const SET_SHIFT = 2 * ROLES.length;

/** The boolean fields, as bits of one u32 word after the counts; all start false. */
const FLAGS = ['needAnotherKeepalive', 'sentLastMinuteHandshake', 'up', 'homeward', 'extensions', 'hasLastMac1'] as const satisfies readonly (keyof Peer)[];

const NUMBER_NAMES = Object.keys(NUMBERS) as (keyof typeof NUMBERS)[];
/** Offset of the first deadline and one past the last (nextDeadline() scans them). */
const DEADLINES_START = 0;
const DEADLINES_END = NUMBER_NAMES.indexOf('closeEndAt') + 1;
const FLAGS_AT = COUNTS.length;
const ROLES_AT = FLAGS_AT + 1;
/** Offset of the per-peer drop counters in the u32 state, after the counts, flags and roles. */
const DROPS_AT = ROLES_AT + 1;
/** u32 words in all. */
const COUNTS_SIZE = DROPS_AT + PEER_DROP_REASONS.length;
const NUMBERS_SIZE = NUMBER_NAMES.length;
const PRESHARED_KEY_AT = COUNTS.indexOf('presharedKeyAt');

/**
 * Byte fields, as offsets from Peer.bytesAt into Peer.bytes: the identifier a PROD from this
 * peer carries (keyed BLAKE2s of its public key; the one ours carry is
 * computed when one is sent, which is rare), the close nonce, DH(our static,
 * its static) (every handshake's `ss`, computed once), the greatest TAI64N
 * accepted from it, then its cookie state (the device's CookieGenerator: the
 * cookie and our last mac1 to it).
 */
export const PEER_PROD_ID = 0;
export const PEER_CLOSE_NONCE = 16;
export const PEER_STATIC_STATIC = 24;
export const PEER_LATEST_TIMESTAMP = 56;
export const PEER_COOKIE = 68;
/** The peer's static public key (from its config, which the device does not keep). */
export const PEER_PUBLIC_KEY = PEER_COOKIE + COOKIE_STATE_BYTES;
const BYTES_SIZE = PEER_PUBLIC_KEY + 32;

/**
 * What a device keeps of all its peers, built once from their configs (which
 * it then lets go): the numbers, counts and byte fields of every peer in one
 * ArrayBuffer with three views, so a peer's share is its bytes and nothing
 * more (views of its own would cost it 12 heap slots and an ArrayBuffer 3);
 * the configured pre-shared keys; the AllowedIPs as configured (what `show`
 * reports: the routes are the device's AllowedIps table); and the peers
 * sorted by public key, which is how an initiation finds its peer.
 */
export class PeerStore {
  readonly count: number;
  readonly numbers: Float64Array;
  readonly counts: Uint32Array;
  readonly bytes: Uint8Array;
  /**
   * 32 bytes per configured pre-shared key, after 32 zero bytes that every
   * peer without one points at (WireGuard's all-zero default); a peer's are
   * at its presharedKeyAt.
   */
  readonly presharedKeys: Uint8Array;
  /** The configured prefixes, (ip, bits) pairs in peer order; peer i's are pairs prefixStart[i] to prefixStart[i + 1]. */
  private readonly prefixes: Uint32Array;
  private readonly prefixStart: Uint32Array;
  /** Peer numbers in the order of their public keys (bytewise), for find(). */
  private readonly byKey: Uint32Array;

  constructor(configs: readonly PeerConfig[]) {
    const count = configs.length;
    this.count = count;
    const countsAt = count * NUMBERS_SIZE * 8;
    const bytesAt = countsAt + count * COUNTS_SIZE * 4;
    const buffer = new ArrayBuffer(bytesAt + count * BYTES_SIZE);
    this.numbers = new Float64Array(buffer, 0, count * NUMBERS_SIZE);
    this.counts = new Uint32Array(buffer, countsAt, count * COUNTS_SIZE);
    this.bytes = new Uint8Array(buffer, bytesAt, count * BYTES_SIZE);
    let keys = 0;
    let prefixes = 0;
    for (const c of configs) {
      if (c.presharedKey) keys++;
      prefixes += c.allowedIps.length;
    }
    this.presharedKeys = new Uint8Array((1 + keys) * 32);
    this.prefixes = new Uint32Array(prefixes * 2);
    this.prefixStart = new Uint32Array(count + 1);
    this.byKey = new Uint32Array(count);
    keys = 0;
    prefixes = 0;
    for (let i = 0; i < count; i++) {
      const c = configs[i];
      this.bytes.set(c.publicKey, i * BYTES_SIZE + PEER_PUBLIC_KEY);
      if (c.presharedKey) {
        this.presharedKeys.set(c.presharedKey, ++keys * 32);
        this.counts[i * COUNTS_SIZE + PRESHARED_KEY_AT] = keys * 32;
      }
      this.prefixStart[i] = prefixes;
      for (const cidr of c.allowedIps) {
        this.prefixes[2 * prefixes] = cidr.ip;
        this.prefixes[2 * prefixes + 1] = cidr.bits;
        prefixes++;
      }
      this.byKey[i] = i;
    }
    this.prefixStart[count] = prefixes;
    this.byKey.sort((m, n) => this.compareKey(m, this.bytes, n * BYTES_SIZE + PEER_PUBLIC_KEY));
  }

  /** The peer whose public key is key[at, +32), or -1. */
  find(key: Uint8Array, at: number): number {
    let lo = 0;
    let hi = this.count - 1;
    while (lo <= hi) {
      const mid = (lo + hi) >>> 1;
      const c = this.compareKey(this.byKey[mid], key, at);
      if (c === 0) return this.byKey[mid];
      if (c < 0) lo = mid + 1;
      else hi = mid - 1;
    }
    return -1;
  }

  /** A peer configured with the same public key as an earlier one, or -1 (the device refuses such a config). */
  duplicate(): number {
    for (let i = 1; i < this.count; i++) {
      const n = this.byKey[i];
      if (this.compareKey(this.byKey[i - 1], this.bytes, n * BYTES_SIZE + PEER_PUBLIC_KEY) === 0) return Math.max(n, this.byKey[i - 1]);
    }
    return -1;
  }

  /** Peer `i`'s AllowedIPs, as configured. */
  allowedIps(i: number): Cidr[] {
    const out: Cidr[] = [];
    for (let j = this.prefixStart[i]; j < this.prefixStart[i + 1]; j++) out.push({ ip: this.prefixes[2 * j], bits: this.prefixes[2 * j + 1] });
    return out;
  }

  /** Peer n's public key against key[at, +32), bytewise: <0, 0 or >0. */
  private compareKey(n: number, key: Uint8Array, at: number): number {
    const bytes = this.bytes;
    const from = n * BYTES_SIZE + PEER_PUBLIC_KEY;
    for (let i = 0; i < 32; i++) {
      const d = bytes[from + i] - key[at + i];
      if (d !== 0) return d;
    }
    return 0;
  }
}

export class Peer {
  /** The exchange in flight, bound from the device's pool (handshake-pool.ts); null when none is. */
  handshake: Handshake | null = null;
  /** The set of keypair slots from the SessionTable while the peer has a session, else NO_SET. */
  declare sessionSet: number;
  /** Keypair slots of that set (keypair.ts), or NO_KEYPAIR. */
  declare previous: number;
  declare current: number;
  declare next: number;

  /** Where we send: the configured endpoint, then the last authenticated source (roaming, §2.1). */
  endpointAddress: string | null;
  declare endpointPort: number;

  /**
   * The device's PeerStore, on the prototype of its peers' class (makePeers):
   * a property of every Peer would cost each a heap slot. This peer's share
   * is derived from its index: doubles at index × NUMBERS_SIZE, u32 fields at
   * index × COUNTS_SIZE, bytes at index × BYTES_SIZE.
   */
  declare readonly store: PeerStore;

  // The five timers of wireguard-go (timers.go), as absolute deadlines; Infinity is "not pending".
  declare retransmitHandshakeAt: number;
  declare sendKeepaliveAt: number;
  declare newHandshakeAt: number;
  declare zeroKeyMaterialAt: number;
  declare persistentKeepaliveAt: number;
  declare handshakeAttempts: number;
  declare needAnotherKeepalive: boolean;
  declare sentLastMinuteHandshake: boolean;
  /** In ms; 0 is off. */
  declare persistentKeepaliveInterval: number;

  declare lastHandshakeAt: number;
  // The cookie from the peer's last cookie reply and our last mac1 to it (cookie.ts; bytes at PEER_COOKIE).
  declare cookieSetAt: number;
  declare hasLastMac1: boolean;
  /** When our last initiation went out (one per REKEY_TIMEOUT). */
  declare lastSentHandshake: number;
  /** When we last accepted an initiation from the peer (flood rule, whitepaper §5.1). */
  declare lastInitiationConsumption: number;
  declare up: boolean;

  // Recovery from state loss (docs/PROTOCOL.md §5).
  /** True once the peer sent a HELLO: it speaks homeward's extensions. */
  declare homeward: boolean;
  /** WAIT: after a key exchange gave up, our own attempts are held back until then. */
  declare waitUntil: number;
  /** Data packets we would have sent in WAIT: the PROD budget (secnet's rule). */
  declare prodAllowance: number;
  declare lastNakActionAt: number;
  declare lastProdHonouredAt: number;
  /** The first counter a valid NAK said was lost, on keypair `resendKeypair` (0: none). */
  declare resendKeypair: number;
  declare resendLo: number;
  declare resendHi: number;
  /**
   * Our send counter on keypair `heardKeypair` when the peer last proved it was
   * alive: packets from there on are unconfirmed, and a NAK resends them too.
   */
  declare heardKeypair: number;
  declare heardLo: number;
  declare heardHi: number;
  declare naksReceived: number;
  declare prodsSent: number;
  declare prodsReceived: number;
  declare resent: number;
  declare lost: number;
  declare rxBytes: number;
  declare txBytes: number;
  declare rxPackets: number;
  declare txPackets: number;
  declare naksSent: number;

  // Liveness (liveness.ts): in-tunnel ping, in ms; interval 0 is off, target -1 is none.
  declare readonly pingInterval: number;
  declare readonly pingMisses: number;
  declare readonly pingTarget: number;
  declare probeAt: number;
  /** Probes sent since the last authenticated packet arrived. */
  declare probesOutstanding: number;
  declare probeSeq: number;
  declare probesSent: number;
  declare probesMissed: number;
  declare lastReceivedAt: number;
  /** Last UDP data to or from the host through this peer: UAL and the table's LRU count only this. */
  declare lastDataAt: number;
  /** When the current unanswered series of initiations began; Infinity when none is unanswered. */
  declare failingSince: number;
  /** When the current session came up (failback waits for it to stay up). */
  declare upSince: number;

  // Graceful close (close.ts, HIP); its echo nonce is at bytes[PEER_CLOSE_NONCE, +8).
  declare closeState: number;
  /** Next UAL check while open; next CLOSE retransmission while CLOSING. */
  declare closeAt: number;
  /** CLOSING gives up, or CLOSED forgets, at this time. */
  declare closeEndAt: number;

  /** Where the pre-shared key is in store.presharedKeys: the shared all-zero one unless configured. */
  declare readonly presharedKeyAt: number;
  /** Extensions are on unless the config turns them off for this peer. */
  declare readonly extensions: boolean;

  /** The peer `index` of a device, from its config (the store already holds its key, pre-shared key and prefixes). */
  constructor(
    readonly index: number,
    config: PeerConfig,
    localPrivate: Uint8Array,
  ) {
    const numbers = this.store.numbers;
    for (let i = 0; i < NUMBERS_SIZE; i++) numbers[index * NUMBERS_SIZE + i] = NUMBERS[NUMBER_NAMES[i]];
    // The ss of every handshake with this peer, as wireguard-go precomputes it (the keys are fixed for the life of a Peer).
    const ss = x25519(localPrivate, config.publicKey);
    this.bytes.set(ss, this.bytesAt + PEER_STATIC_STATIC);
    ss.fill(0);
    this.endpointAddress = config.endpoint ? config.endpoint.address : null;
    this.endpointPort = config.endpoint ? config.endpoint.port : 0;
    this.persistentKeepaliveInterval = config.persistentKeepalive * 1000;
    this.extensions = config.extensions !== false;
    this.pingInterval = (config.pingInterval ?? PING_DEFAULTS.interval) * 1000;
    this.pingMisses = config.pingMisses ?? PING_DEFAULTS.misses;
    this.pingTarget = config.pingTarget ?? defaultPingTarget(config);
  }

  /** The device's byte fields: this peer's are at bytesAt + PEER_*. */
  get bytes(): Uint8Array {
    return this.store.bytes;
  }

  get bytesAt(): number {
    return this.index * BYTES_SIZE;
  }

  /** The public key in base64, as configured (for status and events; it allocates). */
  get publicKeyBase64(): string {
    const at = this.bytesAt + PEER_PUBLIC_KEY;
    return encodeBase64(this.store.bytes.subarray(at, at + 32));
  }

  /** The AllowedIPs as configured (for status; it allocates). */
  get allowedIps(): Cidr[] {
    return this.store.allowedIps(this.index);
  }

  /** Counts `n` drops of a reason that can be pinned on this peer (PEER_DROP_REASONS). */
  countDrop(reason: PeerDropReason, n = 1): void {
    this.store.counts[this.index * COUNTS_SIZE + DROPS_AT + PEER_DROP_INDEX[reason]] += n;
  }

  /** This peer's drops by reason, only the reasons that happened. */
  dropsByReason(): Record<string, number> {
    return nonZeroCounts(PEER_DROP_REASONS, this.store.counts, this.index * COUNTS_SIZE + DROPS_AT);
  }

  /** Our initiation is out and unanswered. */
  get initiationInFlight(): boolean {
    return this.handshake !== null && this.handshake.state === HS_INITIATION_CREATED;
  }

  /** The earliest of this peer's deadlines. */
  nextDeadline(): number {
    const numbers = this.store.numbers;
    const at = this.index * NUMBERS_SIZE;
    let t = Infinity;
    for (let i = at + DEADLINES_START; i < at + DEADLINES_END; i++) if (numbers[i] < t) t = numbers[i];
    return t;
  }
}

/**
 * The peers of one device and their store. Their class is made here, per
 * device, so that the store sits on its prototype (see Peer.store). Throws
 * if two configs name the same public key.
 */
export function makePeers(configs: readonly PeerConfig[], localPrivate: Uint8Array): { peers: Peer[]; store: PeerStore } {
  const store = new PeerStore(configs);
  const twice = store.duplicate();
  if (twice >= 0) throw new Error(`peer ${encodeBase64(configs[twice].publicKey)} is configured twice`);
  const DevicePeer = class extends Peer {};
  // Writable, so the XS benchmark can let go of it to measure what it held.
  Object.defineProperty(DevicePeer.prototype, 'store', { value: store, writable: true });
  return { peers: configs.map((c, i) => new DevicePeer(i, c, localPrivate)), store };
}

// The accessors of the fields (one pair per name, shared by every Peer).
type Stored = { store: PeerStore; index: number };
for (let i = 0; i < NUMBERS_SIZE; i++) {
  Object.defineProperty(Peer.prototype, NUMBER_NAMES[i], {
    get(this: Stored) {
      return this.store.numbers[this.index * NUMBERS_SIZE + i];
    },
    set(this: Stored, v: number) {
      this.store.numbers[this.index * NUMBERS_SIZE + i] = v;
    },
  });
}
for (let i = 0; i < COUNTS.length; i++) {
  Object.defineProperty(Peer.prototype, COUNTS[i], {
    get(this: Stored) {
      return this.store.counts[this.index * COUNTS_SIZE + i];
    },
    set(this: Stored, v: number) {
      this.store.counts[this.index * COUNTS_SIZE + i] = v;
    },
  });
}
for (let j = 0; j < FLAGS.length; j++) {
  const bit = 1 << j;
  Object.defineProperty(Peer.prototype, FLAGS[j], {
    get(this: Stored) {
      return (this.store.counts[this.index * COUNTS_SIZE + FLAGS_AT] & bit) !== 0;
    },
    set(this: Stored, v: boolean) {
      const at = this.index * COUNTS_SIZE + FLAGS_AT;
      this.store.counts[at] = v ? this.store.counts[at] | bit : this.store.counts[at] & ~bit;
    },
  });
}

Object.defineProperty(Peer.prototype, 'sessionSet', {
  get(this: Stored): number {
    return (this.store.counts[this.index * COUNTS_SIZE + ROLES_AT] >>> SET_SHIFT) - 1;
  },
  set(this: Stored, v: number) {
    const at = this.index * COUNTS_SIZE + ROLES_AT;
    // The roles go with the set: a peer gives its set back only once they are all none (sessions.drop).
    this.store.counts[at] = v < 0 ? 0 : ((v + 1) * (1 << SET_SHIFT)) + (this.store.counts[at] & ((1 << SET_SHIFT) - 1));
  },
});
for (let j = 0; j < ROLES.length; j++) {
  const shift = 2 * j;
  Object.defineProperty(Peer.prototype, ROLES[j], {
    get(this: Stored): number {
      const w = this.store.counts[this.index * COUNTS_SIZE + ROLES_AT];
      const r = (w >>> shift) & 3;
      return r === 0 ? -1 : ((w >>> SET_SHIFT) - 1) * 2 + r - 1;
    },
    set(this: Stored, v: number) {
      const at = this.index * COUNTS_SIZE + ROLES_AT;
      // v is a slot of the peer's own set (or -1): only which of its two slots is stored.
      const r = v < 0 ? 0 : (v & 1) + 1;
      this.store.counts[at] = (this.store.counts[at] & ~(3 << shift)) | (r << shift);
    },
  });
}

/** The first host of the first AllowedIPs prefix (the prefix itself for /31 and /32); -1 (no probing) for /0. */
function defaultPingTarget(config: PeerConfig): number {
  const c = config.allowedIps[0];
  if (c === undefined || c.bits === 0) return -1;
  const network = (c.ip & prefixMask(c.bits)) >>> 0;
  return c.bits >= 31 ? network : (network + 1) >>> 0;
}
