/**
 * The homeward command line as users and outside checks run it
 * (`node bin/homeward.js ...`, DESIGN.md §5): key commands agree with wg,
 * bad arguments and bad configs exit non-zero with a message naming
 * file:line: Key, and `up` / `show` / SIGTERM work on one endpoint; SIGTERM
 * closes sessions politely between two. In-process, around a fake core: the
 * log line per lifecycle event and DNS re-resolution; and `show`'s text.
 * Tunnel traffic between two endpoints is tests/e2e.test.ts.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { existsSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { createSocket } from 'node:dgram';
import vectors from './vectors/rfc7748-x25519.json' with { type: 'json' };
import { freeUdpPort, runCli, tempDir, udpPortFree, UpProcess } from './fixtures/cli';
import { parseConfig } from '../hosts/node/config';
import { queryStatus, socketPath } from '../hosts/node/control';
import { NodeEndpoint, type ShowReply } from '../hosts/node/endpoint';
import { Log } from '../hosts/node/log';
import { formatShow } from '../hosts/node/show';
import type { DeviceConfig } from '../modules/config';
import type { DeviceApi, DeviceEventName, DeviceHost } from '../modules/host';
import type { DeviceStatus, PeerStatus } from '../modules/status';

const b64 = (hex: string): string => Buffer.from(hex, 'hex').toString('base64');
const ALICE_PRIV = b64(vectors.diffieHellman.alicePrivate);
const ALICE_PUB = b64(vectors.diffieHellman.alicePublic);
const BOB_PRIV = b64(vectors.diffieHellman.bobPrivate);
const BOB_PUB = b64(vectors.diffieHellman.bobPublic);
const WG = '/usr/bin/wg';
const haveWg = existsSync(WG);

test('cli: genkey prints a clamped 32-byte key in base64, fresh each time', async () => {
  const [a, b] = await Promise.all([runCli(['genkey']), runCli(['genkey'])]);
  for (const r of [a, b]) {
    assert.equal(r.code, 0, r.stderr);
    assert.match(r.stdout, /^[A-Za-z0-9+/]{43}=\n$/);
    const k = Buffer.from(r.stdout.trim(), 'base64');
    assert.equal(k.length, 32);
    // RFC 7748 §5 clamping, as wg genkey applies it.
    assert.equal(k[0] & 7, 0, 'low 3 bits cleared');
    assert.equal(k[31] & 0x80, 0, 'bit 255 cleared');
    assert.equal(k[31] & 0x40, 0x40, 'bit 254 set');
  }
  assert.notEqual(a.stdout, b.stdout);
});

test('cli: pubkey derives the RFC 7748 §6.1 public keys', async () => {
  for (const [priv, pub] of [[ALICE_PRIV, ALICE_PUB], [BOB_PRIV, BOB_PUB]]) {
    const r = await runCli(['pubkey'], { input: priv + '\n' });
    assert.equal(r.code, 0, r.stderr);
    assert.equal(r.stdout, pub + '\n');
  }
  // No trailing newline is fine too (printf %s "$key" | homeward pubkey).
  const r = await runCli(['pubkey'], { input: ALICE_PRIV });
  assert.equal(r.stdout, ALICE_PUB + '\n');
});

test('cli: pubkey agrees with wg pubkey', { skip: haveWg ? false : `${WG} not installed (the RFC 7748 test covers pubkey)` }, async () => {
  const keys = [ALICE_PRIV, (await runCli(['genkey'])).stdout.trim(), b64('ff'.repeat(32)), b64('00'.repeat(32))];
  for (const k of keys) {
    const wg = spawnSync(WG, ['pubkey'], { input: k + '\n', encoding: 'utf8' });
    assert.equal(wg.status, 0, wg.stderr);
    const hw = await runCli(['pubkey'], { input: k + '\n' });
    assert.equal(hw.code, 0, hw.stderr);
    assert.equal(hw.stdout, wg.stdout, `homeward pubkey and wg pubkey differ for ${k}`);
  }
});

test('cli: pubkey rejects what is not a key, with exit 1', async () => {
  for (const input of ['', 'hello\n', ALICE_PRIV.slice(0, 43) + '\n', ALICE_PRIV + ALICE_PRIV + '\n', 'x'.repeat(10_000)]) {
    const r = await runCli(['pubkey'], { input });
    assert.equal(r.code, 1, `input ${JSON.stringify(input.slice(0, 50))}`);
    assert.equal(r.stdout, '');
    assert.match(r.stderr, /Key is not the correct length or format/);
  }
});

test('cli: help prints usage and exits 0', async () => {
  for (const arg of ['help', '--help', '-h']) {
    const r = await runCli([arg]);
    assert.equal(r.code, 0);
    assert.match(r.stdout, /^Usage: homeward/);
    assert.match(r.stdout, /genkey/);
    assert.match(r.stdout, /show \[name\] \[--json\]/);
  }
});

test('cli: bad arguments exit 1 with a clear message', async () => {
  const cases: [string[], RegExp][] = [
    [[], /no command given/],
    [['frobnicate'], /unknown command "frobnicate"/],
    [['genkey', 'extra'], /genkey takes no arguments/],
    [['pubkey', 'x'], /pubkey takes no arguments/],
    [['up'], /up takes exactly one argument/],
    [['up', 'a.conf', 'b.conf'], /up takes exactly one argument/],
    [['show', '--yaml'], /unknown option "--yaml"/],
    [['show', 'a', 'b'], /at most one endpoint name/],
  ];
  for (const [args, re] of cases) {
    const r = await runCli(args);
    assert.equal(r.code, 1, `homeward ${args.join(' ')}`);
    assert.match(r.stderr, re, `homeward ${args.join(' ')}`);
  }
});

test('cli: up with a missing or invalid config exits 1 naming file:line: Key, and opens nothing', async () => {
  const dir = tempDir();
  const run = join(dir, 'run');
  try {
    const missing = await runCli(['up', join(dir, 'nope.conf')], { env: { HOMEWARD_RUN_DIR: run } });
    assert.equal(missing.code, 1);
    assert.match(missing.stderr, /nope\.conf: file: cannot read: no such file/);

    // A valid LocalForward on a free port, and an error further down: the port must stay unbound.
    const port = await freeUdpPort();
    const conf = join(dir, 'bad.conf');
    writeFileSync(conf, `[Interface]\nPrivateKey = ${ALICE_PRIV}\nAddress = 10.9.0.1/24\nLocalForward = 127.0.0.1:${port} -> 10.9.0.2:7000\n\n[Peer]\nPublicKey = ${BOB_PUB}\nAllowedIPs = 10.9.0.2/32\nPersistentKeepalive = often\n`);
    const r = await runCli(['up', conf], { env: { HOMEWARD_RUN_DIR: run } });
    assert.equal(r.code, 1);
    assert.match(r.stderr, /bad\.conf:9: PersistentKeepalive: expected seconds 0-65535 or "off", got "often"/);
    assert.ok(await udpPortFree(port), 'the LocalForward port of a rejected config was bound');
    assert.ok(!existsSync(run) || readdirSync(run).length === 0, 'a rejected config left a control socket');
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});

test('cli: up fails cleanly when ListenPort is in use', async () => {
  const dir = tempDir();
  const holder = createSocket('udp4');
  try {
    await new Promise<void>((resolve) => holder.bind(0, '0.0.0.0', resolve));
    const port = holder.address().port;
    const conf = join(dir, 'busy.conf');
    writeFileSync(conf, `[Interface]\nPrivateKey = ${ALICE_PRIV}\nListenPort = ${port}\n`);
    const r = await runCli(['up', conf], { env: { HOMEWARD_RUN_DIR: join(dir, 'run') } });
    assert.equal(r.code, 1, r.stdout + r.stderr);
    assert.match(r.stderr, new RegExp(`busy\\.conf: ListenPort: UDP port ${port} is already in use`));
    assert.ok(!existsSync(join(dir, 'run', 'busy.sock')), 'control socket left behind');
  } finally {
    holder.close();
    rmSync(dir, { recursive: true, force: true });
  }
});

test('cli: up, show, show --json, SIGTERM: clean start and shutdown of one endpoint', async () => {
  const dir = tempDir();
  const run = join(dir, 'run');
  const env = { HOMEWARD_RUN_DIR: run };
  const conf = join(dir, 'solo.conf');
  writeFileSync(conf, `[Interface]\nPrivateKey = ${ALICE_PRIV}\nListenPort = 0\nAddress = 10.9.0.1/24\nMTU = 1420\n\n[Peer]\nPublicKey = ${BOB_PUB}\nAllowedIPs = 10.9.0.2/32\n`);
  const up = new UpProcess(conf, env, 'solo');
  try {
    const line = await up.waitFor(/ solo up listen=0\.0\.0\.0:(\d+)/, 10_000);
    assert.match(line, /^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{3}Z solo up /, 'log lines start with an ISO time and the name');
    assert.match(up.lines.join('\n'), / solo warning \S*solo\.conf:5: MTU: ignored/);
    const port = Number(/listen=0\.0\.0\.0:(\d+)/.exec(line)![1]);
    assert.ok(port > 0, 'an ephemeral ListenPort is logged as the chosen port');
    assert.ok(existsSync(join(run, 'solo.sock')));

    const text = await runCli(['show'], { env });
    assert.equal(text.code, 0, text.stderr);
    assert.match(text.stdout, /^interface: solo$/m);
    assert.match(text.stdout, new RegExp(`^  public key: ${ALICE_PUB.replace(/[+/]/g, '\\$&')}$`, 'm'));
    assert.match(text.stdout, new RegExp(`^  listening port: ${port}$`, 'm'));
    assert.match(text.stdout, new RegExp(`^peer: ${BOB_PUB.replace(/[+/]/g, '\\$&')}$`, 'm'));
    assert.match(text.stdout, /^  allowed ips: 10\.9\.0\.2\/32$/m);
    assert.match(text.stdout, /^  state: /m);

    const named = await runCli(['show', 'solo', '--json'], { env });
    assert.equal(named.code, 0, named.stderr);
    const st = JSON.parse(named.stdout);
    assert.equal(st.name, 'solo');
    assert.equal(st.listenPort, port);
    assert.equal(st.publicKey, ALICE_PUB);
    assert.equal(st.address, '10.9.0.1/24');
    assert.equal(st.peers[0].publicKey, BOB_PUB);
    assert.equal(st.peers[0].lastHandshakeAgoMs, null);

    const all = await runCli(['show', '--json'], { env });
    assert.deepEqual(JSON.parse(all.stdout).map((s: { name: string }) => s.name), ['solo']);

    const none = await runCli(['show', 'other'], { env });
    assert.equal(none.code, 1);
    assert.match(none.stderr, /no running endpoint named "other"/);

    const exit = await up.stop('SIGTERM');
    assert.deepEqual(exit, { code: 0, signal: null }, up.log());
    assert.match(up.lines.at(-1)!, / solo down$/);
    assert.ok(!existsSync(join(run, 'solo.sock')), 'control socket not removed on SIGTERM');
  } finally {
    await up.stop('SIGKILL');
    rmSync(dir, { recursive: true, force: true });
  }
});

test('cli: SIGINT stops cleanly; show skips and removes the socket of a killed endpoint', async () => {
  const dir = tempDir();
  const run = join(dir, 'run');
  const env = { HOMEWARD_RUN_DIR: run };
  writeFileSync(join(dir, 'a.conf'), `[Interface]\nPrivateKey = ${ALICE_PRIV}\n`);
  writeFileSync(join(dir, 'b.conf'), `[Interface]\nPrivateKey = ${BOB_PRIV}\n`);
  const a = new UpProcess(join(dir, 'a.conf'), env, 'a');
  const b = new UpProcess(join(dir, 'b.conf'), env, 'b');
  try {
    await Promise.all([a.waitFor(/ a up /, 10_000), b.waitFor(/ b up /, 10_000)]);
    // A second endpoint of the same name is refused: names are unique, like interfaces.
    const dup = await runCli(['up', join(dir, 'a.conf')], { env });
    assert.equal(dup.code, 1);
    assert.match(dup.stderr, /already running/);

    assert.deepEqual(await a.stop('SIGKILL'), { code: null, signal: 'SIGKILL' });
    assert.ok(existsSync(join(run, 'a.sock')), 'precondition: SIGKILL leaves a stale socket');
    const r = await runCli(['show', '--json'], { env });
    assert.equal(r.code, 0, r.stderr);
    assert.deepEqual(JSON.parse(r.stdout).map((s: { name: string }) => s.name), ['b']);
    assert.ok(!existsSync(join(run, 'a.sock')), 'stale socket not removed');

    // A restart after SIGKILL reuses the name.
    const a2 = new UpProcess(join(dir, 'a.conf'), env, 'a2');
    await a2.waitFor(/ a up /, 10_000);
    assert.deepEqual(await a2.stop('SIGINT'), { code: 0, signal: null }, a2.log());
    assert.deepEqual(await b.stop('SIGINT'), { code: 0, signal: null }, b.log());
  } finally {
    await Promise.all([a.stop('SIGKILL'), b.stop('SIGKILL')]);
    rmSync(dir, { recursive: true, force: true });
  }
});

/** Two `homeward up` on 127.0.0.1 with a session between them: a (no Endpoint, MSL 1 s) and b (dials a, in group "home", pinging). */
async function upPair(dir: string, env: NodeJS.ProcessEnv): Promise<{ a: UpProcess; b: UpProcess }> {
  writeFileSync(join(dir, 'a.conf'), `[Interface]\nPrivateKey = ${ALICE_PRIV}\nAddress = 10.9.0.1/24\nMaxSegmentLifetime = 1\n\n[Peer]\nPublicKey = ${BOB_PUB}\nAllowedIPs = 10.9.0.2/32\n`);
  const a = new UpProcess(join(dir, 'a.conf'), env, 'a');
  const aPort = Number(/listen=0\.0\.0\.0:(\d+)/.exec(await a.waitFor(/ a up listen=/, 10_000))![1]);
  writeFileSync(join(dir, 'b.conf'), [
    '[Interface]', `PrivateKey = ${BOB_PRIV}`, 'Address = 10.9.0.2/24', '',
    '[Peer]', `PublicKey = ${ALICE_PUB}`, `Endpoint = 127.0.0.1:${aPort}`, 'AllowedIPs = 10.9.0.1/32',
    'PersistentKeepalive = 25', 'PingInterval = 1', 'Group = home', '',
  ].join('\n'));
  const b = new UpProcess(join(dir, 'b.conf'), env, 'b');
  await Promise.all([a.waitFor(/ a peer-up /, 10_000), b.waitFor(/ b peer-up /, 10_000)]);
  // CLOSE goes only to a peer that said HELLO, which a sends once b's first packet confirmed the session.
  for (const name of ['a', 'b']) {
    for (let i = 0; ; i++) {
      const st = await queryStatus(socketPath(env.HOMEWARD_RUN_DIR!, name)) as ShowReply;
      if (st.peers[0].homeward) break;
      if (i === 50) assert.fail(`${name} never heard HELLO\n${a.log()}\n${b.log()}`);
      await new Promise((r) => setTimeout(r, 100));
    }
  }
  return { a, b };
}

