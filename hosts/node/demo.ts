/**
 * `npm start`: the restart demo of DESIGN.md §5, self-contained on 127.0.0.1.
 *
 *   telemetry source ──> gateway LocalForward ══ tunnel ══> home RemoteForward ──> sink
 *
 * Two real `homeward up` processes (fresh keys, configs in a temp dir), 20
 * sequence-numbered datagrams per second, and at ~6 s the home end is
 * SIGKILLed (all its state lost) and started again ~1 s later from the same
 * config. At the end: what was sent, received and lost, and how long the
 * outage lasted. Ends on its own within ~30 s.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { createSocket, type Socket } from 'node:dgram';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createInterface } from 'node:readline';
import { fileURLToPath } from 'node:url';
import { derivePublicKey, generatePrivateKey } from './keys';

const BIN = fileURLToPath(new URL('../../bin/homeward.js', import.meta.url));
const RATE_HZ = 20;
const KILL_AT_MS = 6_000;
const RESTART_AFTER_MS = 1_000;
/** Telemetry stops here; a moment later both ends are stopped and the summary printed. */
const SEND_UNTIL_MS = 27_000;
const STOP_AT_MS = 27_500;
/** If anything hangs, give up here rather than run forever. */
const HARD_DEADLINE_MS = 30_000;
const HOME_ADDRESS = '10.100.0.1';
const GATEWAY_ADDRESS = '10.100.0.2';
const TUNNEL_PORT = 7000;

const t0 = performance.now();
const elapsed = (): number => performance.now() - t0;
const secs = (ms: number): string => (ms / 1000).toFixed(1);
const say = (line: string): void => { process.stdout.write(`[demo]    ${line}\n`); };

/** A port that was free a moment ago (bind to 0, read, close): good enough for a demo on loopback. */
async function freePort(): Promise<number> {
  const s = createSocket('udp4');
  await new Promise<void>((resolve) => s.bind(0, '127.0.0.1', resolve));
  const port = s.address().port;
  await new Promise<void>((resolve) => s.close(() => resolve()));
  return port;
}

/** A `homeward up` child process whose log lines are echoed with a prefix. */
class Node {
  proc: ChildProcess | null = null;
  private upWaiters: (() => void)[] = [];

  constructor(readonly label: string, readonly conf: string, readonly env: NodeJS.ProcessEnv) {}

  start(): void {
    const proc = spawn(process.execPath, [BIN, 'up', this.conf], { env: this.env, stdio: ['ignore', 'pipe', 'pipe'] });
    this.proc = proc;
    const prefix = `[${this.label}]`.padEnd(10);
    for (const stream of [proc.stdout!, proc.stderr!]) {
      createInterface({ input: stream }).on('line', (line) => {
        process.stdout.write(`${prefix}${line}\n`);
        if (/ up listen=/.test(line)) this.upWaiters.splice(0).forEach((w) => w());
      });
    }
    proc.on('exit', (code, signal) => {
      if (this.proc === proc) this.proc = null;
      say(`${this.label} exited (${signal ?? `code ${code}`})`);
    });
  }

  /** Resolves when the process logs that it is up (or after `ms`, whichever is first). */
  waitUp(ms: number): Promise<void> {
    return new Promise((resolve) => {
      const t = setTimeout(resolve, ms);
      this.upWaiters.push(() => {
        clearTimeout(t);
        resolve();
      });
    });
  }

  kill(signal: NodeJS.Signals): void {
    this.proc?.kill(signal);
  }

  /** SIGTERM, then SIGKILL if it has not exited within `ms`. */
  stop(ms = 1_500): Promise<void> {
    const proc = this.proc;
    if (!proc || proc.exitCode !== null) return Promise.resolve();
    return new Promise((resolve) => {
      const t = setTimeout(() => proc.kill('SIGKILL'), ms);
      proc.once('exit', () => {
        clearTimeout(t);
        resolve();
      });
      proc.kill('SIGTERM');
    });
  }
}

