/**
 * Recovery from state loss between homeward peers (docs/PROTOCOL.md §5):
 * secnet's NAK and PROD, the WAIT state, and the resend ring.
 *
 * Every message here is unauthenticated, so it follows IKEv2's rule (RFC 7296
 * §2.21): a hint that may start work, rate-limited, never answered by another
 * hint of the same kind, and never a reason to delete keys or sessions.
 */
import type { RecoveryLimits } from './config';
import { WgHash } from './crypto/hash';
import type { KeypairStore } from './keypair';
import { REKEY_TIMEOUT } from './constants';
import { NAK_SIZE, MSG_NAK, MSG_PROD, PROD_ID, PROD_ID_SIZE, PROD_SIZE, readU32, writeHeader } from './messages';
import { ascii } from './noise';
import { PEER_PROD_ID, PEER_PUBLIC_KEY, type Peer } from './peer';
import { SourceRateLimiter, TokenBucket } from './ratelimiter';
import { ResendRing } from './resend';
import type { Staging } from './staging';

const LABEL_PROD = ascii('homeward prod---');

/** The least time between two handshake actions a NAK or PROD may trigger for one peer. */
export const NAK_ACTION_INTERVAL = 1_000;

/** What recovery needs from the device. */
export interface RecoveryActions {
  send(data: Uint8Array, len: number, address: string, port: number): void;
  /** Sends an initiation now, bypassing the REKEY_TIMEOUT limit; to `address` if given, without adopting it. */
  forceInitiation(p: Peer, now: number, address: string | null, port: number): void;
  random(out: Uint8Array): void;
  /** A valid NAK for a session in CLOSING or CLOSED: true if it finished the close (HIP: the peer is already gone). */
  closingGone(p: Peer, now: number): boolean;
  /** A NAK or PROD made us act: an event for the log (only then, so replays cannot flood it). */
  acted(name: 'nak-received' | 'prod-received', p: Peer, now: number, detail: string): void;
}

export class Recovery {
  readonly ring: ResendRing;
  private readonly perSource: SourceRateLimiter;
  private readonly global: TokenBucket;
  private readonly out = new Uint8Array(PROD_SIZE);
  private readonly rand4 = new Uint8Array(4);
  /** For our PROD identifier: its key, HASH(label || the peer's public key). */
  private readonly hx = new WgHash();
  private readonly prodKey = new Uint8Array(32);
  naksSent = 0;
  naksSuppressed = 0;
  naksInvalid = 0;
  prodsInvalid = 0;
  prodsIgnored = 0;

  constructor(
    private readonly limits: RecoveryLimits,
    resendBudget: number,
    sourceSlots: number,
    private readonly replayWindow: number,
    private readonly keypairs: KeypairStore,
    /** Our static public key (the PROD identifiers are keyed with it). */
    private readonly publicKey: Uint8Array,
    private readonly actions: RecoveryActions,
  ) {
    this.ring = new ResendRing(resendBudget);
    this.perSource = new SourceRateLimiter(limits.nakPerSecondPerSource, limits.nakBurstPerSource, sourceSlots);
    this.global = new TokenBucket(limits.nakPerSecondGlobal, limits.nakPerSecondGlobal);
  }

  /** The identifier `sender` puts in a PROD to `receiver` (writeProdId), in a new array. */
  static prodId(senderPublic: Uint8Array, receiverPublic: Uint8Array): Uint8Array {
    const out = new Uint8Array(PROD_ID_SIZE);
    writeProdId(new WgHash(), new Uint8Array(32), out, 0, senderPublic, 0, receiverPublic, 0);
    return out;
  }

  /** out[outAt, +16) = the identifier the PRODs of `peer` to us carry (at start, for every peer). */
  writeIncomingProdId(out: Uint8Array, outAt: number, peerPublic: Uint8Array): void {
    writeProdId(this.hx, this.prodKey, out, outAt, peerPublic, 0, this.publicKey, 0);
  }

