/**
 * WireGuard's five per-peer timers (whitepaper §6; wireguard-go timers.go) as
 * deadlines on the Peer, with the hooks that arm and disarm them. Each hook
 * says when the device must call it. A host arms one OS timer at the device's
 * pollTimeout(); nothing here reads a clock.
 */
import { KEEPALIVE_TIMEOUT, REJECT_AFTER_TIME, REKEY_TIMEOUT } from './constants';
import type { Peer } from './peer';

/** Call after sending a transport packet with a non-empty payload. */
export function timersDataSent(p: Peer, now: number, jitter: number): void {
  // The 10+5 s rule: if nothing authenticated comes back, start a new handshake.
  if (p.newHandshakeAt === Infinity) p.newHandshakeAt = now + KEEPALIVE_TIMEOUT + REKEY_TIMEOUT + jitter;
}

/** Call after receiving a transport packet with a non-empty payload. */
export function timersDataReceived(p: Peer, now: number): void {
  // Passive keepalive: answer data within KEEPALIVE_TIMEOUT even if we have nothing to say.
  if (p.sendKeepaliveAt === Infinity) p.sendKeepaliveAt = now + KEEPALIVE_TIMEOUT;
  else p.needAnotherKeepalive = true;
}

/** Call after sending any authenticated packet (handshake or transport, keepalives included). */
export function timersAnyAuthenticatedPacketSent(p: Peer): void {
  p.sendKeepaliveAt = Infinity;
}

/** Call after receiving any authenticated packet. */
export function timersAnyAuthenticatedPacketReceived(p: Peer): void {
  p.newHandshakeAt = Infinity;
}

/** Call after sending a handshake initiation. */
export function timersHandshakeInitiated(p: Peer, now: number, jitter: number): void {
  p.retransmitHandshakeAt = now + REKEY_TIMEOUT + jitter;
}

/** Call when a handshake completes: a response consumed, or the first packet on a new keypair. */
export function timersHandshakeComplete(p: Peer, now: number): void {
  p.retransmitHandshakeAt = Infinity;
  p.handshakeAttempts = 0;
  p.sentLastMinuteHandshake = false;
  p.lastHandshakeAt = now;
}

/** Call when new transport keys are derived: erase everything if no new ones come for 3×REJECT_AFTER_TIME. */
export function timersSessionDerived(p: Peer, now: number): void {
  p.zeroKeyMaterialAt = now + 3 * REJECT_AFTER_TIME;
}

/** Call after sending or receiving any authenticated packet. */
export function timersAnyAuthenticatedPacketTraversal(p: Peer, now: number): void {
  if (p.persistentKeepaliveInterval > 0) p.persistentKeepaliveAt = now + p.persistentKeepaliveInterval;
}

/** What the timers do when they fire, supplied by the device. */
export interface TimerActions {
  retransmitHandshake(p: Peer, now: number): void;
  sendKeepalive(p: Peer, now: number): void;
  newHandshake(p: Peer, now: number): void;
  zeroKeyMaterial(p: Peer, now: number): void;
}

/** Fires every timer of `p` that is due. Each deadline is disarmed before its action runs. */
export function expireTimers(p: Peer, now: number, actions: TimerActions): void {
  if (p.retransmitHandshakeAt <= now) {
    p.retransmitHandshakeAt = Infinity;
    actions.retransmitHandshake(p, now);
  }
  if (p.sendKeepaliveAt <= now) {
    p.sendKeepaliveAt = Infinity;
    actions.sendKeepalive(p, now);
    if (p.needAnotherKeepalive) {
      p.needAnotherKeepalive = false;
      p.sendKeepaliveAt = now + KEEPALIVE_TIMEOUT;
    }
  }
  if (p.newHandshakeAt <= now) {
    p.newHandshakeAt = Infinity;
    actions.newHandshake(p, now);
  }
  if (p.zeroKeyMaterialAt <= now) {
    p.zeroKeyMaterialAt = Infinity;
    actions.zeroKeyMaterial(p, now);
  }
  if (p.persistentKeepaliveAt <= now) {
    p.persistentKeepaliveAt = Infinity;
    if (p.persistentKeepaliveInterval > 0) actions.sendKeepalive(p, now);
  }
}
