/**
 * Dropped datagrams and inner packets, counted by reason.
 *
 * The device's counts live in a Float64Array, not in one property each: on
 * XS every property is a 16-byte heap slot. Each reason is an accessor on the
 * prototype, so `drops.replay++` reads as a field and allocates nothing. A
 * peer counts the reasons that can be pinned on it among its own u32 fields
 * (peer.ts, PEER_DROP_REASONS).
 */
export const DROP_REASONS = [
  /** Fails the (type, length) check. */
  'malformed',
  /** Handshake message with a bad mac1: not meant for our public key. */
  'mac1',
  /** Under load without a valid mac2: answered with a cookie reply instead. */
  'cookieRequired',
  /** Under load, valid mac2, but over the per-source handshake rate. */
  'rateLimited',
  /** Initiation that does not decrypt or names an unknown static key. */
  'badInitiation',
  /** Initiation whose TAI64N does not move forward. */
  'replayedInitiation',
  /** Initiations from one peer closer together than 20 ms. */
  'initiationFlood',
  'badResponse',
  'badCookieReply',
  /** Transport or response for an index we do not hold. */
  'unknownIndex',
  /** Transport on a keypair older than REJECT_AFTER_TIME. */
  'expiredKeypair',
  /** Transport counter already seen or older than the window. */
  'replay',
  /** Transport that does not authenticate. */
  'decrypt',
  /** Authenticated payload that is not a valid IPv4 packet. */
  'badInnerPacket',
  /** Inner source address outside the sending peer's AllowedIPs. */
  'allowedIps',
  /** Inner packet not addressed to our Address, or not UDP/ICMP echo. */
  'notForUs',
  /** No peer's AllowedIPs cover the destination. */
  'noRoute',
  'tooBig',
  /** A handshake was needed but the peer has no endpoint yet. */
  'noEndpoint',
  /** The staging queue was full; the oldest packet went. */
  'stagedOverflow',
  /** Staged packets dropped when the handshake gave up. */
  'stagedDropped',
  /** NAK, PROD or control frame while the extensions are off. */
  'extensionsOff',
  /** A control frame of a kind we do not know. */
  'unknownControl',
  /** A session was needed, the peer table was full and no session in it was idle. */
  'tableFull',
] as const;

export type DropReason = (typeof DROP_REASONS)[number];

/** How many numbers a set of counters takes in a caller's Float64Array. */
export const DROP_COUNTERS_SIZE = DROP_REASONS.length;

/** The counts of `reasons`, one number each from counts[at], that are not zero (a status stays short). */
export function nonZeroCounts(reasons: readonly string[], counts: ArrayLike<number>, at: number): Record<string, number> {
  const out: Record<string, number> = {};
  for (let i = 0; i < reasons.length; i++) {
    const v = counts[at + i];
    if (v !== 0) out[reasons[i]] = v;
  }
  return out;
}

// One number per reason, as a property type (the accessors are defined below).
export interface DropCounters extends Record<DropReason, number> {}

export class DropCounters {
  /**
   * @param store where the counts live: DROP_COUNTERS_SIZE numbers from `base`
   *   (all zero); a fresh array when omitted.
   */
  constructor(
    private readonly store: Float64Array = new Float64Array(DROP_COUNTERS_SIZE),
    private readonly base = 0,
  ) {}

  toRecord(): Record<string, number> {
    const out: Record<string, number> = {};
    for (let i = 0; i < DROP_REASONS.length; i++) out[DROP_REASONS[i]] = this.store[this.base + i];
    return out;
  }

  /** Only the reasons that happened. */
  nonZero(): Record<string, number> {
    return nonZeroCounts(DROP_REASONS, this.store, this.base);
  }
}

for (let i = 0; i < DROP_REASONS.length; i++) {
  Object.defineProperty(DropCounters.prototype, DROP_REASONS[i], {
    get(this: { store: Float64Array; base: number }) {
      return this.store[this.base + i];
    },
    set(this: { store: Float64Array; base: number }, v: number) {
      this.store[this.base + i] = v;
    },
    enumerable: true,
  });
}
