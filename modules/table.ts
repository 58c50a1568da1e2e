/**
 * The bounded peer table (DESIGN.md §3): session state — a set of two keypair
 * slots with their replay windows, the bulk of a peer's memory — comes from a pool
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
import { KeypairStore } from './keypair';
import type { Peer } from './peer';

/** No data for this long makes a session a candidate for eviction (WireGuard's 10 + 5 s liveness rule). */
export const IDLE_AFTER = KEEPALIVE_TIMEOUT + REKEY_TIMEOUT;

/** A peer holding no set. */
export const NO_SET = -1;

/** Keypair slots per session: previous/current/next never hold more than two live keypairs (sessions.ts). */
export const SLOTS_PER_SESSION = 2;

export class SessionTable {
  /** Unused sets, as a stack of set numbers (the slots of set s are s × SLOTS_PER_SESSION + 0, 1). */
  private readonly free: Uint32Array;
  private freeCount: number;
  readonly capacity: number;

  /** Every slot's keys, counters and replay window, in one buffer. */
  readonly store: KeypairStore;

  constructor(capacity: number, replayWindow: number, previousReplayWindow = replayWindow) {
    this.capacity = capacity;
    this.store = new KeypairStore(capacity * SLOTS_PER_SESSION, replayWindow, previousReplayWindow);
    this.free = new Uint32Array(capacity);
    for (let i = 0; i < capacity; i++) this.free[i] = capacity - 1 - i;
    this.freeCount = capacity;
  }

  get used(): number {
    return this.capacity - this.freeCount;
  }

  /** Gives `p` a set if it has none and the pool has some; true if `p` holds one afterwards. */
  take(p: Peer): boolean {
    if (p.sessionSet !== NO_SET) return true;
    if (this.freeCount === 0) return false;
    p.sessionSet = this.free[--this.freeCount];
    return true;
  }

  /** Returns the set of `p` (all erased by the caller) to the pool. */
  give(p: Peer): void {
    if (p.sessionSet === NO_SET) return;
    this.free[this.freeCount++] = p.sessionSet;
    p.sessionSet = NO_SET;
  }

  /** The least recently used idle peer holding a set, other than `except`; null if none is idle. */
  victim(peers: Peer[], now: number, except: Peer): Peer | null {
    let best: Peer | null = null;
    for (let i = 0; i < peers.length; i++) {
      const q = peers[i];
      if (q === except || q.sessionSet === NO_SET || q.retransmitHandshakeAt !== Infinity) continue;
      if (now - q.lastDataAt < IDLE_AFTER) continue;
      if (best === null || q.lastDataAt < best.lastDataAt) best = q;
    }
    return best;
  }
}
