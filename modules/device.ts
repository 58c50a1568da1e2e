/**
 * The sans-IO endpoint: datagrams and timeouts in; datagrams, deliveries and
 * events out through the host. `now` is always an argument, in milliseconds
 * of a monotonic clock chosen by the host.
 *
 * Message handling follows wireguard-go (receive.go, send.go, noise-protocol.go)
 * step for step, so a stock WireGuard peer sees a stock WireGuard peer.
 * The transport path (sendUdp → seal → send, handleDatagram → open → deliver)
 * allocates nothing, throws nothing and uses no BigInt.
 */
import { DEFAULT_HANDSHAKES, DEFAULT_STAGING_BUDGET, LIFECYCLE_DEFAULTS, RECOVERY_DEFAULTS, type Cidr, type DeviceConfig } from './config';
import { Staging } from './staging';
import { ChaChaPoly } from './crypto/aead';
import { AllowedIps } from './allowedips';
import { encodeBase64 } from './base64';
import {
  MAX_TIMER_HANDSHAKES,
  REJECT_AFTER_TIME, REKEY_AFTER_MESSAGES_HI, REKEY_AFTER_TIME, REKEY_TIMEOUT, REKEY_TIMEOUT_JITTER_MAX,
  KEEPALIVE_TIMEOUT,
} from './constants';
import {
  formatCidr, icmpEchoToReply, isIcmpEchoReply, Ipv4Info, IPV4_HEADER, parseIpv4, parseUdp, UDP_HEADER, UdpInfo, writeIcmpEcho,
  writeIpv4Udp, IPPROTO_ICMP, IPPROTO_UDP,
} from './ipv4';
import { NO_KEYPAIR, type KeypairStore } from './keypair';
import {
  MSG_COOKIE_REPLY, MSG_INITIATION, MSG_NAK, MSG_PROD, MSG_RESPONSE, MSG_TRANSPORT, TRANSPORT_DATA,
  TRANSPORT_HEADER_SIZE, messageType, readU32, writeHeader, writeU32,
} from './messages';
import { Noise } from './noise';
import { makePeers, Peer, PEER_COOKIE, PEER_PROD_ID, PEER_PUBLIC_KEY, type PeerStore, type PeerDropReason } from './peer';
import { CookieGenerator } from './cookie';
import {
  expireTimers, timersAnyAuthenticatedPacketReceived, timersAnyAuthenticatedPacketSent,
  timersAnyAuthenticatedPacketTraversal, timersDataReceived, timersDataSent, timersHandshakeComplete,
  type TimerActions,
} from './timers';
import { DropCounters } from './drops';
import type { DeviceApi, DeviceEvent, DeviceEventName, DeviceHost } from './host';
import type { DeviceStatus } from './status';
import { Recovery, type RecoveryActions } from './recovery';
import { CLOSED, CLOSING, Closer, CONTROL_CLOSE, OPEN, type CloseActions } from './close';
import { Groups, type GroupActions } from './groups';
import { livenessStarted, livenessStopped, livenessTimer, type LivenessActions } from './liveness';
import { Admission } from './admission';
import { Sessions } from './sessions';
import { TimestampClock } from './timestamp';
import { Handshakes, type HandshakeActions } from './handshakes';

export type { DeviceApi, DeviceEvent, DeviceEventName, DeviceHost } from './host';
export type { DeviceStatus, PeerStatus } from './status';

/** Result codes of sendUdp / sendPacket: 0 is success. */
export const SEND_OK = 0;
export const SEND_NO_ROUTE = 1;
export const SEND_STAGED = 2;
export const SEND_TOO_BIG = 3;

/** Largest inner IP packet (WireGuard's default MTU on a 1500-byte path). */
export const MTU = 1420;

/** An empty payload: a staged keepalive. Never written to. */
const EMPTY = new Uint8Array(0);

/** What a sealed packet is, for the resend ring and WireGuard's timers (sealAndSend). */
const SEND_DATA = 0;
const SEND_PROBE = 1;
const SEND_CONTROL = 2;

/** First byte of a control frame inside the tunnel: its high nibble is neither 4 nor 6, so it is never IP. */
export const CONTROL_HELLO = 0x10;
const HELLO_VERSION = 1;

export class Device implements DeviceApi, TimerActions, RecoveryActions, LivenessActions, CloseActions, GroupActions, HandshakeActions {
  private readonly aead = new ChaChaPoly();
  private readonly noise: Noise;
  private readonly admission: Admission;
  private readonly sessions: Sessions;
  /** The sessions' keypairs, by slot number. */
  private readonly keypairs: KeypairStore;
  private readonly handshakes: Handshakes;
  readonly peers: Peer[];
  /** What the device keeps of its peers' configs, and their state (peer.ts). */
  private readonly peerStore: PeerStore;
  private readonly routes: AllowedIps;
  readonly drops = new DropCounters();
  readonly publicKeyBase64: string;
  private readonly address: number;

