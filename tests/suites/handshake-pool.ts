/**
 * The handshake pool (modules/handshake-pool.ts) in the deterministic
 * simulator: an established peer holds no exchange state; when the pool is
 * exhausted, the initiation sent longest ago gives its state up and is
 * retried; and an initiation that only claims a configured peer's key (as
 * anyone who knows that public key can) binds nothing and takes no exchange
 * away. A host-agnostic suite: tests/handshake-pool.test.ts runs it on
 * Node, tests/xs.test.ts on XS.
 */
import { GATEWAY_LIMITS, type DeviceConfig } from '../../modules/config';
import { ChaChaPoly } from '../../modules/crypto/aead';
import { hash, mac } from '../../modules/crypto/hash';
import { publicKey } from '../../modules/crypto/x25519';
import { Device } from '../../modules/device';
import type { DeviceHost } from '../../modules/host';
import { INITIATION_SIZE, MSG_INITIATION } from '../../modules/messages';
import { ascii, Handshake, Noise } from '../../modules/noise';
import { cidr } from '../../hosts/sim/addr';
import { deviceFactory, handshakesBound, makeKeyPair, PAIR, peerConfig, Simulation, type SimNode } from '../../hosts/sim/index';
import { type Case, equal, ok } from '../harness/suite';

export const cases: Case[] = [];
const poolCase = (name: string, run: () => void): void => void cases.push([name, run]);

const A_ADDRESS = '192.0.2.10';
const B_ADDRESS = '192.0.2.11';
const ATTACKER = '203.0.113.66';
const LATENCY = 50;

interface World {
  sim: Simulation;
  /** Peers 0 (a) and 1 (b), each with an endpoint; a pool of one handshake. */
  hub: SimNode<Device>;
  a: SimNode<Device>;
  b: SimNode<Device>;
  hubPublic: Uint8Array;
  bPublic: Uint8Array;
}

function world(): World {
  const sim = new Simulation({ seed: 17, link: { latency: LATENCY }, keepTrace: true });
  const make = (config: DeviceConfig, host: DeviceHost): Device => new Device(config, host);
  const hubKeys = makeKeyPair(sim.rng, publicKey);
  const aKeys = makeKeyPair(sim.rng, publicKey);
  const bKeys = makeKeyPair(sim.rng, publicKey);
  const hubConfig: DeviceConfig = {
    interface: { privateKey: hubKeys.privateKey, listenPort: PAIR.homePort, address: cidr('10.100.0.1/32') },
    peers: [
      peerConfig(aKeys.publicKey, null, { address: A_ADDRESS, port: PAIR.gatewayPort }, '10.100.0.10/32', 0, true, 0),
      peerConfig(bKeys.publicKey, null, { address: B_ADDRESS, port: PAIR.gatewayPort }, '10.100.0.11/32', 0, true, 0),
    ],
    limits: { ...GATEWAY_LIMITS, handshakes: 1 },
  };
  const field = (name: string, keys: typeof aKeys, address: string, ip: string): SimNode<Device> => {
    const config: DeviceConfig = {
      interface: { privateKey: keys.privateKey, listenPort: PAIR.gatewayPort, address: cidr(`${ip}/32`) },
      peers: [peerConfig(hubKeys.publicKey, null, { address: PAIR.homeAddress, port: PAIR.homePort }, '10.100.0.1/32', 0, true, 0)],
      limits: GATEWAY_LIMITS,
    };
    return sim.addNode({ name, address, port: PAIR.gatewayPort, factory: deviceFactory(name, config, make) });
  };
  const hub = sim.addNode({ name: 'hub', address: PAIR.homeAddress, port: PAIR.homePort, factory: deviceFactory('hub', hubConfig, make) });
  return { sim, hub, a: field('a', aKeys, A_ADDRESS, '10.100.0.10'), b: field('b', bKeys, B_ADDRESS, '10.100.0.11'), hubPublic: hubKeys.publicKey, bPublic: bKeys.publicKey };
}

