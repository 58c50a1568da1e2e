/**
 * One direction-pair of transport keys and its counters (whitepaper §5.4.6).
 * A peer with a session holds three preallocated Keypair slots (from the
 * SessionTable) that rotate through previous, current and next, so a rekey
 * never allocates on the data path.
 */
import { ReplayWindow } from './replay';
import { REJECT_AFTER_MESSAGES_HI, REJECT_AFTER_MESSAGES_LO } from './constants';

export class Keypair {
  readonly sendKey = new Uint8Array(32);
  readonly receiveKey = new Uint8Array(32);
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

  /** Index of the peer holding this slot (set when the table hands it out). */
  constructor(public peer: number, replayWindow: number) {
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