  // Preallocated buffers: the data path writes only into these.
  private readonly tx = new Uint8Array(TRANSPORT_HEADER_SIZE + MTU + 16);
  private readonly nonce = new Uint8Array(12);
  /** The transport key of one seal or open, copied from its keypair and wiped after (keypair.ts). */
  private readonly key = new Uint8Array(32);
  private readonly rand4 = new Uint8Array(4);
  private readonly ip = new Ipv4Info();
  private readonly udp = new UdpInfo();

  private readonly recovery: Recovery;
  private readonly closer: Closer;
  private readonly groups: Groups;
  private readonly closeNonce = new Uint8Array(8);
  /** NAKs are sent and heard only if some peer has the extensions on. */
  private readonly extensions: boolean;

  /** The tunnel address, as configured. */
  private readonly interfaceAddress: Cidr | null;
  private readonly stagedPackets: number;
  /** Every peer's staged packets, in one ring fixed at start. */
  private readonly staging: Staging;

  /**
   * Copies what it needs out of `config` and keeps no reference to it or its
   * PeerConfigs: on a gateway every object kept costs heap slots.
   */
  constructor(config: DeviceConfig, private readonly host: DeviceHost) {
    const { limits } = config;
    this.interfaceAddress = config.interface.address ?? null;
    this.stagedPackets = limits.stagedPackets;
    const budget = limits.stagingBudget ?? DEFAULT_STAGING_BUDGET;
    // A record for each of the smallest IPv4/UDP packets (28 B) the budget holds, plus one
    // empty keepalive per peer: the budget, not the count of records, is what runs out.
    const peers = config.peers.length;
    this.staging = new Staging(budget, Math.floor(budget / 28) + peers, peers, this.stagingDropped);
    const lifecycle = config.lifecycle ?? LIFECYCLE_DEFAULTS;
    this.noise = new Noise(config.interface.privateKey, this.aead);
    this.publicKeyBase64 = encodeBase64(this.noise.publicKey);
    this.admission = new Admission(this.noise.publicKey, this.aead, Math.max(64, limits.maxPeers * 4), limits.underLoadHandshakesPerSecond, host, this.drops);
    const clock = new TimestampClock(host.wallClock ? () => host.wallClock!() : undefined, host.store);
    this.address = config.interface.address ? config.interface.address.ip : -1;
    let routeCount = 0;
    for (const p of config.peers) routeCount += p.allowedIps.length;
    this.routes = new AllowedIps(Math.max(1, routeCount));
    const made = makePeers(config.peers, config.interface.privateKey);
    this.peers = made.peers;
    this.peerStore = made.store;
    config.peers.forEach((pc, i) => {
      for (const cidr of pc.allowedIps) this.routes.insert(cidr, i);
    });
    this.extensions = this.peers.some((p) => p.extensions);
    const sessionSets = Math.min(limits.maxPeers, Math.max(1, config.peers.length));
    this.sessions = new Sessions(this.peers, sessionSets, limits.replayWindow, limits.previousReplayWindow ?? limits.replayWindow, Math.max(1, Math.min(sessionSets, limits.handshakes ?? DEFAULT_HANDSHAKES)), host.random);
    this.keypairs = this.sessions.keypairs;
    this.closer = new Closer(lifecycle, this);
    this.groups = new Groups(config.peers, lifecycle);
    this.recovery = new Recovery(
      config.recovery ?? RECOVERY_DEFAULTS,
      this.extensions ? limits.resendBudget ?? 4096 : 0,
      Math.max(64, limits.maxPeers * 4),
      limits.replayWindow,
      this.keypairs,
      this.noise.publicKey,
      this,
    );
    for (const p of this.peers) this.recovery.writeIncomingProdId(p.bytes, p.bytesAt + PEER_PROD_ID, config.peers[p.index].publicKey);
    this.handshakes = new Handshakes({
      noise: this.noise, admission: this.admission, cookies: new CookieGenerator(this.aead, PEER_COOKIE, PEER_PUBLIC_KEY), sessions: this.sessions, clock,
      closer: this.closer, groups: this.groups, drops: this.drops, peers: this.peers, peerStore: this.peerStore,
    }, host, this);
  }

  // ---------------------------------------------------------------- input

  /** A datagram from the network. Never throws; bad input is dropped and counted. */
  handleDatagram(now: number, data: Uint8Array, len: number, address: string, port: number): void {
    switch (messageType(data, len)) {
      case MSG_TRANSPORT: return this.receiveTransport(now, data, len, address, port);
      case MSG_INITIATION: return this.handshakes.receiveInitiation(now, data, len, address, port);
      case MSG_RESPONSE: return this.handshakes.receiveResponse(now, data, len, address, port);
      case MSG_COOKIE_REPLY: return this.handshakes.receiveCookieReply(now, data);
      case MSG_NAK:
        if (this.extensions) return this.recovery.nak(now, data, this.peers);
        this.drops.extensionsOff++;
        return;
      case MSG_PROD:
        if (this.extensions) return this.recovery.prod(now, data, this.peers, address, port);
        this.drops.extensionsOff++;
        return;
      default: this.drops.malformed++;
    }
  }

