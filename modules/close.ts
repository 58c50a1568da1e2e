/**
 * Graceful close between homeward peers, after HIP (RFC 7401 §4.4, §5.3.8-9).
 *
 *   open ── no data for UAL ──► CLOSING ── CLOSE_ACK with our echo ──► (freed)
 *    │                            │ └──── UAL + MSL without one ──────► (freed)
 *    │                            └─ CLOSE from the peer (crossed) ─┐
 *    └── CLOSE from the peer: answer CLOSE_ACK ──► CLOSED ◄─────────┘
 *                                                   └── 2×MSL ──► (freed)
 *
 * CLOSE and CLOSE_ACK are control frames inside the authenticated tunnel, so
 * only the peer can send them: `[kind, 7 zero bytes, 8-byte echo nonce]`.
 * CLOSED answers duplicate CLOSEs (our ACK may be lost) until it is freed.
 * Data to send in CLOSING or CLOSED starts a new handshake instead (device.ts),
 * and a new session ends either state. CLOSE goes only to peers that said
 * HELLO: a stock WireGuard peer would just drop it.
 */
import type { LifecycleLimits } from './config';
import { PEER_CLOSE_NONCE, type Peer } from './peer';

export const OPEN = 0;
export const CLOSING = 1;
export const CLOSED = 2;

/** First byte of the control frames (high nibble neither 4 nor 6: never IP). */
export const CONTROL_CLOSE = 0x11;
export const CONTROL_CLOSE_ACK = 0x12;
/** kind, 7 zero bytes, echo nonce. */
export const CLOSE_FRAME_SIZE = 16;
const NONCE_OFFSET = 8;
const NONCE_SIZE = 8;

/** CLOSING sends CLOSE again this often until UAL + MSL (five tries with MSL = 5 s). */
export const CLOSE_RETRANSMIT = 1_000;

export interface CloseActions {
  /** True while `p` has a session we may send control frames on. */
  hasSession(p: Peer, now: number): boolean;
  /** Seals and sends a close frame (kind + nonce) on the current session. */
  sendCloseFrame(p: Peer, now: number, kind: number, nonce: Uint8Array, nonceOff: number): void;
  /** The association is over: free its keys and slots. */
  freeSession(p: Peer, now: number, why: string): void;
  closing(p: Peer, now: number, why: string): void;
  /** A close ended without freeing anything: new keys made a new association. */
  reopened(p: Peer, now: number): void;
  random(out: Uint8Array): void;
}

export class Closer {
  /** Where a fresh nonce is drawn before it is copied into the peer (one for the device, not one per peer). */
  private readonly nonce = new Uint8Array(NONCE_SIZE);

  constructor(private readonly limits: LifecycleLimits, private readonly actions: CloseActions) {}

  /**
   * A new session with `p`: it is open, and UAL starts. Only sessions without
   * PersistentKeepalive close when unused: asking for keepalives means "keep
   * this association".
   */
  opened(p: Peer, now: number): void {
    if (p.closeState === OPEN && p.closeAt !== Infinity) return; // a rekey: UAL runs on from the last data
    this.reopen(p, now);
    p.closeState = OPEN;
    p.closeEndAt = Infinity;
    p.closeAt = this.limits.unusedLifetimeMs > 0 && p.persistentKeepaliveInterval === 0 ? now + this.limits.unusedLifetimeMs : Infinity;
  }

  /**
   * New keys cut a close short (a handshake began, or a responder's new
   * session was confirmed after a CLOSE on the old one arrived): every
   * `closing` still gets its `closed`.
   */
  reopen(p: Peer, now: number): void {
    if (p.closeState === OPEN) return;
    this.reset(p);
    this.actions.reopened(p, now);
  }

  /** Forgets any close in progress (the session is gone). */
  reset(p: Peer): void {
    p.closeState = OPEN;
    p.closeAt = Infinity;
    p.closeEndAt = Infinity;
  }

