/**
 * The wg-quick config parser of the Node host (hosts/node/config.ts): a
 * realistic file maps onto the right DeviceConfig, every error names
 * file:line: Key:, and a file with any error yields nothing at all.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import fc from 'fast-check';
import { ConfigError, parseConfig, type NodeConfig } from '../hosts/node/config';
import { LIFECYCLE_DEFAULTS, NODE_LIMITS, RECOVERY_DEFAULTS } from '../modules/config';
import { Device } from '../modules/device';
import vectors from './vectors/rfc7748-x25519.json' with { type: 'json' };

const b64 = (hex: string): string => Buffer.from(hex, 'hex').toString('base64');
const bytes = (hex: string): Uint8Array => new Uint8Array(Buffer.from(hex, 'hex'));
const dh = vectors.diffieHellman;
// RFC 7748 §6.1 key pairs: fixed, so failures are reproducible.
const ALICE_PRIV = b64(dh.alicePrivate);
const ALICE_PUB = b64(dh.alicePublic);
const BOB_PUB = b64(dh.bobPublic);
const BOB_PRIV = b64(dh.bobPrivate);
const PSK = b64('11'.repeat(32));
const ip = (s: string): number => s.split('.').reduce((a, p) => a * 256 + Number(p), 0);

const REALISTIC = `# home.conf: the home end, as wg-quick users write it
[Interface]
PrivateKey = ${ALICE_PRIV}
ListenPort = 51820
Address = 10.100.0.1/24, fd00:100::1/64
DNS = 1.1.1.1
PostUp = iptables -A FORWARD -i %i -j ACCEPT; iptables -t nat -A POSTROUTING -o eth0 -j MASQUERADE
RemoteForward = 7000 -> 127.0.0.1:7100
  localforward=127.0.0.1:7001   ->   10.100.0.2:7001   # trailing comment
MaxPeers = 16
ReplayWindow = 2048
PreviousReplayWindow = 512
StagedPackets = 64
UnderLoadAfter = 0

; an INI-style comment
[peer]
publickey = ${BOB_PUB}
PresharedKey = ${PSK}
Endpoint = 203.0.113.7:51821
AllowedIPs = 10.100.0.2/32, fd00:100::2/128
AllowedIPs = 192.168.50.77/24
PersistentKeepalive = 25

[Peer]
# A second gateway, reached by DNS name, with extensions off.
PublicKey = ${b64(vectors.scalarMult[0].output)}
Endpoint = gw2.example.org:51820
AllowedIPs = 10.100.0.3/32
PersistentKeepalive = off
Extensions = off
`;

function parseOk(text: string, file = 'home.conf'): NodeConfig {
  return parseConfig(text, file);
}

/** Parses `text` expecting a ConfigError; returns its message. */
function parseErr(text: string, file = 'home.conf'): ConfigError {
  try {
    parseConfig(text, file);
  } catch (e) {
    assert.ok(e instanceof ConfigError, `expected a ConfigError, got ${(e as Error)?.stack ?? e}`);
    return e;
  }
  assert.fail(`expected ${file} to be rejected:\n${text}`);
}

