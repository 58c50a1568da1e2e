/**
 * One direction-pair of transport keys and its counters (whitepaper §5.4.6).
 * A peer with a session holds two preallocated Keypair slots (from the
 * SessionTable) that rotate through previous, current and next, so a rekey
 * never allocates on the data path. (At most two of previous, current and
 * next are ever live: sessions.ts erases what a rotation drops before it
 * derives the new keys.)
 *
 * Memory layout. A gateway keeps two keypairs per session, each with a
 * replay window of at least 1024 counters, so their state is where per-peer
 * memory goes. On XS an object costs a heap slot per property and a typed
 * array 4 to 7 more, so every keypair of a table lives in one KeypairStore:
 * keys in one Uint8Array, counters, indices, flags and the replay window in
 * one Uint32Array, creation times in one Float64Array. A Keypair is a handle
 * (the store and its slot number) whose fields are accessors on those
 * arrays. The AEAD reads keys from whole arrays, so the device copies a key
 * into its scratch for each seal or open and wipes it after.
 */
import { REJECT_AFTER_MESSAGES_HI, REJECT_AFTER_MESSAGES_LO } from './constants';
import { ReplayRing } from './replay';

/** Bytes of key material per keypair: the send key, then the receive key. */
const KEYPAIR_KEY_BYTES = 64;
const KEY = 32;

/** The u32 words of a keypair's fields; its replay window follows them. */
const SEND_LO = 0;
const SEND_HI = 1;
const LOCAL_INDEX = 2;
const REMOTE_INDEX = 3;
const ID = 4;
/** The peer holding the slot, plus one (0: none). */
const PEER = 5;
const FLAGS = 6;
const FIELDS = 7;
const INITIATOR = 1;
const LIVE = 2;

/** The state of `count` keypairs with replay windows of `replayWindow` counters, in one buffer. */
export class KeypairStore {
  readonly replay: ReplayRing;
  /** u32 words per keypair: FIELDS, then the replay window. */
  readonly stride: number;
  readonly keys: Uint8Array;
  readonly words: Uint32Array;
  readonly created: Float64Array;

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
}

export class Keypair {
  constructor(private readonly store: KeypairStore, readonly slot: number) {}

  /** Where this keypair's words start in store.words (derived, not kept: a property is a heap slot). */
  private get at(): number {
    return this.slot * this.store.stride;
  }

  /** The next counter to send, as two u32 halves (no BigInt on the data path). */
  get sendLo(): number {
    return this.store.words[this.at + SEND_LO];
  }
  get sendHi(): number {
    return this.store.words[this.at + SEND_HI];
  }
  get localIndex(): number {
    return this.store.words[this.at + LOCAL_INDEX];
  }
  set localIndex(v: number) {
    this.store.words[this.at + LOCAL_INDEX] = v;
  }
  get remoteIndex(): number {
    return this.store.words[this.at + REMOTE_INDEX];
  }
  set remoteIndex(v: number) {
    this.store.words[this.at + REMOTE_INDEX] = v;
  }
  /** Unique per device while live, so the resend ring can name a session after its slot is reused. */
  get id(): number {
    return this.store.words[this.at + ID];
  }
  set id(v: number) {
    this.store.words[this.at + ID] = v;
  }
  /** Index of the peer holding this slot (set when the table hands it out); -1 for none. */
  get peer(): number {
    return this.store.words[this.at + PEER] - 1;
  }
  set peer(v: number) {
    this.store.words[this.at + PEER] = v + 1;
  }
  get created(): number {
    return this.store.created[this.slot];
  }
  set created(v: number) {
    this.store.created[this.slot] = v;
  }
  get isInitiator(): boolean {
    return (this.store.words[this.at + FLAGS] & INITIATOR) !== 0;
  }
  set isInitiator(v: boolean) {
    this.setFlag(INITIATOR, v);
  }
  /** False once erased; a slot is reused only when it is not previous/current/next. */
  get live(): boolean {
    return (this.store.words[this.at + FLAGS] & LIVE) !== 0;
  }
  set live(v: boolean) {
    this.setFlag(LIVE, v);
  }

  private setFlag(flag: number, on: boolean): void {
    const w = this.store.words;
    const i = this.at + FLAGS;
    w[i] = on ? w[i] | flag : w[i] & ~flag;
  }

  /** Takes the next send counter; false when the key is used up (REJECT_AFTER_MESSAGES). */
  nextCounter(): boolean {
    const w = this.store.words;
    const at = this.at;
    const lo = w[at + SEND_LO];
    const hi = w[at + SEND_HI];
    if (hi >= REJECT_AFTER_MESSAGES_HI && lo >= REJECT_AFTER_MESSAGES_LO) return false;
    w[at + SEND_LO] = lo + 1; // a Uint32Array wraps 2^32 to 0
    if (lo === 0xffffffff) w[at + SEND_HI] = hi + 1;
    return true;
  }

  /** The replay check before decrypting (replay.ts): records nothing. */
  replayCheck(lo: number, hi: number): boolean {
    const s = this.store;
    return s.replay.check(s.words, this.at + FIELDS, lo, hi);
  }

  /** The replay check-and-record once a packet authenticated. */
  replayUpdate(lo: number, hi: number): boolean {
    const s = this.store;
    return s.replay.update(s.words, this.at + FIELDS, lo, hi);
  }

  /** Copies the send key into out[0, 32). */
  sendKeyInto(out: Uint8Array): void {
    this.copyKey(this.slot * KEYPAIR_KEY_BYTES, out);
  }

  /** Copies the receive key into out[0, 32). */
  receiveKeyInto(out: Uint8Array): void {
    this.copyKey(this.slot * KEYPAIR_KEY_BYTES + KEY, out);
  }

  private copyKey(from: number, out: Uint8Array): void {
    const keys = this.store.keys;
    for (let i = 0; i < KEY; i++) out[i] = keys[from + i];
  }

  /** Stores the keys Split() gave. */
  setKeys(send: Uint8Array, receive: Uint8Array): void {
    const keys = this.store.keys;
    const at = this.slot * KEYPAIR_KEY_BYTES;
    keys.set(send, at);
    keys.set(receive, at + KEY);
  }

  /** Erases the keys, counters and window (whitepaper §6.1 "zeroed"); the slot keeps its peer. */
  erase(): void {
    const s = this.store;
    s.keys.fill(0, this.slot * KEYPAIR_KEY_BYTES, (this.slot + 1) * KEYPAIR_KEY_BYTES);
    const at = this.at;
    const peer = s.words[at + PEER];
    s.words.fill(0, at, at + s.stride);
    s.words[at + PEER] = peer;
    s.created[this.slot] = 0;
  }
}
