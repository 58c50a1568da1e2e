/**
 * Two devices wired back to back in memory, for benchmarks: datagrams are
 * handed over synchronously, so the measured cost is the data path alone.
 */
import { randomFillSync } from 'node:crypto';
import { NODE_LIMITS, type DeviceConfig, type DeviceLimits } from '../modules/config';
import { Device, type DeviceHost } from '../modules/device';
import { publicKey } from '../modules/crypto/x25519';

export interface Pair {
  gateway: Device;
  home: Device;
  delivered: number;
  /** Sends one datagram gateway → home through the tunnel. */
  send(now: number, payload: Uint8Array, len: number): void;
}

const HOME_IP = 0x0a640001; // 10.100.0.1
const GATEWAY_IP = 0x0a640002; // 10.100.0.2

export function makePair(limits: DeviceLimits = NODE_LIMITS): Pair {
  const gk = randomFillSync(new Uint8Array(32));
  const hk = randomFillSync(new Uint8Array(32));
  let now = 0;
  const queue: { to: 'home' | 'gateway'; data: Uint8Array; port: number }[] = [];
  const pair = { delivered: 0 } as Pair;
  const host = (self: 'home' | 'gateway'): DeviceHost => ({
    send(data, len, _address, port) {
      // The pump below hands datagrams over in order; copying is the host's job.
      queue.push({ to: self === 'home' ? 'gateway' : 'home', data: data.slice(0, len), port });
    },
    deliverUdp() {
      pair.delivered++;
    },
    random: (out) => void randomFillSync(out),
    event() {},
  });
  const cfg = (priv: Uint8Array, ip: number, peerKey: Uint8Array, peerIp: number, endpoint: boolean): DeviceConfig => ({
    interface: { privateKey: priv, listenPort: 0, address: { ip, bits: 24 } },
    peers: [{
      publicKey: peerKey,
      presharedKey: null,
      endpoint: endpoint ? { address: '127.0.0.1', port: 1 } : null,
      allowedIps: [{ ip: peerIp, bits: 32 }],
      persistentKeepalive: 0,
    }],
    limits,
  });
  const gateway = new Device(cfg(gk, GATEWAY_IP, publicKey(hk), HOME_IP, true), host('gateway'));
  const home = new Device(cfg(hk, HOME_IP, publicKey(gk), GATEWAY_IP, false), host('home'));
  const pump = () => {
    while (queue.length) {
      const d = queue.shift()!;
      (d.to === 'home' ? home : gateway).handleDatagram(now, d.data, d.data.length, '127.0.0.1', d.to === 'home' ? 2 : 1);
    }
  };
  pair.gateway = gateway;
  pair.home = home;
  pair.send = (t, payload, len) => {
    now = t;
    gateway.sendUdp(now, 7000, HOME_IP, 7000, payload, 0, len);
    pump();
  };
  // Handshake, then one packet back so the responder's keypair is confirmed.
  pair.send(0, new Uint8Array(1), 1);
  home.sendUdp(0, 7000, GATEWAY_IP, 7000, new Uint8Array(1), 0, 1);
  pump();
  return pair;
}
