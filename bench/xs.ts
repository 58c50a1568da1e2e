/**
 * The core on the real XS engine (the xsnap worker built by @agoric/xsnap),
 * with its deterministic meters: computrons and live heap slots (16 bytes
 * each). Unlike packets/s on Node, these figures are exact and the same on
 * every machine. bench/xs-entry.ts is bundled and evaluated in one worker;
 * tests/xs/meter.ts measures loop bodies that call into it.
 *
 * - seal+open per transport packet (64 / 1420 B inner IP packet, as on Node):
 *   homeward's whole data path, gateway Device → home Device in memory
 *   (sendUdp: framing, seal; handleDatagram: replay check, open, AllowedIPs,
 *   delivery), beside noble's ChaCha20-Poly1305 encrypt + decrypt of the same
 *   bytes, and beside homeward's own AEAD context alone.
 * - heap slots per packet: allocated per packet in steady state (meter.ts:
 *   warm-up, heap grown first, cross-checked against a tiny run).
 * - handshake: modules/noise.ts, both sides (initiation create + consume,
 *   response create + consume, Split on each side), and each side alone
 *   (handshakeComputronsPerSide: the initiator creates, consumes the
 *   response and splits; the responder consumes, responds and splits; the
 *   two add up to the handshake less its key comparison); also through two Devices
 *   (MACs, admission, index table, the confirming HELLO). x25519: one
 *   scalar multiplication, homeward's ladder (modules/crypto/x25519.ts) and
 *   noble's (the reference: x25519Computrons and the handshake ratios).
 * - bytes per peer: see bytesPerPeer() below.
 */
import { resolve, dirname } from 'node:path';
import { fileURLToPath } from 'node:url';
import { bundleFile } from '../tests/xs/bundle.ts';
import { measure, type Measurement } from '../tests/xs/meter.ts';
import { XSWorker, xsnapMissingReason } from '../tests/xs/worker.ts';
import { SLOTS_PER_SESSION } from '../modules/table.ts';

const here = dirname(fileURLToPath(import.meta.url));
const B = 'globalThis.__homewardBench';
const SIZES = [64, 1420] as const;
const SLOT_BYTES = 16;
/** Peers of the gateway measured for bytesPerPeer (GATEWAY_LIMITS.maxPeers). */
const PEERS = 8;

/** Iterations per measurement: computrons are exact at any count; enough for a heap count that means something. */
const ITERATIONS = {
  homeward: { 64: 512, 1420: 128 },
  aead: { 64: 512, 1420: 128 },
  noble: { 64: 256, 1420: 64 },
  handshake: 2,
  x25519: 4,
  staging: 256,
} as const;

/** Title for the table, for a caller that prints one. */
export const XS_TITLE =
  'XS engine (xsnap worker, deterministic meters; gateway limits): computrons and heap per operation';

interface HeldInfo {
  established?: number;
  bufferBytes: number;
  resendRingBytes?: number;
  stagingRingBytes?: number;
}

function decode<T>(reply: Uint8Array): T {
  return JSON.parse(new TextDecoder().decode(reply)) as T;
}

/** Iterations a measurement ran the body, warm-up included (for the delivery check). */
function bodyRuns(m: Measurement, warmup = 1): number {
  return warmup + m.runs.reduce((n, r) => n + r.body.iterations, 0);
}

/**
 * Live slots of what `hold` builds: heap count after gc() with it held, minus
 * after dropping it and gc(), minus the same two evaluations with nothing to
 * drop (an evaluation itself leaves a slot or so). Exact and deterministic.
 */
async function heldSlots(worker: XSWorker, hold: string): Promise<{ slots: number; info: HeldInfo }> {
  const info = decode<HeldInfo>((await worker.evaluate(`${B}.hold(${hold});`)).reply);
  const read = async (script: string) => (await worker.evaluate(script)).meter.currentHeapCount;
  const withIt = await read('gc();');
  const without = await read(`${B}.drop(); gc();`);
  const control = (await read('gc();')) - (await read(`${B}.drop(); gc();`));
  await worker.evaluate(`${B}.reset();`);
  return { slots: withIt - without - control, info };
}