test('cli: show reports liveness and groups; SIGTERM sends CLOSE, the peer acknowledges, and up exits 0 at once', { timeout: 40_000 }, async () => {
  const dir = tempDir();
  const env = { HOMEWARD_RUN_DIR: join(dir, 'run') };
  let pair: { a: UpProcess; b: UpProcess } | null = null;
  try {
    pair = await upPair(dir, env);
    const { a, b } = pair;
    // PingInterval = 1 on an idle tunnel: b probes a's Address, and a answers.
    let st: ShowReply | null = null;
    for (let i = 0; i < 50 && !(st && st.peers[0].probesSent > 0); i++) {
      await new Promise((r) => setTimeout(r, 100));
      st = await queryStatus(socketPath(env.HOMEWARD_RUN_DIR, 'b')) as ShowReply;
    }
    assert.ok(st && st.peers[0].probesSent > 0, `no probe sent: ${JSON.stringify(st)}`);
    const json = await runCli(['show', 'b', '--json'], { env });
    assert.equal(json.code, 0, json.stderr);
    const p = JSON.parse(json.stdout).peers[0];
    assert.equal(p.state, 'established');
    assert.equal(p.group, 'home');
    assert.equal(p.active, true);
    assert.equal(p.probesMissed, 0);
    for (const k of ['probesSent', 'naksSent', 'naksReceived', 'prodsSent', 'prodsReceived']) assert.equal(typeof p[k], 'number', k);
    assert.equal(typeof p.drops, 'object');
    assert.deepEqual(JSON.parse(json.stdout).groups, { home: ALICE_PUB });
    const text = await runCli(['show', 'b'], { env });
    assert.match(text.stdout, new RegExp(`^  group: home, active peer ${ALICE_PUB.replace(/[+/]/g, '\\$&')}$`, 'm'));
    assert.match(text.stdout, /^  state: established \(homeward peer\)$/m);
    assert.match(text.stdout, /^  group: home, active$/m);
    assert.match(text.stdout, /^  probes: [1-9]\d* sent, 0 missed$/m);

    const from = b.lines.length;
    const t0 = Date.now();
    const exit = await b.stop('SIGTERM', 5_000);
    const ms = Date.now() - t0;
    assert.deepEqual(exit, { code: 0, signal: null }, b.log());
    // Acknowledged on loopback, so well before the 2 s grace; the order is closing, closed, down.
    assert.ok(ms < 1_900, `exit took ${ms} ms\n${b.log()}`);
    const events = b.lines.slice(from).map((l) => /^\S+ b (\S+)(?:.*? detail=(\S+))?/.exec(l)).map((m) => (m ? [m[1], m[2]].filter(Boolean).join(' ') : ''));
    assert.deepEqual(events, ['signal', 'closing shutdown', 'shutdown', 'closed CLOSE_ACK', 'down'], b.log());
    // The other side answered CLOSE, and frees its state after 2 x MSL (MaxSegmentLifetime = 1).
    await a.waitFor(/ a closing peer=\S+ endpoint=\S+ detail="CLOSE from peer"$/, 5_000);
    await a.waitFor(/ a closed peer=\S+ endpoint=\S+ detail="closed by peer"$/, 5_000);
    assert.ok(a.running, 'a must keep running');
  } finally {
    await Promise.all([pair?.a.stop('SIGKILL'), pair?.b.stop('SIGKILL')]);
    rmSync(dir, { recursive: true, force: true });
  }
});

