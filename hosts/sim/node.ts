/**
 * One simulated machine: a socket on the Network and the Device behind it.
 *
 * The Device is built by a factory from a DeviceHost the node supplies, so a
 * restart is real state loss: `kill()` drops every reference to the Device
 * (its keys, sessions and buffers go with it) and `restart()` builds a fresh
 * one. What survives a restart is exactly what the scenario's factory closes
 * over (a config, a MemoryStore), nothing else.
 */
import type { DeviceApi, DeviceEvent, DeviceEventName, DeviceHost } from '../../modules/host';
import type { DeviceStatus } from '../../modules/status';
import type { Store } from '../../modules/store';
import { ipv4 } from './addr';
import { newCounters, type NetEndpoint, type Network, type NodeCounters } from './network';
import type { Rng } from './rng';
import type { TraceEvent } from './trace';

/**
 * The part of the Device API the simulator drives (the real `Device` in
 * modules/device.ts has this shape; test fakes implement it too).
 */
export type SimDevice = DeviceApi;

/** What a node needs from the simulation that owns it. */
export interface SimContext {
  readonly now: number;
  readonly network: Network;
  record(e: TraceEvent): void;
}

export interface SimNodeOptions<D extends SimDevice> {
  /** Unique; used in traces and to look the node up. */
  name: string;
  address: string;
  port: number;
  /** Builds the Device; called at start and at every restart. */
  factory: (host: DeviceHost) => D;
  /** Wall clock in Unix ms as a function of virtual time. Left out: the host has none (a gateway before SNTP). */
  wallClock?: (now: number) => number;
  /** Lent to every Device this node builds, so it survives restarts. */
  store?: Store;
  /** Start with no Device (powered off) until restart(). */
  down?: boolean;
}

/** A UDP payload the Device delivered from the tunnel. */
export interface Delivery {
  time: number;
  /** Which Device (1 for the first, +1 per restart) delivered it. */
  generation: number;
  peer: number;
  srcIp: number;
  srcPort: number;
  dstPort: number;
  payload: Uint8Array;
}

/** A DeviceEvent with the Device generation that emitted it. */
export interface RecordedEvent extends DeviceEvent {
  generation: number;
}

export class SimNode<D extends SimDevice = SimDevice> implements NetEndpoint {
  readonly name: string;
  address = '';
  port = 0;
  readonly counters: NodeCounters = newCounters();
  readonly deliveries: Delivery[] = [];
  readonly events: RecordedEvent[] = [];
  /** 0 before the first Device; +1 for each Device built. */
  generation = 0;
  private dev: D | null = null;

  constructor(
    private readonly ctx: SimContext,
    /** This node's own stream: DeviceHost.random reads from it. */
    readonly rng: Rng,
    private readonly options: SimNodeOptions<D>,
  ) {
    this.name = options.name;
    ctx.network.attach(this, options.address, options.port);
    if (!options.down) this.start();
  }

  /** The current Device. Throws while the node is down: a scenario that talks to a dead node has a bug. */
  get device(): D {
    if (this.dev === null) throw new Error(`${this.name} is down (killed at generation ${this.generation}); restart() it first`);
    return this.dev;
  }

  get alive(): boolean {
    return this.dev !== null;
  }

  get listening(): boolean {
    return this.dev !== null;
  }

  /** Power loss: the Device and everything in it are gone; datagrams to this node are dropped until restart(). */
  kill(): void {
    this.dev = null;
    this.ctx.record({ time: this.ctx.now, kind: 'kill', node: this.name, detail: `generation ${this.generation}` });
  }

  /** Boots a fresh Device from the factory (killing the current one first, if any). */
  restart(): D {
    if (this.dev !== null) this.kill();
    return this.start();
  }

  /** Roaming or NAT rebinding: the node's socket moves; its Device is not told (as in real life). */
  moveTo(address: string, port = this.port): void {
    this.ctx.network.rebind(this, address, port);
  }

  /** Sends telemetry through the tunnel (Device.sendUdp); returns the Device's SEND_* code. */
  sendUdp(srcPort: number, dstIp: number | string, dstPort: number, payload: Uint8Array): number {
    const ip = typeof dstIp === 'string' ? ipv4(dstIp) : dstIp;
    return this.device.sendUdp(this.ctx.now, srcPort, ip, dstPort, payload, 0, payload.length);
  }

  /** Asks the Device to handshake with a peer now (Device.connect). */
  connect(peer = 0): void {
    this.device.connect(this.ctx.now, peer);
  }

  status(): DeviceStatus {
    return this.device.status(this.ctx.now);
  }

  /** The recorded events with this name, optionally only from time `since` on. */
  eventsNamed(name: DeviceEventName, since = -Infinity): RecordedEvent[] {
    return this.events.filter((e) => e.name === name && e.time >= since);
  }

  // ------------------------------------------------------------ driven by the Simulation and Network

  receive(now: number, data: Uint8Array, fromAddress: string, fromPort: number): void {
    this.dev?.handleDatagram(now, data, data.length, fromAddress, fromPort);
  }

  pollTimeout(): number {
    return this.dev === null ? Infinity : this.dev.pollTimeout();
  }

  handleTimeout(now: number): void {
    this.dev?.handleTimeout(now);
  }

  // ------------------------------------------------------------ internals

  private start(): D {
    const generation = ++this.generation;
    this.dev = null;
    const dev = this.options.factory(this.makeHost(generation));
    this.dev = dev;
    this.ctx.record({ time: this.ctx.now, kind: 'restart', node: this.name, detail: `generation ${generation}` });
    return dev;
  }

  /**
   * A host bound to one Device generation: a stale Device (one a test kept a
   * reference to after kill()) can no longer send or deliver, as a powered-off
   * machine cannot.
   */
  private makeHost(generation: number): DeviceHost {
    const ctx = this.ctx;
    const stale = (): boolean => generation !== this.generation;
    const host: DeviceHost = {
      send: (data, len, address, port) => {
        if (stale()) {
          ctx.record({ time: ctx.now, kind: 'drop', node: this.name, to: `${address}:${port}`, size: len, reason: 'stale' });
          return;
        }
        ctx.network.send(this, data, len, address, port);
      },
      deliverUdp: (peer, srcIp, srcPort, dstPort, buf, off, len) => {
        if (stale()) return;
        const payload = buf.slice(off, off + len);
        this.deliveries.push({ time: ctx.now, generation, peer, srcIp, srcPort, dstPort, payload });
        ctx.record({ time: ctx.now, kind: 'udp', node: this.name, size: len, detail: `peer ${peer} port ${srcPort}->${dstPort}` });
      },
      random: (out) => this.rng.fill(out),
      event: (e) => {
        if (stale()) return;
        this.events.push({ ...e, generation });
        ctx.record({ time: ctx.now, kind: 'event', node: this.name, detail: `${e.name} peer ${e.peer}${e.detail ? ' ' + e.detail : ''}` });
      },
    };
    const wall = this.options.wallClock;
    if (wall) host.wallClock = () => wall(ctx.now);
    if (this.options.store) host.store = this.options.store;
    return host;
  }
}
