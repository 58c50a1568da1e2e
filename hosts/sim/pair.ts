/**
 * The standard two-endpoint scenario: a field gateway (the initiator, with an
 * Endpoint) and a home end (the responder, without one), as in DESIGN.md.
 * The Device class and the X25519 public-key function are passed in, so the
 * simulator itself never loads the core: it stays usable (and testable) while
 * the core is being written, and works with any Device-shaped fake.
 */
import type { DeviceConfig, DeviceLimits, PeerConfig } from '../../modules/config';
import type { DeviceHost } from '../../modules/host';
import type { Store } from '../../modules/store';
import { cidr } from './addr';
import type { SimDevice, SimNode } from './node';
import type { Rng } from './rng';
import type { Simulation } from './simulation';

export interface KeyPair {
  privateKey: Uint8Array;
  publicKey: Uint8Array;
}

/** A static key pair from the simulation's random stream (so keys, too, follow the seed). */
export function makeKeyPair(rng: Rng, publicKey: (privateKey: Uint8Array) => Uint8Array): KeyPair {
  const privateKey = rng.bytes(32);
  return { privateKey, publicKey: publicKey(privateKey) };
}

/** Addresses of the standard pair: documentation prefixes (RFC 5737) outside, 10.100.0.0/24 inside. */
export const PAIR = {
  gatewayAddress: '192.0.2.10',
  gatewayPort: 51820,
  homeAddress: '198.51.100.1',
  homePort: 51820,
  gatewayTunnelIp: '10.100.0.2',
  homeTunnelIp: '10.100.0.1',
  /** The UDP port telemetry is sent to and from inside the tunnel. */
  telemetryPort: 7000,
} as const;

export interface PairOptions<D extends SimDevice> {
  makeDevice: (config: DeviceConfig, host: DeviceHost) => D;
  publicKey: (privateKey: Uint8Array) => Uint8Array;
  gatewayLimits: DeviceLimits;
  homeLimits: DeviceLimits;
  /** PersistentKeepalive (seconds) of each side's peer entry; default 0 (off). */
  gatewayKeepalive?: number;
  homeKeepalive?: number;
  /** homeward's recovery extensions on both sides; left out, the config default applies. */
  extensions?: boolean;
  /**
   * PingInterval (seconds) on both sides. Left out: the config default, except
   * with extensions off, where it is 0, so "off" is exactly WireGuard.
   */
  pingInterval?: number;
  presharedKey?: Uint8Array | null;
  /** More peers in the home end's table, after the gateway (which is always peer 0). */
  homeExtraPeers?: PeerConfig[];
  /** Stores that survive restarts, per side. */
  gatewayStore?: Store;
  homeStore?: Store;
  wallClock?: (now: number) => number;
}

export interface Pair<D extends SimDevice> {
  gateway: SimNode<D>;
  home: SimNode<D>;
  gatewayKeys: KeyPair;
  homeKeys: KeyPair;
  gatewayConfig: DeviceConfig;
  homeConfig: DeviceConfig;
}

/**
 * Adds "gateway" and "home" to the simulation. A restart of either node
 * rebuilds its Device from the same config: keys survive (they are config),
 * sessions do not.
 */
export function buildPair<D extends SimDevice>(sim: Simulation, o: PairOptions<D>): Pair<D> {
  const gatewayKeys = makeKeyPair(sim.rng, o.publicKey);
  const homeKeys = makeKeyPair(sim.rng, o.publicKey);
  const psk = o.presharedKey ?? null;
  const ping = o.pingInterval ?? (o.extensions === false ? 0 : undefined);
  const gatewayConfig: DeviceConfig = {
    interface: { privateKey: gatewayKeys.privateKey, listenPort: PAIR.gatewayPort, address: cidr(`${PAIR.gatewayTunnelIp}/32`) },
    peers: [peerConfig(homeKeys.publicKey, psk, { address: PAIR.homeAddress, port: PAIR.homePort }, `${PAIR.homeTunnelIp}/32`, o.gatewayKeepalive, o.extensions, ping)],
    limits: o.gatewayLimits,
  };
  const homeConfig: DeviceConfig = {
    interface: { privateKey: homeKeys.privateKey, listenPort: PAIR.homePort, address: cidr(`${PAIR.homeTunnelIp}/32`) },
    peers: [peerConfig(gatewayKeys.publicKey, psk, null, `${PAIR.gatewayTunnelIp}/32`, o.homeKeepalive, o.extensions, ping), ...(o.homeExtraPeers ?? [])],
    limits: o.homeLimits,
  };
  const home = sim.addNode({
    name: 'home', address: PAIR.homeAddress, port: PAIR.homePort, store: o.homeStore, wallClock: o.wallClock,
    factory: deviceFactory('home', homeConfig, o.makeDevice),
  });
  const gateway = sim.addNode({
    name: 'gateway', address: PAIR.gatewayAddress, port: PAIR.gatewayPort, store: o.gatewayStore, wallClock: o.wallClock,
    factory: deviceFactory('gateway', gatewayConfig, o.makeDevice),
  });
  return { gateway, home, gatewayKeys, homeKeys, gatewayConfig, homeConfig };
}

/** One peer entry, wg-quick style. */
export function peerConfig(
  publicKey: Uint8Array, presharedKey: Uint8Array | null, endpoint: { address: string; port: number } | null,
  allowedIps: string, persistentKeepalive = 0, extensions?: boolean, pingInterval?: number,
): PeerConfig {
  const p: PeerConfig = { publicKey, presharedKey, endpoint, allowedIps: [cidr(allowedIps)], persistentKeepalive };
  if (extensions !== undefined) p.extensions = extensions;
  if (pingInterval !== undefined) p.pingInterval = pingInterval;
  return p;
}

/** A factory that names the node when the Device constructor fails (a placeholder core throws here). */
export function deviceFactory<D>(name: string, config: DeviceConfig, make: (config: DeviceConfig, host: DeviceHost) => D): (host: DeviceHost) => D {
  return (host) => {
    try {
      return make(config, host);
    } catch (err) {
      throw new Error(`${name}: building the Device failed: ${err instanceof Error ? err.message : String(err)}`, { cause: err });
    }
  };
}
