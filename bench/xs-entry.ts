/**
 * The XS side of bench/xs.ts: bundled with esbuild and evaluated once in an
 * xsnap worker, it installs `globalThis.__homewardBench`, whose methods the
 * measured loop bodies call. Nothing here runs on Node.
 *
 * Everything is built before measuring; the per-iteration methods touch only
 * preallocated state, so whatever a measured loop allocates is the code under
 * test's (the bench host below allocates nothing per transport packet).
 */
import { chacha20poly1305 } from '@noble/ciphers/chacha.js';
import { DEFAULT_HANDSHAKES, GATEWAY_LIMITS, type DeviceConfig, type DeviceLimits } from '../modules/config';
import { ChaChaPoly } from '../modules/crypto/aead';
import { publicKey, x25519 } from '../modules/crypto/x25519';
import { nobleX25519 } from '../tests/harness/noble-x25519';
import { Device, type DeviceHost } from '../modules/device';
import { INITIATION_SIZE, RESPONSE_SIZE, TRANSPORT_DATA } from '../modules/messages';
import { Handshake, Noise, type ConsumedInitiation } from '../modules/noise';
import { SessionTable } from '../modules/table';
import { PeerStore } from '../modules/peer';
import { HandshakePool } from '../modules/handshake-pool';

declare function gc(): void;

const HOME_IP = 0x0a640001; // 10.100.0.1
const GATEWAY_IP = 0x0a640002; // 10.100.0.2
const EMPTY = new Uint8Array(0);
/** IPv4 + UDP headers: sendUdp's payload is the sealed inner packet minus these. */
const IP_UDP = 28;

/** Deterministic, allocation-free bytes (xorshift32): the bench host's random source. */
class Rng {
  private s: number;
  constructor(seed: number) {
    this.s = seed | 0 || 1;
  }
  fill(out: Uint8Array): void {
    let s = this.s;
    for (let i = 0; i < out.length; i++) {
      s ^= s << 13;
      s ^= s >>> 17;
      s ^= s << 5;
      out[i] = s & 0xff;
    }
    this.s = s;
  }
  bytes(n: number): Uint8Array {
    const out = new Uint8Array(n);
    this.fill(out);
    return out;
  }
}

const rng = new Rng(0x9e3779b9);

/**
 * An in-memory network between devices. A datagram sent while nothing is
 * being delivered is handed to its receiver at once, in the sender's own
 * buffer (no copy, no allocation: the transport path is the core's alone).
 * One sent during a delivery (a handshake reply, a HELLO) is copied into a
 * queue that `pump()` drains after the outer call returns, so no device is
 * re-entered while it is still sending.
 */
class Net {
  now = 0;
  private busy = false;
  private readonly queue: { to: Device; data: Uint8Array; address: string; port: number }[] = [];
  /** The device every other one sends to (bytesPerPeer); a field, so it can be dropped. */
  hub: Device | null = null;
  delivered = 0;
  /** Deliveries whose length or bytes were not what was sent. */
  corrupt = 0;
  expectLen = -1;
  expectFirst = 0;
  expectLast = 0;

  send(to: Device, data: Uint8Array, len: number, address: string, port: number): void {
    if (this.busy) {
      this.queue.push({ to, data: data.slice(0, len), address, port });
      return;
    }
    this.busy = true;
    to.handleDatagram(this.now, data, len, address, port);
    this.busy = false;
  }

  pump(): void {
    this.busy = true;
    while (this.queue.length > 0) {
      const d = this.queue.shift()!;
      d.to.handleDatagram(this.now, d.data, d.data.length, d.address, d.port);
    }
    this.busy = false;
  }

  deliver(buf: Uint8Array, off: number, len: number): void {
    this.delivered++;
    if (this.expectLen >= 0 && (len !== this.expectLen || buf[off] !== this.expectFirst || buf[off + len - 1] !== this.expectLast)) {
      this.corrupt++;
    }
  }
}