/**
 * An initiation to `receiverPublic` whose sealed static claims `claimed`, a
 * key the forger does not hold: it decrypts, so the receiver finds the
 * claimed peer, but its payload is sealed under the wrong static-static DH.
 * mac1 is valid (anyone who knows the receiver's public key can compute it).
 */
function claimedInitiation(receiverPublic: Uint8Array, claimed: Uint8Array, seed: number): Uint8Array {
  const forgerPrivate = new Uint8Array(32).fill(seed);
  const forger = new Noise(forgerPrivate, new ChaChaPoly());
  (forger as unknown as { publicKey: Uint8Array }).publicKey = claimed;
  const msg = new Uint8Array(INITIATION_SIZE);
  msg[0] = MSG_INITIATION;
  msg[4] = seed;
  const ok = forger.createInitiation(new Handshake(receiverPublic, new Uint8Array(32), forgerPrivate), new Uint8Array(32).fill(seed + 1), new Uint8Array(12).fill(0xff), msg, 8);
  if (!ok) throw new Error('could not forge the initiation');
  const at = INITIATION_SIZE - 32;
  msg.set(mac(hash(ascii('mac1----'), receiverPublic), msg.subarray(0, at)), at);
  return msg;
}

/** When the hub's first session with peer 0 came up (its initiation answered), or null. */
function upWithA(w: World): number | null {
  const e = w.hub.eventsNamed('handshake-complete').find((x) => x.peer === 0);
  return e ? e.time : null;
}

poolCase('established peers hold no handshake state: the pool of one serves two sessions in turn', () => {
  const w = world();
  w.sim.at(1_000, () => w.hub.connect(0), 'hub -> a');
  w.sim.at(3_000, () => w.hub.connect(1), 'hub -> b');
  w.sim.runUntil(1_000 + 2 * LATENCY + 10);
  equal(w.hub.status().peers[0].state, 'established', 'a');
  equal(handshakesBound(w.hub.device), 0, 'exchange state held after the session came up');
  w.sim.runUntil(3_000 + 2 * LATENCY + 10);
  equal(w.hub.status().peers[1].state, 'established', 'b');
  equal(handshakesBound(w.hub.device), 0, 'exchange state held after both sessions came up');
});

poolCase('an initiation that only claims a configured peer\'s key binds nothing and takes no exchange away', () => {
  const w = world();
  w.sim.at(1_000, () => w.hub.connect(0), 'hub -> a');
  // Arrives while the hub's initiation to a is out and its only handshake is a's.
  w.sim.at(1_010, () => w.sim.inject(ATTACKER, 40_000, claimedInitiation(w.hubPublic, w.bPublic, 7), PAIR.homeAddress, PAIR.homePort), 'forged, claims b');
  w.sim.runUntil(1_020);
  equal(handshakesBound(w.hub.device), 1, 'a\'s exchange is still bound');
  w.sim.runUntil(2_000);
  equal(w.hub.status().drops.badInitiation, 1, 'the forged initiation was dropped as bad');
  const up = upWithA(w);
  ok(up !== null && up <= 1_000 + 2 * LATENCY + 10, `a came up at ${up} (its first initiation must be answered)`);
  equal(w.hub.status().peers[1].state, 'idle', 'b');
  equal(handshakesBound(w.hub.device), 0, 'state left bound');
});

poolCase('control: a genuine initiation from b takes the pool\'s one handshake; a\'s initiation is retried and both come up', () => {
  const w = world();
  w.sim.at(1_000, () => w.hub.connect(0), 'hub -> a');
  // b's initiation reaches the hub at 1,060, before a's response (1,100).
  w.sim.at(1_010, () => w.b.connect(0), 'b -> hub');
  w.sim.runUntil(20_000);
  const up = upWithA(w);
  ok(up !== null && up > 5_000 && up < 7_000, `a came up at ${up}: after the REKEY_TIMEOUT retry, not with the first response`);
  ok(w.hub.status().drops.unknownIndex >= 1, 'a\'s first response was dropped');
  equal(w.hub.status().peers[0].state, 'established', 'a');
  equal(w.b.status().peers[0].state, 'established', 'b');
  equal(handshakesBound(w.hub.device), 0, 'state left bound');
});
