/**
 * Dead-peer detection by in-tunnel ping (RFC 3706's idea, IKEv2's rule that
 * other traffic proves liveness). While a session is open, an ICMP echo
 * request goes through the tunnel to the peer's ping target whenever nothing
 * authenticated arrived for a whole interval. Any authenticated packet resets
 * the count of unanswered probes; when `misses` probes in a row went
 * unanswered, the session is dead.
 *
 * Because the probe is an ordinary IP packet, a stock WireGuard peer answers
 * it too (Linux replies to ping on its wg address). Detection takes at most
 * interval × (misses + 1) after the last packet heard: 40 s by default.
 */
import type { Peer } from './peer';

export interface LivenessActions {
  /** True while `p` has a session we may send on. */
  sendable(p: Peer, now: number): boolean;
  /** Sends one echo request to p.pingTarget through the tunnel; false if there is no tunnel address to send it from. */
  sendProbe(p: Peer, now: number): boolean;
  /** A probe interval passed without any authenticated packet. */
  probeMissed(p: Peer, now: number): void;
  /** `misses` probes in a row went unanswered. */
  sessionDead(p: Peer, now: number): void;
}

/** Arms probing for a session that just opened (its handshake was heard: the peer is alive now). */
export function livenessStarted(p: Peer, now: number): void {
  p.lastReceivedAt = now;
  p.probesOutstanding = 0;
  p.probeAt = p.pingInterval > 0 && p.pingTarget >= 0 ? now + p.pingInterval : Infinity;
}

/** Stops probing (the session is gone or closing). */
export function livenessStopped(p: Peer): void {
  p.probeAt = Infinity;
  p.probesOutstanding = 0;
}

/** The probe deadline of `p` passed. */
export function livenessTimer(p: Peer, now: number, actions: LivenessActions): void {
  p.probeAt = Infinity;
  if (!actions.sendable(p, now)) {
    p.probesOutstanding = 0;
    return;
  }
  // Heard from within the interval: nothing to ask. (Receiving never touches
  // the deadline, so the data path stays one assignment; we look here instead.)
  if (now - p.lastReceivedAt < p.pingInterval) {
    p.probeAt = p.lastReceivedAt + p.pingInterval;
    return;
  }
  if (p.probesOutstanding > 0) {
    p.probesMissed++;
    actions.probeMissed(p, now);
  }
  if (p.probesOutstanding >= p.pingMisses) {
    p.probesOutstanding = 0;
    actions.sessionDead(p, now);
    return;
  }
  // A probe that cannot go out (no tunnel address) must not count as unanswered: without it,
  // detection is off for this peer rather than declaring a live peer dead every few intervals.
  if (!actions.sendProbe(p, now)) {
    livenessStopped(p);
    return;
  }
  p.probesOutstanding++;
  p.probesSent++;
  p.probeAt = now + p.pingInterval;
}
