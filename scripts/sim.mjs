#!/usr/bin/env node
/**
 * npm run sim: the gateway firmware in the Moddable simulator (mcsim), headless,
 * tunnelling telemetry to a Node home end (`homeward up`), all on 127.0.0.1.
 *
 *   local sender --udp--> gateway (mcsim) ==tunnel==> home (node) --udp--> sink
 *
 * 1. Makes a home key pair and picks free UDP ports.
 * 2. Builds the app (`mcconfig -m -p lin -t build`), passing the home end's
 *    address, port and public key and the forwarded port as manifest config
 *    overrides (`key=value` on the mcconfig command line; see
 *    hosts/moddable/settings.ts). The gateway's own key is not passed: the
 *    firmware generates one on first boot, stores it in Preference and traces
 *    its public key, which this script reads.
 * 3. Boots mcsim under xvfb-run, then writes home.conf with the gateway's
 *    public key and starts `node bin/homeward.js up home.conf` with a
 *    RemoteForward to a local sink. The gateway's handshake retries
 *    (every 5 s) reach the home end once it is up.
 * 4. Sends telemetry to the gateway's local port until the sink has some,
 *    and exits 0 only when the home end delivered telemetry.
 *
 * Needs an installed Moddable SDK (MODDABLE set, tools built) and xvfb-run.
 * Environment: HOMEWARD_SIM_BUILD (build directory, default
 * $TMPDIR/homeward-sim-build, kept for incremental builds),
 * HOMEWARD_SIM_TIMEOUT (seconds the simulator may run, default 90).
 *
 * The simulator keeps Preference in /tmp/modpreferences.json (the SDK's
 * choice, shared by every simulated app). The gateway key persists there
 * across runs; a stale homeward override there would win over the build
 * config, so the script checks the gateway's "up" line and says so.
 */