/** The parts strip() takes away from every peer of a held hub, in this order (see bytesPerPeer). */
const PARTS = ['handshake', 'peers'] as const;

/**
 * Slots and ArrayBuffer bytes per peer that each part of PARTS held: a hub
 * of PEERS established peers is built, then the parts are taken away from
 * every peer one after another, each heap reading after gc().
 */
async function strippedParts(worker: XSWorker): Promise<Record<(typeof PARTS)[number], { slots: number; bufferBytes: number }>> {
  const read = async (script: string) => {
    const r = await worker.evaluate(script);
    return { count: r.meter.currentHeapCount, bufferBytes: r.reply.length ? decode<HeldInfo>(r.reply).bufferBytes : 0 };
  };
  const held = decode<HeldInfo>((await worker.evaluate(`${B}.hold('hub', ${PEERS});`)).reply);
  const strip = (part: string) => read(`(() => { const r = ${B}.strip('${part}'); gc(); return r; })();`);
  // Each evaluation leaves a slot or so behind: two readings that strip nothing measure that drift.
  const first = await strip('none');
  let before = await strip('none');
  const drift = before.count - first.count;
  if (before.bufferBytes !== held.bufferBytes) throw new Error('bytesPerPeer: strip(none) changed the hub');
  const out = {} as Record<(typeof PARTS)[number], { slots: number; bufferBytes: number }>;
  for (const part of PARTS) {
    const after = await strip(part);
    out[part] = { slots: (before.count - after.count + drift) / PEERS, bufferBytes: (before.bufferBytes - after.bufferBytes) / PEERS };
    before = after;
  }
  await worker.evaluate(`${B}.reset();`);
  return out;
}

/**
 * bytesPerPeer: live heap per established peer, from a gateway Device with 8
 * configured and established peers minus the same Device with 0 peers, / 8,
 * × 16 bytes per slot, each read after gc() (heldSlots).
 *
 * What is counted. XS's heap has two parts: 16-byte slots (objects,
 * properties, closures, typed-array and ArrayBuffer headers), which
 * `currentHeapCount` counts exactly, and the chunk heap (the bytes inside
 * ArrayBuffers, strings), which it does not; `bufferBytes*` adds up the
 * ArrayBuffer bytes by walking the object graph (strings are left out: the
 * only one a peer keeps is its endpoint address).
 *
 * - `bytesPerPeer` (the figure the project reports): slots and ArrayBuffer
 *   bytes of the peer and of its session set together. Not counted: the
 *   resend ring (`resendRingBytes`), one fixed buffer for the whole device
 *   that the 0-peer Device (no peer, so no extensions) does not allocate;
 *   and the handshake pool (`handshakePoolBytes`, `handshakeStateBytes`
 *   each): fixed at start to min(capacity, limits.handshakes) exchange
 *   states, 1 in the 0-peer Device and 2 in the 8-peer one, so the extra
 *   state is measured on its own (a HandshakePool of 1 minus one of 0) and
 *   taken out.
 * - `slotBytesPerPeer`: slots only, and without the session pool: the Peer
 *   and the Device's per-peer table entries (the Device keeps no PeerConfig).
 * - `slotBytesPerSessionSet`: slots of one set of session state from the pool
 *   (two keypair slots: keys, counters, replay windows). The pool is
 *   allocated at start with capacity min(maxPeers, max(1, peers)), so the
 *   0-peer Device has 1 set and the 8-peer one 8: the 7 extra sets, measured
 *   on their own (a SessionTable of 1 minus one of 0), are taken out of
 *   slotBytesPerPeer and reported here. Every established peer holds one set,
 *   so its replay windows (GATEWAY_LIMITS.replayWindow and .previousReplayWindow counters) are in
 *   this figure and not in slotBytesPerPeer.
 * - `breakdown`: the same total split by part: `sessionSet` as above,
 *   `peerStore` the share of the device's PeerStore (numbers, counts, byte
 *   fields, configured prefixes, key index: a store of 8 peers' configs
 *   minus one of none, / 8), `handshake` and `peerObject` from stripping
 *   them off a held hub (strippedParts: the Peer objects and their entries
 *   in the device's array), and `deviceEntries` the rest (route and group
 *   table entries, the staging ring's per-peer record).
 */