  /** Runs every timer whose deadline is <= now. */
  handleTimeout(now: number): void {
    for (let i = 0; i < this.peers.length; i++) {
      const p = this.peers[i];
      if (p.nextDeadline() > now) continue;
      expireTimers(p, now, this);
      if (p.probeAt <= now) livenessTimer(p, now, this);
      if (p.closeAt <= now || p.closeEndAt <= now) this.closer.timer(p, now);
    }
    if (this.groups.nextDeadline() <= now) this.groups.timer(this.peers, now, this);
  }

  /** The next deadline (absolute, same clock as now), or Infinity. */
  pollTimeout(): number {
    let t = this.groups.nextDeadline();
    for (let i = 0; i < this.peers.length; i++) {
      const d = this.peers[i].nextDeadline();
      if (d < t) t = d;
    }
    return t;
  }

  // ---------------------------------------------------------------- output

  /**
   * Sends a UDP datagram through the tunnel from our Address:srcPort to
   * dstIp:dstPort, routed by AllowedIPs. Returns a SEND_* code.
   */
  sendUdp(now: number, srcPort: number, dstIp: number, dstPort: number, payload: Uint8Array, off: number, len: number): number {
    if (len + IPV4_HEADER + UDP_HEADER > MTU) {
      this.drops.tooBig++;
      return SEND_TOO_BIG;
    }
    const peerIndex = this.routes.lookup(dstIp);
    if (peerIndex < 0 || this.address < 0) {
      this.drops.noRoute++;
      return SEND_NO_ROUTE;
    }
    const tx = this.tx;
    const start = TRANSPORT_DATA + IPV4_HEADER + UDP_HEADER;
    for (let i = 0; i < len; i++) tx[start + i] = payload[off + i];
    const total = writeIpv4Udp(tx, TRANSPORT_DATA, this.address, dstIp, srcPort, dstPort, len, this.nextIpId());
    const p = this.peers[this.groups.active[peerIndex]];
    p.lastDataAt = now;
    return this.sendInner(p, now, total);
  }

  /** Sends a raw IPv4 packet through the tunnel, routed by its destination. */
  sendPacket(now: number, packet: Uint8Array, off: number, len: number): number {
    if (len > MTU) {
      this.drops.tooBig++;
      return SEND_TOO_BIG;
    }
    if (!parseIpv4(packet, off, len, this.ip)) {
      this.drops.badInnerPacket++;
      return SEND_NO_ROUTE;
    }
    const peerIndex = this.routes.lookup(this.ip.dst);
    if (peerIndex < 0) {
      this.drops.noRoute++;
      return SEND_NO_ROUTE;
    }
    const tx = this.tx;
    for (let i = 0; i < len; i++) tx[TRANSPORT_DATA + i] = packet[off + i];
    const p = this.peers[this.groups.active[peerIndex]];
    p.lastDataAt = now;
    return this.sendInner(p, now, len);
  }

  /** Starts a handshake with a peer now, within the one-per-REKEY_TIMEOUT rate limit. */
  connect(now: number, peer: number): void {
    const p = this.peers[peer];
    if (p) this.handshakes.sendInitiation(p, now, false);
  }

  setEndpoint(now: number, peer: number, address: string, port: number): void {
    const p = this.peers[peer];
    if (p) this.setEndpointOf(p, address, port, now);
  }

  shutdown(now: number): number {
    for (let i = 0; i < this.peers.length; i++) this.closer.close(this.peers[i], now, 'shutdown');
    return this.closingCount();
  }

  closingCount(): number {
    let n = 0;
    for (let i = 0; i < this.peers.length; i++) if (this.peers[i].closeState === CLOSING) n++;
    return n;
  }

  // ---------------------------------------------------------------- status