function host(net: Net, target: () => Device | null, events?: { count: number }): DeviceHost {
  return {
    send(data, len, address, port) {
      const to = target();
      if (to !== null) net.send(to, data, len, address, port);
    },
    deliverUdp(_peer, _srcIp, _srcPort, _dstPort, buf, off, len) {
      net.deliver(buf, off, len);
    },
    random: (out) => rng.fill(out),
    event(e) {
      if (events && e.name === 'handshake-complete') events.count++;
    },
  };
}

function peerConfig(key: Uint8Array, ip: number, endpoint: { address: string; port: number } | null) {
  return {
    publicKey: key,
    presharedKey: null,
    endpoint,
    allowedIps: [{ ip, bits: 32 }],
    persistentKeepalive: 0,
  };
}

/**
 * A gateway whose home end never answers: every datagram it is given is
 * staged behind the handshake in flight (and past 32, the oldest goes).
 */
class Stager {
  readonly gateway: Device;
  readonly payload = rng.bytes(64 - IP_UDP);
  private now = 1;

  constructor(limits: DeviceLimits) {
    const config: DeviceConfig = {
      interface: { privateKey: rng.bytes(32), listenPort: 0, address: { ip: GATEWAY_IP, bits: 24 } },
      peers: [peerConfig(publicKey(rng.bytes(32)), HOME_IP, { address: '127.0.0.1', port: 1 })],
      limits,
    };
    this.gateway = new Device(config, host(new Net(), () => null));
  }

  /** One datagram staged; the clock moves 1 ms, far from REKEY_TIMEOUT, so no new initiation goes out. */
  stage(): void {
    this.now += 1;
    this.gateway.sendUdp(this.now, 7000, HOME_IP, 7000, this.payload, 0, this.payload.length);
  }

  staged(): number {
    return this.gateway.status(this.now).drops.stagedOverflow;
  }
}

/**
 * bench/pair.ts on XS: gateway → home, one peer each, session established
 * (handshake, then one packet back so the responder's keypair is confirmed).
 */
class Pair {
  readonly net = new Net();
  readonly gateway: Device;
  readonly home: Device;
  readonly events = { count: 0 };
  readonly payload: Uint8Array;
  readonly len: number;

  constructor(size: number, limits: DeviceLimits) {
    const gk = rng.bytes(32);
    const hk = rng.bytes(32);
    const net = this.net;
    const cfg = (priv: Uint8Array, ip: number, peerKey: Uint8Array, peerIp: number, endpoint: boolean): DeviceConfig => ({
      interface: { privateKey: priv, listenPort: 0, address: { ip, bits: 24 } },
      peers: [peerConfig(peerKey, peerIp, endpoint ? { address: '127.0.0.1', port: 1 } : null)],
      limits,
    });
    let gateway: Device | null = null;
    let home: Device | null = null;
    this.gateway = gateway = new Device(cfg(gk, GATEWAY_IP, publicKey(hk), HOME_IP, true), host(net, () => home, this.events));
    this.home = home = new Device(cfg(hk, HOME_IP, publicKey(gk), GATEWAY_IP, false), host(net, () => gateway, this.events));
    this.len = size - IP_UDP;
    this.payload = rng.bytes(this.len);
    this.gateway.sendUdp(net.now, 7000, HOME_IP, 7000, new Uint8Array(1), 0, 1);
    net.pump();
    this.home.sendUdp(net.now, 7000, GATEWAY_IP, 7000, new Uint8Array(1), 0, 1);
    net.pump();
    if (net.delivered !== 2) throw new Error(`pair: ${net.delivered} of 2 setup datagrams delivered`);
    net.expectLen = this.len;
    net.expectFirst = this.payload[0];
    net.expectLast = this.payload[this.len - 1];
    net.delivered = 0;
  }

  /** One datagram through the tunnel: gateway seals, home opens and delivers. */
  send(): void {
    const net = this.net;
    net.now += 1;
    this.gateway.sendUdp(net.now, 7000, HOME_IP, 7000, this.payload, 0, this.len);
  }