test('cli: SIGTERM with the peer gone: up waits about 2 s for a CLOSE_ACK (show says closing), then exits 0', { timeout: 40_000 }, async () => {
  const dir = tempDir();
  const env = { HOMEWARD_RUN_DIR: join(dir, 'run') };
  let pair: { a: UpProcess; b: UpProcess } | null = null;
  try {
    pair = await upPair(dir, env);
    const { a, b } = pair;
    await a.stop('SIGKILL');
    const t0 = Date.now();
    b.proc.kill('SIGTERM');
    await b.waitFor(/ b shutdown closing=1 wait-ms=2000$/, 2_000);
    const st = await queryStatus(socketPath(env.HOMEWARD_RUN_DIR, 'b')) as ShowReply;
    assert.equal(st.peers[0].state, 'closing', 'still serving show while waiting');
    const exit = await b.exited;
    const ms = Date.now() - t0;
    assert.deepEqual(exit, { code: 0, signal: null }, b.log());
    assert.ok(ms >= 1_900 && ms < 3_500, `exit after ${ms} ms, expected about 2000\n${b.log()}`);
    assert.match(b.lines.at(-2)!, / b close-timeout unacknowledged=1$/);
    assert.match(b.lines.at(-1)!, / b down$/);
  } finally {
    await Promise.all([pair?.a.stop('SIGKILL'), pair?.b.stop('SIGKILL')]);
    rmSync(dir, { recursive: true, force: true });
  }
});

