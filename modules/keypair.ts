/**
 * One direction-pair of transport keys and its counters (whitepaper §5.4.6).
 * A peer with a session holds a set of two preallocated keypair slots (from
 * the SessionTable) that rotate through previous, current and next, so a
 * rekey never allocates on the data path. (At most two of previous, current
 * and next are ever live: sessions.ts erases what a rotation drops before it
 * derives the new keys.)
 *
 * Memory layout. A gateway keeps two keypairs per session, each with a
 * replay window of at least 1024 counters, so their state is where per-peer
 * memory goes. On XS an object costs a heap slot per property and a typed
 * array 4 to 7 more, so a keypair is no object at all: it is a slot number
 * into one KeypairStore per table, which keeps keys in one Uint8Array,
 * counters, indices, flags and the replay window in one Uint32Array, and
 * creation times in one Float64Array, and whose methods take the slot. The
 * AEAD reads keys from whole arrays, so the device copies a key into its
 * scratch for each seal or open and wipes it after.
 */
import { REJECT_AFTER_MESSAGES_HI, REJECT_AFTER_MESSAGES_LO } from './constants';
import { ReplayRing } from './replay';

/** "No keypair", where a slot number is expected. */
export const NO_KEYPAIR = -1;

/** Bytes of key material per keypair: the send key, then the receive key. */
const KEYPAIR_KEY_BYTES = 64;
const KEY = 32;

/** The u32 words of a keypair's fields; its replay window follows them. */
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

/** The state of `count` keypairs with replay windows of `replayWindow` counters, in one buffer. */
export class KeypairStore {
  private readonly replay: ReplayRing;
  /** u32 words per keypair: FIELDS, then the replay window. */
  private readonly stride: number;
  private readonly keys: Uint8Array;
  private readonly words: Uint32Array;
  private readonly created: Float64Array;

  constructor(readonly count: number, replayWindow: number) {
    this.replay = new ReplayRing(replayWindow);
    this.stride = FIELDS + this.replay.words;
    // Float64 first, so every part is aligned.
    const createdBytes = count * 8;
    const wordBytes = count * this.stride * 4;
    const buffer = new ArrayBuffer(createdBytes + wordBytes + count * KEYPAIR_KEY_BYTES);
    this.created = new Float64Array(buffer, 0, count);
    this.words = new Uint32Array(buffer, createdBytes, count * this.stride);
    this.keys = new Uint8Array(buffer, createdBytes + wordBytes, count * KEYPAIR_KEY_BYTES);
  }

  /** The next counter to send, as two u32 halves (no BigInt on the data path). */
  sendLo(k: number): number {
    return this.words[k * this.stride + SEND_LO];
  }
  sendHi(k: number): number {
    return this.words[k * this.stride + SEND_HI];
  }
  localIndex(k: number): number {
    return this.words[k * this.stride + LOCAL_INDEX];
  }
  remoteIndex(k: number): number {
    return this.words[k * this.stride + REMOTE_INDEX];
  }
  id(k: number): number {
    return this.words[k * this.stride + ID];
  }
  createdAt(k: number): number {
    return this.created[k];
  }
  isInitiator(k: number): boolean {
    return (this.words[k * this.stride + FLAGS] & INITIATOR) !== 0;
  }
  live(k: number): boolean {
    return k !== NO_KEYPAIR && (this.words[k * this.stride + FLAGS] & LIVE) !== 0;
  }

  /** Makes slot `k` a live keypair with the keys Split() gave (the slot must be erased). */
  open(k: number, send: Uint8Array, receive: Uint8Array, now: number, isInitiator: boolean, localIndex: number, remoteIndex: number, id: number): void {
    const keys = this.keys;
    const at = k * KEYPAIR_KEY_BYTES;
    keys.set(send, at);
    keys.set(receive, at + KEY);
    const w = this.words;
    const f = k * this.stride;
    w[f + LOCAL_INDEX] = localIndex;
    w[f + REMOTE_INDEX] = remoteIndex;
    w[f + ID] = id;
    w[f + FLAGS] = LIVE | (isInitiator ? INITIATOR : 0);
    this.created[k] = now;
  }

  /** Takes the next send counter; false when the key is used up (REJECT_AFTER_MESSAGES). */
  nextCounter(k: number): boolean {
    const w = this.words;
    const at = k * this.stride;
    const lo = w[at + SEND_LO];
    const hi = w[at + SEND_HI];
    if (hi >= REJECT_AFTER_MESSAGES_HI && lo >= REJECT_AFTER_MESSAGES_LO) return false;
    w[at + SEND_LO] = lo + 1; // a Uint32Array wraps 2^32 to 0
    if (lo === 0xffffffff) w[at + SEND_HI] = hi + 1;
    return true;
  }

  /** The send counter is used up (REJECT_AFTER_MESSAGES). */
  exhausted(k: number): boolean {
    const at = k * this.stride;
    return this.words[at + SEND_HI] >= REJECT_AFTER_MESSAGES_HI && this.words[at + SEND_LO] >= REJECT_AFTER_MESSAGES_LO;
  }

  /** The replay check before decrypting (replay.ts): records nothing. */
  replayCheck(k: number, lo: number, hi: number): boolean {
    return this.replay.check(this.words, k * this.stride + FIELDS, lo, hi);
  }

  /** The replay check-and-record once a packet authenticated. */
  replayUpdate(k: number, lo: number, hi: number): boolean {
    return this.replay.update(this.words, k * this.stride + FIELDS, lo, hi);
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

  /** Erases the keys, counters and window (whitepaper §6.1 "zeroed"). */
  erase(k: number): void {
    this.keys.fill(0, k * KEYPAIR_KEY_BYTES, (k + 1) * KEYPAIR_KEY_BYTES);
    this.words.fill(0, k * this.stride, (k + 1) * this.stride);
    this.created[k] = 0;
  }
}