  /** Starts closing (UAL passed, an eviction, or shutdown). False if there is nothing to close politely. */
  close(p: Peer, now: number, why: string): boolean {
    if (p.closeState === CLOSING) return true;
    if (p.closeState === CLOSED || !p.homeward || !this.actions.hasSession(p, now)) return false;
    p.closeState = CLOSING;
    this.actions.random(this.nonce);
    p.bytes.set(this.nonce, p.bytesAt + PEER_CLOSE_NONCE);
    p.closeEndAt = now + this.limits.maxSegmentLifetimeMs;
    p.closeAt = now + CLOSE_RETRANSMIT;
    this.actions.closing(p, now, why);
    this.actions.sendCloseFrame(p, now, CONTROL_CLOSE, p.bytes, p.bytesAt + PEER_CLOSE_NONCE);
    return true;
  }

  /** One of p's close deadlines passed. */
  timer(p: Peer, now: number): void {
    if (p.closeEndAt <= now) {
      const why = p.closeState === CLOSING ? 'no CLOSE_ACK' : 'closed by peer';
      this.reset(p);
      this.actions.freeSession(p, now, why);
      return;
    }
    if (p.closeAt > now) return;
    p.closeAt = Infinity;
    if (p.closeState === CLOSING) {
      if (this.actions.hasSession(p, now)) this.actions.sendCloseFrame(p, now, CONTROL_CLOSE, p.bytes, p.bytesAt + PEER_CLOSE_NONCE);
      p.closeAt = now + CLOSE_RETRANSMIT;
      return;
    }
    if (p.closeState !== OPEN) return;
    // The UAL check: look at the last data only now, so the data path never touches this deadline.
    const since = Math.max(p.lastDataAt, p.upSince);
    const due = since + this.limits.unusedLifetimeMs;
    if (due > now) {
      p.closeAt = due;
      return;
    }
    // A stock peer would drop CLOSE: its session just expires the WireGuard way.
    if (!p.homeward) return;
    this.close(p, now, 'unused');
  }

  /** An authenticated close frame from `p` at data[off, +len). False if it is not one. */
  receive(p: Peer, now: number, data: Uint8Array, off: number, len: number): boolean {
    const kind = data[off];
    if ((kind !== CONTROL_CLOSE && kind !== CONTROL_CLOSE_ACK) || len < CLOSE_FRAME_SIZE) return false;
    if (kind === CONTROL_CLOSE) {
      // Answer every CLOSE, duplicates included: our earlier ACK may be lost.
      this.actions.sendCloseFrame(p, now, CONTROL_CLOSE_ACK, data, off + NONCE_OFFSET);
      if (p.closeState !== CLOSED) {
        // Crossed CLOSEs: we keep our nonce, so their ACK of our CLOSE still frees us at once.
        const crossed = p.closeState === CLOSING;
        p.closeState = CLOSED;
        p.closeAt = Infinity;
        p.closeEndAt = now + 2 * this.limits.maxSegmentLifetimeMs;
        if (!crossed) p.bytes.fill(0, p.bytesAt + PEER_CLOSE_NONCE, p.bytesAt + PEER_CLOSE_NONCE + NONCE_SIZE);
        this.actions.closing(p, now, crossed ? 'crossed CLOSE' : 'CLOSE from peer');
      }
      return true;
    }
    // CLOSE_ACK: only one echoing the nonce of a CLOSE we sent counts.
    if (p.closeState === OPEN || !this.echoes(p, data, off + NONCE_OFFSET)) return true;
    this.reset(p);
    this.actions.freeSession(p, now, 'CLOSE_ACK');
    return true;
  }

  private echoes(p: Peer, data: Uint8Array, off: number): boolean {
    let d = 0;
    let any = 0;
    const nonce = p.bytes;
    const at = p.bytesAt + PEER_CLOSE_NONCE;
    for (let i = 0; i < NONCE_SIZE; i++) {
      d |= nonce[at + i] ^ data[off + i];
      any |= nonce[at + i];
    }
    return d === 0 && any !== 0;
  }
}