async function bytesPerPeer(worker: XSWorker, maxPeers: number, replayWindow: number, previousReplayWindow: number, handshakes: number) {
  const hub8 = await heldSlots(worker, `'hub', ${PEERS}`);
  const hub0 = await heldSlots(worker, `'hub', 0`);
  const store8 = await heldSlots(worker, `'store', ${PEERS}`);
  const store0 = await heldSlots(worker, `'store', 0`);
  const set1 = await heldSlots(worker, `'table1'`);
  const set0 = await heldSlots(worker, `'table0'`);
  const pool1 = await heldSlots(worker, `'pool1'`);
  const pool0 = await heldSlots(worker, `'pool0'`);
  if (hub8.info.established !== PEERS) throw new Error(`bytesPerPeer: ${hub8.info.established} of ${PEERS} peers established`);
  const capacity = (peers: number) => Math.min(maxPeers, Math.max(1, peers));
  const extraSets = capacity(PEERS) - capacity(0);
  const setSlots = set1.slots - set0.slots;
  const setBuffer = set1.info.bufferBytes - set0.info.bufferBytes;
  // The handshake pool is fixed device memory (min(capacity, limits.handshakes) states), not per peer: the
  // 8-peer hub's is larger than the 0-peer one's, and that difference is taken out and reported on its own.
  const extraHandshakes = Math.min(capacity(PEERS), handshakes) - Math.min(capacity(0), handshakes);
  const handshakeSlots = pool1.slots - pool0.slots;
  const handshakeBuffer = pool1.info.bufferBytes - pool0.info.bufferBytes;
  const peerSlots = (hub8.slots - hub0.slots - extraSets * setSlots - extraHandshakes * handshakeSlots) / PEERS;
  // The resend ring is device-wide and fixed in size, but only a device with extensions has one.
  const ringBytes = (hub8.info.resendRingBytes ?? 0) - (hub0.info.resendRingBytes ?? 0);
  const peerBuffer = (hub8.info.bufferBytes - hub0.info.bufferBytes - extraSets * setBuffer - extraHandshakes * handshakeBuffer - ringBytes) / PEERS;
  const total = Math.round((peerSlots + setSlots) * SLOT_BYTES + peerBuffer + setBuffer);

  const parts = await strippedParts(worker);
  const bytes = (p: { slots: number; bufferBytes: number }) => Math.round(p.slots * SLOT_BYTES + p.bufferBytes);
  const breakdown = {
    // The keypairs' state is in the table's one store, which stripping the handles does not free: the set's own measure.
    sessionSet: Math.round(setSlots * SLOT_BYTES + setBuffer),
    handshake: bytes(parts.handshake),
    peerStore: bytes({ slots: (store8.slots - store0.slots) / PEERS, bufferBytes: (store8.info.bufferBytes - store0.info.bufferBytes) / PEERS }),
    peerObject: bytes(parts.peers),
    deviceEntries: 0,
  };
  breakdown.deviceEntries = total - Object.values(breakdown).reduce((a, b) => a + b, 0);
  return {
    bytesPerPeer: total,
    slotsPerPeer: +peerSlots.toFixed(2),
    slotBytesPerPeer: Math.round(peerSlots * SLOT_BYTES),
    slotBytesPerSessionSet: setSlots * SLOT_BYTES,
    bufferBytesPerPeer: Math.round(peerBuffer),
    bufferBytesPerSessionSet: setBuffer,
    resendRingBytes: ringBytes,
    // The staging ring of the 8-peer gateway (its budget and records; 10 B of it are each peer's record, in bytesPerPeer too).
    stagingRingBytes: hub8.info.stagingRingBytes ?? 0,
    handshakeStateBytes: handshakeSlots * SLOT_BYTES + handshakeBuffer,
    handshakePoolBytes: Math.min(capacity(PEERS), handshakes) * (handshakeSlots * SLOT_BYTES + handshakeBuffer),
    countedInTotal: `slots and ArrayBuffer bytes of the peer and of its session set (${SLOTS_PER_SESSION} keypairs: the current one with a ${replayWindow}-counter replay window, the other with a ${previousReplayWindow}-counter one)`,
    breakdown,
    breakdownSlots: Object.fromEntries(PARTS.map((p) => [p, parts[p].slots])),
    breakdownBufferBytes: Object.fromEntries(PARTS.map((p) => [p, parts[p].bufferBytes])),
    gatewaySlots0Peers: hub0.slots,
    gatewaySlots8Peers: hub8.slots,
  };
}