  /** A whole handshake through both devices, then the confirming packet. */
  handshake(): void {
    const net = this.net;
    net.now += 10_000; // past REKEY_TIMEOUT, so connect() is not rate-limited
    this.gateway.connect(net.now, 0);
    net.pump();
  }

  /** What went wrong, or '' (drops on either side, corrupt or missing deliveries). */
  problems(expectedDelivered: number): string {
    const out: string[] = [];
    const net = this.net;
    if (net.delivered !== expectedDelivered) out.push(`delivered ${net.delivered} of ${expectedDelivered}`);
    if (net.corrupt) out.push(`${net.corrupt} deliveries corrupt`);
    for (const [name, d] of [['gateway', this.gateway], ['home', this.home]] as const) {
      const drops = d.drops.nonZero();
      if (Object.keys(drops).length) out.push(`${name} drops ${JSON.stringify(drops)}`);
    }
    return out.join('; ');
  }
}

/** noble's ChaCha20-Poly1305 on the same bytes: encrypt, then decrypt. */
class NobleAead {
  private readonly key = rng.bytes(32);
  private readonly nonce = new Uint8Array(12);
  private readonly data: Uint8Array;
  constructor(size: number) {
    this.data = rng.bytes(size);
  }
  sealOpen(i: number): void {
    this.nonce[4] = i & 0xff;
    const sealed = chacha20poly1305(this.key, this.nonce).encrypt(this.data);
    chacha20poly1305(this.key, this.nonce).decrypt(sealed);
  }
}

/** homeward's own AEAD context alone (what Device uses), in place on the same bytes. */
class HomewardAead {
  private readonly aead = new ChaChaPoly();
  private readonly key = rng.bytes(32);
  private readonly nonce = new Uint8Array(12);
  private readonly buf: Uint8Array;
  constructor(readonly size: number) {
    this.buf = new Uint8Array(size + 16);
    rng.fill(this.buf);
  }
  sealOpen(i: number): boolean {
    this.nonce[4] = i & 0xff;
    this.aead.seal(this.key, this.nonce, this.buf, 0, this.size, null);
    return this.aead.open(this.key, this.nonce, this.buf, 0, this.size + 16, null);
  }
}

/** Noise IKpsk2 alone (modules/noise.ts), both sides: the four steps plus Split() on each side. */
class NoiseHandshake {
  private readonly noiseI: Noise;
  private readonly noiseR: Noise;
  private readonly hsI: Handshake;
  private readonly hsR: Handshake;
  private readonly eI = rng.bytes(32);
  private readonly eR = rng.bytes(32);
  private readonly timestamp = rng.bytes(12);
  private readonly msg1 = new Uint8Array(INITIATION_SIZE);
  private readonly msg2 = new Uint8Array(RESPONSE_SIZE);
  private readonly keys = [new Uint8Array(32), new Uint8Array(32), new Uint8Array(32), new Uint8Array(32)];
  private readonly lookup = (): Handshake => this.hsR;
  ok = 0;
  failed = 0;

  constructor() {
    const iPriv = rng.bytes(32);
    const rPriv = rng.bytes(32);
    this.noiseI = new Noise(iPriv, new ChaChaPoly());
    this.noiseR = new Noise(rPriv, new ChaChaPoly());
    this.hsI = new Handshake(this.noiseR.publicKey, new Uint8Array(32), iPriv);
    this.hsR = new Handshake(this.noiseI.publicKey, new Uint8Array(32), rPriv);
  }

