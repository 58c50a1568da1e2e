/**
 * End to end on 127.0.0.1: two real `homeward up` processes (a home end and a
 * gateway) with forwards both ways carry UDP through the tunnel, `homeward
 * show --json` reports the handshake, and traffic resumes after the home end
 * is SIGKILLed and restarted. Needs the real core (modules/device.ts).
 *
 *   client -> gw LocalForward :src  => 10.100.0.1:7000 -> home RemoteForward -> echo service
 *   home LocalForward :src2 => 10.100.0.2:7001 -> gw RemoteForward -> sink
 *
 * Ports are ephemeral; every child is killed at the end whatever happens.
 */
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { createSocket, type Socket } from 'node:dgram';
import { readFileSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { freeUdpPort, runCli, tempDir, UpProcess } from './fixtures/cli';

const HOME_IP = '10.100.0.1';
const GW_IP = '10.100.0.2';

let dir = '';
let env: NodeJS.ProcessEnv = {};
let home: UpProcess | null = null;
let gateway: UpProcess | null = null;
let homeConf = '';
let homePub = '';
let gwPub = '';
let srcPort = 0;
let src2Port = 0;
let echo: Socket;
let sink: Socket;
const sinkGot: string[] = [];

async function genkey(): Promise<[string, string]> {
  const priv = (await runCli(['genkey'])).stdout.trim();
  const pub = (await runCli(['pubkey'], { input: priv })).stdout.trim();
  return [priv, pub];
}

async function bound(s: Socket): Promise<number> {
  await new Promise<void>((resolve) => s.bind(0, '127.0.0.1', resolve));
  return s.address().port;
}

/** Sends `msg` from `sock` to 127.0.0.1:port every 200 ms until `done()` or the timeout. */
async function sendUntil(sock: Socket, port: number, msg: () => string, done: () => boolean, timeoutMs: number): Promise<number> {
  const t0 = Date.now();
  while (!done()) {
    if (Date.now() - t0 > timeoutMs) throw new Error(`no answer within ${timeoutMs} ms\n${home?.log() ?? ''}\n${gateway?.log() ?? ''}`);
    sock.send(msg(), port, '127.0.0.1');
    await new Promise((r) => setTimeout(r, 200));
  }
  return Date.now() - t0;
}

before(async () => {
  dir = tempDir('homeward-e2e-');
  env = { HOMEWARD_RUN_DIR: join(dir, 'run') };
  const [homePriv, hp] = await genkey();
  const [gwPriv, gp] = await genkey();
  homePub = hp;
  gwPub = gp;

  // The home side's echo service (behind its RemoteForward) and the gateway side's sink.
  echo = createSocket('udp4');
  echo.on('message', (m, r) => echo.send(`echo:${m}`, r.port, r.address));
  const echoPort = await bound(echo);
  sink = createSocket('udp4');
  sink.on('message', (m) => sinkGot.push(String(m)));
  const sinkPort = await bound(sink);
  [srcPort, src2Port] = [await freeUdpPort(), await freeUdpPort()];

  homeConf = join(dir, 'home.conf');
  writeFileSync(homeConf, [
    '[Interface]', `PrivateKey = ${homePriv}`, 'ListenPort = 0', `Address = ${HOME_IP}/24`,
    `RemoteForward = 7000 -> 127.0.0.1:${echoPort}`, `LocalForward = 127.0.0.1:${src2Port} -> ${GW_IP}:7001`,
    '', '[Peer]', `PublicKey = ${gwPub}`, `AllowedIPs = ${GW_IP}/32`, '',
  ].join('\n'));
  home = new UpProcess(homeConf, env, 'home');
  const upLine = await home.waitFor(/ home up listen=0\.0\.0\.0:\d+/, 10_000);
  const homePort = Number(/listen=0\.0\.0\.0:(\d+)/.exec(upLine)![1]);

  const gwConf = join(dir, 'gw.conf');
  writeFileSync(gwConf, [
    '[Interface]', `PrivateKey = ${gwPriv}`, `Address = ${GW_IP}/24`,
    `LocalForward = 127.0.0.1:${srcPort} -> ${HOME_IP}:7000`, `RemoteForward = 7001 -> 127.0.0.1:${sinkPort}`,
    '', '[Peer]', `PublicKey = ${homePub}`, `Endpoint = 127.0.0.1:${homePort}`, `AllowedIPs = ${HOME_IP}/32`,
    'PersistentKeepalive = 25', '',
  ].join('\n'));
  gateway = new UpProcess(gwConf, env, 'gw');
  await gateway.waitFor(/ gw up /, 10_000);
}, { timeout: 30_000 });

after(async () => {
  await Promise.all([home?.stop('SIGKILL', 1000), gateway?.stop('SIGKILL', 1000)]);
  echo?.close();
  sink?.close();
  if (dir) rmSync(dir, { recursive: true, force: true });
}, { timeout: 10_000 });

test('e2e: gateway -> home through LocalForward and RemoteForward, and the reply comes back', { timeout: 20_000 }, async () => {
  const client = createSocket('udp4');
  const replies: string[] = [];
  client.on('message', (m) => replies.push(String(m)));
  await bound(client);
  try {
    let n = 0;
    await sendUntil(client, srcPort, () => `ping ${n++}`, () => replies.length > 0, 10_000);
    assert.match(replies[0], /^echo:ping \d+$/);
    await gateway!.waitFor(/ gw handshake-complete /, 1000);
    await home!.waitFor(/ home handshake-complete /, 1000);
  } finally {
    client.close();
  }
});

test('e2e: home -> gateway through the other pair of forwards', { timeout: 20_000 }, async () => {
  const client = createSocket('udp4');
  await bound(client);
  try {
    let n = 0;
    await sendUntil(client, src2Port, () => `telemetry ${n++}`, () => sinkGot.length > 0, 10_000);
    assert.match(sinkGot[0], /^telemetry \d+$/);
  } finally {
    client.close();
  }
});

test('e2e: show --json reports the handshake and traffic on both ends', { timeout: 20_000 }, async () => {
  for (const [name, peerKey] of [['home', gwPub], ['gw', homePub]]) {
    const r = await runCli(['show', name, '--json'], { env });
    assert.equal(r.code, 0, r.stderr);
    const st = JSON.parse(r.stdout);
    const peer = st.peers.find((p: { publicKey: string }) => p.publicKey === peerKey);
    assert.ok(peer, `${name}: no peer ${peerKey} in ${r.stdout}`);
    assert.equal(typeof peer.lastHandshakeAgoMs, 'number', `${name}: ${JSON.stringify(peer)}`);
    assert.ok(peer.lastHandshakeAgoMs < 60_000);
    assert.ok(peer.rxBytes > 0 && peer.txBytes > 0, `${name}: ${JSON.stringify(peer)}`);
    assert.match(peer.endpoint, /^127\.0\.0\.1:\d+$/);
  }
  const all = await runCli(['show'], { env });
  assert.match(all.stdout, /^interface: gw$/m);
  assert.match(all.stdout, /^interface: home$/m);
  assert.match(all.stdout, /latest handshake: (Now|\d+ seconds? ago)/);
});

test('e2e: traffic resumes after the home end is SIGKILLed and restarted', { timeout: 40_000 }, async (t) => {
  const port = Number(/listen=0\.0\.0\.0:(\d+)/.exec(home!.lines.find((l) => / home up listen=/.test(l))!)![1]);
  assert.deepEqual(await home!.stop('SIGKILL'), { code: null, signal: 'SIGKILL' });
  // Same config, but the port the gateway knows (ListenPort was 0 the first time).
  writeFileSync(homeConf, readFileSync(homeConf, 'utf8').replace('ListenPort = 0', `ListenPort = ${port}`));
  home = new UpProcess(homeConf, env, 'home2');
  await home.waitFor(/ home up /, 10_000);

  const client = createSocket('udp4');
  const replies: string[] = [];
  client.on('message', (m) => replies.push(String(m)));
  await bound(client);
  try {
    let n = 0;
    // WireGuard alone needs up to ~15 s (KEEPALIVE_TIMEOUT + REKEY_TIMEOUT) to notice; homeward's NAK about one round trip.
    const ms = await sendUntil(client, srcPort, () => `after-restart ${n++}`, () => replies.length > 0, 25_000);
    t.diagnostic(`traffic resumed ${ms} ms after the restarted home end was up`);
    assert.ok(ms < 5_000, `recovery took ${ms} ms (expected about one round trip, well under 5 s)`);
  } finally {
    client.close();
  }
  assert.deepEqual(await home.stop('SIGTERM'), { code: 0, signal: null }, home.log());
  assert.deepEqual(await gateway!.stop('SIGTERM'), { code: 0, signal: null }, gateway!.log());
});
