/**
 * `npm run bench`: prints a table and writes bench/results.json.
 *
 * On Node, absolute packets/s depend on the machine, so every figure comes
 * with references measured in the same run: noble's ChaCha20-Poly1305 on the
 * same bytes, and node:crypto's native chacha20-poly1305. Then the sections
 * measured in the deterministic simulator (`recovery`, bench/recovery.ts;
 * `liveness`, bench/liveness.ts) and on the XS engine's meters (`xs`,
 * bench/xs.ts), which are the same on every machine.
 */
import { createCipheriv, createDecipheriv, randomFillSync } from 'node:crypto';
import { writeFileSync, mkdirSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { chacha20poly1305 } from '@noble/ciphers/chacha.js';
import { makePair } from './pair';
import { benchRecovery } from './recovery';
import { benchXs, XS_TITLE } from './xs';
import { benchLiveness } from './liveness';

const here = dirname(fileURLToPath(import.meta.url));
const MIN_MS = Number(process.env.BENCH_MS ?? 1000);

/** Runs fn in batches until MIN_MS has passed; returns operations per second. */
function rate(fn: (i: number) => void): number {
  for (let i = 0; i < 200; i++) fn(i); // warm up the JIT
  let n = 0;
  const start = performance.now();
  let elapsed = 0;
  while (elapsed < MIN_MS) {
    for (let i = 0; i < 100; i++) fn(n++);
    elapsed = performance.now() - start;
  }
  return (n * 1000) / elapsed;
}

/** `size` is the inner IP packet that gets sealed: a UDP payload of size - 28 bytes. */
function homeward(size: number): number {
  const pair = makePair();
  const payload = randomFillSync(new Uint8Array(size - 28));
  const before = pair.delivered;
  let t = 1;
  const r = rate(() => pair.send((t += 1e-6), payload, payload.length));
  if (pair.delivered - before < 100) throw new Error('homeward pair delivered nothing: the benchmark would be meaningless');
  return r;
}

function noble(size: number): number {
  const key = randomFillSync(new Uint8Array(32));
  const nonce = new Uint8Array(12);
  const data = randomFillSync(new Uint8Array(size));
  return rate((i) => {
    nonce[4] = i & 0xff;
    const sealed = chacha20poly1305(key, nonce).encrypt(data);
    chacha20poly1305(key, nonce).decrypt(sealed);
  });
}

function native(size: number): number {
  const key = randomFillSync(Buffer.alloc(32));
  const nonce = Buffer.alloc(12);
  const data = randomFillSync(Buffer.alloc(size));
  return rate((i) => {
    nonce[4] = i & 0xff;
    const c = createCipheriv('chacha20-poly1305', key, nonce, { authTagLength: 16 });
    const ct = Buffer.concat([c.update(data), c.final()]);
    const tag = c.getAuthTag();
    const d = createDecipheriv('chacha20-poly1305', key, nonce, { authTagLength: 16 });
    d.setAuthTag(tag);
    Buffer.concat([d.update(ct), d.final()]);
  });
}

const results: Record<string, unknown> = {
  machine: { node: process.version, platform: `${process.platform}-${process.arch}` },
  node: {} as Record<string, Record<string, number>>,
};
const rows: string[][] = [];
for (const size of [64, 1420]) {
  const h = homeward(size);
  const n = noble(size);
  const x = native(size);
  (results.node as Record<string, unknown>)[`pps${size}`] = {
    homeward: Math.round(h),
    noble: Math.round(n),
    native: Math.round(x),
    homewardOverNoble: +(h / n).toFixed(3),
    homewardOverNative: +(h / x).toFixed(3),
  };
  rows.push([`${size} B`, h.toFixed(0), n.toFixed(0), x.toFixed(0), (h / n).toFixed(2), (h / x).toFixed(2)]);
}

const header = ['payload', 'homeward pkt/s', 'noble pkt/s', 'native pkt/s', 'hw/noble', 'hw/native'];
const widths = header.map((h, i) => Math.max(h.length, ...rows.map((r) => r[i].length)));
const line = (r: string[]) => '| ' + r.map((c, i) => c.padStart(widths[i])).join(' | ') + ' |';
console.log('Node transport, seal+open per packet of 64 / 1420 B plaintext (homeward: full data path incl. IPv4/UDP framing, gateway → home, in memory)');
console.log(line(header));
console.log('|' + widths.map((w) => '-'.repeat(w + 2)).join('|') + '|');
for (const r of rows) console.log(line(r));

// Recovery from state loss, in the deterministic simulator (100 ms RTT, 20 datagrams/s).
const recovery = benchRecovery();
results.recovery = recovery.results;
console.log('\n' + recovery.table.join('\n'));

// Liveness and lifecycle, in the simulator with the default timers.
const liveness = benchLiveness();
results.liveness = liveness;
const sec = (v: unknown) => (v === null || v === undefined ? 'never' : `${v} s`);
console.log('\nLiveness (simulator, defaults: ping 10 s × 3 misses, failover after 5 s, failback hold 10 s, UAL 600 s, MSL 5 s)');
console.log('| measure | homeward | WireGuard behaviour |');
console.log('|---|---|---|');
const livenessRows: [string, unknown, unknown][] = [
  ['silent death detected, idle tunnel', liveness.silentDeathDetectS, liveness.wireguardSilentDeathDetectS],
  ['silent death detected, data flowing', liveness.silentDeathBusyDetectS, liveness.wireguardBusyHandshakeFailedS],
  ['failover to the second gateway (last packet heard → data through it)', liveness.failoverS, liveness.wireguardFailoverS],
  ['failback after the first returns', liveness.failbackS, null],
  ['60 s partition heals → data resumes', liveness.partitionResumeS, liveness.wireguardPartitionResumeS],
  ['idle association closed (UAL)', liveness.ualCloseS, liveness.wireguardUalCloseS],
  ['CLOSE → slot freed by CLOSE_ACK', liveness.closeAckS, null],
  ['first CLOSE lost → freed', liveness.closeLostFreedS, null],
  ['every CLOSE_ACK lost → give up', liveness.allAcksLostGiveUpS, null],
];
for (const [what, on, off] of livenessRows) console.log(`| ${what} | ${sec(on)} | ${sec(off)} |`);
console.log(`| table of capacity ${liveness.tableCapacity} with ${liveness.tableConfiguredPeers} peers + a flood: most sessions held | ${liveness.tableMaxHeld} | – |`);

// The core on the XS engine, with its deterministic meters (computrons, heap slots).
const xs = await benchXs();
results.xs = xs.results;
console.log(`\n${XS_TITLE}`);
console.log(xs.table.join('\n'));

const out = join(here, 'results.json');
mkdirSync(dirname(out), { recursive: true });
writeFileSync(out, JSON.stringify(results, null, 2) + '\n');
console.log(`wrote ${out}`);
