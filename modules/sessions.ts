/**
 * Session keys and receiver indices (wireguard-go's IndexTable and keypair
 * rotation): a receiver index names first a handshake in flight, then the
 * keypair derived from it. Keypair slots come from the bounded table
 * (table.ts), and handshake state from the handshake pool
 * (handshake-pool.ts); a peer holds either only while it needs it.
 *
 * There is no index table. The low bits of every index we hand out carry the
 * peer's number, XORed with a keyed mix of the random high bits, so a lookup
 * decodes the peer and compares with the at most three indices it holds
 * (its handshake's and two keypairs'): O(1), no memory per peer, and nothing
 * an attacker sends can fill or slow it. The mix keeps the peer's number
 * from showing on the wire as a plain counter; it is not a secret that
 * matters (indices are not authenticated in WireGuard either).
 */
import { HandshakePool } from './handshake-pool';
import { NO_KEYPAIR, type KeypairStore } from './keypair';
import { readU32 } from './messages';
import type { Handshake, Noise } from './noise';
import type { Peer } from './peer';
import { NO_SET, SessionTable, SLOTS_PER_SESSION } from './table';

export class Sessions {
  readonly table: SessionTable;
  readonly keypairs: KeypairStore;
  readonly handshakes: HandshakePool;
  private readonly rand4 = new Uint8Array(4);
  /** Split()'s two keys on their way into a keypair; wiped after. */
  private readonly sendKey = new Uint8Array(32);
  private readonly receiveKey = new Uint8Array(32);
  private nextKeypairId = 1;
  private readonly evict = (q: Peer): void => this.forgetHandshake(q);
  /** Low bits of an index that carry the peer's number, and the key of their mix. */
  private readonly peerBits: number;
  private readonly mixKey: number;

  constructor(
    private readonly peers: readonly Peer[],
    capacity: number,
    replayWindow: number,
    previousReplayWindow: number,
    handshakes: number,
    private readonly random: (out: Uint8Array) => void,
  ) {
    this.table = new SessionTable(capacity, replayWindow, previousReplayWindow);
    this.keypairs = this.table.store;
    this.handshakes = new HandshakePool(handshakes);
    let bits = 0;
    while (1 << bits < peers.length) bits++;
    this.peerBits = bits;
    random(this.rand4);
    this.mixKey = readU32(this.rand4, 0);
  }

  /** The handshake state of `p` for an exchange, bound from the pool if it holds none. */
  handshakeOf(p: Peer): Handshake {
    return this.handshakes.acquire(p, this.evict);
  }

  /** Ends the exchange of `p`: its index names nothing and its state goes back to the pool, erased. */
  releaseHandshake(p: Peer): void {
    this.forgetHandshake(p);
    this.handshakes.release(p);
  }

  /** The live keypair `index` names, or NO_KEYPAIR; its peer is peerOf(index). */
  keypairFor(index: number): number {
    const p = this.peerOf(index);
    return p === null ? NO_KEYPAIR : this.keypairOf(p, index);
  }

  /** The peer whose handshake in flight `index` names, or null. */
  handshakeFor(index: number): Peer | null {
    const p = this.peerOf(index);
    return p !== null && p.handshake !== null && p.handshake.localIndex === index ? p : null;
  }

  /** The peer whose number `index` carries (whether it names anything of that peer's or not), or null. */
  peerOf(index: number): Peer | null {
    if (index === 0) return null;
    const bits = this.peerBits;
    const n = (index & ((1 << bits) - 1)) ^ this.mix(index >>> bits);
    return n < this.peers.length ? this.peers[n] : null;
  }

  /** Gives the handshake in flight a fresh random index, unlike any other the peer holds. */
  newHandshakeIndex(p: Peer): number {
    this.forgetHandshake(p);
    const bits = this.peerBits;
    let index = 0;
    do {
      this.random(this.rand4);
      const high = readU32(this.rand4, 0) >>> bits;
      index = bits === 0 ? high : ((high << bits) | (p.index ^ this.mix(high))) >>> 0;
    } while (index === 0 || this.keypairOf(p, index) !== NO_KEYPAIR);
    p.handshake!.localIndex = index;
    return index;
  }