test('config: a realistic wg-quick file gives the right DeviceConfig', () => {
  const c = parseOk(REALISTIC);
  assert.equal(c.name, 'home');
  const d = c.device;
  assert.deepEqual(d.interface.privateKey, bytes(dh.alicePrivate));
  assert.equal(d.interface.listenPort, 51820);
  assert.deepEqual(d.interface.address, { ip: ip('10.100.0.1'), bits: 24 });
  assert.deepEqual(d.limits, { ...NODE_LIMITS, maxPeers: 16, replayWindow: 2048, previousReplayWindow: 512, stagedPackets: 64, underLoadHandshakesPerSecond: 0 });
  assert.equal(d.peers.length, 2);

  const [p0, p1] = d.peers;
  assert.deepEqual(p0.publicKey, bytes(dh.bobPublic));
  assert.deepEqual(p0.presharedKey, bytes('11'.repeat(32)));
  assert.deepEqual(p0.endpoint, { address: '203.0.113.7', port: 51821 });
  // Repeated AllowedIPs accumulate; host bits are cleared, as wg shows them.
  assert.deepEqual(p0.allowedIps, [{ ip: ip('10.100.0.2'), bits: 32 }, { ip: ip('192.168.50.0'), bits: 24 }]);
  assert.equal(p0.persistentKeepalive, 25);
  assert.equal(p0.extensions, undefined);

  assert.equal(p1.endpoint, null, 'a DNS name is resolved at up time, not by the parser');
  assert.deepEqual(c.endpointNames, [{ peer: 1, host: 'gw2.example.org', port: 51820, line: 28 }]);
  assert.equal(p1.persistentKeepalive, 0);
  assert.equal(p1.extensions, false);
  assert.equal(p1.presharedKey, null);

  assert.deepEqual(c.remoteForwards, [{ line: 8, port: 7000, targetHost: '127.0.0.1', targetPort: 7100 }]);
  assert.deepEqual(c.localForwards, [{
    line: 9, bindAddress: '127.0.0.1', bindPort: 7001, targetIp: ip('10.100.0.2'), targetPort: 7001, target: '10.100.0.2:7001',
  }]);

  // IPv6 entries and wg-quick-only keys are skipped with a warning naming file:line: Key.
  const w = c.warnings.join('\n');
  assert.match(w, /^home\.conf:5: Address: fd00:100::1\/64: IPv6 skipped/m);
  assert.match(w, /^home\.conf:6: DNS: ignored/m);
  assert.match(w, /^home\.conf:7: PostUp: ignored/m);
  assert.match(w, /^home\.conf:21: AllowedIPs: fd00:100::2\/128: IPv6 skipped/m);
});

test('config: defaults (no ListenPort, no Address, no extension keys)', () => {
  const c = parseOk(`[Interface]\nPrivateKey = ${ALICE_PRIV}\n\n[Peer]\nPublicKey = ${BOB_PUB}\nAllowedIPs = 10.0.0.0/8\n`, '/etc/homeward/gw0.conf');
  assert.equal(c.name, 'gw0');
  assert.equal(c.device.interface.listenPort, 0);
  assert.equal(c.device.interface.address, null);
  assert.deepEqual(c.device.limits, NODE_LIMITS);
  assert.deepEqual(c.device.peers[0].endpoint, null);
  assert.equal(c.device.peers[0].presharedKey, null);
  assert.deepEqual(c.warnings, []);
  // A bare address is a /32; a bare LocalForward port binds 127.0.0.1.
  const f = parseOk(`[Interface]\nPrivateKey = ${ALICE_PRIV}\nAddress = 10.1.0.2\nLocalForward = 9000 -> 10.1.0.1:9000\n[Peer]\nPublicKey = ${BOB_PUB}\nAllowedIPs = 10.1.0.1\n`);
  assert.deepEqual(f.device.interface.address, { ip: ip('10.1.0.2'), bits: 32 });
  assert.equal(f.localForwards[0].bindAddress, '127.0.0.1');
  assert.equal(f.localForwards[0].bindPort, 9000);
});

const IFACE = `[Interface]\nPrivateKey = ${ALICE_PRIV}\nAddress = 10.100.0.1/24\n`;
const PEER = `[Peer]\nPublicKey = ${BOB_PUB}\nAllowedIPs = 10.100.0.2/32\n`;