  /**
   * A transport packet named an index we do not hold: the sender has a session
   * we lost. Answer with a 16-byte NAK echoing index and counter (smaller than
   * the ≥ 32-byte packet, so no amplification), within the rate limits.
   */
  unknownIndex(now: number, data: Uint8Array, address: string, port: number): void {
    if (!this.global.take(now) || !this.perSource.allow(now, address, port)) {
      this.naksSuppressed++;
      return;
    }
    const out = this.out;
    writeHeader(out, MSG_NAK);
    for (let i = 4; i < NAK_SIZE; i++) out[i] = data[i]; // receiver index and counter, echoed
    this.actions.send(out, NAK_SIZE, address, port);
    this.naksSent++;
  }

  /**
   * A NAK arrived. It is valid only if it echoes the remote index of the
   * current keypair of a peer and a counter among the last W we sent on it: an
   * off-path attacker can guess neither. Only the current keypair counts: once
   * a new session replaced the one a NAK names, the peer has our state again,
   * and a copy of that NAK replayed by someone on the path must not start
   * another handshake and resend. A valid NAK starts work by state and never
   * deletes keys.
   */
  nak(now: number, data: Uint8Array, peers: Peer[]): void {
    const index = readU32(data, 4);
    let lo = readU32(data, 8);
    let hi = readU32(data, 12);
    let p: Peer | null = null;
    let keypairId = 0;
    for (let i = 0; i < peers.length && p === null; i++) {
      const q = peers[i];
      const kp = q.current;
      const keypairs = this.keypairs;
      if (q.extensions && keypairs.live(kp) && keypairs.remoteIndex(kp) === index && this.recentlySent(keypairs.sendLo(kp), keypairs.sendHi(kp), lo, hi)) {
        p = q;
        keypairId = keypairs.id(kp);
      }
    }
    if (p === null) {
      this.naksInvalid++;
      return;
    }
    p.naksReceived++;
    if (this.actions.closingGone(p, now)) return;
    // The NAK names the first packet the restarted peer saw and could not open;
    // those sent while it was down entirely it never saw. Resend from the last
    // point the peer was known alive, if that is earlier (at-least-once).
    if (p.heardKeypair === keypairId && (p.heardHi < hi || (p.heardHi === hi && p.heardLo < lo))) {
      lo = p.heardLo;
      hi = p.heardHi;
    }
    // Remember the first lost counter for the resend after the next handshake.
    if (p.resendKeypair !== keypairId || hi < p.resendHi || (hi === p.resendHi && lo < p.resendLo)) {
      p.resendKeypair = keypairId;
      p.resendLo = lo;
      p.resendHi = hi;
    }
    if (now < p.waitUntil) {
      if (this.sendProd(p)) this.actions.acted('nak-received', p, now, 'in WAIT: PROD sent');
      return;
    }
    if (now - p.lastNakActionAt < NAK_ACTION_INTERVAL) return;
    const inFlight = p.initiationInFlight && p.retransmitHandshakeAt !== Infinity;
    // In flight: retransmit now if the last initiation is at least ~1 s old. Established: start one now.
    if (inFlight && now - p.lastSentHandshake < NAK_ACTION_INTERVAL) return;
    p.lastNakActionAt = now;
    this.actions.acted('nak-received', p, now, inFlight ? 'initiation retransmitted' : 'handshake started');
    this.actions.forceInitiation(p, now, null, 0);
  }

  /** counter is below the next one we send and at most W behind it. */
  private recentlySent(sendLo: number, sendHi: number, lo: number, hi: number): boolean {
    if (hi > sendHi || (hi === sendHi && lo >= sendLo)) return false;
    const behind = (sendHi - hi) * 0x100000000 + (sendLo - lo);
    return behind <= this.replayWindow;
  }

