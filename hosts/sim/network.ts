/**
 * A simulated IP network: endpoints addressed by (address, port), links with
 * latency, jitter, loss, duplication and reordering, and partitions between
 * addresses. It never delivers anything itself: it schedules arrivals on the
 * Simulation's agenda, so all delivery happens in virtual time.
 */
import type { Handle, Scheduler } from './queue';
import type { Rng } from './rng';
import { datagramType, type TraceEvent } from './trace';

/** How one direction of a link treats datagrams. Times are in ms, probabilities in [0, 1]. */
export interface LinkSettings {
  /** One-way delay. */
  latency: number;
  /** A uniformly random extra delay in [0, jitter). Jitter alone can reorder datagrams. */
  jitter: number;
  /** Probability that a datagram (each copy, independently) is lost. */
  loss: number;
  /** Probability that a datagram is delivered twice (the copy gets its own delay). */
  duplicate: number;
  /** Probability that a datagram is held back by `reorderDelay`, so later ones overtake it. */
  reorder: number;
  reorderDelay: number;
}

export const DEFAULT_LINK: LinkSettings = {
  latency: 10,
  jitter: 0,
  loss: 0,
  duplicate: 0,
  reorder: 0,
  reorderDelay: 50,
};

/** Datagram and byte counts of one node, as its socket saw them. */
export interface NodeCounters {
  datagramsSent: number;
  bytesSent: number;
  datagramsReceived: number;
  bytesReceived: number;
}

export function newCounters(): NodeCounters {
  return { datagramsSent: 0, bytesSent: 0, datagramsReceived: 0, bytesReceived: 0 };
}

/** Something with a socket on the network: a SimNode, or a test's raw endpoint. */
export interface NetEndpoint {
  readonly name: string;
  /** Set by the Network when the endpoint is attached or moved. */
  address: string;
  port: number;
  readonly counters: NodeCounters;
  /** False while nothing listens on the socket (a killed node): arrivals are dropped. */
  readonly listening: boolean;
  /** A datagram arrives; `data` is the endpoint's to keep or modify. */
  receive(now: number, data: Uint8Array, fromAddress: string, fromPort: number): void;
}

const key = (address: string, port: number): string => `${address}:${port}`;
const linkKey = (from: string, to: string): string => `${from}>${to}`;

export class Network {
  /** Settings for every link without its own. */
  defaults: LinkSettings;
  private readonly links = new Map<string, LinkSettings>();
  /** Blocked directions, as "from>to" address pairs. */
  private readonly blocked = new Set<string>();
  private readonly endpoints = new Map<string, NetEndpoint>();

  constructor(
    private readonly rng: Rng,
    private readonly scheduler: Scheduler,
    private readonly clock: () => number,
    private readonly trace: (e: TraceEvent) => void,
    defaults: Partial<LinkSettings> = {},
  ) {
    this.defaults = { ...DEFAULT_LINK, ...defaults };
  }

  // ------------------------------------------------------------ settings

  /** Changes the global settings (links with their own settings are unaffected). */
  configure(settings: Partial<LinkSettings>): void {
    this.defaults = { ...this.defaults, ...settings };
  }

  /** Settings for the link between two addresses; both directions unless `oneWay`. Unset fields come from the defaults. */
  setLink(from: string, to: string, settings: Partial<LinkSettings>, oneWay = false): void {
    this.links.set(linkKey(from, to), { ...this.link(from, to), ...settings });
    if (!oneWay) this.links.set(linkKey(to, from), { ...this.link(to, from), ...settings });
  }

  /** Back to the global settings for this link (both directions). */
  clearLink(a: string, b: string): void {
    this.links.delete(linkKey(a, b));
    this.links.delete(linkKey(b, a));
  }

  /** The settings in force from one address to another. */
  link(from: string, to: string): LinkSettings {
    return this.links.get(linkKey(from, to)) ?? this.defaults;
  }

  /**
   * Blocks traffic between two addresses (both directions unless `oneWay`,
   * which blocks only from → to). Datagrams already in flight are dropped on
   * arrival too: a cut cable loses what is on it.
   */
  partition(a: string, b: string, oneWay = false): void {
    this.blocked.add(linkKey(a, b));
    if (!oneWay) this.blocked.add(linkKey(b, a));
    this.trace({ time: this.clock(), kind: 'partition', from: a, to: b, detail: oneWay ? 'one way' : 'both ways' });
  }

  /** Lifts a partition between two addresses (both directions). */
  heal(a: string, b: string): void {
    this.blocked.delete(linkKey(a, b));
    this.blocked.delete(linkKey(b, a));
    this.trace({ time: this.clock(), kind: 'heal', from: a, to: b });
  }

  healAll(): void {
    this.blocked.clear();
    this.trace({ time: this.clock(), kind: 'heal', detail: 'all' });
  }