/** A PeerStatus with every counter zero, for fakes and formatting tests. */
function peerStatus(publicKey: string, o: Partial<PeerStatus> = {}): PeerStatus {
  return {
    publicKey, endpoint: null, allowedIps: [], state: 'idle', lastHandshakeAgoMs: null, rxBytes: 0, txBytes: 0, rxPackets: 0, txPackets: 0,
    persistentKeepalive: 0, homeward: false, naksReceived: 0, prodsSent: 0, prodsReceived: 0, resent: 0, lost: 0,
    group: null, active: true, probesSent: 0, probesMissed: 0, naksSent: 0, drops: {}, ...o,
  };
}

/** Stands in for the core in NodeEndpoint: records setEndpoint, and emits whatever event a test asks for. */
class FakeDevice implements DeviceApi {
  readonly endpoints: (string | null)[];
  readonly setEndpoints: string[] = [];
  constructor(readonly config: DeviceConfig, readonly host: DeviceHost) {
    this.endpoints = config.peers.map((p) => (p.endpoint ? `${p.endpoint.address}:${p.endpoint.port}` : null));
  }
  handleDatagram(): void {}
  handleTimeout(): void {}
  pollTimeout(): number { return Infinity; }
  sendUdp(): number { return 0; }
  connect(): void {}
  status(): DeviceStatus {
    const peers = this.config.peers.map((p, i) => peerStatus(Buffer.from(p.publicKey).toString('base64'), { endpoint: this.endpoints[i], group: p.group ?? null }));
    return { publicKey: ALICE_PUB, address: null, peers, drops: {}, naksSent: 0, groups: {} };
  }
  setEndpoint(_now: number, peer: number, address: string, port: number): void {
    this.endpoints[peer] = `${address}:${port}`;
    this.setEndpoints.push(`${peer} ${address}:${port}`);
  }
  shutdown(): number { return 0; }
  closingCount(): number { return 0; }
  emit(name: DeviceEventName, peer: number, detail?: string): void {
    this.host.event({ name, peer, publicKey: Buffer.from(this.config.peers[peer].publicKey).toString('base64'), time: 0, detail });
  }
}