  run(): void {
    const [is, ir, rs, rr] = this.keys;
    const created = this.noiseI.createInitiation(this.hsI, this.eI, this.timestamp, this.msg1, 8);
    const consumed: ConsumedInitiation | null = this.noiseR.consumeInitiation(this.msg1, 8, 12, this.lookup);
    if (!created || consumed === null) {
      this.failed++;
      return;
    }
    this.noiseR.acceptInitiation(consumed, 1);
    const responded = this.noiseR.createResponse(this.hsR, this.eR, EMPTY, this.msg2, 12);
    const payload = this.noiseI.consumeResponse(this.hsI, this.msg2, 12, 0);
    if (!responded || payload === null || !this.noiseI.deriveKeys(this.hsI, is, ir) || !this.noiseR.deriveKeys(this.hsR, rs, rr)) {
      this.failed++;
      return;
    }
    let d = 0;
    for (let i = 0; i < 32; i++) d |= (is[i] ^ rr[i]) | (ir[i] ^ rs[i]);
    if (d === 0) this.ok++;
    else this.failed++;
  }

  /**
   * The initiator's side alone: create the initiation, consume the response
   * in msg2, Split. The ephemerals and timestamp are fixed, so after one
   * run() every exchange writes the same two messages, and the response in
   * msg2 stays valid for each new initiation.
   */
  initiatorSide(): void {
    const [is, ir] = this.keys;
    const created = this.noiseI.createInitiation(this.hsI, this.eI, this.timestamp, this.msg1, 8);
    if (!created || this.noiseI.consumeResponse(this.hsI, this.msg2, 12, 0) === null || !this.noiseI.deriveKeys(this.hsI, is, ir)) this.failed++;
  }

  /** The responder's side alone: consume the initiation in msg1, create the response, Split (see initiatorSide). */
  responderSide(): void {
    const [, , rs, rr] = this.keys;
    const consumed: ConsumedInitiation | null = this.noiseR.consumeInitiation(this.msg1, 8, 12, this.lookup);
    if (consumed === null) {
      this.failed++;
      return;
    }
    this.noiseR.acceptInitiation(consumed, 1);
    if (!this.noiseR.createResponse(this.hsR, this.eR, EMPTY, this.msg2, 12) || !this.noiseR.deriveKeys(this.hsR, rs, rr)) this.failed++;
  }
}

const HUB_ADDRESS = '198.51.100.1';
const HUB_PORT = 51820;
const NOBODY = (): Device | null => null;

/** The hub's host: a datagram to port HUB_PORT + 1 + i goes to partner i. */
function hubHost(net: Net, partners: Device[], events: { count: number }): DeviceHost {
  return {
    ...host(net, NOBODY, events),
    send(data, len, _address, port) {
      const to = partners[port - HUB_PORT - 1];
      if (to !== undefined) net.send(to, data, len, HUB_ADDRESS, HUB_PORT);
    },
  };
}

/** A partner's host: everything goes to `net.hub`, from address:port. */
function partnerHost(net: Net, address: string, port: number, events: { count: number }): DeviceHost {
  return {
    ...host(net, NOBODY, events),
    send(data, len) {
      if (net.hub !== null) net.send(net.hub, data, len, address, port);
    },
  };
}

/**
 * A gateway with `n` peers, each established (the hub initiated; its HELLO
 * confirmed the partner's keypair), for bytesPerPeer. The partner devices are
 * kept elsewhere and reach the hub only through `net.hub`, so dropping the
 * hub frees exactly the gateway, its config and its host object. (The hosts
 * come from top-level functions: no closure the partners keep may be able to
 * reach the hub through the scope it was made in.)
 */