import { spawn, spawnSync } from 'node:child_process';
import { createSocket } from 'node:dgram';
import { existsSync, mkdirSync, mkdtempSync, readdirSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';

const ROOT = resolve(dirname(fileURLToPath(import.meta.url)), '..');
const CLI = join(ROOT, 'bin', 'homeward.js');
const HOME_TUNNEL_IP = '10.100.0.1';
const GATEWAY_ADDRESS = '10.100.0.2';
const TUNNEL_PORT = 7000;
const SIM_TIMEOUT_S = Number(process.env.HOMEWARD_SIM_TIMEOUT ?? 90);
/** After the first datagram arrives, keep sending this many more and count what arrives. */
const EXTRA_DATAGRAMS = 20;
const SEND_INTERVAL_MS = 200;

// What cleanup() ends and removes (declared before any early exit uses it).
const children = [];
const sockets = [];
let workDir = null;

const MODDABLE = process.env.MODDABLE;
if (!MODDABLE) {
  console.error(`npm run sim needs the Moddable SDK, and MODDABLE is not set.

To get one (outside this project; never commit any of it):
  1. Get the public repository github.com/Moddable-OpenSource/moddable, e.g.
       git clone --depth 1 https://github.com/Moddable-OpenSource/moddable ~/moddable
  2. Build its Linux tools as its guide says (documentation/
     "Moddable SDK - Getting Started.md", section "Linux"):
       sudo apt-get install gcc git make libncurses-dev flex bison gperf libgtk-3-dev xvfb xauth
       export MODDABLE=~/moddable
       export PATH=$MODDABLE/build/bin/lin/release:$PATH
       cd $MODDABLE/build/makefiles/lin && make        # a few minutes
  3. Run again with MODDABLE exported:  MODDABLE=~/moddable npm run sim`);
  process.exit(2);
}

const BIN = join(MODDABLE, 'build', 'bin', 'lin', 'release');
const MCCONFIG = join(BIN, 'mcconfig');
const MCSIM = join(BIN, 'mcsim');
const TSC_DIR = join(ROOT, 'node_modules', '.bin');

function die(message, code = 1) {
  console.error(`sim: ${message}`);
  cleanup();
  process.exit(code);
}

if (process.platform !== 'linux') die('the simulator run is set up for Linux (mcsim lin) only', 2);
if (!existsSync(MCCONFIG) || !existsSync(MCSIM)) {
  die(`no built SDK tools in ${BIN} (mcconfig, mcsim): build them with "make" in $MODDABLE/build/makefiles/lin`, 2);
}
if (spawnSync('xvfb-run', ['--help'], { stdio: 'ignore' }).error) die('xvfb-run not found: install the Debian packages xvfb and xauth', 2);
if (!existsSync(join(TSC_DIR, 'tsc'))) die('node_modules/.bin/tsc not found: run npm install (mcconfig compiles the TypeScript with it)', 2);

// ------------------------------------------------------------ cleanup

function cleanup() {
  for (const s of sockets.splice(0)) {
    try { s.close(); } catch { /* already closed */ }
  }
  for (const child of children.splice(0)) {
    // Each child leads its own process group (detached): end it and what it started, by id.
    if (child.exitCode === null && child.signalCode === null) {
      try { process.kill(-child.pid, 'SIGTERM'); } catch { /* gone */ }
    }
  }
  if (workDir) rmSync(workDir, { recursive: true, force: true });
  workDir = null;
}
process.on('SIGINT', () => die('interrupted', 130));
process.on('SIGTERM', () => die('terminated', 143));

// ------------------------------------------------------------ helpers

function run(cmd, args, options = {}) {
  const r = spawnSync(cmd, args, { encoding: 'utf8', ...options });
  if (r.error) die(`${cmd}: ${r.error.message}`);
  return r;
}

function homeward(args, input) {
  const r = run(process.execPath, [CLI, ...args], { input, cwd: ROOT });
  if (r.status !== 0) die(`homeward ${args.join(' ')} failed:\n${r.stderr}${r.stdout}`);
  return r.stdout.trim();
}

/** A UDP port that was free a moment ago on 127.0.0.1. */
async function freeUdpPort() {
  const s = createSocket('udp4');
  await new Promise((ok, fail) => s.once('error', fail).bind(0, '127.0.0.1', ok));
  const { port } = s.address();
  await new Promise((ok) => s.close(ok));
  return port;
}

/** Spawns a long-running child in its own process group and calls onLine for each output line. */
function start(name, cmd, args, onLine, options = {}) {
  const child = spawn(cmd, args, { detached: true, stdio: ['ignore', 'pipe', 'pipe'], ...options });
  children.push(child);
  for (const stream of [child.stdout, child.stderr]) {
    let buf = '';
    stream.setEncoding('utf8');
    stream.on('data', (chunk) => {
      buf += chunk;
      let nl;
      while ((nl = buf.indexOf('\n')) >= 0) {
        const line = buf.slice(0, nl);
        buf = buf.slice(nl + 1);
        if (line.trim() !== '') {
          console.log(`[${name}] ${line}`);
          onLine(line);
        }
      }
    });
  }
  child.on('exit', (code, signal) => onLine(null, code, signal));
  return child;
}

function newest(dir, file) {
  let best = null;
  const walk = (d) => {
    for (const e of readdirSync(d, { withFileTypes: true })) {
      const p = join(d, e.name);
      if (e.isDirectory()) walk(p);
      else if (e.name === file && (!best || statSync(p).mtimeMs > statSync(best).mtimeMs)) best = p;
    }
  };
  if (existsSync(dir)) walk(dir);
  return best;
}

const sleep = (ms) => new Promise((ok) => setTimeout(ok, ms));

// ------------------------------------------------------------ main

async function main() {
  workDir = mkdtempSync(join(tmpdir(), 'homeward-sim-'));
  const buildDir = resolve(process.env.HOMEWARD_SIM_BUILD ?? join(tmpdir(), 'homeward-sim-build'));
  mkdirSync(buildDir, { recursive: true });

  const homePrivate = homeward(['genkey']);
  const homePublic = homeward(['pubkey'], homePrivate + '\n');
  const homePort = await freeUdpPort();
  const gatewayLocalPort = await freeUdpPort();

  // The sink stands for the home service that consumes telemetry.
  const sink = createSocket('udp4');
  sockets.push(sink);
  await new Promise((ok, fail) => sink.once('error', fail).bind(0, '127.0.0.1', ok));
  const sinkPort = sink.address().port;
  let received = 0;
  let firstAt = 0;
  sink.on('message', (msg) => {
    if (!msg.toString('utf8').startsWith('telemetry ')) return;
    received++;
    if (received === 1) firstAt = Date.now();
  });

  // ---- build
  const overrides = [
    'homeAddress=127.0.0.1',
    `homePort=${homePort}`,
    `homePublicKey=${homePublic}`,
    `homeTunnelIp=${HOME_TUNNEL_IP}`,
    `address=${GATEWAY_ADDRESS}/24`,
    `forwards=${gatewayLocalPort}:${TUNNEL_PORT}`,
  ];
  console.log(`sim: building the app: mcconfig -m -p lin -t build -o ${buildDir} ${overrides.join(' ')}`);
  const env = { ...process.env, PATH: `${BIN}:${TSC_DIR}:${process.env.PATH}` };
  const t0 = Date.now();
  // -t build: only build. The default target (and any -d debug build) would also
  // "pkill mcsim" and launch a simulator with a window.
  const build = run(MCCONFIG, ['-m', '-p', 'lin', '-t', 'build', '-o', buildDir, ...overrides], { cwd: ROOT, env, maxBuffer: 64 << 20 });
  if (build.status !== 0) die(`mcconfig failed (exit ${build.status}):\n${build.stdout}${build.stderr}`);
  const mcso = newest(join(buildDir, 'bin', 'lin'), 'mc.so');
  if (!mcso) die(`mcconfig succeeded but no mc.so under ${join(buildDir, 'bin', 'lin')}`);
  console.log(`sim: built ${mcso} in ${((Date.now() - t0) / 1000).toFixed(1)} s`);

  // ---- gateway
  let gatewayKey = null;
  let gatewayUp = null;
  let failure = null;
  // stdbuf: trace() goes to mcsim's stdout, block-buffered into a pipe; line
  // buffering shows it live and keeps it when the simulator is killed.
  start('gateway', 'timeout', [String(SIM_TIMEOUT_S), 'stdbuf', '-oL', '-eL', 'xvfb-run', '-a', MCSIM, mcso], (line, code) => {
    if (line === null) {
      failure ??= `the simulator exited (code ${code}) before the home end received telemetry`;
      return;
    }
    let m = /homeward: public key (\S+)/.exec(line);
    if (m) gatewayKey = m[1];
    m = /homeward: up .*home=(\S+)/.exec(line);
    if (m) gatewayUp = m[1];
    if (/homeward: (config error|start failed|error)/.test(line)) failure ??= `gateway: ${line.replace(/^.*homeward: /, '')}`;
  }, { cwd: workDir, env });

  const bootDeadline = Date.now() + 30_000;
  while (!failure && (!gatewayKey || !gatewayUp) && Date.now() < bootDeadline) await sleep(50);
  if (failure) die(failure);
  if (!gatewayKey) die('the gateway did not trace its public key within 30 s');
  if (gatewayUp !== `127.0.0.1:${homePort}`) {
    die(`the gateway is configured for home=${gatewayUp}, not 127.0.0.1:${homePort}: a homeward override in Preference ` +
      '(/tmp/modpreferences.json, domain "homeward") wins over the build config; remove it');
  }

  // ---- home
  const conf = join(workDir, 'home.conf');
  writeFileSync(conf, `# written by scripts/sim.mjs
[Interface]
PrivateKey = ${homePrivate}
ListenPort = ${homePort}
Address = ${HOME_TUNNEL_IP}/24
RemoteForward = ${TUNNEL_PORT} -> 127.0.0.1:${sinkPort}

[Peer]
# the simulated gateway
PublicKey = ${gatewayKey}
AllowedIPs = ${GATEWAY_ADDRESS}/32
`, { mode: 0o600 });
  console.log(`sim: home end on 127.0.0.1:${homePort}, RemoteForward ${TUNNEL_PORT} -> sink 127.0.0.1:${sinkPort}`);
  start('home', process.execPath, [CLI, 'up', conf], (line, code) => {
    if (line === null) failure ??= `the home end exited (code ${code})`;
  }, { cwd: ROOT, env: { ...process.env, HOMEWARD_RUN_DIR: workDir } });

  // ---- telemetry
  const sender = createSocket('udp4');
  sockets.push(sender);
  await new Promise((ok, fail) => sender.once('error', fail).bind(0, '127.0.0.1', ok));
  console.log(`sim: sending telemetry to the gateway's local port 127.0.0.1:${gatewayLocalPort} every ${SEND_INTERVAL_MS} ms`);
  let sent = 0;
  let sentAtFirst = 0;
  const deadline = Date.now() + (SIM_TIMEOUT_S - 5) * 1000;
  while (!failure && Date.now() < deadline) {
    if (received > 0 && sentAtFirst === 0) sentAtFirst = sent;
    if (received > 0 && sent >= sentAtFirst + EXTRA_DATAGRAMS) break;
    sender.send(`telemetry ${++sent} from a field device`, gatewayLocalPort, '127.0.0.1');
    await sleep(SEND_INTERVAL_MS);
  }
  await sleep(1000); // the last datagrams in flight

  if (received === 0) die(failure ?? `no telemetry reached the home end within ${SIM_TIMEOUT_S - 5} s (${sent} datagrams sent)`);
  console.log(`sim: OK: the home end received ${received} telemetry datagrams through the tunnel from the simulated gateway ` +
    `(${sent} sent; the first arrived after ${sentAtFirst} had been sent, ${((firstAt - t0) / 1000).toFixed(1)} s after the build started)`);
  cleanup();
  process.exit(0);
}

main().catch((e) => die(e?.stack ?? String(e)));
