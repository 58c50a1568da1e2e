/// <reference path="./moddable.d.ts" />
/**
 * Runs the Device on Moddable: one ECMA-419 UDP socket for the tunnel, one
 * UDP listener per forwarded telemetry port, and one Timer re-armed at the
 * device's next deadline (STYLE.md: "a host arms one OS timer").
 *
 * Every call into the device goes through enter-style methods that read the
 * clock, call the device, and re-arm the timer, since any call may move the
 * next deadline.
 *
 * Allocation: everything is made in start(). Per received datagram the only
 * allocations are read()'s own (a new ArrayBuffer and its address string);
 * the bytes are copied natively into a preallocated buffer. Sends copy into a
 * scratch buffer and write a cached view of it (sized-views.ts).
 */
import UDP, { type UdpDatagram } from 'embedded:io/socket/udp';
import Timer, { type TimerHandle } from 'timer';
import { Device, MTU, SEND_NO_ROUTE, SEND_OK, SEND_STAGED, SEND_TOO_BIG } from '../../modules/device';
import type { DeviceEvent, DeviceHost } from '../../modules/host';
import { IPV4_HEADER, UDP_HEADER } from '../../modules/ipv4';
import type { Store } from '../../modules/store';
import { MonotonicClock } from './clock';
import { copyBytes, fillRandom } from './native';
import type { Forward, GatewaySettings } from './settings';
import { SizedViews } from './sized-views';

/**
 * The longest the timer sleeps. It bounds how long the clock goes unread
 * (clock.ts needs < 2^31 ms) and costs one idle wake-up a minute.
 */
const IDLE_MS = 60_000;
/** Largest datagram accepted from the network (WireGuard's MTU 1420 + 32 bytes of header and tag, with room to spare). */
const RX_SIZE = 2048;
/** Largest telemetry payload that fits one tunnel packet. */
const MAX_PAYLOAD = MTU - IPV4_HEADER - UDP_HEADER;
/** Distinct datagram lengths whose views are cached per scratch buffer. */
const VIEW_CACHE = 24;

/** Counters for the health trace. */
export interface HostCounters {
  rxDatagrams: number;
  txDatagrams: number;
  sendErrors: number;
  forwarded: number;
  forwardDrops: number;
  replies: number;
  replyDrops: number;
}

/** One local telemetry port: what it receives goes home through the tunnel. */
class Forwarder {
  socket: UDP | null = null;
  /** The most recent local sender: replies from home go back to it (as LocalForward does). */
  lastAddress: string | null = null;
  lastPort = 0;
  /** Scratch for replies coming back out of the tunnel. */
  readonly out: SizedViews;

  constructor(readonly spec: Forward) {
    this.out = new SizedViews(new Uint8Array(MAX_PAYLOAD), VIEW_CACHE);
  }
}

export class ModdableEndpoint implements DeviceHost {
  readonly device: Device;
  readonly counters: HostCounters = { rxDatagrams: 0, txDatagrams: 0, sendErrors: 0, forwarded: 0, forwardDrops: 0, replies: 0, replyDrops: 0 };
  readonly store?: Store;
  private readonly clock = new MonotonicClock();
  private socket: UDP | null = null;
  private timer: TimerHandle | null = null;
  private armedFor = NaN;
  private readonly rx = new Uint8Array(RX_SIZE);
  private readonly tx = new SizedViews(new Uint8Array(RX_SIZE), VIEW_CACHE);
  /** Telemetry read from a local port, before it enters the tunnel. */
  private readonly local = new Uint8Array(MAX_PAYLOAD);
  private readonly forwarders: Forwarder[];
  private readonly homeTunnelIp: number;
  private readonly listeners: ((e: DeviceEvent) => void)[] = [];
  private readonly listenPort: number;
  /** The peers with a configured endpoint: start() initiates to them. */
  private readonly initiateTo: number[] = [];