/** Starts a NodeEndpoint on `conf` text around a FakeDevice, with log lines and DNS lookups captured. */
async function fakeEndpoint(dir: string, conf: string, resolve: (host: string) => Promise<string>) {
  const lines: string[] = [];
  let device: FakeDevice | null = null;
  const ep = await NodeEndpoint.start(parseConfig(conf, join(dir, 'fake.conf')), {
    log: new Log('fake', (l) => lines.push(l)),
    runDir: join(dir, 'run'),
    factory: (c, h) => (device = new FakeDevice(c, h)),
    resolve,
  });
  return { ep, lines, device: device! };
}

/** Lets pending lookups (promises) settle. */
const settle = (): Promise<void> => new Promise((r) => setTimeout(r, 20));

test('up: every liveness and lifecycle event is one log line, with the peer, its group and the detail', async () => {
  const dir = tempDir();
  const { ep, lines, device } = await fakeEndpoint(dir,
    `[Interface]\nPrivateKey = ${ALICE_PRIV}\n[Peer]\nPublicKey = ${BOB_PUB}\nEndpoint = 192.0.2.1:51820\nAllowedIPs = 10.9.0.2/32\nGroup = home\n`,
    () => Promise.reject(new Error('no DNS in this test')));
  try {
    const events: DeviceEventName[] = ['probe-missed', 'failover', 'failback', 'closing', 'closed', 'evicted', 'table-full'];
    for (const name of events) {
      const before = lines.length;
      device.emit(name, 0, `why ${name}`);
      assert.deepEqual(lines.slice(before).map((l) => l.replace(/^\S+ /, '')),
        [`fake ${name} peer=${BOB_PUB.slice(0, 8)}… endpoint=192.0.2.1:51820 group=home detail="why ${name}"`]);
    }
  } finally {
    await ep.stop();
    rmSync(dir, { recursive: true, force: true });
  }
});

