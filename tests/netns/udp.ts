/**
 * Small UDP programs run with `node -e` inside a namespace (no tsx start-up cost):
 * an echo listener and a sender that retries until it hears the echo.
 * Every instance carries a marker argument `hwt<pid>u` so cleanup recognises it.
 */
import { nsRun, PID, Proc, spawnIn } from './netns';

/** argv: marker host port. Prints `listening <addr>:<port>`, then one JSON line per datagram, and answers `echo:<data>`. */
const ECHO_SRC = String.raw`
const dgram = require('node:dgram');
const [, , host, port] = process.argv;
const s = dgram.createSocket('udp4');
s.on('error', (e) => { console.error('error ' + e.message); process.exit(1); });
s.on('message', (msg, rinfo) => {
  const data = msg.toString();
  console.log(JSON.stringify({ from: rinfo.address + ':' + rinfo.port, data }));
  s.send('echo:' + data, rinfo.port, rinfo.address);
});
s.bind(Number(port), host, () => { const a = s.address(); console.log('listening ' + a.address + ':' + a.port); });
process.on('SIGTERM', () => process.exit(0));
`;

/**
 * argv: marker dstHost dstPort prefix timeoutMs intervalMs. Sends `<prefix>-<n>` every
 * intervalMs until a datagram `echo:<prefix>-*` arrives; prints one JSON line; exit 0
 * on success, 2 on timeout.
 */
const SEND_SRC = String.raw`
const dgram = require('node:dgram');
const [, , host, port, prefix, timeoutMs, intervalMs] = process.argv;
const s = dgram.createSocket('udp4');
const t0 = Date.now();
let n = 0;
const errors = [];
s.on('error', (e) => { errors.push(e.message); });
s.on('message', (msg, rinfo) => {
  const data = msg.toString();
  if (!data.startsWith('echo:' + prefix + '-')) return;
  console.log(JSON.stringify({ ok: true, reply: data, from: rinfo.address + ':' + rinfo.port, local: s.address().address + ':' + s.address().port, sent: n, ms: Date.now() - t0 }));
  process.exit(0);
});
const send = () => { n++; s.send(prefix + '-' + n, Number(port), host, (e) => { if (e) errors.push(e.message); }); };
s.bind(0, () => { send(); setInterval(send, Number(intervalMs)); });
setTimeout(() => {
  console.log(JSON.stringify({ ok: false, sent: n, ms: Date.now() - t0, errors: [...new Set(errors)] }));
  process.exit(2);
}, Number(timeoutMs));
`;

const marker = `hwt${PID}u`;

/** Starts an echo listener bound to host:port in `ns` and waits until it is bound. */
export async function startEcho(ns: string, host: string, port: number, name = `udp echo ${host}:${port}`): Promise<Proc> {
  const p = spawnIn(ns, name, [process.execPath, '-e', ECHO_SRC, marker, host, String(port)], {}, ['node', '-e', '<udp echo>', marker, host, String(port)]);
  await p.waitFor(/^listening /, 5000);
  return p;
}

export interface Datagram { from: string; data: string }

/** Datagrams an echo listener has received so far. */
export function received(echo: Proc): Datagram[] {
  return echo.lines.filter((l) => l.text.startsWith('{')).map((l) => JSON.parse(l.text) as Datagram);
}

export interface RoundTrip { ok: boolean; reply?: string; from?: string; local?: string; sent: number; ms: number; errors?: string[] }

/** Sends from `ns` to host:port until the echo comes back (or timeoutMs passes). */
export async function udpRoundTrip(ns: string, host: string, port: number, prefix: string, timeoutMs = 5000, intervalMs = 250): Promise<RoundTrip> {
  const argv = [process.execPath, '-e', SEND_SRC, marker, host, String(port), prefix, String(timeoutMs), String(intervalMs)];
  const r = await nsRun(ns, argv, { timeoutMs: timeoutMs + 5000 });
  const line = r.stdout.trim().split('\n').filter((l) => l.startsWith('{')).pop();
  if (!line) return { ok: false, sent: 0, ms: 0, errors: [`sender printed nothing (exit ${r.code}): ${r.stderr.trim()}`] };
  return JSON.parse(line) as RoundTrip;
}