  /**
   * Keeps nothing of `settings` but what it uses (the Device copies what it
   * needs from the config, and the rest is garbage after start-up).
   *
   * @param log receives one line per event and per host problem
   */
  constructor(settings: GatewaySettings, private readonly log: (line: string) => void, store?: Store) {
    this.store = store;
    this.homeTunnelIp = settings.homeTunnelIp;
    this.listenPort = settings.device.interface.listenPort;
    settings.device.peers.forEach((p, i) => {
      if (p.endpoint) this.initiateTo.push(i);
    });
    this.forwarders = settings.forwards.map((f) => new Forwarder(f));
    this.device = new Device(settings.device, this);
  }

  /** Binds the tunnel socket and the forward listeners, arms the timer and starts the handshake with home. */
  start(): void {
    const port = this.listenPort;
    const self = this;
    this.socket = new UDP({
      ...(port ? { port } : {}),
      onReadable(count: number) {
        self.receiveTunnel(this, count);
      },
      onError() {
        self.log('tunnel socket error');
      },
    });
    for (const f of this.forwarders) {
      f.socket = new UDP({
        port: f.spec.localPort,
        onReadable(count: number) {
          self.receiveLocal(f, this, count);
        },
        onError() {
          self.log(`forward socket ${f.spec.localPort} error`);
        },
      });
    }
    this.timer = Timer.set(() => this.expire(), IDLE_MS, IDLE_MS);
    // A gateway's job is to tunnel home: bring the tunnel up now, not at the first telemetry.
    const now = this.clock.now();
    for (const i of this.initiateTo) {
      try {
        this.device.connect(now, i);
      } catch (e) {
        this.fault(e);
      }
    }
    this.arm(now);
  }

  /** Closes every socket and the timer. */
  stop(): void {
    if (this.timer) Timer.clear(this.timer);
    this.timer = null;
    this.socket?.close();
    this.socket = null;
    for (const f of this.forwarders) {
      f.socket?.close();
      f.socket = null;
    }
  }

  /** The current device time (ms of the monotonic clock). */
  now(): number {
    return this.clock.now();
  }

  // ------------------------------------------------------------ input

  private receiveTunnel(socket: UDP, count: number): void {
    const now = this.clock.now();
    for (let i = 0; i < count; i++) {
      const dg: UdpDatagram | undefined = socket.read();
      if (dg === undefined) break;
      const len = dg.byteLength;
      this.counters.rxDatagrams++;
      if (len > RX_SIZE) continue; // larger than any WireGuard message
      copyBytes(this.rx, 0, dg, 0, len);
      // No closures here: a closure per datagram would allocate.
      try {
        this.device.handleDatagram(now, this.rx, len, dg.address, dg.port);
      } catch (e) {
        this.fault(e);
      }
    }
    this.arm(now);
  }

  private receiveLocal(f: Forwarder, socket: UDP, count: number): void {
    const now = this.clock.now();
    for (let i = 0; i < count; i++) {
      const dg: UdpDatagram | undefined = socket.read();
      if (dg === undefined) break;
      const len = dg.byteLength;
      f.lastAddress = dg.address;
      f.lastPort = dg.port;
      if (len > MAX_PAYLOAD) {
        this.counters.forwardDrops++;
        continue;
      }
      copyBytes(this.local, 0, dg, 0, len);
      let code: number;
      try {
        code = this.device.sendUdp(now, f.spec.localPort, this.homeTunnelIp, f.spec.remotePort, this.local, 0, len);
      } catch (e) {
        code = -1;
        this.fault(e);
      }
      if (code === SEND_OK || code === SEND_STAGED) this.counters.forwarded++;
      else {
        this.counters.forwardDrops++;
        if (this.counters.forwardDrops === 1) this.log(`forward ${f.spec.localPort}: ${describeSendFailure(code)}`);
      }
    }
    this.arm(now);
  }

  private expire(): void {
    this.armedFor = NaN; // the timer fired: re-arm even for the same deadline
    const now = this.clock.now();
    try {
      this.device.handleTimeout(now);
    } catch (e) {
      this.fault(e);
    }
    this.arm(now);
  }