  status(now: number): DeviceStatus {
    const a = this.interfaceAddress;
    return {
      publicKey: this.publicKeyBase64,
      address: a ? formatCidr(a) : null,
      peers: this.peers.map((p) => ({
        publicKey: p.publicKeyBase64,
        endpoint: p.endpointAddress === null ? null : `${p.endpointAddress}:${p.endpointPort}`,
        allowedIps: p.allowedIps.map(formatCidr),
        state: this.peerState(p, now),
        lastHandshakeAgoMs: p.lastHandshakeAt === -Infinity ? null : now - p.lastHandshakeAt,
        rxBytes: p.rxBytes,
        txBytes: p.txBytes,
        rxPackets: p.rxPackets,
        txPackets: p.txPackets,
        persistentKeepalive: p.persistentKeepaliveInterval / 1000,
        homeward: p.homeward,
        naksReceived: p.naksReceived,
        prodsSent: p.prodsSent,
        prodsReceived: p.prodsReceived,
        resent: p.resent,
        lost: p.lost,
        group: this.groups.nameOf(p.index),
        active: this.groups.isActive(p.index),
        probesSent: p.probesSent,
        probesMissed: p.probesMissed,
        naksSent: p.naksSent,
        drops: p.dropsByReason(),
      })),
      drops: this.drops.toRecord(),
      naksSent: this.recovery.naksSent,
      groups: Object.fromEntries(this.groups.entries().map((g) => [g.name, this.peers[g.peer].publicKeyBase64])),
    };
  }

  private peerState(p: Peer, now: number): string {
    if (p.closeState === CLOSING) return 'closing';
    if (p.closeState === CLOSED) return 'closed';
    if (this.usable(p.current, now)) return 'established';
    if (p.initiationInFlight) return 'handshake';
    if (p.next !== NO_KEYPAIR) return 'confirming';
    if (now < p.waitUntil) return 'wait';
    return 'idle';
  }

  // ---------------------------------------------------------------- transport

  private receiveTransport(now: number, data: Uint8Array, len: number, address: string, port: number): void {
    const index = readU32(data, 4);
    const kp = this.sessions.keypairFor(index);
    if (kp === NO_KEYPAIR) {
      this.drops.unknownIndex++;
      // We lost the session the sender still has (a restart): tell it, within limits.
      if (this.extensions) {
        const before = this.recovery.naksSent;
        this.recovery.unknownIndex(now, data, address, port);
        if (this.recovery.naksSent !== before) this.countNakTo(address, port);
      }
      return;
    }
    const keypairs = this.keypairs;
    const p = this.sessions.peerOf(index)!;
    if (now - keypairs.createdAt(kp) >= REJECT_AFTER_TIME) return this.drop(p, 'expiredKeypair');
    const lo = readU32(data, 8);
    const hi = readU32(data, 12);
    if (!keypairs.replayCheck(kp, lo, hi)) return this.drop(p, 'replay');
    this.setNonce(lo, hi);
    keypairs.receiveKeyInto(kp, this.key);
    const opened = this.aead.open(this.key, this.nonce, data, TRANSPORT_DATA, len - TRANSPORT_DATA, null);
    this.key.fill(0);
    if (!opened) return this.drop(p, 'decrypt');
    if (!keypairs.replayUpdate(kp, lo, hi)) return this.drop(p, 'replay');
    // Any authenticated packet proves the peer alive (liveness.ts reads these at its next deadline).
    p.lastReceivedAt = now;
    p.probesOutstanding = 0;
    if (this.sessions.confirm(p, kp)) {
      timersHandshakeComplete(p, now);
      this.emit('handshake-complete', p, now);
      this.sessionStarted(p, now);
      this.flushStaged(p, now);
    }
    // Everything sent before this moment reached a peer that was alive then.
    const cur = p.current;
    if (cur !== NO_KEYPAIR && p.extensions) {
      p.heardKeypair = keypairs.id(cur);
      p.heardLo = keypairs.sendLo(cur);
      p.heardHi = keypairs.sendHi(cur);
    }
    this.keepKeyFreshReceiving(p, now);
    timersAnyAuthenticatedPacketTraversal(p, now);
    timersAnyAuthenticatedPacketReceived(p);
    this.setEndpointOf(p, address, port, now);
    p.rxPackets++;
    p.rxBytes += len;
    const plainLen = len - TRANSPORT_DATA - 16;
    if (plainLen === 0) return; // keepalive
    const version = data[TRANSPORT_DATA] >> 4;
    // Control frames are not data: they must not start WireGuard's keepalive reply.
    if (version !== 4 && version !== 6) return this.receiveControl(p, now, data, TRANSPORT_DATA, plainLen);
    timersDataReceived(p, now);
    this.receiveInner(p, now, data, TRANSPORT_DATA, plainLen);
  }

  /** A control frame between homeward peers. A stock peer never sends one. */
  private receiveControl(p: Peer, now: number, data: Uint8Array, off: number, len: number): void {
    if (!p.extensions) return this.drop(p, 'extensionsOff');
    if (data[off] === CONTROL_HELLO) {
      p.homeward = true;
      return;
    }
    if (this.closer.receive(p, now, data, off, len)) return;
    this.drop(p, 'unknownControl');
  }

