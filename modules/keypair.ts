/**
 * One direction-pair of transport keys and its counters (whitepaper §5.4.6).
 * A peer with a session holds a pair of preallocated keypair slots (from
 * the SessionTable) that rotate through previous, current and next, so a
 * rekey never allocates on the data path. (At most two of previous, current
 * and next are ever live: sessions.ts erases what a rotation drops before it
 * derives the new keys.)
 *
 * Memory layout. A gateway keeps two keypairs per session, each with a
 * replay window, so their state is where per-peer memory goes. On XS an
 * object costs a heap slot per property and a typed array 4 to 7 more, so a
 * keypair is no object at all: it is a slot number into one KeypairStore
 * per table, which keeps keys in one Uint8Array, counters, indices, flags
 * and the replay windows in one Uint32Array, and creation times in one
 * Float64Array, and whose methods take the slot. The AEAD reads keys from
 * whole arrays, so the device copies a key into its scratch for each seal
 * or open and wipes it after.
 *
 * Two windows per pair. The two slots of a pair share one window of the
 * full size (`replayWindow`) and one that may be smaller
 * (`previousReplayWindow`): the current keypair carries almost all the
 * traffic and holds the full one; the other (previous, taking only late
 * packets after a rekey, or next, until its first packet confirms it)
 * makes do with the smaller. promote() hands the full window over when the
 * other slot becomes current, carrying what each window knows across:
 * counters a window cannot hold any more count as seen, so the handover
 * can only refuse a late packet, never accept a replay.
 */
import { REJECT_AFTER_MESSAGES_HI, REJECT_AFTER_MESSAGES_LO } from './constants';
import { ReplayRing } from './replay';

/** "No keypair", where a slot number is expected. */
export const NO_KEYPAIR = -1;

/** Bytes of key material per keypair: the send key, then the receive key. */
const KEYPAIR_KEY_BYTES = 64;
const KEY = 32;

/** The u32 words of a keypair's fields. */
const SEND_LO = 0;
const SEND_HI = 1;
const LOCAL_INDEX = 2;
const REMOTE_INDEX = 3;
/** Unique per device while live, so the resend ring can name a session after its slot is reused. */
const ID = 4;
const FLAGS = 5;
const FIELDS = 6;
const INITIATOR = 1;
/** Clear once erased; a slot is reused only when it is not previous/current/next. */
const LIVE = 2;
/** The keypair holds its pair's full window (else the smaller one). */
const FULL_WINDOW = 4;

/**
 * The state of `count` keypairs (an even number: slots 2i and 2i + 1 are a
 * pair) with their replay windows, in one buffer. A pair's words: the two
 * keypairs' fields, its full window, its smaller window.
 */
export class KeypairStore {
  private readonly full: ReplayRing;
  private readonly small: ReplayRing;
  /** u32 words per pair. */
  private readonly stride: number;
  private readonly keys: Uint8Array;
  private readonly words: Uint32Array;
  private readonly created: Float64Array;
  /** promote()'s copy of the smaller window while the two are swapped. */
  private readonly spare: Uint32Array;

  /**
   * @param replayWindow counters of the full window (replay.ts)
   * @param previousReplayWindow counters of the other one (at most replayWindow)
   */
  constructor(readonly count: number, replayWindow: number, previousReplayWindow = replayWindow) {
    this.full = new ReplayRing(replayWindow);
    this.small = new ReplayRing(Math.min(previousReplayWindow, replayWindow));
    this.stride = 2 * FIELDS + this.full.words + this.small.words;
    const pairs = Math.ceil(count / 2);
    // Float64 first, so every part is aligned.
    const createdBytes = count * 8;
    const wordBytes = pairs * this.stride * 4;
    const buffer = new ArrayBuffer(createdBytes + wordBytes + count * KEYPAIR_KEY_BYTES);
    this.created = new Float64Array(buffer, 0, count);
    this.words = new Uint32Array(buffer, createdBytes, pairs * this.stride);
    this.keys = new Uint8Array(buffer, createdBytes + wordBytes, count * KEYPAIR_KEY_BYTES);
    this.spare = new Uint32Array(this.small.words);
  }

  /** Where keypair k's fields start in words. */
  private at(k: number): number {
    return (k >> 1) * this.stride + (k & 1) * FIELDS;
  }

  /** Where the full window of k's pair starts in words; its smaller one follows. */
  private fullAt(k: number): number {
    return (k >> 1) * this.stride + 2 * FIELDS;
  }

  /** Keypair k holds its pair's full window. */
  hasFullWindow(k: number): boolean {
    return (this.words[this.at(k) + FLAGS] & FULL_WINDOW) !== 0;
  }

/** The next counter to send, as two u32 halves (no BigInt on the data path). */
  sendLo(k: number): number {
    return this.words[this.at(k) + SEND_LO];
  }
  sendHi(k: number): number {
    return this.words[this.at(k) + SEND_HI];
  }
  localIndex(k: number): number {
    return this.words[this.at(k) + LOCAL_INDEX];
  }
  remoteIndex(k: number): number {
    return this.words[this.at(k) + REMOTE_INDEX];
  }
  id(k: number): number {
    return this.words[this.at(k) + ID];
  }
  createdAt(k: number): number {
    return this.created[k];
  }
  isInitiator(k: number): boolean {
    return (this.words[this.at(k) + FLAGS] & INITIATOR) !== 0;
  }
  live(k: number): boolean {
    return k !== NO_KEYPAIR && (this.words[this.at(k) + FLAGS] & LIVE) !== 0;
  }

