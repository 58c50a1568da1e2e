/**
 * One direction-pair of transport keys and its counters (whitepaper §5.4.6).
 * A peer with a session holds two preallocated Keypair slots (from the
 * SessionTable) that rotate through previous, current and next, so a rekey
 * never allocates on the data path. (At most two of previous, current and
 * next are ever live: sessions.ts erases what a rotation drops before it
 * derives the new keys.)
 */
import { ReplayWindow } from './replay';
import { REJECT_AFTER_MESSAGES_HI, REJECT_AFTER_MESSAGES_LO } from './constants';

/** Bytes of key material per keypair: the send key, then the receive key. */
export const KEYPAIR_KEY_BYTES = 64;

export class Keypair {
  readonly sendKey: Uint8Array;
  readonly receiveKey: Uint8Array;
  /** The next counter to send, as two u32 halves (no BigInt on the data path). */
  sendLo = 0;
  sendHi = 0;
  readonly replay: ReplayWindow;
  created = 0;
  isInitiator = false;
  localIndex = 0;
  remoteIndex = 0;
  /** Unique per device while live, so the resend ring can name a session after its slot is reused. */
  id = 0;
  /** False once erased; a slot is reused only when it is not previous/current/next. */
  live = false;

  /**
   * @param peer index of the peer holding this slot (set when the table hands it out)
   * @param keys where the two keys live: KEYPAIR_KEY_BYTES from `offset`, so
   *   that the slots of a set share one ArrayBuffer (views on it cost fewer
   *   heap slots on XS than an array each)
   */
  constructor(public peer: number, replayWindow: number, keys: ArrayBuffer = new ArrayBuffer(KEYPAIR_KEY_BYTES), offset = 0) {
    this.sendKey = new Uint8Array(keys, offset, 32);
    this.receiveKey = new Uint8Array(keys, offset + 32, 32);
    this.replay = new ReplayWindow(replayWindow);
  }

  /** Takes the next send counter; false when the key is used up (REJECT_AFTER_MESSAGES). */
  nextCounter(): boolean {
    if (this.sendHi >= REJECT_AFTER_MESSAGES_HI && this.sendLo >= REJECT_AFTER_MESSAGES_LO) return false;
    this.sendLo = (this.sendLo + 1) >>> 0;
    if (this.sendLo === 0) this.sendHi = (this.sendHi + 1) >>> 0;
    return true;
  }

  /** Erases the keys (whitepaper §6.1 "zeroed"). */
  erase(): void {
    this.sendKey.fill(0);
    this.receiveKey.fill(0);
    this.sendLo = 0;
    this.sendHi = 0;
    this.replay.reset();
    this.created = 0;
    this.isInitiator = false;
    this.localIndex = 0;
    this.remoteIndex = 0;
    this.id = 0;
    this.live = false;
  }
}