function buildHub(n: number, limits: DeviceLimits, partners: Device[], net: Net): { device: Device; established: number } {
  const priv = rng.bytes(32);
  const peers = [];
  const partnerPrivs: Uint8Array[] = [];
  for (let i = 0; i < n; i++) {
    const pp = rng.bytes(32);
    partnerPrivs.push(pp);
    // Per-peer strings, as a host resolving distinct endpoints would make.
    peers.push(peerConfig(publicKey(pp), (0x0a650002 + i) >>> 0, { address: '192.0.2.' + (i + 1), port: HUB_PORT + 1 + i }));
  }
  const events = { count: 0 };
  const device = new Device(
    { interface: { privateKey: priv, listenPort: HUB_PORT, address: { ip: 0x0a650001, bits: 16 } }, peers, limits },
    hubHost(net, partners, events),
  );
  const pub = publicKey(priv); // the partners' own copy: nothing of theirs points into the hub
  for (let i = 0; i < n; i++) {
    const port = HUB_PORT + 1 + i;
    partners[i] = new Device(
      {
        interface: { privateKey: partnerPrivs[i], listenPort: port, address: { ip: (0x0a650002 + i) >>> 0, bits: 16 } },
        peers: [peerConfig(pub, 0x0a650001, { address: HUB_ADDRESS, port: HUB_PORT })],
        limits,
      },
      // Equal to the hub's endpoint string but not the same object, which the hub must own alone.
      partnerHost(net, '192.0.2.' + String(i + 1), port, events),
    );
  }
  net.hub = device;
  for (let i = 0; i < n; i++) {
    net.now += 1;
    device.connect(net.now, i);
    net.pump();
  }
  // Each handshake completes on both sides: two events per peer.
  return { device, established: events.count / 2 };
}

/** Bytes of ArrayBuffer storage (the chunk heap, which heap slots do not count) reachable from `root`. */
function bufferBytes(root: unknown): number {
  const seen = new Set<unknown>();
  const buffers = new Set<ArrayBufferLike>();
  const stack: unknown[] = [root];
  let bytes = 0;
  while (stack.length > 0) {
    const v = stack.pop();
    if (v === null || typeof v !== 'object' || seen.has(v)) continue;
    seen.add(v);
    if (ArrayBuffer.isView(v)) {
      if (!buffers.has(v.buffer)) {
        buffers.add(v.buffer);
        bytes += v.buffer.byteLength;
      }
      continue;
    }
    if (v instanceof Map) {
      for (const [k, x] of v) stack.push(k, x);
      continue;
    }
    if (v instanceof Set) {
      for (const x of v) stack.push(x);
      continue;
    }
    for (const k of Object.keys(v)) stack.push((v as Record<string, unknown>)[k]);
  }
  return bytes;
}

const limits: DeviceLimits = GATEWAY_LIMITS;