  /** The handshake's index no longer names anything. */
  forgetHandshake(p: Peer): void {
    if (p.handshake !== null) p.handshake.localIndex = 0;
  }

  /** Receiver indices that name something: handshakes in flight and live keypairs (for status and tests). */
  liveIndices(): number {
    let n = 0;
    for (let i = 0; i < this.peers.length; i++) {
      const p = this.peers[i];
      if (p.handshake !== null && p.handshake.localIndex !== 0) n++;
      if (p.sessionSet === NO_SET) continue;
      const first = p.sessionSet * SLOTS_PER_SESSION;
      for (let k = first; k < first + SLOTS_PER_SESSION; k++) if (this.keypairs.live(k)) n++;
    }
    return n;
  }

  /** The live keypair of `p` that `index` names, or NO_KEYPAIR. */
  private keypairOf(p: Peer, index: number): number {
    if (p.sessionSet === NO_SET) return NO_KEYPAIR;
    const first = p.sessionSet * SLOTS_PER_SESSION;
    for (let k = first; k < first + SLOTS_PER_SESSION; k++) {
      if (this.keypairs.live(k) && this.keypairs.localIndex(k) === index) return k;
    }
    return NO_KEYPAIR;
  }

  /** The peer-number mask for the high bits `high` (murmur3's finaliser over them and the key). */
  private mix(high: number): number {
    const bits = this.peerBits;
    if (bits === 0) return 0;
    let h = (high ^ this.mixKey) >>> 0;
    h = Math.imul(h ^ (h >>> 16), 0x85ebca6b);
    h = Math.imul(h ^ (h >>> 13), 0xc2b2ae35);
    return (h ^ (h >>> 16)) >>> (32 - bits);
  }

  /**
   * wireguard-go BeginSymmetricSession: derive a keypair and rotate
   * previous/current/next. The peer must hold a set (table.take).
   *
   * Every rotation keeps exactly one keypair: the initiator keeps next (if a
   * responder session was still unconfirmed) or else current, as its new
   * previous; the responder keeps current. Everything else is erased before
   * the new keys are derived, into the other slot, so two slots are enough.
   * The keypair that becomes current gets the pair's full replay window
   * (keypair.ts: promote), here for the initiator and in confirm() for the
   * responder. The handshake's index now names the keypair, and its state goes back to
   * the pool.
   */
  begin(p: Peer, now: number, isInitiator: boolean, noise: Noise): void {
    const hs = p.handshake!;
    const keep = isInitiator ? (p.next !== NO_KEYPAIR ? p.next : p.current) : p.current;
    if (p.previous !== keep) this.erase(p.previous);
    if (p.current !== keep) this.erase(p.current);
    if (p.next !== keep) this.erase(p.next);
    const first = p.sessionSet * SLOTS_PER_SESSION;
    const kp = keep === first ? first + 1 : first;
    this.erase(kp);
    noise.deriveKeys(hs, this.sendKey, this.receiveKey);
    this.keypairs.open(kp, this.sendKey, this.receiveKey, now, isInitiator, hs.localIndex, hs.remoteIndex, this.nextKeypairId++);
    this.sendKey.fill(0);
    this.receiveKey.fill(0);
    hs.localIndex = 0;
    this.handshakes.release(p);
    if (isInitiator) {
      p.previous = keep;
      p.current = kp;
      p.next = NO_KEYPAIR;
      this.keypairs.promote(kp);
    } else {
      p.previous = NO_KEYPAIR;
      p.next = kp; // current stays until the first packet on kp confirms it
    }
  }

  /** The responder's new keypair becomes current when the first packet arrives on it; true then. */
  confirm(p: Peer, kp: number): boolean {
    if (p.next !== kp) return false;
    this.erase(p.previous);
    p.previous = p.current;
    p.current = kp;
    p.next = NO_KEYPAIR;
    this.keypairs.promote(kp);
    return true;
  }

  erase(kp: number): void {
    if (this.keypairs.live(kp)) this.keypairs.erase(kp);
  }

  /** Erases every keypair of `p` and gives its set back to the table. */
  drop(p: Peer): void {
    this.erase(p.previous);
    this.erase(p.current);
    this.erase(p.next);
    p.previous = p.current = p.next = NO_KEYPAIR;
    this.table.give(p);
  }
}