  /**
   * Makes slot `k` a live keypair with the keys Split() gave (the slot must
   * be erased), with a fresh window: the smaller one if the other slot of
   * its pair is live with the full one, else the full one.
   */
  open(k: number, send: Uint8Array, receive: Uint8Array, now: number, isInitiator: boolean, localIndex: number, remoteIndex: number, id: number): void {
    const keys = this.keys;
    const at = k * KEYPAIR_KEY_BYTES;
    keys.set(send, at);
    keys.set(receive, at + KEY);
    const w = this.words;
    const f = this.at(k);
    w[f + LOCAL_INDEX] = localIndex;
    w[f + REMOTE_INDEX] = remoteIndex;
    w[f + ID] = id;
    const full = !this.live(k ^ 1) || !this.hasFullWindow(k ^ 1);
    w[f + FLAGS] = LIVE | (isInitiator ? INITIATOR : 0) | (full ? FULL_WINDOW : 0);
    if (full) this.full.reset(w, this.fullAt(k));
    else this.small.reset(w, this.fullAt(k) + this.full.words);
    this.created[k] = now;
  }

  /**
   * Gives live keypair k its pair's full window (k is becoming current),
   * and the other keypair, if live, the smaller one; each keeps what its
   * window knew, as far as the window it gets can hold (ReplayRing.carry).
   */
  promote(k: number): void {
    if (!this.live(k) || this.hasFullWindow(k)) return;
    const w = this.words;
    const fullAt = this.fullAt(k);
    const smallAt = fullAt + this.full.words;
    const other = k ^ 1;
    const spare = this.spare;
    for (let i = 0; i < spare.length; i++) spare[i] = w[smallAt + i];
    if (this.live(other)) {
      this.full.carry(w, fullAt, this.small, w, smallAt);
      w[this.at(other) + FLAGS] &= ~FULL_WINDOW;
    } else {
      this.small.reset(w, smallAt);
    }
    this.small.carry(spare, 0, this.full, w, fullAt);
    spare.fill(0);
    w[this.at(k) + FLAGS] |= FULL_WINDOW;
  }

  /** Takes the next send counter; false when the key is used up (REJECT_AFTER_MESSAGES). */
  nextCounter(k: number): boolean {
    const w = this.words;
    const at = this.at(k);
    if (this.exhausted(k)) return false;
    const lo = w[at + SEND_LO];
    w[at + SEND_LO] = lo + 1; // a Uint32Array wraps 2^32 to 0
    if (lo === 0xffffffff) w[at + SEND_HI]++;
    return true;
  }

  /** The send counter is used up (REJECT_AFTER_MESSAGES). */
  exhausted(k: number): boolean {
    const at = this.at(k);
    return this.words[at + SEND_HI] >= REJECT_AFTER_MESSAGES_HI && this.words[at + SEND_LO] >= REJECT_AFTER_MESSAGES_LO;
  }

  /** The replay check before decrypting (replay.ts): records nothing. */
  replayCheck(k: number, lo: number, hi: number): boolean {
    const at = this.fullAt(k);
    return this.hasFullWindow(k) ? this.full.check(this.words, at, lo, hi) : this.small.check(this.words, at + this.full.words, lo, hi);
  }

  /** The replay check-and-record once a packet authenticated. */
  replayUpdate(k: number, lo: number, hi: number): boolean {
    const at = this.fullAt(k);
    return this.hasFullWindow(k) ? this.full.update(this.words, at, lo, hi) : this.small.update(this.words, at + this.full.words, lo, hi);
  }

  /** Copies the send key into out[0, 32). */
  sendKeyInto(k: number, out: Uint8Array): void {
    this.copyKey(k * KEYPAIR_KEY_BYTES, out);
  }

  /** Copies the receive key into out[0, 32). */
  receiveKeyInto(k: number, out: Uint8Array): void {
    this.copyKey(k * KEYPAIR_KEY_BYTES + KEY, out);
  }

  private copyKey(from: number, out: Uint8Array): void {
    const keys = this.keys;
    for (let i = 0; i < KEY; i++) out[i] = keys[from + i];
  }

  /**
   * Erases the keys, counters and window (whitepaper §6.1 "zeroed"). If k
   * held the full window and the other keypair of its pair lives on, that
   * one gets it.
   */
  erase(k: number): void {
    const w = this.words;
    const live = this.live(k);
    const hadFull = this.hasFullWindow(k);
    this.keys.fill(0, k * KEYPAIR_KEY_BYTES, (k + 1) * KEYPAIR_KEY_BYTES);
    const f = this.at(k);
    w.fill(0, f, f + FIELDS);
    this.created[k] = 0;
    if (!live) return;
    const fullAt = this.fullAt(k);
    if (!hadFull) {
      this.small.reset(w, fullAt + this.full.words);
      return;
    }
    this.full.reset(w, fullAt);
    this.promote(k ^ 1);
  }
}