  /**
   * In WAIT, a valid NAK gets a PROD, but never more PRODs than data packets we
   * would have sent, and only to where we would have sent them: the peer's
   * endpoint, never the NAK's source, which anyone can forge (so a PROD can
   * never be aimed at a third party, and is never larger than our own data).
   */
  private sendProd(p: Peer): boolean {
    if (p.prodAllowance <= 0 || p.endpointAddress === null) return false;
    p.prodAllowance--;
    const out = this.out;
    out.fill(0);
    writeHeader(out, MSG_PROD);
    // Our identifier, computed here rather than kept per peer: PRODs are rare.
    writeProdId(this.hx, this.prodKey, out, PROD_ID, this.publicKey, 0, p.bytes, p.bytesAt + PEER_PUBLIC_KEY);
    this.actions.send(out, PROD_SIZE, p.endpointAddress, p.endpointPort);
    p.prodsSent++;
    return true;
  }

  /**
   * A PROD arrived: a peer in WAIT says we seem to have lost our session. If we
   * indeed hold no key and no handshake is in flight, initiate to where the
   * PROD came from; the endpoint changes only when that handshake completes.
   */
  prod(now: number, data: Uint8Array, peers: Peer[], address: string, port: number): void {
    let p: Peer | null = null;
    for (let i = 0; i < peers.length && p === null; i++) {
      const q = peers[i];
      let d = 0;
      for (let j = 0; j < PROD_ID_SIZE; j++) d |= q.bytes[q.bytesAt + PEER_PROD_ID + j] ^ data[PROD_ID + j];
      if (d === 0 && q.extensions) p = q;
    }
    if (p === null) {
      this.prodsInvalid++;
      return;
    }
    p.prodsReceived++;
    const hasKey = this.keypairs.live(p.current);
    const inFlight = p.initiationInFlight && p.retransmitHandshakeAt !== Infinity;
    if (hasKey || inFlight || now - p.lastProdHonouredAt < REKEY_TIMEOUT) {
      this.prodsIgnored++;
      return;
    }
    p.lastProdHonouredAt = now;
    this.actions.acted('prod-received', p, now, `initiating to ${address}:${port}`);
    this.actions.forceInitiation(p, now, address, port);
  }

  /** Enters WAIT after a key exchange gave up: hold our own attempts back for a random wait-time. */
  enterWait(p: Peer, now: number): void {
    this.actions.random(this.rand4);
    const span = this.limits.waitMaxMs - this.limits.waitMinMs;
    p.waitUntil = now + this.limits.waitMinMs + (span > 0 ? readU32(this.rand4, 0) % span : 0);
    p.prodAllowance = 0;
  }

  /**
   * After a new session with `p`: stage again, for peer `to` (p itself, or
   * the gateway a failover moved to), every packet sent on the NAKed keypair
   * from the NAKed counter on, ahead of anything staged since.
   */
  resend(p: Peer, staging: Staging, to: number): void {
    if (p.resendKeypair === 0) return;
    let again = 0;
    staging.beginFront();
    const lost = this.ring.replay(p.index, p.resendKeypair, p.resendLo, p.resendHi, (buf, off, len) => {
      if (len === 0) return; // keepalives need no resend
      staging.pushFront(to, buf, off, len);
      again++;
    });
    p.resendKeypair = 0;
    p.lost += lost;
    p.resent += again;
  }
}

/**
 * out[outAt, +16) = the identifier a PROD from `sender` to `receiver`
 * carries: MAC(HASH(label ‖ receiver), sender), keyed BLAKE2s, so the static
 * key is not sent in clear (the keys at sender[senderAt, +32) and
 * receiver[receiverAt, +32)). `key` is 32 bytes of scratch, wiped after.
 */
function writeProdId(
  hx: WgHash, key: Uint8Array, out: Uint8Array, outAt: number,
  sender: Uint8Array, senderAt: number, receiver: Uint8Array, receiverAt: number,
): void {
  hx.hash(key, LABEL_PROD, receiver, receiverAt, 32);
  hx.mac(out, outAt, key, sender, senderAt, 32);
  key.fill(0);
}