test('config: liveness and lifecycle keys map onto the core config (seconds -> ms), defaults left to the core', () => {
  const c = parseOk(`[Interface]
PrivateKey = ${ALICE_PRIV}
Address = 10.100.0.2/24
UnusedLifetime = 300
MaxSegmentLifetime = 2
FailoverAfter = 7
FailbackAfter = 0

[Peer]
PublicKey = ${BOB_PUB}
AllowedIPs = 10.100.0.0/24
PingInterval = 4
PingMisses = 5
PingTarget = 10.100.0.1
Group = home

[Peer]
PublicKey = ${ALICE_PUB.replace(/^h/, 'i')}
AllowedIPs = 10.100.0.3/32
PingInterval = off
`);
  assert.deepEqual(c.device.lifecycle, { unusedLifetimeMs: 300_000, maxSegmentLifetimeMs: 2_000, failoverAfterMs: 7_000, failbackAfterMs: 0 });
  const [p0, p1] = c.device.peers;
  assert.equal(p0.pingInterval, 4);
  assert.equal(p0.pingMisses, 5);
  assert.equal(p0.pingTarget, ip('10.100.0.1'));
  assert.equal(p0.group, 'home');
  assert.equal(p1.pingInterval, 0, 'off turns probing off');
  // Unset keys stay unset: the core's PING_DEFAULTS and default target apply.
  assert.equal(p1.pingMisses, undefined);
  assert.equal(p1.pingTarget, undefined);
  assert.equal(p1.group, undefined);
  assert.deepEqual(c.warnings, []);

  const d = parseOk(`[Interface]\nPrivateKey = ${ALICE_PRIV}\nUnusedLifetime = off\n`);
  assert.deepEqual(d.device.lifecycle, { ...LIFECYCLE_DEFAULTS, unusedLifetimeMs: 0 });
  assert.deepEqual(parseOk(`[Interface]\nPrivateKey = ${ALICE_PRIV}\n`).device.lifecycle, LIFECYCLE_DEFAULTS);
});

test('config: recovery limits (NAK rates, WAIT) map onto the core config; defaults are the core\'s', () => {
  const c = parseOk(`[Interface]
PrivateKey = ${ALICE_PRIV}
NakRate = 3
NakBurst = 2
NakRateTotal = 40
WaitMin = 5
WaitMax = 8
`);
  assert.deepEqual(c.device.recovery, { nakPerSecondPerSource: 3, nakBurstPerSource: 2, nakPerSecondGlobal: 40, waitMinMs: 5_000, waitMaxMs: 8_000 });
  assert.deepEqual(parseOk(`[Interface]\nPrivateKey = ${ALICE_PRIV}\n`).device.recovery, RECOVERY_DEFAULTS);
  // The core takes them: a Device builds with the parsed config.
  assert.ok(new Device(c.device, { send() {}, deliverUdp() {}, random(out) { out.fill(7); }, event() {} }));
});