test('up: a DNS Endpoint is looked up again on failover (whole group), peer-down and handshake-failed, and applied', async () => {
  const dir = tempDir();
  const lookups: string[] = [];
  // Each lookup of a moving name gives a new address; stable.test never moves.
  const answers = new Map<string, number>();
  const resolve = async (host: string): Promise<string> => {
    lookups.push(host);
    const n = (answers.get(host) ?? 0) + 1;
    answers.set(host, n);
    return host === 'stable.test' ? '198.51.100.7' : `192.0.2.${n}`;
  };
  const key = (c: string): string => b64(c.repeat(32));
  const { ep, lines, device } = await fakeEndpoint(dir, [
    '[Interface]', `PrivateKey = ${ALICE_PRIV}`,
    '[Peer]', `PublicKey = ${key('01')}`, 'Endpoint = home1.test:51820', 'AllowedIPs = 10.9.0.0/24', 'Group = home',
    '[Peer]', `PublicKey = ${key('02')}`, 'Endpoint = home2.test:51821', 'AllowedIPs = 10.9.0.0/24', 'Group = home',
    '[Peer]', `PublicKey = ${key('03')}`, 'Endpoint = other.test:51822', 'AllowedIPs = 10.8.0.0/24',
    '[Peer]', `PublicKey = ${key('04')}`, 'Endpoint = 203.0.113.4:51823', 'AllowedIPs = 10.7.0.0/24',
    '[Peer]', `PublicKey = ${key('05')}`, 'Endpoint = stable.test:51824', 'AllowedIPs = 10.6.0.0/24', '',
  ].join('\n'), resolve);
  try {
    assert.deepEqual(lookups.sort(), ['home1.test', 'home2.test', 'other.test', 'stable.test'], 'each name once at start');
    assert.deepEqual(device.endpoints, ['192.0.2.1:51820', '192.0.2.1:51821', '192.0.2.1:51822', '203.0.113.4:51823', '198.51.100.7:51824']);
    lookups.length = 0;

    // Events that say nothing about where a peer is: no lookup.
    for (const name of ['probe-missed', 'closing', 'closed', 'handshake-sent', 'failback'] as DeviceEventName[]) device.emit(name, 0);
    await settle();
    assert.deepEqual(lookups, []);

    // Failover names the new active member; both members of the group are looked up, the others not.
    device.emit('failover', 1, 'from ...');
    await settle();
    assert.deepEqual(lookups.sort(), ['home1.test', 'home2.test']);
    assert.deepEqual(device.setEndpoints.sort(), ['0 192.0.2.2:51820', '1 192.0.2.2:51821']);
    assert.match(lines.join('\n'), / fake endpoint-resolved peer=\S+ host=home2\.test address=192\.0\.2\.2:51821$/m);

    lookups.length = 0;
    device.setEndpoints.length = 0;
    device.emit('peer-down', 2, 'no answer to 3 probes');
    await settle();
    device.emit('handshake-failed', 0, 'no answer after 21 attempts');
    await settle();
    assert.deepEqual(lookups, ['other.test', 'home1.test']);
    assert.deepEqual(device.setEndpoints, ['2 192.0.2.2:51822', '0 192.0.2.3:51820']);

    // A literal Endpoint has nothing to look up; a name that still gives the current address changes nothing.
    lookups.length = 0;
    device.setEndpoints.length = 0;
    device.emit('peer-down', 3);
    device.emit('handshake-failed', 4);
    await settle();
    assert.deepEqual(lookups, ['stable.test']);
    assert.deepEqual(device.setEndpoints, []);
  } finally {
    await ep.stop();
    rmSync(dir, { recursive: true, force: true });
  }
});

