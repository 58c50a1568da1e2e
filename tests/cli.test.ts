/**
 * The homeward command line as users and outside checks run it
 * (`node bin/homeward.js ...`, DESIGN.md §5): key commands agree with wg,
 * bad arguments and bad configs exit non-zero with a message naming
 * file:line: Key, and `up` / `show` / SIGTERM work on one endpoint.
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
