/**
 * The three handshake messages as the device handles them, step for step as
 * wireguard-go does (receive.go's handshake routine, send.go's
 * SendHandshakeInitiation): admission under load, consuming an initiation and
 * answering it, consuming a response, taking a cookie, and sending
 * initiations within WireGuard's rate limit and homeward's WAIT.
 *
 * The Noise arithmetic is noise.ts; what a new session means for the device
 * (HELLO, the resend, liveness, staged packets) stays in device.ts, reached
 * through HandshakeActions.
 */
import type { Admission } from './admission';
import type { Closer } from './close';
import type { CookieGenerator } from './cookie';
import { HANDSHAKE_INITIATION_RATE, REKEY_TIMEOUT } from './constants';
import type { DropCounters } from './drops';
import type { Groups } from './groups';
import type { DeviceEventName, DeviceHost } from './host';
import { INITIATION_SIZE, MSG_INITIATION, MSG_RESPONSE, readU32, RESPONSE_SIZE, writeHeader, writeU32 } from './messages';
import { Handshake, type Noise } from './noise';
import { Peer, PEER_LATEST_TIMESTAMP, PEER_PUBLIC_KEY, PEER_STATIC_STATIC, type PeerStore } from './peer';
import type { Sessions } from './sessions';
import { compareTai64n, writeTai64n } from './tai64n';
import {
  timersAnyAuthenticatedPacketReceived, timersAnyAuthenticatedPacketSent, timersAnyAuthenticatedPacketTraversal,
  timersHandshakeComplete, timersHandshakeInitiated, timersSessionDerived,
} from './timers';
import type { TimestampClock } from './timestamp';

/** An empty payload: message 2's. Never written to. */
const EMPTY = new Uint8Array(0);

/** What the handshake needs from the device. */
export interface HandshakeActions {
  /** Slots in the bounded table for a new session of `p` (an idle one may be evicted); false if none. */
  takeSlots(p: Peer, now: number): boolean;
  /** Roaming: the endpoint follows the last authenticated source. */
  setEndpointOf(p: Peer, address: string, port: number, now: number): void;
  hasSession(p: Peer, now: number): boolean;
  /** Our initiation was answered: the session is ours to use (and to confirm to the responder). */
  initiatorSessionUp(p: Peer, now: number): void;
  emit(name: DeviceEventName, p: Peer, now: number, detail?: string): void;
  /** 0 to REKEY_TIMEOUT_JITTER_MAX ms, from the host's randomness. */
  jitter(): number;
}

/** The parts of the device the handshake works with. */
export interface HandshakeParts {
  noise: Noise;
  admission: Admission;
  cookies: CookieGenerator;
  sessions: Sessions;
  clock: TimestampClock;
  closer: Closer;
  groups: Groups;
  drops: DropCounters;
  peers: readonly Peer[];
  peerStore: PeerStore;
}

export class Handshakes {
  // Preallocated: a handshake message is built in place and sent from here.
  private readonly buf = new Uint8Array(INITIATION_SIZE);
  private readonly ephemeral = new Uint8Array(32);
  private readonly timestamp = new Uint8Array(12);
  /**
   * What consumeInitiation reads a peer's ss from while the initiation is
   * still unauthenticated: binding a pooled handshake that early would let
   * anyone who knows a peer's public key take another peer's exchange away.
   */
  private readonly probe = new Handshake();
  /** The peer the last lookup found. */
  private found: Peer | null = null;
  private readonly lookup = (key: Uint8Array): Handshake | null => {
    const n = this.parts.peerStore.find(key, 0);
    const p = n < 0 ? null : this.parts.peers[n];
    this.found = p;
    if (p === null) return null;
    this.probe.bind(p.bytes, p.bytesAt + PEER_PUBLIC_KEY, p.bytesAt + PEER_STATIC_STATIC, p.store.presharedKeys, p.presharedKeyAt);
    return this.probe;
  };

  constructor(
    private readonly parts: HandshakeParts,
    private readonly host: DeviceHost,
    private readonly actions: HandshakeActions,
  ) {}

