/**
 * What a device keeps of its peers' configs (modules/peer.ts PeerStore):
 * the key index an initiation finds its peer by, the duplicate check, the
 * pre-shared keys and the AllowedIPs as configured; and, through two Devices
 * in the simulator, that the stored pre-shared key is the one the handshake
 * uses.
 */
import { GATEWAY_LIMITS, NODE_LIMITS, type PeerConfig } from '../../modules/config';
import { Device } from '../../modules/device';
import { publicKey } from '../../modules/crypto/x25519';
import { encodeBase64 } from '../../modules/base64';
import { makePeers, PeerStore } from '../../modules/peer';
import { buildPair, PAIR } from '../../hosts/sim/pair';
import { Simulation } from '../../hosts/sim/index';
import { type Case, deepEqual, equal, hex, ok, thrown } from '../harness/suite';
import { prng } from '../harness/prng';

function config(key: Uint8Array, psk: Uint8Array | null = null, ips: { ip: number; bits: number }[] = []): PeerConfig {
  return { publicKey: key, presharedKey: psk, endpoint: null, allowedIps: ips, persistentKeepalive: 0 };
}

function randomKey(rand: (n: number) => number): Uint8Array {
  const k = new Uint8Array(32);
  for (let i = 0; i < 32; i++) k[i] = rand(256);
  return k;
}

/** A pair whose two ends are configured with these pre-shared keys; true if the tunnel carried a datagram. */
function tunnelWith(gatewayPsk: Uint8Array | null, homePsk: Uint8Array | null): boolean {
  const sim = new Simulation({ seed: 3, link: { latency: 10 } });
  const pair = buildPair<Device>(sim, {
    makeDevice: (c, host) => new Device(c, host), publicKey, gatewayLimits: GATEWAY_LIMITS, homeLimits: NODE_LIMITS, presharedKey: gatewayPsk,
  });
  // The home end was built with the gateway's key: rebuild it from its config with its own.
  pair.homeConfig.peers[0].presharedKey = homePsk;
  pair.home.restart();
  sim.at(100, () => void pair.gateway.sendUdp(PAIR.telemetryPort, PAIR.homeTunnelIp, PAIR.telemetryPort, new Uint8Array([1, 2, 3])));
  sim.driveBounded(3_000, { maxSteps: 100_000 });
  return pair.home.deliveries.length === 1;
}

export const cases: Case[] = [
  ['the key index finds every configured peer and nothing else', () => {
    const rand = prng(5);
    const keys: Uint8Array[] = [];
    for (let i = 0; i < 300; i++) keys.push(randomKey(rand));
    // Two keys that differ only in their last byte, and one all zero.
    const near = keys[7].slice();
    near[31] ^= 1;
    keys.push(near, new Uint8Array(32));
    const store = new PeerStore(keys.map((k) => config(k)));
    equal(store.duplicate(), -1, 'no duplicates');
    for (let i = 0; i < keys.length; i++) equal(store.find(keys[i], 0), i, `peer ${i}`);
    const framed = new Uint8Array(40);
    framed.set(keys[42], 8);
    equal(store.find(framed, 8), 42, 'a key inside a larger buffer');
    for (let i = 0; i < 50; i++) equal(store.find(randomKey(rand), 0), -1, `unknown key ${i}`);
    const far = new Uint8Array(32).fill(0xff);
    equal(store.find(far, 0), -1, 'above every key');
    equal(new PeerStore([]).find(far, 0), -1, 'an empty store');
  }],
  ['a key configured twice is refused, naming the key', () => {
    const rand = prng(6);
    const a = randomKey(rand);
    const b = randomKey(rand);
    const store = new PeerStore([config(a), config(b), config(a.slice())]);
    equal(store.duplicate(), 2, 'the later of the two');
    const e = thrown(() => new Device({
      interface: { privateKey: randomKey(rand), listenPort: 0, address: null },
      peers: [config(a), config(b), config(a.slice())],
      limits: GATEWAY_LIMITS,
    }, { send() {}, deliverUdp() {}, random: (out) => out.fill(1), event() {} }));
    ok(e instanceof Error && e.message === `peer ${encodeBase64(a)} is configured twice`, `error: ${String(e)}`);
  }],
  ['pre-shared keys: each configured one where its peer points, all zero for the rest', () => {
    const rand = prng(8);
    const psk1 = randomKey(rand);
    const psk3 = randomKey(rand);
    const configs = [config(randomKey(rand)), config(randomKey(rand), psk1), config(randomKey(rand)), config(randomKey(rand), psk3)];
    const { peers, store } = makePeers(configs, randomKey(rand));
    equal(store.presharedKeys.length, 3 * 32, 'the shared zero key and two configured');
    equal(peers[0].presharedKeyAt, 0);
    equal(peers[2].presharedKeyAt, 0);
    ok(store.presharedKeys.subarray(0, 32).every((x) => x === 0), 'the shared one is all zero');
    const keyOf = (i: number) => hex(store.presharedKeys.subarray(peers[i].presharedKeyAt, peers[i].presharedKeyAt + 32));
    equal(keyOf(1), hex(psk1));
    equal(keyOf(3), hex(psk3));
    equal(peers[3].publicKeyBase64, encodeBase64(configs[3].publicKey), 'and the public key');
  }],
  ['the AllowedIPs as configured, per peer', () => {
    const rand = prng(9);
    const ips = [[{ ip: 0x0a000000, bits: 8 }, { ip: 0xc0a80100, bits: 24 }], [], [{ ip: 0, bits: 0 }]];
    const store = new PeerStore(ips.map((p) => config(randomKey(rand), null, p)));
    for (let i = 0; i < ips.length; i++) deepEqual(store.allowedIps(i), ips[i], `peer ${i}`);
  }],
  ['the handshake uses the stored pre-shared key: the same on both ends works, different ones do not', () => {
    const rand = prng(10);
    const psk = randomKey(rand);
    ok(tunnelWith(psk, psk.slice()), 'the same key on both ends');
    ok(tunnelWith(null, null), 'no key on either end');
    equal(tunnelWith(psk, randomKey(rand)), false, 'different keys');
    equal(tunnelWith(psk, null), false, 'a key on one end only');
  }],
];