async function main(): Promise<number> {
  const dir = mkdtempSync(join(tmpdir(), 'homeward-demo-'));
  const env = { ...process.env, HOMEWARD_RUN_DIR: join(dir, 'run') };
  const [homePort, sinkPort, sourcePort] = [await freePort(), await freePort(), await freePort()];
  const homeKey = generatePrivateKey();
  const gatewayKey = generatePrivateKey();
  writeFileSync(join(dir, 'home.conf'), [
    '# The home end: receives telemetry on 10.100.0.1:7000 and hands it to the sink.',
    '[Interface]', `PrivateKey = ${homeKey}`, `ListenPort = ${homePort}`, `Address = ${HOME_ADDRESS}/24`,
    `RemoteForward = ${TUNNEL_PORT} -> 127.0.0.1:${sinkPort}`,
    '', '[Peer]', `PublicKey = ${derivePublicKey(gatewayKey)}`, `AllowedIPs = ${GATEWAY_ADDRESS}/32`, '',
  ].join('\n'), { mode: 0o600 });
  writeFileSync(join(dir, 'gateway.conf'), [
    '# The field gateway: tunnels what the telemetry source sends it to the home end.',
    '[Interface]', `PrivateKey = ${gatewayKey}`, `Address = ${GATEWAY_ADDRESS}/24`,
    `LocalForward = 127.0.0.1:${sourcePort} -> ${HOME_ADDRESS}:${TUNNEL_PORT}`,
    '', '[Peer]', `PublicKey = ${derivePublicKey(homeKey)}`, `Endpoint = 127.0.0.1:${homePort}`,
    `AllowedIPs = ${HOME_ADDRESS}/32`, 'PersistentKeepalive = 25', '',
  ].join('\n'), { mode: 0o600 });

  say(`configs in ${dir}`);
  say(`telemetry: 127.0.0.1 -> gateway 127.0.0.1:${sourcePort} => tunnel => home ${HOME_ADDRESS}:${TUNNEL_PORT} -> sink 127.0.0.1:${sinkPort}`);
  say(`plan: ${RATE_HZ} datagrams/s; SIGKILL the home end at ~${secs(KILL_AT_MS)} s, restart it ${secs(RESTART_AFTER_MS)} s later; stop at ~${secs(STOP_AT_MS)} s`);

  const home = new Node('home', join(dir, 'home.conf'), env);
  const gateway = new Node('gateway', join(dir, 'gateway.conf'), env);
  const sink: Socket = createSocket('udp4');
  const source: Socket = createSocket('udp4');
  const timers: NodeJS.Timeout[] = [];
  const cleanup = async (): Promise<void> => {
    timers.forEach((t) => clearTimeout(t));
    await Promise.all([home.stop(), gateway.stop()]);
    sink.close();
    source.close();
    rmSync(dir, { recursive: true, force: true });
  };
  // Ctrl-C on the demo must not leave homeward processes behind.
  process.once('SIGINT', () => { void cleanup().then(() => process.exit(130)); });
  const hard = setTimeout(() => {
    say('hard deadline reached: something hung; killing everything');
    home.kill('SIGKILL');
    gateway.kill('SIGKILL');
    rmSync(dir, { recursive: true, force: true });
    process.exit(1);
  }, HARD_DEADLINE_MS);
  hard.unref();

  // The sink: arrival time of each sequence number (first copy only).
  const arrivals = new Map<number, number>();
  let duplicates = 0;
  sink.on('message', (msg) => {
    if (msg.length < 4) return;
    const seq = msg.readUInt32BE(0);
    if (arrivals.has(seq)) duplicates++;
    else arrivals.set(seq, elapsed());
  });
  await new Promise<void>((resolve) => sink.bind(sinkPort, '127.0.0.1', resolve));

  home.start();
  gateway.start();
  await Promise.all([home.waitUp(5_000), gateway.waitUp(5_000)]);

  let sent = 0;
  const sendTimes: number[] = [];
  const tick = setInterval(() => {
    if (elapsed() >= SEND_UNTIL_MS) return clearInterval(tick);
    const b = Buffer.alloc(16);
    b.writeUInt32BE(sent, 0);
    b.write('telemetry', 4);
    sendTimes.push(elapsed());
    source.send(b, sourcePort, '127.0.0.1');
    sent++;
  }, 1000 / RATE_HZ);
  const progress = setInterval(() => say(`t=${secs(elapsed())} s  sent ${sent}  received ${arrivals.size}`), 2_000);

  let killedAt = NaN;
  let restartedAt = NaN;
  timers.push(setTimeout(() => {
    killedAt = elapsed();
    say(`t=${secs(killedAt)} s  SIGKILL home (all its sessions and keys are gone)`);
    home.kill('SIGKILL');
    timers.push(setTimeout(() => {
      restartedAt = elapsed();
      say(`t=${secs(restartedAt)} s  restarting home from the same config`);
      home.start();
    }, RESTART_AFTER_MS));
  }, Math.max(0, KILL_AT_MS - elapsed())));

  await new Promise((resolve) => setTimeout(resolve, Math.max(0, STOP_AT_MS - elapsed())));
  clearInterval(tick);
  clearInterval(progress);
  say(`t=${secs(elapsed())} s  stopping both ends`);
  await cleanup();
  clearTimeout(hard);

  // Summary.
  const times = [...arrivals.values()].sort((a, b) => a - b);
  let outage = 0;
  let outageFrom = 0;
  for (let i = 1; i < times.length; i++) {
    if (times[i] - times[i - 1] > outage) {
      outage = times[i] - times[i - 1];
      outageFrom = times[i - 1];
    }
  }
  const resumed = Number.isNaN(restartedAt) ? undefined : times.find((t) => t > restartedAt);
  const lost = sent - arrivals.size;
  const sentWhileDown = Number.isNaN(killedAt) ? 0 : sendTimes.filter((t) => t >= killedAt && t < (resumed ?? Infinity)).length;
  const lines = [
    '',
    '── summary ─────────────────────────────────────────────',
    `  datagrams sent      ${sent}`,
    `  received            ${arrivals.size}${duplicates ? ` (+${duplicates} duplicates)` : ''}`,
    `  lost                ${lost} (${sent ? ((100 * lost) / sent).toFixed(1) : '0.0'} %)`,
    `  longest outage      ${secs(outage)} s (from t=${secs(outageFrom)} s)`,
    Number.isNaN(killedAt)
      ? '  restart             did not happen'
      : resumed === undefined
        ? `  telemetry resumed   never after the restart at t=${secs(restartedAt)} s`
        : `  telemetry resumed   at t=${secs(resumed)} s: ${secs(resumed - restartedAt)} s after the restart, ${secs(resumed - killedAt)} s after the kill`,
    `  sent while down     ${sentWhileDown} (between the kill and the first datagram after the restart)`,
    '',
  ];
  process.stdout.write(lines.join('\n') + '\n');
  return 0;
}

main().then((code) => process.exit(code), (e) => {
  process.stderr.write(`demo failed: ${(e as Error).stack ?? e}\n`);
  process.exit(1);
});