  /**
   * A new session is usable: say HELLO, leave WAIT, and resend what a NAK said
   * was lost. True if a HELLO went out.
   */
  private sessionStarted(p: Peer, now: number): boolean {
    p.failingSince = Infinity;
    this.markUp(p, now);
    livenessStarted(p, now);
    this.closer.opened(p, now);
    this.groups.poke(p, now);
    if (!p.extensions) return false;
    p.waitUntil = -Infinity;
    const before = p.resent;
    const lostBefore = p.lost;
    this.recovery.resend(p, this.staging, p.index);
    if (p.resent !== before || p.lost !== lostBefore) {
      this.emit('resent', p, now, `${p.resent - before} packets resent, ${p.lost - lostBefore} lost`);
    }
    // One HELLO per session, ahead of the staged packets; a stock peer drops it.
    if (this.sendable(p, now)) {
      const tx = this.tx;
      tx[TRANSPORT_DATA] = CONTROL_HELLO;
      tx[TRANSPORT_DATA + 1] = HELLO_VERSION;
      this.sealAndSend(p, p.current, now, 2, SEND_CONTROL);
      return true;
    }
    return false;
  }

  /** An authenticated inner packet: check its source against AllowedIPs, then answer ICMP or deliver UDP. */
  private receiveInner(p: Peer, now: number, data: Uint8Array, off: number, len: number): void {
    const ip = this.ip;
    if (!parseIpv4(data, off, len, ip)) return this.drop(p, 'badInnerPacket');
    // Cryptokey routing (whitepaper §2): the source must be one of this peer's allowed IPs
    // (or of its failover group's: the members share their routes).
    const owner = this.routes.lookup(ip.src);
    if (owner < 0 || this.groups.leader[owner] !== this.groups.leader[p.index]) return this.drop(p, 'allowedIps');
    if (ip.dst !== this.address || ip.fragment) return this.drop(p, 'notForUs');
    if (ip.protocol === IPPROTO_UDP) {
      const udp = this.udp;
      if (!parseUdp(data, off, ip, udp)) return this.drop(p, 'badInnerPacket');
      p.lastDataAt = now;
      this.host.deliverUdp(p.index, ip.src, udp.srcPort, udp.dstPort, data, udp.payloadOffset, udp.payloadLength);
    } else if (ip.protocol === IPPROTO_ICMP) {
      // The answer to our liveness probe: receiving it already reset the miss count.
      if (isIcmpEchoReply(data, off, ip)) return;
      const tx = this.tx;
      const n = ip.totalLength;
      for (let i = 0; i < n; i++) tx[TRANSPORT_DATA + i] = data[off + i];
      if (!icmpEchoToReply(tx, TRANSPORT_DATA, ip)) return this.drop(p, 'notForUs');
      // Best effort, never staged: a ping must not reopen a closing association.
      if (this.sendable(p, now)) this.sealAndSend(p, p.current, now, n, SEND_CONTROL);
    } else {
      this.drop(p, 'notForUs');
    }
  }

  /** An inner packet at tx[TRANSPORT_DATA, +len) goes out now, or is staged behind a handshake. */
  private sendInner(p: Peer, now: number, len: number, kind = SEND_DATA): number {
    if (now < p.waitUntil) p.prodAllowance++; // secnet: no more PRODs than data packets
    if (this.staging.count(p.index) > 0 || !this.sendable(p, now)) {
      this.stage(p, this.tx, TRANSPORT_DATA, len);
      this.flushStaged(p, now);
      return this.staging.count(p.index) > 0 ? SEND_STAGED : SEND_OK;
    }
    this.sealAndSend(p, p.current, now, len, kind);
    return SEND_OK;
  }

  /** A session we may send data on: usable keys, and not closing (data then wants a new handshake). */
  sendable(p: Peer, now: number): boolean {
    return p.closeState === OPEN && this.usable(p.current, now);
  }

  sendableUntil(p: Peer): number {
    return p.current === NO_KEYPAIR ? -Infinity : this.keypairs.createdAt(p.current) + REJECT_AFTER_TIME;
  }

  /** A session we may still send control frames on (CLOSE while CLOSING). */
  hasSession(p: Peer, now: number): boolean {
    return this.usable(p.current, now);
  }

  private usable(kp: number, now: number): boolean {
    const keypairs = this.keypairs;
    return keypairs.live(kp) && now - keypairs.createdAt(kp) < REJECT_AFTER_TIME && !keypairs.exhausted(kp);
  }