test('config: a PingTarget outside the peer\'s AllowedIPs loads, with a warning naming file:line: PingTarget', () => {
  const c = parseOk(`[Interface]\nPrivateKey = ${ALICE_PRIV}\nAddress = 10.100.0.2/24\n[Peer]\nPublicKey = ${BOB_PUB}\nPingTarget = 10.200.0.1\nAllowedIPs = 10.100.0.1/32\n`);
  assert.equal(c.device.peers[0].pingTarget, ip('10.200.0.1'));
  assert.equal(c.warnings.length, 1);
  assert.match(c.warnings[0], /^home\.conf:6: PingTarget: 10\.200\.0\.1 is not in this peer's AllowedIPs/);
});

test('config: StagingBudget sets the bytes of the staging ring; the default is NODE_LIMITS\'', () => {
  assert.equal(parseOk(`${IFACE}StagingBudget = 65536\n${PEER}`).device.limits.stagingBudget, 65536);
  assert.equal(parseOk(`${IFACE}${PEER}`).device.limits.stagingBudget, NODE_LIMITS.stagingBudget);
});

test('config: more peers than MaxPeers load (the table bounds sessions, not configured peers)', () => {
  const c = parseOk(`${IFACE}MaxPeers = 1\n${PEER}[Peer]\nPublicKey = ${ALICE_PUB.replace(/^h/, 'i')}\nAllowedIPs = 10.100.0.3/32\n`);
  assert.equal(c.device.limits.maxPeers, 1);
  assert.equal(c.device.peers.length, 2);
  // And the core accepts it as it is.
  const d = new Device(c.device, { send() {}, deliverUdp() {}, random(out) { out.fill(7); }, event() {} });
  assert.equal(d.status(0).peers.length, 2);
});

test('config: peers of one Group may share AllowedIPs; the core routes them to the group\'s active member', () => {
  const SECOND = ALICE_PUB.replace(/^h/, 'i');
  const c = parseOk(`${IFACE}LocalForward = 7000 -> 10.100.0.9:7000
[Peer]\nPublicKey = ${BOB_PUB}\nEndpoint = 192.0.2.1:51820\nAllowedIPs = 10.100.0.0/24\nGroup = home
[Peer]\nPublicKey = ${SECOND}\nEndpoint = 192.0.2.2:51820\nAllowedIPs = 10.100.0.0/24\nGroup = home
`);
  assert.deepEqual(c.device.peers.map((p) => [p.group, p.allowedIps]), [
    ['home', [{ ip: ip('10.100.0.0'), bits: 24 }]],
    ['home', [{ ip: ip('10.100.0.0'), bits: 24 }]],
  ]);
  const sent: string[] = [];
  const d = new Device(c.device, { send(_data, _len, address) { sent.push(address); }, deliverUdp() {}, random(out) { out.fill(7); }, event() {} });
  const st = d.status(0);
  assert.deepEqual(st.groups, { home: BOB_PUB });
  assert.deepEqual(st.peers.map((p) => p.active), [true, false]);
  // Data for the shared route starts a handshake with the first member, not with the one inserted last.
  d.sendUdp(0, 7000, ip('10.100.0.9'), 7000, new Uint8Array(4), 0, 4);
  assert.deepEqual(sent, ['192.0.2.1']);
});

/** [name, file text, line, key, what the message must contain]. */
const ERRORS: [string, string, number, string, RegExp][] = [
  ['bad ListenPort', `${IFACE}ListenPort = abc\n`, 4, 'ListenPort', /expected a port number 0-65535, got "abc"/],
  ['ListenPort out of range', `${IFACE}ListenPort = 65536\n`, 4, 'ListenPort', /0-65535/],
  ['unknown key', `${IFACE}Frobnicate = 1\n`, 4, 'Frobnicate', /unknown key/],
  ['key named like an Object.prototype member', `${IFACE}constructor = 1\n`, 4, 'constructor', /unknown key/],
  ['unknown key in [Peer]', `${IFACE}${PEER}ListenPort = 1\n`, 7, 'ListenPort', /unknown key in \[Peer\]/],
  ['unknown section', `${IFACE}[Tunnel]\nFoo = bar\n`, 4, '[Tunnel]', /unknown section/],
  ['key outside a section', `PrivateKey = ${ALICE_PRIV}\n${IFACE}`, 1, 'PrivateKey', /outside a section/],
  ['not key = value', `${IFACE}just words\n`, 4, 'just words', /expected "Key = value"/],
  ['missing [Interface]', PEER, 1, '[Interface]', /missing section/],
  ['missing PrivateKey', `[Interface]\nListenPort = 1\n${PEER}`, 1, 'PrivateKey', /missing/],
  ['missing PublicKey', `${IFACE}[Peer]\nAllowedIPs = 10.0.0.1/32\n`, 4, 'PublicKey', /missing in \[Peer\]/],
  ['bad base64 PrivateKey', `[Interface]\nPrivateKey = not-a-key\n`, 2, 'PrivateKey', /44 characters/],
  ['short PublicKey', `${IFACE}[Peer]\nPublicKey = ${BOB_PUB.slice(0, 40)}\n`, 5, 'PublicKey', /base64/],
  ['bad PresharedKey', `${IFACE}${PEER}PresharedKey = abc\n`, 7, 'PresharedKey', /base64/],
  ['duplicate peer', `${IFACE}${PEER}[Peer]\nPublicKey = ${BOB_PUB}\n`, 8, 'PublicKey', /duplicate peer.*line 5/],
  ['peer is ourselves', `${IFACE}[Peer]\nPublicKey = ${ALICE_PUB}\n`, 5, 'PublicKey', /own public key/],
  ['key given twice', `${IFACE}ListenPort = 1\nListenPort = 2\n`, 5, 'ListenPort', /given twice.*line 4/],
  ['second [Interface]', `${IFACE}${PEER}[Interface]\nPrivateKey = ${BOB_PRIV}\n`, 7, '[Interface]', /second \[Interface\]/],
  ['bad Address', `[Interface]\nPrivateKey = ${ALICE_PRIV}\nAddress = 10.100.0.300/24\n`, 3, 'Address', /IPv4 address/],
  ['bad prefix', `[Interface]\nPrivateKey = ${ALICE_PRIV}\nAddress = 10.100.0.1/33\n`, 3, 'Address', /IPv4 address/],
  ['two IPv4 Addresses', `${IFACE}Address = 10.200.0.1/24\n`, 4, 'Address', /only one IPv4 address.*line 3/],
  ['bad AllowedIPs', `${IFACE}${PEER}AllowedIPs = 10.0.0.0/8, banana\n`, 7, 'AllowedIPs', /"banana"/],
  ['bad Endpoint', `${IFACE}${PEER}Endpoint = 203.0.113.1\n`, 7, 'Endpoint', /host:port/],
  ['bad Endpoint port', `${IFACE}${PEER}Endpoint = 203.0.113.1:0\n`, 7, 'Endpoint', /1-65535/],
  ['bad Endpoint address', `${IFACE}${PEER}Endpoint = 203.0.113.256:1\n`, 7, 'Endpoint', /not a valid IPv4/],
  ['IPv6 Endpoint', `${IFACE}${PEER}Endpoint = [2001:db8::1]:51820\n`, 7, 'Endpoint', /IPv6/],
  ['bad PersistentKeepalive', `${IFACE}${PEER}PersistentKeepalive = sometimes\n`, 7, 'PersistentKeepalive', /"off"/],
  ['bad MaxPeers', `${IFACE}MaxPeers = 0\n`, 4, 'MaxPeers', /1-65536/],
  ['StagingBudget out of range', `${IFACE}StagingBudget = -1\n`, 4, 'StagingBudget', /0-1073741824/],
  ['bad UnderLoadAfter', `${IFACE}UnderLoadAfter = -1\n`, 4, 'UnderLoadAfter', /integer/],
  ['bad Extensions', `${IFACE}${PEER}Extensions = maybe\n`, 7, 'Extensions', /on or off/],
  ['bad PingInterval', `${IFACE}${PEER}PingInterval = 1.5\n`, 7, 'PingInterval', /expected seconds 0-3600 or "off", got "1\.5"/],
  ['PingInterval out of range', `${IFACE}${PEER}PingInterval = 3601\n`, 7, 'PingInterval', /0-3600/],
  ['PingMisses 0', `${IFACE}${PEER}PingMisses = 0\n`, 7, 'PingMisses', /expected an integer 1-100, got "0"/],
  ['bad PingMisses', `${IFACE}${PEER}PingMisses = three\n`, 7, 'PingMisses', /1-100/],
  ['PingTarget with a prefix', `${IFACE}${PEER}PingTarget = 10.100.0.2/32\n`, 7, 'PingTarget', /expected an IPv4 address .*got "10\.100\.0\.2\/32"/],
  ['bad PingTarget', `${IFACE}${PEER}PingTarget = gw.example.org\n`, 7, 'PingTarget', /IPv4 address/],
  ['empty Group', `${IFACE}${PEER}Group =\n`, 7, 'Group', /expected a name/],
  ['bad Group', `${IFACE}${PEER}Group = home gateways\n`, 7, 'Group', /letters, digits and _\.-, got "home gateways"/],
  ['PingInterval given twice', `${IFACE}${PEER}PingInterval = 5\nPingInterval = 6\n`, 8, 'PingInterval', /given twice/],
  ['bad UnusedLifetime', `${IFACE}UnusedLifetime = never\n`, 4, 'UnusedLifetime', /expected seconds 0-86400 or "off", got "never"/],
  ['MaxSegmentLifetime 0', `${IFACE}MaxSegmentLifetime = 0\n`, 4, 'MaxSegmentLifetime', /expected seconds 1-3600, got "0"/],
  ['MaxSegmentLifetime off', `${IFACE}MaxSegmentLifetime = off\n`, 4, 'MaxSegmentLifetime', /1-3600/],
  ['FailoverAfter 0', `${IFACE}FailoverAfter = 0\n`, 4, 'FailoverAfter', /expected seconds 1-3600/],
  ['bad FailbackAfter', `${IFACE}FailbackAfter = -1\n`, 4, 'FailbackAfter', /expected seconds 0-86400, got "-1"/],
  ['NakRate 0', `${IFACE}NakRate = 0\n`, 4, 'NakRate', /expected an integer 1-100000, got "0"/],
  ['bad NakBurst', `${IFACE}NakBurst = lots\n`, 4, 'NakBurst', /1-100000/],
  ['bad NakRateTotal', `${IFACE}NakRateTotal = 2.5\n`, 4, 'NakRateTotal', /1-1000000/],
  ['WaitMin above WaitMax', `${IFACE}WaitMax = 5\nWaitMin = 6\n`, 5, 'WaitMin', /6 s is more than WaitMax, 5 s/],
  ['WaitMin above the default WaitMax', `${IFACE}WaitMin = 31\n`, 4, 'WaitMin', /more than WaitMax, 30 s/],
  ['recovery key in [Peer]', `${IFACE}${PEER}NakRate = 5\n`, 7, 'NakRate', /unknown key in \[Peer\]/],
  ['lifecycle key in [Peer]', `${IFACE}${PEER}FailoverAfter = 5\n`, 7, 'FailoverAfter', /unknown key in \[Peer\]/],
  ['ping key in [Interface]', `${IFACE}PingInterval = 5\n`, 4, 'PingInterval', /unknown key in \[Interface\]/],
  ['LocalForward syntax', `${IFACE}LocalForward = 127.0.0.1:7000 10.100.0.2:7000\n${PEER}`, 4, 'LocalForward', /expected "\[bind-address:\]port -> tunnel-ip:port"/],
  ['LocalForward bad port', `${IFACE}LocalForward = 127.0.0.1:70000 -> 10.100.0.2:7000\n${PEER}`, 4, 'LocalForward', /1-65535/],
  ['LocalForward not local', `${IFACE}LocalForward = 192.0.2.1:7000 -> 10.100.0.2:7000\n${PEER}`, 4, 'LocalForward', /not an address of this machine/],
  ['LocalForward unrouted', `${IFACE}LocalForward = 7000 -> 10.9.9.9:7000\n${PEER}`, 4, 'LocalForward', /not in the AllowedIPs/],
  ['LocalForward without Address', `[Interface]\nPrivateKey = ${ALICE_PRIV}\nLocalForward = 7000 -> 10.100.0.2:7000\n${PEER}`, 3, 'LocalForward', /needs an Address/],
  ['LocalForward on ListenPort', `${IFACE}ListenPort = 7000\nLocalForward = 7000 -> 10.100.0.2:7000\n${PEER}`, 5, 'LocalForward', /ListenPort/],
  ['RemoteForward syntax', `${IFACE}RemoteForward = 7000 => 127.0.0.1:7100\n`, 4, 'RemoteForward', /expected "port -> local-address:port"/],
  ['RemoteForward bad target', `${IFACE}RemoteForward = 7000 -> nowhere:7100\n`, 4, 'RemoteForward', /not an IPv4 address/],
  ['duplicate forward port', `${IFACE}RemoteForward = 7000 -> 127.0.0.1:7100\nLocalForward = 7000 -> 10.100.0.2:7000\n${PEER}`, 5, 'LocalForward', /duplicate forward port 7000.*line 4/],
  ['forward in [Peer] for another peer', `${IFACE}${PEER}LocalForward = 7000 -> 10.100.0.9:7000\n[Peer]\nPublicKey = ${ALICE_PUB.replace(/^h/, 'i')}\nAllowedIPs = 10.100.0.9/32\n`, 7, 'LocalForward', /this peer/],
];

for (const [name, text, line, key, re] of ERRORS) {
  test(`config error: ${name} names file:line: Key`, () => {
    const e = parseErr(text, 'home.conf');
    const prefix = `home.conf:${line}: ${key}: `;
    const hit = e.message.split('\n').find((l) => l.startsWith(prefix));
    assert.ok(hit, `no line starting "${prefix}" in:\n${e.message}`);
    assert.match(hit!, re);
    assert.ok(e.issues.some((i) => i.line === line && i.key === key));
  });
}

test('config: a file with errors yields nothing, and every error is reported at once', () => {
  // Valid parts (a forward, a peer) and three independent errors.
  const text = `${IFACE}ListenPort = abc\nRemoteForward = 7000 -> 127.0.0.1:7100\n${PEER}Endpoint = nope\nPersistentKeepalive = -3\n`;
  let result: NodeConfig | undefined;
  let err: unknown;
  try {
    result = parseConfig(text, 'x.conf');
  } catch (e) {
    err = e;
  }
  assert.equal(result, undefined, 'nothing may come back from a bad file');
  assert.ok(err instanceof ConfigError);
  assert.deepEqual(err.issues.map((i) => [i.line, i.key]), [[4, 'ListenPort'], [9, 'Endpoint'], [10, 'PersistentKeepalive']]);
  assert.equal(err.message.split('\n').length, 3);
  assert.match(err.message, /^x\.conf:4: ListenPort: /);
});

test('config: keys and sections are case-insensitive, whitespace and CRLF are tolerated', () => {
  const text = `\uFEFF[ INTERFACE ]\r\nprivatekey=${ALICE_PRIV}\r\n  LISTENPORT   =   123  \r\n\r\n[PEER]\r\nPUBLICKEY = ${BOB_PUB}\r\nallowedips = 10.0.0.1/32\r\n`;
  const c = parseOk(text);
  assert.equal(c.device.interface.listenPort, 123);
  assert.equal(c.device.peers.length, 1);
});

test('config: the parser throws nothing but ConfigError, whatever the input (property)', () => {
  const keys = ['PrivateKey', 'ListenPort', 'Address', 'PublicKey', 'AllowedIPs', 'Endpoint', 'LocalForward', 'RemoteForward', 'PersistentKeepalive', 'MaxPeers', 'DNS', 'Foo', 'constructor', 'toString',
    'PingInterval', 'PingMisses', 'PingTarget', 'Group', 'UnusedLifetime', 'MaxSegmentLifetime', 'FailoverAfter', 'FailbackAfter'];
  const line = fc.oneof(
    fc.constantFrom('[Interface]', '[Peer]', '[x]', '[', '', '# c', `PrivateKey = ${ALICE_PRIV}`, `PublicKey = ${BOB_PUB}`),
    fc.tuple(fc.constantFrom(...keys), fc.string({ maxLength: 40 })).map(([k, v]) => `${k} = ${v}`),
    fc.string({ maxLength: 60 }),
  );
  fc.assert(fc.property(fc.array(line, { maxLength: 20 }), (lines) => {
    try {
      parseConfig(lines.join('\n'), 'fuzz.conf');
    } catch (e) {
      if (!(e instanceof ConfigError)) throw e;
      for (const l of e.message.split('\n')) assert.match(l, /^fuzz\.conf(:\d+)?: .+: /);
    }
  }), { numRuns: 500 });
});
