/**
 * The handshakes in flight, from a pool sized once at start.
 *
 * An exchange's state (chaining key, hash, ephemeral keys: wireguard-go's
 * Handshake) is needed only from our initiation until its response, or for
 * the one call in which we answer an initiation; an established peer holds
 * none. So instead of one per peer, a device keeps `size` of them and binds
 * one to a peer for its exchange. When all are bound, the initiation that
 * went out longest ago gives its state up: its owner's retransmission timer
 * sends a new one, as after a lost response. Only an authenticated
 * initiation from a configured peer, or our own decision to initiate, ever
 * binds one, so unauthenticated input cannot take a peer's exchange away.
 */
import { Handshake, HS_ZEROED } from './noise';
import { PEER_PUBLIC_KEY, PEER_STATIC_STATIC, type Peer } from './peer';

export class HandshakePool {
  private readonly entries: Handshake[] = [];
  private readonly owners: (Peer | null)[] = [];

  constructor(readonly size: number) {
    for (let i = 0; i < size; i++) {
      this.entries.push(new Handshake());
      this.owners.push(null);
    }
  }

  /**
   * The handshake of `p`, binding one to it if it has none; `evict` is told
   * first when another peer's exchange must give its state up (the index
   * table forgets it). Throws only for a pool of size 0 (a misconfiguration).
   */
  acquire(p: Peer, evict: (q: Peer) => void): Handshake {
    if (p.handshake !== null) return p.handshake;
    let at = this.owners.indexOf(null);
    if (at < 0) at = this.victim();
    if (at < 0) throw new Error('handshake pool: size 0');
    const q = this.owners[at];
    if (q !== null) {
      evict(q);
      q.handshake = null;
    }
    const hs = this.entries[at];
    hs.bind(p.bytes, p.bytesAt + PEER_PUBLIC_KEY, p.bytesAt + PEER_STATIC_STATIC, p.store.presharedKeys, p.presharedKeyAt);
    this.owners[at] = p;
    p.handshake = hs;
    return hs;
  }

  /** Erases and frees the handshake of `p`, if it holds one. */
  release(p: Peer): void {
    const hs = p.handshake;
    if (hs === null) return;
    hs.unbind();
    this.owners[this.entries.indexOf(hs)] = null;
    p.handshake = null;
  }

  /** Bound and holding no exchange, else the initiation sent longest ago; -1 for an empty pool. */
  private victim(): number {
    let best = -1;
    for (let i = 0; i < this.entries.length; i++) {
      const owner = this.owners[i]!;
      if (this.entries[i].state === HS_ZEROED) return i;
      if (best < 0 || owner.lastSentHandshake < this.owners[best]!.lastSentHandshake) best = i;
    }
    return best;
  }

  get bound(): number {
    return this.size - this.owners.filter((o) => o === null).length;
  }
}