  /**
   * Re-arms the one timer at the device's next deadline. Always with a repeat
   * equal to the delay: the SDK frees a timer whose repeat is 0 after its
   * callback, and on Linux re-scheduling from inside the callback only works
   * cleanly when delay and repeat are equal.
   */
  private arm(now: number): void {
    if (this.timer === null) return;
    const deadline = this.device.pollTimeout();
    if (deadline === this.armedFor) return;
    this.armedFor = deadline;
    // +1: a timer may fire a hair early against Time.ticks; a deadline not yet due would re-arm at 0 ms.
    const delay = deadline === Infinity ? IDLE_MS : Math.min(IDLE_MS, Math.max(1, Math.ceil(deadline - now) + 1));
    Timer.schedule(this.timer, delay, delay);
  }

  /**
   * The core's data path never throws and its handshake path throws only on
   * misuse; should it throw anyway, log it and keep the gateway running.
   */
  private fault(e: unknown): void {
    this.log(`error: ${e instanceof Error ? e.message : String(e)}`);
  }

  // ------------------------------------------------------------ DeviceHost

  send(data: Uint8Array, len: number, address: string, port: number): void {
    const socket = this.socket;
    if (socket === null) return;
    let out: Uint8Array;
    if (len === data.length) out = data;
    else {
      copyBytes(this.tx.buffer, 0, data, 0, len);
      out = this.tx.get(len);
    }
    try {
      socket.write(out, address, port);
      this.counters.txDatagrams++;
    } catch {
      // The core retransmits handshakes and the sender retries telemetry; just count it.
      if (this.counters.sendErrors++ === 0) this.log(`send to ${address}:${port} failed`);
    }
  }

  deliverUdp(_peer: number, _srcIp: number, _srcPort: number, dstPort: number, buf: Uint8Array, off: number, len: number): void {
    // A reply from home to one of our forwarded ports goes back to that port's last local sender.
    const forwarders = this.forwarders;
    for (let i = 0; i < forwarders.length; i++) { // indexed: for-of allocates an iterator
      const f = forwarders[i];
      if (f.spec.localPort !== dstPort) continue;
      if (f.socket === null || f.lastAddress === null || len > f.out.buffer.length) break;
      copyBytes(f.out.buffer, 0, buf, off, len);
      try {
        f.socket.write(f.out.get(len), f.lastAddress, f.lastPort);
        this.counters.replies++;
      } catch {
        this.counters.replyDrops++;
      }
      return;
    }
    this.counters.replyDrops++;
  }

  random(out: Uint8Array): void {
    fillRandom(out);
  }

  event(e: DeviceEvent): void {
    const peer = e.publicKey ? ` peer=${e.publicKey.slice(0, 8)}` : '';
    const detail = e.detail !== undefined ? ` ${e.detail}` : '';
    this.log(`${e.name}${peer} t=${e.time}${detail}`);
    for (let i = 0; i < this.listeners.length; i++) {
      try {
        this.listeners[i](e);
      } catch (err) {
        this.log(`event listener failed: ${(err as Error).message}`); // one bad listener must not stop the tunnel
      }
    }
  }

  /**
   * Firmware code subscribes to device events here (peer-up, peer-down,
   * failover, closed, ...; see modules/host.ts). Returns the unsubscribe function.
   */
  onEvent(listener: (e: DeviceEvent) => void): () => void {
    this.listeners.push(listener);
    return () => {
      const i = this.listeners.indexOf(listener);
      if (i >= 0) this.listeners.splice(i, 1);
    };
  }

  /**
   * Unix milliseconds for TAI64N. Before SNTP an ESP32's Date.now() counts from
   * boot (1970): the core then keeps timestamps above the stored ceiling.
   */
  wallClock(): number {
    return Date.now();
  }
}

function describeSendFailure(code: number): string {
  switch (code) {
    case SEND_NO_ROUTE: return 'no route (homeTunnelIp outside the home peer\'s allowedIps, or no tunnel address)';
    case SEND_TOO_BIG: return 'datagram too big for the tunnel MTU';
    default: return `send failed (code ${code})`;
  }
}
