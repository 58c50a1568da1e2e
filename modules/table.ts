/**
 * The bounded peer table (DESIGN.md §3): session state — two keypair slots
 * with their replay windows, the bulk of a peer's memory — comes from a pool
 * sized once at start. Configured peers without a session hold none of it, so
 * a home end may know thousands of keys and keep state for only `capacity`.
 *
 * When a peer needs a session and the pool is empty, the least recently used
 * idle session is given up (the device closes it politely first). A session is
 * idle when no data crossed it for IDLE_AFTER and no handshake is in flight on
 * it. If none is idle, the newcomer waits: memory never grows with traffic or
 * with attack input, and a busy session is never pushed out by a stranger.
 */
import { KEEPALIVE_TIMEOUT, REKEY_TIMEOUT } from './constants';
import { Keypair, KeypairStore } from './keypair';
import type { Peer } from './peer';

/** No data for this long makes a session a candidate for eviction (WireGuard's 10 + 5 s liveness rule). */
export const IDLE_AFTER = KEEPALIVE_TIMEOUT + REKEY_TIMEOUT;

/** Keypair slots per session: previous/current/next never hold more than two live keypairs (sessions.ts). */
export const SLOTS_PER_SESSION = 2;

export class SessionTable {
  /** Unused sets of SLOTS_PER_SESSION slots. */
  private readonly free: Keypair[][] = [];
  readonly capacity: number;

  /** Every slot's keys, counters and replay window, in one buffer. */
  readonly store: KeypairStore;

  constructor(capacity: number, replayWindow: number) {
    this.capacity = capacity;
    this.store = new KeypairStore(capacity * SLOTS_PER_SESSION, replayWindow);
    for (let i = 0; i < capacity; i++) {
      const set: Keypair[] = [];
      for (let j = 0; j < SLOTS_PER_SESSION; j++) set.push(new Keypair(this.store, i * SLOTS_PER_SESSION + j));
      this.free.push(set);
    }
  }

  get used(): number {
    return this.capacity - this.free.length;
  }

  /** Gives `p` its slots if it has none and the pool has some; true if `p` holds slots afterwards. */
  take(p: Peer): boolean {
    if (p.slots !== null) return true;
    const set = this.free.pop();
    if (set === undefined) return false;
    for (let i = 0; i < SLOTS_PER_SESSION; i++) set[i].peer = p.index;
    p.slots = set;
    return true;
  }

  /** Returns the slots of `p` (all erased by the caller) to the pool. */
  give(p: Peer): void {
    if (p.slots === null) return;
    this.free.push(p.slots);
    p.slots = null;
  }

  /** The least recently used idle peer holding slots, other than `except`; null if none is idle. */
  victim(peers: Peer[], now: number, except: Peer): Peer | null {
    let best: Peer | null = null;
    for (let i = 0; i < peers.length; i++) {
      const q = peers[i];
      if (q === except || q.slots === null || q.retransmitHandshakeAt !== Infinity) continue;
      if (now - q.lastDataAt < IDLE_AFTER) continue;
      if (best === null || q.lastDataAt < best.lastDataAt) best = q;
    }
    return best;
  }
}