  receiveInitiation(now: number, data: Uint8Array, len: number, address: string, port: number): void {
    const { noise, drops, sessions } = this.parts;
    if (!this.parts.admission.admit(now, data, len, address, port)) return;
    const consumed = noise.consumeInitiation(data, 8, 12, this.lookup);
    this.probe.unbind();
    if (consumed === null) {
      drops.badInitiation++;
      return;
    }
    const p = this.found!;
    // Replay and flood protection (whitepaper §5.1): the TAI64N must move forward.
    if (compareTai64n(consumed.payload, 0, p.bytes, p.bytesAt + PEER_LATEST_TIMESTAMP) <= 0) {
      drops.replayedInitiation++;
      return;
    }
    if (now - p.lastInitiationConsumption < HANDSHAKE_INITIATION_RATE) {
      drops.initiationFlood++;
      return;
    }
    if (!this.actions.takeSlots(p, now)) return;
    p.bytes.set(consumed.payload, p.bytesAt + PEER_LATEST_TIMESTAMP);
    p.lastInitiationConsumption = now;
    // As in wireguard-go, an initiation of ours still in flight is overwritten: the responder role wins.
    const hs = sessions.handshakeOf(p);
    noise.acceptInitiation(consumed, readU32(data, 4), hs);
    this.actions.setEndpointOf(p, address, port, now);
    timersAnyAuthenticatedPacketTraversal(p, now);
    timersAnyAuthenticatedPacketReceived(p);

    const buf = this.buf;
    const index = this.parts.sessions.newHandshakeIndex(p);
    this.host.random(this.ephemeral);
    writeHeader(buf, MSG_RESPONSE);
    writeU32(buf, 4, index);
    writeU32(buf, 8, hs.remoteIndex);
    if (!noise.createResponse(hs, this.ephemeral, EMPTY, buf, 12)) {
      sessions.releaseHandshake(p);
      drops.badInitiation++;
      return;
    }
    this.parts.cookies.addMacs(p, now, buf, RESPONSE_SIZE);
    this.beginSession(p, now, false);
    this.host.send(buf, RESPONSE_SIZE, p.endpointAddress!, p.endpointPort);
    timersSessionDerived(p, now);
    timersAnyAuthenticatedPacketTraversal(p, now);
    timersAnyAuthenticatedPacketSent(p);
  }

  receiveResponse(now: number, data: Uint8Array, len: number, address: string, port: number): void {
    const { drops } = this.parts;
    if (!this.parts.admission.admit(now, data, len, address, port)) return;
    const p = this.parts.sessions.handshakeFor(readU32(data, 8));
    if (p === null || !p.initiationInFlight) {
      drops.unknownIndex++;
      return;
    }
    const hs = p.handshake!;
    if (this.parts.noise.consumeResponse(hs, data, 12, 0) === null) {
      drops.badResponse++;
      return;
    }
    if (!this.actions.takeSlots(p, now)) return;
    hs.remoteIndex = readU32(data, 4);
    this.actions.setEndpointOf(p, address, port, now);
    timersAnyAuthenticatedPacketTraversal(p, now);
    timersAnyAuthenticatedPacketReceived(p);
    this.beginSession(p, now, true);
    timersSessionDerived(p, now);
    timersHandshakeComplete(p, now);
    this.actions.emit('handshake-complete', p, now);
    this.actions.initiatorSessionUp(p, now);
  }

  receiveCookieReply(now: number, data: Uint8Array): void {
    const entry = this.parts.sessions.handshakeFor(readU32(data, 4));
    // The message buffer is free here (nothing is being sent) and larger than a cookie box.
    if (entry === null || !this.parts.cookies.consumeReply(entry, now, data, this.buf)) {
      this.parts.drops.badCookieReply++;
      return;
    }
    this.actions.emit('cookie-received', entry, now);
  }

  /**
   * wireguard-go SendHandshakeInitiation: at most one per REKEY_TIMEOUT unless
   * it is a retry; none of our own in WAIT (see `held`), unless recovery forces
   * it, then to `toAddress` (a PROD's source) if given.
   */
  sendInitiation(p: Peer, now: number, isRetry: boolean, force = false, toAddress: string | null = null, toPort = 0): void {
    if (!isRetry) p.handshakeAttempts = 0;
    // WAIT holds our attempts back while the old session can still bring a NAK and a PROD. Once
    // liveness erased it there is nothing to be NAKed: data may ask again, as in WireGuard.
    const held = now < p.waitUntil && (isRetry || this.actions.hasSession(p, now));
    if (!force && (now - p.lastSentHandshake < REKEY_TIMEOUT || held)) return;
    const address = toAddress ?? p.endpointAddress;
    const port = toAddress !== null ? toPort : p.endpointPort;
    if (address === null) {
      this.parts.drops.noEndpoint++;
      return;
    }
    p.lastSentHandshake = now;
    if (p.failingSince === Infinity) {
      p.failingSince = now; // answered, the new session clears it; unanswered, failover counts from here
      this.parts.groups.poke(p, now);
    }
    const buf = this.buf;
    const sessions = this.parts.sessions;
    const hs = sessions.handshakeOf(p);
    const index = sessions.newHandshakeIndex(p);
    this.host.random(this.ephemeral);
    writeTai64n(this.timestamp, 0, this.parts.clock.at(now));
    writeHeader(buf, MSG_INITIATION);
    writeU32(buf, 4, index);
    if (!this.parts.noise.createInitiation(hs, this.ephemeral, this.timestamp, buf, 8)) {
      sessions.releaseHandshake(p);
      return;
    }
    this.parts.cookies.addMacs(p, now, buf, INITIATION_SIZE);
    this.host.send(buf, INITIATION_SIZE, address, port);
    this.actions.emit('handshake-sent', p, now, isRetry ? `retry ${p.handshakeAttempts}` : undefined);
    timersAnyAuthenticatedPacketTraversal(p, now);
    timersAnyAuthenticatedPacketSent(p);
    timersHandshakeInitiated(p, now, this.actions.jitter());
  }

  /** A new keypair from the handshake; new keys are a new association, so whatever was closing is over. */
  private beginSession(p: Peer, now: number, isInitiator: boolean): void {
    this.parts.closer.reopen(p, now);
    this.parts.sessions.begin(p, now, isInitiator, this.parts.noise);
  }
}
