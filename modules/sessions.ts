/**
 * Session keys and the index table (wireguard-go's IndexTable and keypair
 * rotation): a random receiver index names first a handshake in flight, then
 * the keypair derived from it. Keypair slots come from the bounded table
 * (table.ts), and handshake state from the handshake pool
 * (handshake-pool.ts); a peer holds either only while it needs it.
 */
import { HandshakePool } from './handshake-pool';
import type { Keypair } from './keypair';
import { readU32 } from './messages';
import type { Handshake, Noise } from './noise';
import type { Peer } from './peer';
import { SessionTable } from './table';

export class Sessions {
  /** receiver index → the keypair it names, or the peer whose handshake it names. */
  private readonly indices = new Map<number, Keypair | Peer>();
  readonly table: SessionTable;
  readonly handshakes: HandshakePool;
  private readonly rand4 = new Uint8Array(4);
  /** Split()'s two keys on their way into a keypair; wiped after. */
  private readonly sendKey = new Uint8Array(32);
  private readonly receiveKey = new Uint8Array(32);
  private nextKeypairId = 1;
  private readonly evict = (q: Peer): void => this.forgetHandshake(q);

  constructor(capacity: number, replayWindow: number, handshakes: number, private readonly random: (out: Uint8Array) => void) {
    this.table = new SessionTable(capacity, replayWindow);
    this.handshakes = new HandshakePool(handshakes);
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

  lookup(index: number): Keypair | Peer | undefined {
    return this.indices.get(index);
  }

  /** Replaces the index of the handshake in flight with a fresh random one. */
  newHandshakeIndex(p: Peer): number {
    this.forgetHandshake(p);
    let index = 0;
    do {
      this.random(this.rand4);
      index = readU32(this.rand4, 0);
    } while (index === 0 || this.indices.has(index));
    this.indices.set(index, p);
    p.handshake!.localIndex = index;
    return index;
  }

  /** The handshake's index no longer names anything. */
  forgetHandshake(p: Peer): void {
    const hs = p.handshake;
    if (hs !== null && hs.localIndex !== 0 && this.indices.get(hs.localIndex) === p) this.indices.delete(hs.localIndex);
  }

  /**
   * wireguard-go BeginSymmetricSession: derive a keypair and rotate
   * previous/current/next. The peer must hold slots (table.take).
   *
   * Every rotation keeps exactly one keypair: the initiator keeps next (if a
   * responder session was still unconfirmed) or else current, as its new
   * previous; the responder keeps current. Everything else is erased before
   * the new keys are derived, into the other slot, so two slots are enough.
   * The handshake's state goes back to the pool.
   */
  begin(p: Peer, now: number, isInitiator: boolean, noise: Noise): void {
    const hs = p.handshake!;
    const keep = isInitiator ? (p.next ?? p.current) : p.current;
    if (p.previous !== keep) this.erase(p.previous);
    if (p.current !== keep) this.erase(p.current);
    if (p.next !== keep) this.erase(p.next);
    const slots = p.slots!;
    const kp = slots[0] === keep ? slots[1] : slots[0];
    this.erase(kp);
    noise.deriveKeys(hs, this.sendKey, this.receiveKey);
    kp.setKeys(this.sendKey, this.receiveKey);
    this.sendKey.fill(0);
    this.receiveKey.fill(0);
    kp.created = now;
    kp.isInitiator = isInitiator;
    kp.localIndex = hs.localIndex;
    kp.remoteIndex = hs.remoteIndex;
    kp.id = this.nextKeypairId++;
    kp.live = true;
    this.indices.set(kp.localIndex, kp); // the index now names the keypair, not the handshake
    hs.localIndex = 0;
    this.handshakes.release(p);
    if (isInitiator) {
      p.previous = keep;
      p.current = kp;
      p.next = null;
    } else {
      p.previous = null;
      p.next = kp; // current stays until the first packet on kp confirms it
    }
  }

  /** The responder's new keypair becomes current when the first packet arrives on it; true then. */
  confirm(p: Peer, kp: Keypair): boolean {
    if (p.next !== kp) return false;
    this.erase(p.previous);
    p.previous = p.current;
    p.current = kp;
    p.next = null;
    return true;
  }

  erase(kp: Keypair | null): void {
    if (kp === null || !kp.live) return;
    if (this.indices.get(kp.localIndex) === kp) this.indices.delete(kp.localIndex);
    kp.erase();
  }

  /** Erases every keypair of `p` and gives its slots back to the table. */
  drop(p: Peer): void {
    this.erase(p.previous);
    this.erase(p.current);
    this.erase(p.next);
    p.previous = p.current = p.next = null;
    this.table.give(p);
  }
}