const bench = {
  limits: { ...limits, handshakes: limits.handshakes ?? DEFAULT_HANDSHAKES, previousReplayWindow: limits.previousReplayWindow ?? limits.replayWindow },
  pairs: {} as Record<number, Pair>,
  noble: {} as Record<number, NobleAead>,
  aead: {} as Record<number, HomewardAead>,
  noise: null as NoiseHandshake | null,
  stager: null as Stager | null,
  handshakePair: null as Pair | null,
  x25519: { a: rng.bytes(32), b: publicKey(rng.bytes(32)) },
  /** bytesPerPeer: what a measurement holds, dropped between heap readings. */
  held: null as unknown,
  partners: [] as Device[],
  net: new Net(),

  setup(sizes: number[]): void {
    for (const size of sizes) {
      bench.pairs[size] = new Pair(size, limits);
      bench.noble[size] = new NobleAead(size);
      bench.aead[size] = new HomewardAead(size);
    }
    bench.noise = new NoiseHandshake();
    bench.stager = new Stager(limits);
    bench.handshakePair = new Pair(64, limits);
  },

  /** How many staged datagrams the stager pushed out (each staged one past 32 pushes one). */
  stagedOverflow(): ArrayBuffer {
    return encode({ overflow: bench.stager!.staged() });
  },

  x25519Once(): void {
    x25519(bench.x25519.a, bench.x25519.b);
  },

  nobleX25519Once(): void {
    nobleX25519.scalarMult(bench.x25519.a, bench.x25519.b);
  },

  /** Sanity checks after measuring; the reply is a JSON object of problems (empty when none). */
  check(sent: Record<number, number>, handshakes: number): ArrayBuffer {
    const problems: Record<string, string> = {};
    for (const size of Object.keys(sent)) {
      const p = bench.pairs[Number(size)].problems(sent[Number(size)]);
      if (p) problems[`pair${size}`] = p;
    }
    const noise = bench.noise!;
    if (noise.failed || noise.ok === 0) problems.noise = `${noise.ok} handshakes agreed, ${noise.failed} failed`;
    const hp = bench.handshakePair!;
    // setup: 2 events; then 2 per handshake (initiator on the response, responder on the confirming packet).
    if (hp.events.count !== 2 + 2 * handshakes) problems.deviceHandshake = `${hp.events.count} handshake-complete events, expected ${2 + 2 * handshakes}`;
    const hd = hp.problems(0);
    if (hd) problems.deviceHandshakePair = hd;
    return encode(problems);
  },

  /**
   * Builds what a heap reading should see: a gateway with n established
   * peers, or a session pool of 1 or 0 sets.
   */
  hold(kind: 'hub' | 'store' | 'table1' | 'table0' | 'pool1' | 'pool0', n = 0): ArrayBuffer {
    if (kind === 'store') {
      // The hub's peers' configs, as the hub's PeerStore is built from them.
      const configs = [];
      for (let i = 0; i < n; i++) configs.push(peerConfig(publicKey(rng.bytes(32)), (0x0a650002 + i) >>> 0, null));
      const store = new PeerStore(configs);
      bench.held = store;
      return encode({ bufferBytes: bufferBytes(store) });
    }
    if (kind === 'hub') {
      const hub = buildHub(n, limits, bench.partners, bench.net);
      bench.held = hub;
      // The resend ring is one buffer for the whole device, of a fixed budget, allocated only when
      // some peer has the extensions on: the 0-peer hub has none, so bytesPerPeer takes it out.
      const internals = hub.device as unknown as { recovery: { ring: object }; staging: object };
      return encode({
        established: hub.established,
        bufferBytes: bufferBytes(hub.device),
        resendRingBytes: bufferBytes(internals.recovery.ring),
        stagingRingBytes: bufferBytes(internals.staging),
      });
    }
    if (kind === 'pool1' || kind === 'pool0') {
      const pool = new HandshakePool(kind === 'pool1' ? 1 : 0);
      bench.held = pool;
      return encode({ bufferBytes: bufferBytes(pool) });
    }
    const held = new SessionTable(kind === 'table1' ? 1 : 0, limits.replayWindow, limits.previousReplayWindow);
    bench.held = held;
    return encode({ bufferBytes: bufferBytes(held) });
  },

  /**
   * bytesPerPeer's breakdown: takes one part away from every peer of the held
   * hub (parts in this order: each assumes the ones before are gone), so the
   * heap reading after it tells what that part held. Replies the ArrayBuffer
   * bytes the hub still reaches.
   */
  strip(part: 'none' | 'handshake' | 'peers'): ArrayBuffer {
    const hub = bench.held as { device: Device };
    // The bench reaches into private fields: this is a measurement, not an API.
    const device = hub.device as unknown as {
      peers: Record<string, unknown>[];
    };
    const peers = device.peers;
    // A field that is not there (renamed) would leave its bytes in the remainder unnoticed.
    const clear = (p: Record<string, unknown>, ...keys: string[]) => {
      for (const k of keys) {
        if (!(k in p)) throw new Error(`strip: a Peer has no field ${k}`);
        p[k] = null;
      }
    };
    if (part === 'handshake') for (const p of peers) clear(p, part);
    if (part === 'peers') peers.length = 0;
    return encode({ bufferBytes: bufferBytes(hub.device) });
  },

  drop(): void {
    bench.held = null;
    bench.net.hub = null;
  },

  /** Drops the partners of the last hub as well (between two hub measurements). */
  reset(): void {
    bench.drop();
    bench.partners.length = 0;
    bench.net = new Net();
    gc();
  },
};

function encode(value: unknown): ArrayBuffer {
  return new TextEncoder().encode(JSON.stringify(value)).buffer as ArrayBuffer;
}

(globalThis as unknown as { __homewardBench: typeof bench }).__homewardBench = bench;