  /**
   * Pads, seals in place and sends the plaintext at tx[TRANSPORT_DATA, +len)
   * (whitepaper §5.4.6). Data goes into the resend ring; data and probes arm
   * WireGuard's "no answer in 15 s" rule; control frames do neither.
   */
  private sealAndSend(p: Peer, kp: number, now: number, len: number, kind = SEND_DATA): void {
    const keypairs = this.keypairs;
    const tx = this.tx;
    let padded = (len + 15) & ~15;
    if (padded > MTU) padded = MTU;
    for (let i = len; i < padded; i++) tx[TRANSPORT_DATA + i] = 0;
    const lo = keypairs.sendLo(kp);
    const hi = keypairs.sendHi(kp);
    keypairs.nextCounter(kp);
    // Keep a copy for the resend after a NAK (the ring is preallocated: no allocation).
    if (kind === SEND_DATA && p.extensions) this.recovery.ring.record(p.index, keypairs.id(kp), lo, hi, tx, TRANSPORT_DATA, len);
    writeHeader(tx, MSG_TRANSPORT);
    writeU32(tx, 4, keypairs.remoteIndex(kp));
    writeU32(tx, 8, lo);
    writeU32(tx, 12, hi);
    this.setNonce(lo, hi);
    keypairs.sendKeyInto(kp, this.key);
    this.aead.seal(this.key, this.nonce, tx, TRANSPORT_DATA, padded, null);
    this.key.fill(0);
    const total = TRANSPORT_DATA + padded + 16;
    this.host.send(tx, total, p.endpointAddress!, p.endpointPort);
    p.txPackets++;
    p.txBytes += total;
    timersAnyAuthenticatedPacketTraversal(p, now);
    timersAnyAuthenticatedPacketSent(p);
    if (len > 0 && kind !== SEND_CONTROL) timersDataSent(p, now, this.jitter());
    // keepKeyFreshSending: only the initiator rekeys on time or message count.
    if (keypairs.isInitiator(kp) && (keypairs.sendHi(kp) >= REKEY_AFTER_MESSAGES_HI || now - keypairs.createdAt(kp) >= REKEY_AFTER_TIME)) {
      this.handshakes.sendInitiation(p, now, false);
    }
  }

  /** The 12-byte ChaCha20-Poly1305 nonce: 4 zero bytes, then the counter little-endian. */
  private setNonce(lo: number, hi: number): void {
    const n = this.nonce;
    n[0] = n[1] = n[2] = n[3] = 0;
    writeU32(n, 4, lo);
    writeU32(n, 8, hi);
  }

  private stage(p: Peer, buf: Uint8Array, off: number, len: number): void {
    if (this.staging.count(p.index) >= this.stagedPackets) {
      this.staging.dropFirst(p.index); // wireguard-go drops the oldest
      this.drop(p, 'stagedOverflow');
    }
    this.staging.push(p.index, buf, off, len);
  }

  /** wireguard-go SendStagedPackets: send them all on a usable key, or ask for one. */
  private flushStaged(p: Peer, now: number): void {
    if (this.staging.count(p.index) === 0) return;
    if (!this.sendable(p, now) || p.endpointAddress === null) {
      this.handshakes.sendInitiation(p, now, false);
      return;
    }
    let len: number;
    while ((len = this.staging.shift(p.index, this.tx, TRANSPORT_DATA)) >= 0) this.sealAndSend(p, p.current, now, len);
  }

  /** wireguard-go SendKeepalive: an empty packet, unless staged packets can do the job. */
  sendKeepalive(p: Peer, now: number): void {
    if (p.closeState !== OPEN) return; // a closing session needs no keepalive, and must not start a handshake for one
    if (this.staging.count(p.index) === 0) this.staging.push(p.index, EMPTY, 0, 0);
    this.flushStaged(p, now);
  }

  private keepKeyFreshReceiving(p: Peer, now: number): void {
    if (p.sentLastMinuteHandshake) return;
    const kp = p.current;
    // The initiator rekeys 15 s before REJECT_AFTER_TIME if only the other side talks.
    if (this.keypairs.live(kp) && this.keypairs.isInitiator(kp) && now - this.keypairs.createdAt(kp) >= REJECT_AFTER_TIME - KEEPALIVE_TIMEOUT - REKEY_TIMEOUT) {
      p.sentLastMinuteHandshake = true;
      this.handshakes.sendInitiation(p, now, false);
    }
  }

  // ---------------------------------------------------------------- handshake (handshakes.ts)

  /** Recovery: an initiation now, despite REKEY_TIMEOUT; to `address` (a PROD's source) if given. */
  forceInitiation(p: Peer, now: number, address: string | null, port: number): void {
    const retry = p.retransmitHandshakeAt !== Infinity;
    this.handshakes.sendInitiation(p, now, retry, true, address, port);
  }

  /** Our initiation was answered. The responder needs one transport packet to confirm the session:
   * the HELLO does it between homeward peers, a keepalive otherwise (or staged data). */
  initiatorSessionUp(p: Peer, now: number): void {
    if (this.sessionStarted(p, now)) this.flushStaged(p, now);
    else this.sendKeepalive(p, now);
  }

  send(data: Uint8Array, len: number, address: string, port: number): void {
    this.host.send(data, len, address, port);
  }

  random(out: Uint8Array): void {
    this.host.random(out);
  }