  isBlocked(from: string, to: string): boolean {
    return this.blocked.has(linkKey(from, to));
  }

  // ------------------------------------------------------------ endpoints

  /** Binds an endpoint to (address, port). Throws if that socket is taken: two nodes on one socket is a scenario bug. */
  attach(ep: NetEndpoint, address: string, port: number): void {
    const k = key(address, port);
    const other = this.endpoints.get(k);
    if (other !== undefined && other !== ep) throw new Error(`${k} is already bound by ${other.name}; cannot bind ${ep.name}`);
    this.endpoints.set(k, ep);
    ep.address = address;
    ep.port = port;
  }

  /** Moves an endpoint to a new socket (roaming, NAT rebinding). Datagrams in flight to the old one are lost. */
  rebind(ep: NetEndpoint, address: string, port: number): void {
    const old = key(ep.address, ep.port);
    if (this.endpoints.get(old) === ep) this.endpoints.delete(old);
    this.attach(ep, address, port);
    this.trace({ time: this.clock(), kind: 'move', node: ep.name, from: old, to: key(address, port) });
  }

  detach(ep: NetEndpoint): void {
    const k = key(ep.address, ep.port);
    if (this.endpoints.get(k) === ep) this.endpoints.delete(k);
  }

  endpointAt(address: string, port: number): NetEndpoint | undefined {
    return this.endpoints.get(key(address, port));
  }

  // ------------------------------------------------------------ traffic

  /** An endpoint sends data[0, len) to (address, port). The bytes are copied now: the sender may reuse its buffer. */
  send(from: NetEndpoint, data: Uint8Array, len: number, toAddress: string, toPort: number): void {
    from.counters.datagramsSent++;
    from.counters.bytesSent += len;
    this.transmit(from.name, from.address, from.port, data, len, toAddress, toPort);
  }

  /**
   * A datagram from any source address, as an attacker or a spoofing middlebox
   * would send it. It crosses the same links (and partitions) as real traffic.
   */
  inject(fromAddress: string, fromPort: number, data: Uint8Array, toAddress: string, toPort: number, label = 'injected'): void {
    this.transmit(label, fromAddress, fromPort, data, data.length, toAddress, toPort);
  }

  private transmit(name: string, fromAddress: string, fromPort: number, data: Uint8Array, len: number, toAddress: string, toPort: number): void {
    const now = this.clock();
    const copy = data.slice(0, len);
    const from = key(fromAddress, fromPort);
    const to = key(toAddress, toPort);
    const base = { node: name, from, to, size: len, type: datagramType(copy) };
    this.trace({ time: now, kind: 'send', ...base, data: copy });
    if (this.isBlocked(fromAddress, toAddress)) {
      this.trace({ time: now, kind: 'drop', ...base, reason: 'partition' });
      return;
    }
    const link = this.link(fromAddress, toAddress);
    const copies = this.rng.chance(link.duplicate) ? 2 : 1;
    if (copies === 2) this.trace({ time: now, kind: 'duplicate', ...base });
    for (let i = 0; i < copies; i++) {
      if (this.rng.chance(link.loss)) {
        this.trace({ time: now, kind: 'drop', ...base, reason: 'loss' });
        continue;
      }
      let delay = link.latency;
      if (link.jitter > 0) delay += this.rng.next() * link.jitter;
      if (this.rng.chance(link.reorder)) delay += link.reorderDelay;
      this.scheduleArrival(now + delay, copy, fromAddress, fromPort, toAddress, toPort, base);
    }
  }

  private scheduleArrival(
    at: number, copy: Uint8Array, fromAddress: string, fromPort: number, toAddress: string, toPort: number,
    base: Omit<TraceEvent, 'time' | 'kind'>,
  ): Handle {
    return this.scheduler.schedule(at, `arrival ${base.from} -> ${base.to} ${base.size}B`, () => {
      const now = this.clock();
      if (this.isBlocked(fromAddress, toAddress)) {
        this.trace({ time: now, kind: 'drop', ...base, reason: 'partition' });
        return;
      }
      const ep = this.endpoints.get(key(toAddress, toPort));
      if (ep === undefined) {
        this.trace({ time: now, kind: 'drop', ...base, reason: 'unreachable' });
        return;
      }
      if (!ep.listening) {
        this.trace({ time: now, kind: 'drop', ...base, node: ep.name, reason: 'dead' });
        return;
      }
      ep.counters.datagramsReceived++;
      ep.counters.bytesReceived += copy.length;
      // Traced before handling, so what the receiver does in response follows it in the trace.
      this.trace({ time: now, kind: 'arrive', ...base, node: ep.name });
      // Every arrival gets its own buffer: Devices decrypt in place, and a duplicate must arrive intact.
      ep.receive(now, copy.slice(), fromAddress, fromPort);
    });
  }
}
