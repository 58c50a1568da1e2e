/**
 * A full session between two engines: the gateway's Device runs on XS (the
 * xsnap worker built by @agoric/xsnap), the home end's on Node, and this test
 * is the network between them. Both are the same endpoint code
 * (tests/xs/cross-endpoint.ts); every datagram one sends is carried, as
 * bytes, to the other. Time is the test's: it is set on every call and moved
 * forward by jumping to the next deadline either Device reports.
 *
 * Phases, each checked byte for byte and counter for counter:
 * 1. handshake: initiation (XS) → response (Node) → confirming HELLO (XS),
 *    and Node's HELLO back;
 * 2. telemetry both ways, every payload delivered exactly, in order;
 * 3. rekey: idle until the session is due for new keys, then telemetry at
 *    that moment: it rides the old session while the XS gateway rekeys;
 * 4. the XS Device is powered off (its state lost) while Node keeps sending,
 *    then rebuilt: homeward's NAK brings a new handshake and the resend of
 *    everything the gateway missed, each payload exactly once.
 *
 * Env: CI (a missing worker binary then fails instead of skipping).
 */
import { test, type TestContext } from 'node:test';
import assert from 'node:assert/strict';
import { dirname, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { RECOVERY_DEFAULTS } from '../modules/config';
import { MTU } from '../modules/device';
import { publicKey } from '../modules/crypto/x25519';
import { MSG_INITIATION, MSG_NAK, MSG_RESPONSE, MSG_TRANSPORT, TRANSPORT_HEADER_SIZE, AEAD_TAG_SIZE } from '../modules/messages';
import { REKEY_AFTER_TIME } from '../modules/constants';
import type { DeviceStatus } from '../modules/status';
import { Rng } from '../hosts/sim/rng';
import { bundleFile, decodeReply } from './xs/bundle.ts';
import { CrossEndpoint, fromHex, toHex, type Delivered, type EndpointSetup, type RecordedEvent, type Reply, type Request } from './xs/cross-endpoint.ts';
import { XSWorker, xsnapMissingReason } from './xs/worker.ts';

const here = dirname(fileURLToPath(import.meta.url));
const inCI = !!process.env.CI && !/^(0|false)$/i.test(process.env.CI);
const G = 'globalThis.__homewardCross';

const GATEWAY = { address: '192.0.2.10', port: 51820, tunnelIp: 0x0a640002 }; // 10.100.0.2
const HOME = { address: '198.51.100.1', port: 51820, tunnelIp: 0x0a640001 }; // 10.100.0.1
const TELEMETRY_PORT = 7000;
const IP_UDP = 28;
const MAX_PAYLOAD = MTU - IP_UDP;

/** One engine's endpoint, as the relay sees it. */
interface Side {
  readonly name: string;
  readonly address: string;
  readonly port: number;
  readonly tunnelIp: number;
  start(setup: EndpointSetup): Promise<void>;
  stop(): Promise<void>;
  run(request: Request): Promise<Reply>;
}

/** The home end, in this process. The request and reply go through JSON as they do for XS, so both see the same shapes. */
class NodeSide implements Side {
  private readonly endpoint = new CrossEndpoint();
  constructor(readonly name: string, readonly address: string, readonly port: number, readonly tunnelIp: number) {}
  async start(setup: EndpointSetup): Promise<void> {
    this.endpoint.start(JSON.parse(JSON.stringify(setup)) as EndpointSetup);
  }
  async stop(): Promise<void> {
    this.endpoint.stop();
  }
  async run(request: Request): Promise<Reply> {
    return JSON.parse(JSON.stringify(this.endpoint.run(JSON.parse(JSON.stringify(request)) as Request))) as Reply;
  }
}

/** The gateway, in the XS worker: each call is one evaluation whose argument is a JSON string literal. */
class XsSide implements Side {
  constructor(private readonly worker: XSWorker, readonly name: string, readonly address: string, readonly port: number, readonly tunnelIp: number) {}
  private async call<T>(method: string, arg?: unknown): Promise<T> {
    const literal = arg === undefined ? '' : JSON.stringify(JSON.stringify(arg));
    return decodeReply<T>((await this.worker.evaluate(`${G}.${method}(${literal});`)).reply);
  }
  async start(setup: EndpointSetup): Promise<void> {
    assert.equal(await this.call<boolean>('start', setup), true);
  }
  async stop(): Promise<void> {
    assert.equal(await this.call<boolean>('stop'), true);
  }
  run(request: Request): Promise<Reply> {
    return this.call<Reply>('run', request);
  }
}

/** A datagram as it crossed the test's network. */
interface WireRecord {
  time: number;
  from: string;
  to: string;
  bytes: Uint8Array;
  /** False when the receiver was down and the datagram went nowhere. */
  delivered: boolean;
}

/** What the relay knows of one side since its last boot. */
interface Track {
  side: Side;
  up: boolean;
  deadline: number | null;
  boot: number;
  delivered: Delivered[];
  events: RecordedEvent[];
}

/** The network and the clock: carries every datagram to the other side and runs timers when time moves. */
class Relay {
  now = 1_000;
  readonly wire: WireRecord[] = [];
  private readonly queue: { to: Track; from: Track; data: string }[] = [];
  private readonly tracks: Track[];

  constructor(readonly a: Side, readonly b: Side) {
    this.tracks = [a, b].map((side) => ({ side, up: false, deadline: null, boot: 0, delivered: [], events: [] }));
  }

  track(side: Side): Track {
    return this.tracks.find((t) => t.side === side)!;
  }

  async boot(side: Side, setup: EndpointSetup): Promise<void> {
    const t = this.track(side);
    await side.start(setup);
    Object.assign(t, { up: true, deadline: null, boot: this.wire.length, delivered: [], events: [] });
  }

  async powerOff(side: Side): Promise<void> {
    await side.stop();
    Object.assign(this.track(side), { up: false, deadline: null });
  }

  /** Runs operations on one side now and puts what it sent on the network. */
  async call(side: Side, ops: Request['ops'], status = false): Promise<Reply> {
    const t = this.track(side);
    assert.ok(t.up, `${side.name} is down`);
    const reply = await side.run({ now: this.now, ops, status });
    t.deadline = reply.deadline;
    t.delivered.push(...reply.delivered);
    t.events.push(...reply.events);
    for (const d of reply.sent) {
      const to = this.tracks.find((x) => x.side.address === d.address && x.side.port === d.port);
      assert.ok(to && to !== t, `${side.name} sent ${d.data.length / 2} bytes to ${d.address}:${d.port}, which is nobody`);
      this.queue.push({ from: t, to, data: d.data });
    }
    return reply;
  }

  async status(side: Side): Promise<DeviceStatus> {
    return (await this.call(side, [], true)).status!;
  }

  /** Delivers queued datagrams (consecutive ones to the same side in one call) until none are left. */
  async settle(): Promise<void> {
    for (let round = 0; this.queue.length > 0; round++) {
      assert.ok(round < 1000, 'the two Devices keep answering each other: no quiet moment after 1000 rounds');
      const to = this.queue[0].to;
      const batch: string[] = [];
      while (this.queue.length > 0 && this.queue[0].to === to) {
        const d = this.queue.shift()!;
        this.wire.push({ time: this.now, from: d.from.side.name, to: to.side.name, bytes: fromHex(d.data), delivered: to.up });
        batch.push(d.data);
      }
      if (!to.up) continue; // powered off: the datagrams hit nothing
      const from = this.tracks.find((x) => x !== to)!.side;
      await this.call(to.side, batch.map((data) => ({ op: 'datagram' as const, data, address: from.address, port: from.port })));
    }
  }

  /** Moves the clock without running timers, as a host does that gets to them late. */
  jumpTo(t: number): void {
    assert.ok(t >= this.now, 'time goes forward');
    this.now = t;
  }

  /** Moves time to `until`, stopping at every deadline on the way to run the timers that are due. */
  async advanceTo(until: number): Promise<void> {
    assert.ok(until >= this.now, 'time goes forward');
    for (let steps = 0; ; steps++) {
      assert.ok(steps < 10_000, 'timers keep firing without time moving on');
      const due = this.tracks.filter((t) => t.up && t.deadline !== null).map((t) => t.deadline!);
      const next = due.length ? Math.min(...due) : Infinity;
      if (next > until) break;
      this.now = Math.max(this.now, next);
      for (const t of this.tracks) {
        if (t.up && t.deadline !== null && t.deadline <= this.now) await this.call(t.side, [{ op: 'timeout' }]);
      }
      await this.settle();
    }
    this.now = until;
  }

  /** Sends telemetry from one side to the other now; every sendUdp must be accepted or staged. */
  async sendTelemetry(from: Side, to: Side, payloads: Uint8Array[]): Promise<Reply> {
    const reply = await this.call(from, payloads.map((p) => ({
      op: 'sendUdp' as const, srcPort: TELEMETRY_PORT, dstIp: to.tunnelIp, dstPort: TELEMETRY_PORT, payload: toHex(p),
    })));
    assert.equal(reply.results.length, payloads.length);
    for (const [i, code] of reply.results.entries()) assert.ok(code === 0 || code === 2, `sendUdp #${i} on ${from.name}: code ${code}`);
    return reply;
  }

  /** Datagrams that crossed from `from` to `to`, from wire index `since` on. */
  datagrams(from: Side, to: Side, since = 0): WireRecord[] {
    return this.wire.slice(since).filter((w) => w.from === from.name && w.to === to.name);
  }
}

const typeOf = (w: WireRecord) => w.bytes[0];
/** A little-endian u32 of a datagram: at 4 the sender index of handshakes, the receiver index of transport. */
const u32At = (w: WireRecord, off: number) => (w.bytes[off] | (w.bytes[off + 1] << 8) | (w.bytes[off + 2] << 16) | (w.bytes[off + 3] << 24)) >>> 0;
const receiverIndex = (w: WireRecord) => u32At(w, 4);
/** A sealed packet's size on the wire: header, the plaintext padded to 16 but not past the MTU, tag. */
const sealedSize = (plaintextLength: number) => TRANSPORT_HEADER_SIZE + Math.min(Math.ceil(plaintextLength / 16) * 16, MTU) + AEAD_TAG_SIZE;
/** The same for telemetry: the plaintext is an IPv4/UDP packet around the payload. */
const transportSize = (payloadLength: number) => sealedSize(IP_UDP + payloadLength);

/** Deterministic telemetry, one payload per length (the lists run from empty to the largest that fits the MTU). */
function makePayloads(rng: Rng, lengths: number[]): Uint8Array[] {
  return lengths.map((n) => rng.bytes(n));
}

function containsBytes(haystack: Uint8Array, needle: Uint8Array): boolean {
  return needle.length > 0 && Buffer.from(haystack).includes(Buffer.from(needle));
}

/** What `to` delivered since `from`'s payloads were queued: exactly these, in order, from `from`'s tunnel address. */
function assertDelivered(got: Delivered[], from: Side, payloads: Uint8Array[], what: string): void {
  assert.deepEqual(got.map((d) => d.payload), payloads.map((p) => toHex(p)), `${what}: payloads differ (count ${got.length} of ${payloads.length})`);
  for (const d of got) {
    assert.deepEqual([d.peer, d.srcIp, d.srcPort, d.dstPort], [0, from.tunnelIp, TELEMETRY_PORT, TELEMETRY_PORT], `${what}: delivery metadata`);
  }
}

function eventNames(events: RecordedEvent[], name: string): RecordedEvent[] {
  return events.filter((e) => e.name === name);
}

/**
 * Each side's counters against what crossed the wire since its boot: packets
 * and bytes sent exactly as the relay carried them, every transport packet
 * received counted (less those `unknownIndex` explains), and no drop but the
 * ones expected.
 */
async function assertCounters(relay: Relay, expectedDrops: Record<string, Record<string, number>>): Promise<void> {
  for (const side of [relay.a, relay.b]) {
    const other = side === relay.a ? relay.b : relay.a;
    const since = relay.track(side).boot;
    const st = await relay.status(side);
    const peer = st.peers[0];
    const out = relay.datagrams(side, other, since).filter((w) => typeOf(w) === MSG_TRANSPORT);
    const inn = relay.datagrams(other, side, since).filter((w) => typeOf(w) === MSG_TRANSPORT && w.delivered);
    const drops = Object.fromEntries(Object.entries(st.drops).filter(([, n]) => n !== 0));
    assert.deepEqual(drops, expectedDrops[side.name] ?? {}, `${side.name}: drops`);
    assert.equal(peer.txPackets, out.length, `${side.name}: txPackets vs transport datagrams on the wire`);
    assert.equal(peer.txBytes, out.reduce((n, w) => n + w.bytes.length, 0), `${side.name}: txBytes`);
    assert.equal(peer.rxPackets + (drops.unknownIndex ?? 0), inn.length, `${side.name}: rxPackets (+ unknownIndex) vs transport datagrams delivered`);
  }
}

/** Keys and per-boot settings for the pair; a reboot reuses them with a new random seed. */
function setups(rng: Rng): { gateway: (seed: number) => EndpointSetup; home: EndpointSetup } {
  const gatewayKey = rng.bytes(32);
  const homeKey = rng.bytes(32);
  return {
    gateway: (seed) => ({
      privateKey: toHex(gatewayKey), peerPublicKey: toHex(publicKey(homeKey)), tunnelIp: GATEWAY.tunnelIp, peerTunnelIp: HOME.tunnelIp,
      listenPort: GATEWAY.port, endpoint: { address: HOME.address, port: HOME.port }, limits: 'gateway', seed,
    }),
    home: {
      privateKey: toHex(homeKey), peerPublicKey: toHex(publicKey(gatewayKey)), tunnelIp: HOME.tunnelIp, peerTunnelIp: GATEWAY.tunnelIp,
      listenPort: HOME.port, endpoint: null, limits: 'node', seed: 2,
    },
  };
}

async function crossEngineSession(t: TestContext, worker: XSWorker): Promise<void> {
  // No prelude: no `crypto` shim in the worker, so every random byte the XS Device uses must come from its host.
  await worker.evaluate(await bundleFile(resolve(here, 'xs', 'cross-entry.ts'), { prelude: '' }));
  const gateway = new XsSide(worker, 'gateway (XS)', GATEWAY.address, GATEWAY.port, GATEWAY.tunnelIp);
  const home = new NodeSide('home (Node)', HOME.address, HOME.port, HOME.tunnelIp);
  const relay = new Relay(gateway, home);
  const rng = new Rng(0x5eed);
  const config = setups(rng);
  await relay.boot(gateway, config.gateway(1));
  await relay.boot(home, config.home);
  const g = relay.track(gateway);
  const h = relay.track(home);

  // Later phases build on earlier ones: once one fails, the rest would only repeat its failure.
  let failed = '';
  const phase = async (name: string, fn: () => Promise<void>) => {
    await t.test(name, { skip: failed ? `after the failure of "${failed}"` : false }, async () => {
      try {
        await fn();
      } catch (e) {
        failed = name;
        throw e;
      }
    });
  };

  await phase('handshake: initiation from XS, response from Node, HELLO from XS confirms, HELLO back', async () => {
    await relay.call(gateway, [{ op: 'connect', peer: 0 }]);
    await relay.settle();
    const w = relay.wire;
    assert.deepEqual(w.map((x) => [x.from, typeOf(x), x.bytes.length]), [
      [gateway.name, MSG_INITIATION, 148],
      [home.name, MSG_RESPONSE, 92],
      [gateway.name, MSG_TRANSPORT, sealedSize(2)], // the HELLO: 2 bytes, padded to 16
      [home.name, MSG_TRANSPORT, sealedSize(2)], // the confirmed responder's own HELLO
    ]);
    // The response answers the initiation's sender index; the HELLO names the responder's index.
    assert.equal(u32At(w[1], 8), u32At(w[0], 4));
    assert.equal(receiverIndex(w[2]), u32At(w[1], 4));
    assert.equal(receiverIndex(w[3]), u32At(w[0], 4));
    assert.equal(eventNames(g.events, 'handshake-complete').length, 1, 'gateway: handshake-complete');
    assert.equal(eventNames(h.events, 'handshake-complete').length, 1, 'home: handshake-complete');
    const [gs, hs] = [await relay.status(gateway), await relay.status(home)];
    assert.equal(gs.peers[0].state, 'established');
    assert.equal(hs.peers[0].state, 'established');
    assert.equal(hs.peers[0].homeward, true, 'home heard the XS gateway HELLO');
    assert.equal(gs.peers[0].homeward, true, 'the XS gateway heard home HELLO');
    assert.equal(hs.peers[0].endpoint, `${GATEWAY.address}:${GATEWAY.port}`, 'home learned the endpoint from the initiation');
    await assertCounters(relay, {});
  });

  const lengths = [0, 1, 15, 16, 17, 64, 100, 255, 256, 512, 1000, MAX_PAYLOAD];

  await phase('telemetry both ways: every payload byte-exact, in order, counters right', async () => {
    const up = makePayloads(rng, lengths);
    const down = makePayloads(rng, [...lengths].reverse());
    const since = relay.wire.length;
    const [gBefore, hBefore] = [g.delivered.length, h.delivered.length];
    await relay.sendTelemetry(gateway, home, up);
    await relay.settle();
    await relay.sendTelemetry(home, gateway, down);
    await relay.settle();
    assertDelivered(h.delivered.slice(hBefore), gateway, up, 'XS → Node');
    assertDelivered(g.delivered.slice(gBefore), home, down, 'Node → XS');
    // One sealed datagram per payload, of the size the padding rule gives, and no payload in clear.
    const upWire = relay.datagrams(gateway, home, since);
    const downWire = relay.datagrams(home, gateway, since);
    assert.deepEqual(upWire.map((w) => [typeOf(w), w.bytes.length]), up.map((p) => [MSG_TRANSPORT, transportSize(p.length)]));
    assert.deepEqual(downWire.map((w) => [typeOf(w), w.bytes.length]), down.map((p) => [MSG_TRANSPORT, transportSize(p.length)]));
    for (const [i, p] of up.entries()) assert.ok(p.length < 16 || !containsBytes(upWire[i].bytes, p), `payload ${i} in clear on the wire`);
    for (const [i, p] of down.entries()) assert.ok(p.length < 16 || !containsBytes(downWire[i].bytes, p), `payload ${i} in clear on the wire`);
    // Counters are consecutive after each side's HELLO (its 0): nothing skipped or reused on either engine.
    const counter = (w: WireRecord) => u32At(w, 8);
    assert.deepEqual(upWire.map(counter), up.map((_, i) => i + 1));
    assert.deepEqual(downWire.map(counter), down.map((_, i) => i + 1));
    await assertCounters(relay, {});
  });

  await phase('rekey: data in flight while the XS initiator rekeys at REKEY_AFTER_TIME; timers on both engines meanwhile', async () => {
    const established = eventNames(g.events, 'handshake-complete')[0].time;
    const oldIndex = receiverIndex(relay.datagrams(gateway, home).filter((w) => typeOf(w) === MSG_TRANSPORT).at(-1)!);
    const [gBefore, hBefore] = [g.delivered.length, h.delivered.length];
    const idleFrom = relay.wire.length;
    // Idle until just before the session is due: keepalives and probes only, on the old session.
    await relay.advanceTo(established + REKEY_AFTER_TIME - 1);
    const idle = relay.wire.slice(idleFrom);
    assert.ok(idle.length > 0, 'timers sent something while idle');
    assert.ok(idle.every((w) => typeOf(w) === MSG_TRANSPORT && w.delivered), 'only transport packets while idle');
    assert.deepEqual([g.delivered.length, h.delivered.length], [gBefore, hBefore], 'nothing delivered while idle');
    await assertCounters(relay, {});

    // Telemetry at the very moment the session is due, before the host runs the timer (a host may be late).
    relay.jumpTo(established + REKEY_AFTER_TIME);
    const since = relay.wire.length;
    const up = makePayloads(rng, lengths);
    const sent = await relay.sendTelemetry(gateway, home, up);
    // The first payload goes on the old session and, being due, brings an initiation; the rest follow on the old session.
    assert.deepEqual(sent.sent.map((d) => parseInt(d.data.slice(0, 2), 16)), [MSG_TRANSPORT, MSG_INITIATION, ...up.slice(1).map(() => MSG_TRANSPORT)]);
    await relay.settle();
    await relay.advanceTo(relay.now); // the timers due now
    const down = makePayloads(rng, lengths);
    await relay.sendTelemetry(home, gateway, down);
    await relay.settle();
    assertDelivered(h.delivered.slice(hBefore), gateway, up, 'XS → Node across the rekey');
    assertDelivered(g.delivered.slice(gBefore), home, down, 'Node → XS after the rekey');

    const initiations = relay.datagrams(gateway, home, since).filter((w) => typeOf(w) === MSG_INITIATION);
    const responses = relay.datagrams(home, gateway, since).filter((w) => typeOf(w) === MSG_RESPONSE);
    assert.equal(initiations.length, 1, 'one initiation, from the initiator of the old session');
    assert.equal(responses.length, 1, 'one response');
    assert.equal(eventNames(g.events, 'handshake-complete').length, 2, 'gateway: second handshake-complete');
    assert.equal(eventNames(h.events, 'handshake-complete').length, 2, 'home: second handshake-complete');
    const upWire = relay.datagrams(gateway, home, since).filter((w) => typeOf(w) === MSG_TRANSPORT);
    assert.deepEqual(upWire.slice(0, up.length).map(receiverIndex), up.map(() => oldIndex), 'in-flight payloads on the old session');
    assert.equal(receiverIndex(upWire.at(-1)!), u32At(responses[0], 4), 'the gateway then sends on the new session');
    const downWire = relay.datagrams(home, gateway, since).filter((w) => typeOf(w) === MSG_TRANSPORT).slice(-down.length);
    assert.deepEqual(downWire.map(receiverIndex), down.map(() => u32At(initiations[0], 4)), 'home sends on the new session');
    await assertCounters(relay, {});
  });

  await phase('restart: the XS Device loses its state; NAK, handshake and resend deliver everything exactly once', async () => {
    // The gateway speaks last before the outage, so home knows exactly what reached it (PROTOCOL: the heard point).
    const before = makePayloads(rng, [40, 41]);
    await relay.sendTelemetry(home, gateway, before);
    await relay.settle();
    const ack = makePayloads(rng, [8]);
    await relay.sendTelemetry(gateway, home, ack);
    await relay.settle();
    const hBefore = h.delivered.length;

    await relay.powerOff(gateway);
    // While the gateway is off, home keeps sending; the datagrams reach nobody.
    const duringOutage = makePayloads(rng, [10, 20, 30, 40]);
    for (const p of duringOutage) {
      await relay.advanceTo(relay.now + 250);
      await relay.sendTelemetry(home, gateway, [p]);
      await relay.settle();
    }
    await relay.advanceTo(relay.now + 250);
    await relay.boot(gateway, config.gateway(3));
    const sinceBoot = relay.wire.length;
    // The first packets the new Device sees name an index it never had: it NAKs them.
    const afterBoot = makePayloads(rng, [50, 60, 70, 80, 90, 100]);
    await relay.sendTelemetry(home, gateway, afterBoot);
    await relay.settle();

    const expected = [...duringOutage, ...afterBoot];
    assertDelivered(g.delivered, home, expected, 'Node → XS across the restart');
    assert.equal(h.delivered.length, hBefore, 'nothing for home meanwhile');
    const toHome = relay.datagrams(gateway, home, sinceBoot);
    const naks = toHome.filter((w) => typeOf(w) === MSG_NAK);
    assert.equal(naks.length, Math.min(afterBoot.length, RECOVERY_DEFAULTS.nakBurstPerSource), 'NAKs, up to the per-source burst');
    assert.deepEqual(toHome.filter((w) => typeOf(w) === MSG_RESPONSE).length, 1, 'one response from the new gateway');
    const fromHome = relay.datagrams(home, gateway, sinceBoot);
    assert.equal(fromHome.filter((w) => typeOf(w) === MSG_INITIATION).length, 1, 'home initiated once, on the first NAK');
    assert.equal(eventNames(g.events, 'handshake-complete').length, 1, 'the new gateway completed one handshake');
    const hs = (await relay.status(home)).peers[0];
    assert.equal(hs.resent, expected.length, 'home resent what the gateway never got');
    assert.equal(hs.lost, 0);
    assert.ok(hs.naksReceived >= 1, `home counted the NAKs (${hs.naksReceived})`);
    assert.equal((await relay.status(gateway)).naksSent, naks.length);
    assert.equal(eventNames(h.events, 'resent').length, 1, 'home reported the resend');
    await assertCounters(relay, { [gateway.name]: { unknownIndex: afterBoot.length } });

    // And the new session carries data both ways.
    const [gNow, hNow] = [g.delivered.length, h.delivered.length];
    const up = makePayloads(rng, lengths);
    await relay.sendTelemetry(gateway, home, up);
    await relay.settle();
    const down = makePayloads(rng, lengths);
    await relay.sendTelemetry(home, gateway, down);
    await relay.settle();
    assertDelivered(h.delivered.slice(hNow), gateway, up, 'XS → Node after the restart');
    assertDelivered(g.delivered.slice(gNow), home, down, 'Node → XS after the restart');
    await assertCounters(relay, { [gateway.name]: { unknownIndex: afterBoot.length } });
  });
}

const missing = xsnapMissingReason();

if (missing) {
  // In CI the XS run is required; locally a machine without the build skips it.
  test('cross-engine: XS gateway and Node home in one session', { skip: inCI ? false : missing }, () => {
    throw new Error(missing);
  });
} else {
  test('cross-engine: XS gateway and Node home in one session', { timeout: 120_000 }, async (t) => {
    const worker = XSWorker.start({ name: 'homeward-cross-engine', timeoutMs: 60_000 });
    try {
      await crossEngineSession(t, worker);
    } finally {
      await worker.close();
    }
  });
}