/** bytesPerPeer alone, in its own worker (quicker than the whole benchmark when only memory changed). */
export async function benchXsMemory(): Promise<Awaited<ReturnType<typeof bytesPerPeer>> | { skipped: string }> {
  const missing = xsnapMissingReason();
  if (missing) return { skipped: missing };
  const script = await bundleFile(resolve(here, 'xs-entry.ts'), { prelude: '' });
  const worker = XSWorker.start({ name: 'homeward-bench-xs-memory', timeoutMs: 120_000 });
  try {
    await worker.evaluate(script);
    const limits = decode<{ maxPeers: number; replayWindow: number; previousReplayWindow: number; handshakes: number; stagedPackets: number }>((await worker.evaluate(`new TextEncoder().encode(JSON.stringify(${B}.limits)).buffer;`)).reply);
    return await bytesPerPeer(worker, limits.maxPeers, limits.replayWindow, limits.previousReplayWindow, limits.handshakes);
  } finally {
    await worker.close();
  }
}

const fmt = (n: number) => (Number.isInteger(n) ? n : +n.toFixed(1)).toLocaleString('en-US');
const ratio = (a: number, b: number) => +(a / b).toFixed(3);

export async function benchXs(): Promise<{ results: Record<string, unknown>; table: string[] }> {
  const missing = xsnapMissingReason();
  if (missing) return { results: { skipped: missing }, table: [`XS benchmark skipped: ${missing}`] };

  const script = await bundleFile(resolve(here, 'xs-entry.ts'), { prelude: '' });
  const worker = XSWorker.start({ name: 'homeward-bench-xs', timeoutMs: 120_000 });
  try {
    await worker.evaluate(script);
    await worker.evaluate(`${B}.setup(${JSON.stringify(SIZES)});`);
    const limits = decode<{ maxPeers: number; replayWindow: number; previousReplayWindow: number; handshakes: number; stagedPackets: number }>((await worker.evaluate(`new TextEncoder().encode(JSON.stringify(${B}.limits)).buffer;`)).reply);
    const opts = { worker };

    const homeward: Record<number, Measurement> = {};
    const aead: Record<number, Measurement> = {};
    const noble: Record<number, Measurement> = {};
    for (const size of SIZES) {
      homeward[size] = await measure(`${B}.pairs[${size}].send();`, ITERATIONS.homeward[size], opts);
      aead[size] = await measure(`${B}.aead[${size}].sealOpen(i);`, ITERATIONS.aead[size], opts);
      noble[size] = await measure(`${B}.noble[${size}].sealOpen(i);`, ITERATIONS.noble[size], opts);
    }
    const handshake = await measure(`${B}.noise.run();`, ITERATIONS.handshake, opts);
    // Each side on its own, replaying the other side's messages of the last run (fixed ephemerals).
    const initiatorSide = await measure(`${B}.noise.initiatorSide();`, ITERATIONS.handshake, opts);
    const responderSide = await measure(`${B}.noise.responderSide();`, ITERATIONS.handshake, opts);
    const deviceHandshake = await measure(`${B}.handshakePair.handshake();`, ITERATIONS.handshake, opts);
    const x25519 = await measure(`${B}.x25519Once();`, ITERATIONS.x25519, opts);
    // Past the first 32 (the warm-up and the first runs), each staged datagram pushes the oldest out.
    const staging = await measure(`${B}.stager.stage();`, ITERATIONS.staging, opts);
    const { overflow } = decode<{ overflow: number }>((await worker.evaluate(`${B}.stagedOverflow();`)).reply);
    if (overflow !== bodyRuns(staging) - limits.stagedPackets) {
      throw new Error(`XS benchmark: the stager pushed out ${overflow} of ${bodyRuns(staging)} datagrams, so it did not stage what it was measured on`);
    }
    const nobleX25519 = await measure(`${B}.nobleX25519Once();`, ITERATIONS.x25519, opts);

    // Every packet arrived intact, nothing was dropped, every handshake agreed.
    const sent = Object.fromEntries(SIZES.map((s) => [s, bodyRuns(homeward[s])]));
    const problems = decode<Record<string, string>>(
      (await worker.evaluate(`${B}.check(${JSON.stringify(sent)}, ${bodyRuns(deviceHandshake)});`)).reply,
    );
    if (Object.keys(problems).length) throw new Error(`XS benchmark is not measuring what it claims: ${JSON.stringify(problems)}`);

    const memory = await bytesPerPeer(worker, limits.maxPeers, limits.replayWindow, limits.previousReplayWindow, limits.handshakes);

    const c = (m: Measurement) => Math.round(m.computePerIteration);
    const slots = (m: Measurement) => +m.slotsPerIteration.toFixed(2);
    const results: Record<string, unknown> = {
      engine: 'xsnap-worker (@agoric/xsnap), computrons and 16-byte heap slots',
      limits: 'GATEWAY_LIMITS',
      sealOpenComputrons64: c(homeward[64]),
      sealOpenComputrons1420: c(homeward[1420]),
      nobleSealOpenComputrons64: c(noble[64]),
      nobleSealOpenComputrons1420: c(noble[1420]),
      aeadSealOpenComputrons64: c(aead[64]),
      aeadSealOpenComputrons1420: c(aead[1420]),
      sealOpenOverNoble64: ratio(c(homeward[64]), c(noble[64])),
      sealOpenOverNoble1420: ratio(c(homeward[1420]), c(noble[1420])),
      heapSlotsPerPacket: Math.max(slots(homeward[64]), slots(homeward[1420])),
      heapSlotsPerPacket64: slots(homeward[64]),
      heapSlotsPerPacket1420: slots(homeward[1420]),
      retainedSlotsPerPacket: Math.max(homeward[64].retainedPerIteration, homeward[1420].retainedPerIteration),
      heapSlotsPerStagedPacket: slots(staging),
      stagingComputrons64: c(staging),
      aeadHeapSlotsPerPacket1420: slots(aead[1420]),
      nobleHeapSlotsPerPacket64: slots(noble[64]),
      nobleHeapSlotsPerPacket1420: slots(noble[1420]),
      handshakeComputrons: c(handshake),
      deviceHandshakeComputrons: c(deviceHandshake),
      // One X25519 as the reference library computes it (noble's ladder,
      // the library the AEAD figures compare with too); the handshake runs
      // homeward's own ladder, so both are given.
      x25519Computrons: c(nobleX25519),
      homewardX25519Computrons: c(x25519),
      homewardX25519OverNoble: ratio(c(x25519), c(nobleX25519)),
      handshakeOverX25519: ratio(c(handshake), c(nobleX25519)),
      handshakeOverHomewardX25519: ratio(c(handshake), c(x25519)),
      handshakeComputronsPerSide: { initiator: c(initiatorSide), responder: c(responderSide) },
      handshakeOverX25519PerSide: { initiator: ratio(c(initiatorSide), c(nobleX25519)), responder: ratio(c(responderSide), c(nobleX25519)) },
      ...memory,
      gcSuspected: {
        homeward64: homeward[64].gcSuspected,
        homeward1420: homeward[1420].gcSuspected,
        aead1420: aead[1420].gcSuspected,
        noble64: noble[64].gcSuspected,
        noble1420: noble[1420].gcSuspected,
      },
      iterations: {
        homeward64: homeward[64].iterations,
        homeward1420: homeward[1420].iterations,
        noble64: noble[64].iterations,
        noble1420: noble[1420].iterations,
        slotIterationsNoble1420: noble[1420].slotIterations,
        handshake: handshake.iterations,
        x25519: x25519.iterations,
        nobleX25519: nobleX25519.iterations,
      },
    };

    const vsNoble = (size: 64 | 1420) => `${ratio(c(homeward[size]), c(noble[size]))} × noble`;
    const vsX25519 = (m: Measurement) => `${ratio(c(m), c(nobleX25519)).toFixed(2)} × noble x25519`;
    const rows: string[][] = [
      ['seal+open 64 B, computrons', fmt(c(homeward[64])), fmt(c(noble[64])), vsNoble(64)],
      ['seal+open 1420 B, computrons', fmt(c(homeward[1420])), fmt(c(noble[1420])), vsNoble(1420)],
      ['heap slots allocated per seal+open, 64 B', fmt(slots(homeward[64])), fmt(slots(noble[64])), '–'],
      ['heap slots allocated per seal+open, 1420 B', fmt(slots(homeward[1420])), fmt(slots(noble[1420])), '–'],
      ['heap slots allocated per 64 B datagram staged (no session)', fmt(slots(staging)), '–', '–'],
      ['handshake, both sides (Noise IKpsk2), computrons', fmt(c(handshake)), '–', vsX25519(handshake)],
      ['handshake, initiator side alone, computrons', fmt(c(initiatorSide)), '–', vsX25519(initiatorSide)],
      ['handshake, responder side alone, computrons', fmt(c(responderSide)), '–', vsX25519(responderSide)],
      ['handshake through two Devices, computrons', fmt(c(deviceHandshake)), '–', vsX25519(deviceHandshake)],
      ['x25519, one scalar multiplication, computrons', fmt(c(x25519)), fmt(c(nobleX25519)), `${ratio(c(x25519), c(nobleX25519))} × noble`],
      [`heap slots per established peer (${PEERS} peers), bytes`, `${fmt(memory.slotBytesPerPeer)} + ${fmt(memory.slotBytesPerSessionSet)} session`, '–', '–'],
      ['ArrayBuffer bytes per established peer', `${fmt(memory.bufferBytesPerPeer)} + ${fmt(memory.bufferBytesPerSessionSet)} session`, '–', '–'],
      [`all heap per established peer, with its session (${limits.replayWindow}- and ${limits.previousReplayWindow}-counter replay windows)`, fmt(memory.bytesPerPeer), '–', '–'],
    ];
    const header = ['measure (XS)', 'homeward', 'noble', 'ratio'];
    const widths = header.map((h, i) => Math.max(h.length, ...rows.map((r) => r[i].length)));
    const line = (r: string[]) => '| ' + r.map((cell, i) => (i === 0 ? cell.padEnd(widths[i]) : cell.padStart(widths[i]))).join(' | ') + ' |';
    const table = [line(header), '|' + widths.map((w, i) => (i === 0 ? '-'.repeat(w + 2) : '-'.repeat(w + 1) + ':')).join('|') + '|', ...rows.map(line)];
    return { results, table };
  } finally {
    await worker.close();
  }
}
