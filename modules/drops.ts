/**
 * Dropped datagrams and inner packets, counted by reason. Plain numeric
 * fields, so counting on the data path allocates nothing.
 */
export type DropReason = Exclude<keyof DropCounters, 'toRecord' | 'nonZero'>;

export class DropCounters {
  /** Fails the (type, length) check. */
  malformed = 0;
  /** Handshake message with a bad mac1: not meant for our public key. */
  mac1 = 0;
  /** Under load without a valid mac2: answered with a cookie reply instead. */
  cookieRequired = 0;
  /** Under load, valid mac2, but over the per-source handshake rate. */
  rateLimited = 0;
  /** Initiation that does not decrypt or names an unknown static key. */
  badInitiation = 0;
  /** Initiation whose TAI64N does not move forward. */
  replayedInitiation = 0;
  /** Initiations from one peer closer together than 20 ms. */
  initiationFlood = 0;
  badResponse = 0;
  badCookieReply = 0;
  /** Transport or response for an index we do not hold. */
  unknownIndex = 0;
  /** Transport on a keypair older than REJECT_AFTER_TIME. */
  expiredKeypair = 0;
  /** Transport counter already seen or older than the window. */
  replay = 0;
  /** Transport that does not authenticate. */
  decrypt = 0;
  /** Authenticated payload that is not a valid IPv4 packet. */
  badInnerPacket = 0;
  /** Inner source address outside the sending peer's AllowedIPs. */
  allowedIps = 0;
  /** Inner packet not addressed to our Address, or not UDP/ICMP echo. */
  notForUs = 0;
  /** No peer's AllowedIPs cover the destination. */
  noRoute = 0;
  tooBig = 0;
  /** A handshake was needed but the peer has no endpoint yet. */
  noEndpoint = 0;
  /** The staging queue was full; the oldest packet went. */
  stagedOverflow = 0;
  /** Staged packets dropped when the handshake gave up. */
  stagedDropped = 0;
  /** NAK, PROD or control frame while the extensions are off. */
  extensionsOff = 0;
  /** A control frame of a kind we do not know. */
  unknownControl = 0;
  /** A session was needed, the peer table was full and no session in it was idle. */
  tableFull = 0;

  toRecord(): Record<string, number> {
    return { ...this } as unknown as Record<string, number>;
  }

  /** Only the reasons that happened (per-peer status stays short). */
  nonZero(): Record<string, number> {
    const out: Record<string, number> = {};
    for (const [k, v] of Object.entries(this)) if (v !== 0) out[k] = v as number;
    return out;
  }
}
