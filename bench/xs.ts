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
 *   response create + consume, Split on each side); also through two Devices
 *   (MACs, admission, index table, the confirming HELLO). x25519: one
 *   scalar multiplication on noble's Montgomery ladder (modules/crypto/x25519.ts).
 * - bytes per peer: see bytesPerPeer() below.
 */
import { resolve, dirname } from 'node:path';
import { fileURLToPath } from 'node:url';
import { bundleFile } from '../tests/xs/bundle.ts';
import { measure, type Measurement } from '../tests/xs/meter.ts';
import { XSWorker, xsnapMissingReason } from '../tests/xs/worker.ts';

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
} as const;

/** Title for the table, for a caller that prints one. */
export const XS_TITLE =
  'XS engine (xsnap worker, deterministic meters; gateway limits): computrons and heap per operation';

interface HeldInfo {
  established?: number;
  bufferBytes: number;
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

/**
 * bytesPerPeer: live heap per established peer, from a gateway Device with 8
 * configured and established peers minus the same Device with 0 peers, / 8,
 * × 16 bytes per slot, each read after gc() (heldSlots). The session pool
 * (three keypair slots with replay windows per set) is allocated at start with
 * capacity min(maxPeers, max(1, peers)), so the 0-peer Device has 1 set and
 * the 8-peer one 8: the 7 extra sets, measured on their own (a SessionTable of
 * 1 minus one of 0), are taken out so that capacity is in effect fixed.
 * `bytesPerSessionSet` is what each established peer holds from the pool on
 * top, and `bytesPerPeerWithSession` the sum. Slots count objects, closures
 * and property tables, not the bytes inside ArrayBuffers or strings (XS's
 * chunk heap): `bufferBytesPerPeer` adds those up by walking the object graph.
 * `peerBytesBreakdown` splits bytesPerPeer: the Peer object's own fields and
 * small arrays with its PeerConfig, its Handshake, CookieGenerator and
 * DropCounters (each built and measured alone), and the rest the Device keeps
 * per peer (key Map entry, base64 key, route and group entries).
 */
async function bytesPerPeer(worker: XSWorker, maxPeers: number) {
  const hub8 = await heldSlots(worker, `'hub', ${PEERS}`);
  const hub0 = await heldSlots(worker, `'hub', 0`);
  const set1 = await heldSlots(worker, `'table1'`);
  const set0 = await heldSlots(worker, `'table0'`);
  if (hub8.info.established !== PEERS) throw new Error(`bytesPerPeer: ${hub8.info.established} of ${PEERS} peers established`);
  const capacity = (peers: number) => Math.min(maxPeers, Math.max(1, peers));
  const extraSets = capacity(PEERS) - capacity(0);
  const setSlots = set1.slots - set0.slots;
  const setBuffer = set1.info.bufferBytes - set0.info.bufferBytes;
  const peerSlots = (hub8.slots - hub0.slots - extraSets * setSlots) / PEERS;
  const peerBuffer = (hub8.info.bufferBytes - hub0.info.bufferBytes - extraSets * setBuffer) / PEERS;
  // Where a peer's slots go: the Peer object with everything it owns, and three of its parts on their own.
  const part = async (kind: string) => (await heldSlots(worker, `'${kind}'`)).slots * SLOT_BYTES;
  const peer = await part('peer');
  const handshake = await part('handshake');
  const cookieGenerator = await part('cookies');
  const dropCounters = await part('drops');
  return {
    bytesPerPeer: Math.round(peerSlots * SLOT_BYTES),
    slotsPerPeer: +peerSlots.toFixed(2),
    bytesPerSessionSet: setSlots * SLOT_BYTES,
    bytesPerPeerWithSession: Math.round((peerSlots + setSlots) * SLOT_BYTES),
    bufferBytesPerPeer: Math.round(peerBuffer),
    bufferBytesPerSessionSet: setBuffer,
    peerBytesBreakdown: {
      peerFieldsAndConfig: peer - handshake - cookieGenerator - dropCounters,
      handshake,
      cookieGenerator,
      dropCounters,
      restInDevice: Math.round(peerSlots * SLOT_BYTES) - peer,
    },
    gatewaySlots0Peers: hub0.slots,
    gatewaySlots8Peers: hub8.slots,
  };
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
    const maxPeers = decode<number>((await worker.evaluate(`new TextEncoder().encode(JSON.stringify(${B}.limits.maxPeers)).buffer;`)).reply);
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
    const deviceHandshake = await measure(`${B}.handshakePair.handshake();`, ITERATIONS.handshake, opts);
    const x25519 = await measure(`${B}.x25519Once();`, ITERATIONS.x25519, opts);

    // Every packet arrived intact, nothing was dropped, every handshake agreed.
    const sent = Object.fromEntries(SIZES.map((s) => [s, bodyRuns(homeward[s])]));
    const problems = decode<Record<string, string>>(
      (await worker.evaluate(`${B}.check(${JSON.stringify(sent)}, ${bodyRuns(deviceHandshake)});`)).reply,
    );
    if (Object.keys(problems).length) throw new Error(`XS benchmark is not measuring what it claims: ${JSON.stringify(problems)}`);

    const memory = await bytesPerPeer(worker, maxPeers);

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
      aeadHeapSlotsPerPacket1420: slots(aead[1420]),
      nobleHeapSlotsPerPacket64: slots(noble[64]),
      nobleHeapSlotsPerPacket1420: slots(noble[1420]),
      handshakeComputrons: c(handshake),
      deviceHandshakeComputrons: c(deviceHandshake),
      x25519Computrons: c(x25519),
      handshakeOverX25519: ratio(c(handshake), c(x25519)),
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
      },
    };

    const vsNoble = (size: 64 | 1420) => `${ratio(c(homeward[size]), c(noble[size]))} × noble`;
    const vsX25519 = (m: Measurement) => `${ratio(c(m), c(x25519)).toFixed(1)} × x25519`;
    const rows: string[][] = [
      ['seal+open 64 B, computrons', fmt(c(homeward[64])), fmt(c(noble[64])), vsNoble(64)],
      ['seal+open 1420 B, computrons', fmt(c(homeward[1420])), fmt(c(noble[1420])), vsNoble(1420)],
      ['heap slots allocated per seal+open, 64 B', fmt(slots(homeward[64])), fmt(slots(noble[64])), '–'],
      ['heap slots allocated per seal+open, 1420 B', fmt(slots(homeward[1420])), fmt(slots(noble[1420])), '–'],
      ['handshake, both sides (Noise IKpsk2), computrons', fmt(c(handshake)), '–', vsX25519(handshake)],
      ['handshake through two Devices, computrons', fmt(c(deviceHandshake)), '–', vsX25519(deviceHandshake)],
      ["x25519 (noble's Montgomery ladder), computrons", fmt(c(x25519)), fmt(c(x25519)), '–'],
      [`heap per established peer (${PEERS} peers), bytes`, `${fmt(memory.bytesPerPeer)} + ${fmt(memory.bytesPerSessionSet)} session`, '–', '–'],
      ['ArrayBuffer bytes per established peer', `${fmt(memory.bufferBytesPerPeer)} + ${fmt(memory.bufferBytesPerSessionSet)} session`, '–', '–'],
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