  // ---------------------------------------------------------------- timers

  /** Timer: an initiation went unanswered for REKEY_TIMEOUT. */
  retransmitHandshake(p: Peer, now: number): void {
    if (p.handshakeAttempts > MAX_TIMER_HANDSHAKES) {
      // Give up (REKEY_ATTEMPT_TIME): drop staged packets and erase keys later.
      p.sendKeepaliveAt = Infinity;
      const n = this.staging.clear(p.index);
      this.drops.stagedDropped += n;
      p.countDrop('stagedDropped', n);
      if (p.zeroKeyMaterialAt === Infinity) p.zeroKeyMaterialAt = now + 3 * REJECT_AFTER_TIME;
      this.emit('handshake-failed', p, now, `no answer after ${p.handshakeAttempts + 1} attempts`);
      this.markDown(p, now, 'handshake failed');
      if (p.extensions) {
        this.recovery.enterWait(p, now);
        this.emit('wait', p, now, `until +${Math.round(p.waitUntil - now)} ms`);
      }
      return;
    }
    p.handshakeAttempts++;
    this.handshakes.sendInitiation(p, now, true);
  }

  /** Timer: we sent data and heard nothing for KEEPALIVE_TIMEOUT + REKEY_TIMEOUT. */
  newHandshake(p: Peer, now: number): void {
    this.handshakes.sendInitiation(p, now, false);
  }

  /** Timer: no new keys for 3×REJECT_AFTER_TIME: erase everything (whitepaper §6.4). */
  zeroKeyMaterial(p: Peer, now: number): void {
    this.dropSession(p);
    this.sessions.releaseHandshake(p);
    this.emit('keys-zeroed', p, now);
    this.markDown(p, now, 'keys zeroed');
  }

  // ---------------------------------------------------------------- liveness, close, table, failover

  /** Liveness: an ICMP echo request to the peer's ping target, through the tunnel. */
  sendProbe(p: Peer, now: number): boolean {
    if (this.address < 0) return false;
    p.probeSeq = (p.probeSeq + 1) & 0xffff;
    const n = writeIcmpEcho(this.tx, TRANSPORT_DATA, this.address, p.pingTarget, p.index & 0xffff, p.probeSeq, this.nextIpId());
    this.sealAndSend(p, p.current, now, n, SEND_PROBE);
    return true;
  }

  probeMissed(p: Peer, now: number): void {
    this.emit('probe-missed', p, now, `${p.probesOutstanding} of ${p.pingMisses}`);
  }

  /**
   * Liveness: the peer stopped answering. Its keys go (they are useless now),
   * what it did not confirm is marked for resending, and a handshake starts.
   */
  sessionDead(p: Peer, now: number): void {
    if (p.extensions && p.resendKeypair === 0 && p.heardKeypair !== 0) {
      p.resendKeypair = p.heardKeypair;
      p.resendLo = p.heardLo;
      p.resendHi = p.heardHi;
    }
    this.dropSession(p);
    this.markDown(p, now, `no answer to ${p.pingMisses} probes`);
    // A handshake already in flight keeps its own retries (and its count toward giving up).
    if (p.retransmitHandshakeAt !== Infinity) return;
    // Within REKEY_TIMEOUT of the last initiation we may not send one now, but one must follow:
    // it is what marks the peer failing, and so what lets its group fail over.
    const allowedAt = p.lastSentHandshake + REKEY_TIMEOUT;
    if (now < allowedAt) p.newHandshakeAt = allowedAt;
    else this.handshakes.sendInitiation(p, now, false);
  }

  /** Close: seals `kind` and the 8-byte nonce at nonce[off] on the current session. */
  sendCloseFrame(p: Peer, now: number, kind: number, nonce: Uint8Array, off: number): void {
    const tx = this.tx;
    tx[TRANSPORT_DATA] = kind;
    for (let i = 1; i < 8; i++) tx[TRANSPORT_DATA + i] = 0;
    for (let i = 0; i < 8; i++) tx[TRANSPORT_DATA + 8 + i] = nonce[off + i];
    this.sealAndSend(p, p.current, now, 16, SEND_CONTROL);
  }

  reopened(p: Peer, now: number): void {
    this.emit('closed', p, now, 'reopened by a new handshake');
  }

  closing(p: Peer, now: number, why: string): void {
    livenessStopped(p);
    p.sendKeepaliveAt = Infinity;
    p.newHandshakeAt = Infinity;
    this.emit('closing', p, now, why);
  }

  /** Close: the association is over (acknowledged, timed out, or lingered long enough). */
  freeSession(p: Peer, now: number, why: string): void {
    this.dropSession(p);
    p.up = false;
    p.upSince = Infinity;
    this.emit('closed', p, now, why);
    this.groups.poke(p, now);
  }