test('show: text lists groups and, per peer, closing state, group role, probes, NAKs, PRODs and drops', () => {
  const status: ShowReply = {
    name: 'gw', listenPort: 51820, publicKey: ALICE_PUB, address: '10.9.0.2/24', drops: {}, naksSent: 0,
    groups: { home: BOB_PUB },
    peers: [
      peerStatus(BOB_PUB, { state: 'closing', homeward: true, group: 'home', active: true, probesSent: 12, probesMissed: 2, naksSent: 3, naksReceived: 4, prodsSent: 5, prodsReceived: 6, drops: { replay: 7, allowedIps: 1 } }),
      peerStatus(ALICE_PUB, { state: 'closed', group: 'home', active: false }),
      peerStatus(b64('05'.repeat(32))),
    ],
  };
  const [iface, p0, p1, p2] = formatShow('gw', status).split('\n\n');
  assert.match(iface, new RegExp(`^  group: home, active peer ${BOB_PUB.replace(/[+/]/g, '\\$&')}$`, 'm'));
  assert.match(p0, /^  state: closing \(homeward peer\)$/m);
  assert.match(p0, /^  group: home, active$/m);
  assert.match(p0, /^  probes: 12 sent, 2 missed$/m);
  assert.match(p0, /^  recovery: 3 naks sent, 4 naks received, 5 prods sent, 6 prods received$/m);
  assert.match(p0, /^  drops: replay 7, allowedIps 1$/m);
  assert.match(p1, /^  state: closed$/m);
  assert.match(p1, /^  group: home, standby$/m);
  // What never happened is left out, as wg does.
  assert.doesNotMatch(p2, /group:|probes:|recovery:|drops:/);
});