  /** Erases every keypair of `p` and gives its slots back to the table. Handshake state is left alone. */
  private dropSession(p: Peer): void {
    this.sessions.drop(p);
    this.closer.reset(p);
    livenessStopped(p);
    p.sendKeepaliveAt = Infinity;
    p.newHandshakeAt = Infinity;
    p.persistentKeepaliveAt = Infinity;
  }

  /**
   * The table: slots for a new session of `p`. When none is free, the least
   * recently used idle session is closed (CLOSE to a homeward peer, without
   * waiting) and its slots reused; when none is idle, the handshake waits.
   */
  takeSlots(p: Peer, now: number): boolean {
    if (this.sessions.table.take(p)) return true;
    const victim = this.sessions.table.victim(this.peers, now, p);
    if (victim === null) {
      this.drop(p, 'tableFull');
      this.emit('table-full', p, now, `${this.sessions.table.capacity} sessions, none idle`);
      return false;
    }
    if (victim.homeward && this.hasSession(victim, now)) {
      this.host.random(this.closeNonce);
      this.sendCloseFrame(victim, now, CONTROL_CLOSE, this.closeNonce, 0);
    }
    this.dropSession(victim);
    victim.up = false;
    victim.upSince = Infinity;
    this.emit('evicted', victim, now, `for ${p.publicKeyBase64}`);
    return this.sessions.table.take(p);
  }

  /** Failover/failback: routes now use `to`; what waited for `from` goes with them. */
  switchTo(from: Peer, to: Peer, now: number, event: 'failover' | 'failback'): void {
    if (event === 'failover') {
      this.staging.move(from.index, to.index, this.stagedPackets);
      // What the dead gateway never confirmed goes again through the new one.
      if (from.extensions && from.resendKeypair !== 0 && !this.sendable(from, now)) this.recovery.resend(from, this.staging, to.index);
    }
    this.emit(event, to, now, `from ${from.publicKeyBase64}`);
    if (this.sendable(to, now)) this.flushStaged(to, now);
    else this.forceInitiation(to, now, null, 0);
  }

  /** Failback: a handshake asks a preferred gateway that is down whether it is back. */
  ask(p: Peer, now: number): void {
    this.forceInitiation(p, now, null, 0);
  }

  /** Recovery: a valid NAK for a session we are closing means the peer already forgot it. */
  closingGone(p: Peer, now: number): boolean {
    if (p.closeState === OPEN) return false;
    this.closer.reset(p);
    this.freeSession(p, now, 'NAK: peer already gone');
    return true;
  }

  acted(name: 'nak-received' | 'prod-received', p: Peer, now: number, detail: string): void {
    this.emit(name, p, now, detail);
  }

  // ---------------------------------------------------------------- helpers

  /** Roaming (whitepaper §2.1): the endpoint follows the last authenticated source. */
  setEndpointOf(p: Peer, address: string, port: number, now: number): void {
    if (p.endpointAddress === address && p.endpointPort === port) return;
    const had = p.endpointAddress !== null;
    p.endpointAddress = address;
    p.endpointPort = port;
    if (had) this.emit('endpoint-changed', p, now, `${address}:${port}`);
  }

  private markUp(p: Peer, now: number): void {
    if (p.up) return;
    p.up = true;
    p.upSince = now;
    this.emit('peer-up', p, now);
  }

  private markDown(p: Peer, now: number, why: string): void {
    p.upSince = Infinity;
    this.groups.poke(p, now);
    if (!p.up) return;
    p.up = false;
    this.emit('peer-down', p, now, why);
  }

  /** A NAK went to address:port: count it against the peer we last knew there (NAKs are rare and rate-limited). */
  private countNakTo(address: string, port: number): void {
    for (let i = 0; i < this.peers.length; i++) {
      const p = this.peers[i];
      if (p.endpointAddress === address && p.endpointPort === port) {
        p.naksSent++;
        return;
      }
    }
  }

  /** The staging ring made room, or could not hold a packet at all. */
  private readonly stagingDropped = (peer: number): void => this.drop(this.peers[peer], 'stagedOverflow');

  /** Counts a drop globally and against the peer it concerns. */
  private drop(p: Peer, reason: PeerDropReason): void {
    this.drops[reason]++;
    p.countDrop(reason);
  }

  emit(name: DeviceEventName, p: Peer, now: number, detail?: string): void {
    const e: DeviceEvent = { name, peer: p.index, publicKey: p.publicKeyBase64, time: now };
    if (detail !== undefined) e.detail = detail;
    this.host.event(e);
  }

  jitter(): number {
    this.host.random(this.rand4);
    return readU32(this.rand4, 0) % REKEY_TIMEOUT_JITTER_MAX;
  }

  private ipId = 0;
  private nextIpId(): number {
    this.ipId = (this.ipId + 1) & 0xffff;
    return this.ipId;
  }
}

