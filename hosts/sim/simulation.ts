/**
 * The simulation: a virtual clock, an agenda of datagram arrivals and
 * scenario actions, and the nodes. Time never passes on its own: `step()`
 * jumps straight to the next thing that is due (an arrival, an action, or a
 * Device's pollTimeout()), so a 540 s scenario runs in milliseconds and is
 * identical on every run with the same seed.
 *
 * Nothing here reads Date.now, Math.random or a real timer.
 */
import type { Handle, Scheduler } from './queue';
import { EventQueue } from './queue';
import { Network, type LinkSettings } from './network';
import { SimNode, type SimContext, type SimDevice, type SimNodeOptions } from './node';
import { Rng } from './rng';
import { formatTrace, type TraceEvent } from './trace';

export interface SimulationOptions {
  seed: number;
  /** Global link settings (latency, jitter, loss ...); see Network. */
  link?: Partial<LinkSettings>;
  /** Keep every TraceEvent in `trace` (with datagram copies). Off by default: long runs would hold every packet. */
  keepTrace?: boolean;
  /** How many recent events an error report shows. Default 40. */
  recent?: number;
  /** Livelock: throw after this many consecutive steps without the clock advancing. Default 10 000. */
  maxStallSteps?: number;
  /** Throw after this many steps in all. Default 10 000 000. */
  maxSteps?: number;
  /** The clock's starting value in ms. Default 0. */
  startTime?: number;
}

/** A failure inside a simulation, with the tail of the trace that led to it. */
export class SimulationError extends Error {
  constructor(message: string, readonly recent: string[], options?: { cause?: unknown }) {
    super(`${message}\n--- last ${recent.length} trace events ---\n${recent.join('\n')}`, options);
    this.name = 'SimulationError';
  }
}

/** The clock stopped advancing, or a run took more steps than allowed. */
export class LivelockError extends SimulationError {
  override name = 'LivelockError';
}

/** An invariant registered with `invariant()` failed after a step. */
export class InvariantError extends SimulationError {
  override name = 'InvariantError';
}

/** A check run after every step: return nothing or true if all is well, false or a message if not (or throw). */
export type Invariant = (sim: Simulation) => void | boolean | string;

/** Which sent datagrams `sent()` returns; every field is optional. */
export interface WireFilter {
  /** Name of the sending node (or the label of an injection). */
  node?: string;
  /** Message type (byte 0). */
  type?: number;
  size?: number;
  /** Inclusive time range. */
  since?: number;
  until?: number;
}

export class Simulation implements SimContext, Scheduler {
  readonly rng: Rng;
  readonly network: Network;
  readonly nodes: SimNode<SimDevice>[] = [];
  /** Every event, if `keepTrace` was set. */
  readonly trace: TraceEvent[] = [];
  now: number;
  /** Steps taken since construction. */
  steps = 0;

  private readonly queue = new EventQueue();
  private readonly keepTrace: boolean;
  private readonly ring: TraceEvent[] = [];
  private readonly ringSize: number;
  private ringPos = 0;
  private readonly listeners: ((e: TraceEvent) => void)[] = [];
  private readonly invariants: { name: string; check: Invariant }[] = [];
  private stall = 0;
  private maxStallSteps: number;
  private stepLimit: number;

  constructor(options: SimulationOptions) {
    this.rng = new Rng(options.seed);
    this.now = options.startTime ?? 0;
    this.keepTrace = options.keepTrace ?? false;
    this.ringSize = options.recent ?? 40;
    this.maxStallSteps = options.maxStallSteps ?? 10_000;
    this.stepLimit = options.maxSteps ?? 10_000_000;
    this.network = new Network(this.rng.fork(), this, () => this.now, (e) => this.record(e), options.link);
  }

  // ------------------------------------------------------------ setup

  /** Adds a node; its Device is built at once unless `down`. Each node gets its own random stream, forked in creation order. */
  addNode<D extends SimDevice>(options: SimNodeOptions<D>): SimNode<D> {
    if (this.nodes.some((n) => n.name === options.name)) throw new Error(`a node named "${options.name}" already exists`);
    const node = new SimNode<D>(this, this.rng.fork(), options);
    this.nodes.push(node);
    return node;
  }

  node(name: string): SimNode<SimDevice> {
    const n = this.nodes.find((x) => x.name === name);
    if (!n) throw new Error(`no node named "${name}" (have: ${this.nodes.map((x) => x.name).join(', ')})`);
    return n;
  }

  /** Calls `fn` for every trace event from now on; returns a function that removes it. */
  onTrace(fn: (e: TraceEvent) => void): () => void {
    this.listeners.push(fn);
    return () => {
      const i = this.listeners.indexOf(fn);
      if (i >= 0) this.listeners.splice(i, 1);
    };
  }

  /** Registers a check run after every step. */
  invariant(name: string, check: Invariant): void {
    this.invariants.push({ name, check });
  }

  // ------------------------------------------------------------ scheduling

  /** Scheduler for the Network: no trace line of its own (the network traces arrivals itself). */
  schedule(at: number, label: string, run: () => void): Handle {
    const e = this.queue.push(at, label, run);
    return { cancel: () => { e.cancelled = true; } };
  }

  /** Runs `fn(now)` at virtual time `t` (or now, if `t` has passed). */
  at(t: number, fn: (now: number) => void, label = 'action'): Handle {
    return this.schedule(Math.max(t, this.now), label, () => {
      this.record({ time: this.now, kind: 'action', detail: label });
      fn(this.now);
    });
  }

  after(dt: number, fn: (now: number) => void, label = 'action'): Handle {
    return this.at(this.now + dt, fn, label);
  }

  /**
   * Runs `fn(now)` every `period` ms, first at `start` (default: now + period),
   * last at or before `until` (default: forever). For telemetry and sampling.
   */
  every(period: number, fn: (now: number) => void, options: { start?: number; until?: number; label?: string } = {}): Handle {
    if (!(period > 0)) throw new Error(`every(): period must be > 0, got ${period}`);
    const label = options.label ?? `every ${period}ms`;
    const until = options.until ?? Infinity;
    let current: Handle | null = null;
    let stopped = false;
    const tick = (now: number): void => {
      if (stopped) return;
      fn(now);
      if (!stopped && now + period <= until) current = this.at(now + period, tick, label);
    };
    const start = options.start ?? this.now + period;
    if (start <= until) current = this.at(start, tick, label);
    return { cancel: () => { stopped = true; current?.cancel(); } };
  }

  /** A datagram from an arbitrary (spoofed) source, sent now. See Network.inject. */
  inject(fromAddress: string, fromPort: number, data: Uint8Array, toAddress: string, toPort: number, label = 'injected'): void {
    this.network.inject(fromAddress, fromPort, data, toAddress, toPort, label);
  }

  // ------------------------------------------------------------ running

  /** When the next step will happen: the earliest arrival, action or Device deadline (Infinity if none). */
  nextTime(): number {
    let t = this.queue.peek()?.at ?? Infinity;
    for (const n of this.nodes) {
      const d = n.pollTimeout();
      if (Number.isNaN(d)) throw this.error(SimulationError, `${n.name}: pollTimeout() returned NaN`);
      if (d < t) t = d;
    }
    return t;
  }

  /**
   * Jumps the clock to the next due time and runs everything due then:
   * agenda entries (arrivals → handleDatagram, actions) in order, then
   * handleTimeout on each node whose deadline has come. Work scheduled for
   * the same instant during this step runs in the next step, so a zero-delay
   * ping-pong shows up as steps without the clock advancing (a livelock)
   * instead of hanging inside one step. Returns false if nothing is left.
   */
  step(): boolean {
    const t = this.nextTime();
    if (t === Infinity) return false;
    if (t > this.now) {
      this.now = t;
      this.stall = 0;
    } else {
      // Due now or overdue (a deadline in the past): it runs at the current time.
      this.stall++;
    }
    this.steps++;
    if (this.stall > this.maxStallSteps) {
      throw this.error(LivelockError, `livelock: ${this.stall} steps without the clock advancing past ${this.now} ms`);
    }
    if (this.steps > this.stepLimit) {
      throw this.error(LivelockError, `step limit exceeded: ${this.steps} steps, clock at ${this.now} ms`);
    }

    const limit = this.queue.nextSeq;
    for (let e = this.queue.peek(); e !== undefined && e.at <= this.now && e.seq < limit; e = this.queue.peek()) {
      this.queue.pop();
      this.guard(e.label, e.run);
    }
    for (const n of this.nodes) {
      if (n.pollTimeout() <= this.now) {
        this.record({ time: this.now, kind: 'timeout', node: n.name });
        this.guard(`${n.name}.handleTimeout`, () => n.handleTimeout(this.now));
      }
    }
    this.checkInvariants();
    return true;
  }

  /** Runs every step due at or before `t`, then sets the clock to `t`. */
  runUntil(t: number): void {
    while (this.nextTime() <= t) this.step();
    if (t > this.now) {
      this.now = t;
      this.stall = 0;
    }
  }

  runFor(dt: number): void {
    this.runUntil(this.now + dt);
  }

  /**
   * Runs until `pred()` holds (checked before the first step and after each)
   * or the clock would pass `deadline`. Returns the time it first held, or null.
   */
  waitFor(pred: () => boolean, deadline: number): number | null {
    if (pred()) return this.now;
    while (this.nextTime() <= deadline) {
      this.step();
      if (pred()) return this.now;
    }
    if (deadline > this.now) this.now = deadline;
    return pred() ? this.now : null;
  }

  /**
   * runUntil(t) with tighter bounds for this run only: at most `maxSteps`
   * steps, and at most `maxStallSteps` consecutive steps at one instant.
   * Throws LivelockError with the recent trace if either is exceeded.
   */
  driveBounded(t: number, bounds: { maxSteps: number; maxStallSteps?: number }): void {
    const savedLimit = this.stepLimit;
    const savedStall = this.maxStallSteps;
    this.stepLimit = Math.min(savedLimit, this.steps + bounds.maxSteps);
    if (bounds.maxStallSteps !== undefined) this.maxStallSteps = bounds.maxStallSteps;
    try {
      this.runUntil(t);
    } finally {
      this.stepLimit = savedLimit;
      this.maxStallSteps = savedStall;
    }
  }

  // ------------------------------------------------------------ tracing

  record(e: TraceEvent): void {
    if (this.keepTrace) this.trace.push(e);
    if (this.ring.length < this.ringSize) this.ring.push(e);
    else this.ring[this.ringPos] = e;
    this.ringPos = (this.ringPos + 1) % this.ringSize;
    for (const fn of this.listeners) fn(e);
  }

  /** The last few trace events, oldest first, formatted. */
  recent(): string[] {
    const n = this.ring.length;
    const out: string[] = [];
    const start = n < this.ringSize ? 0 : this.ringPos;
    for (let i = 0; i < n; i++) out.push(formatTrace(this.ring[(start + i) % n]));
    return out;
  }

  /** The datagrams sent so far that match the filter (needs `keepTrace`). */
  sent(filter: WireFilter = {}): TraceEvent[] {
    if (!this.keepTrace) throw new Error('sent() needs a Simulation created with keepTrace: true');
    return this.trace.filter((e) =>
      e.kind === 'send' &&
      (filter.node === undefined || e.node === filter.node) &&
      (filter.type === undefined || e.type === filter.type) &&
      (filter.size === undefined || e.size === filter.size) &&
      (filter.since === undefined || e.time >= filter.since) &&
      (filter.until === undefined || e.time <= filter.until));
  }

  // ------------------------------------------------------------ internals

  private guard(where: string, fn: () => void): void {
    try {
      fn();
    } catch (err) {
      if (err instanceof SimulationError) throw err;
      const msg = err instanceof Error ? err.message : String(err);
      throw this.error(SimulationError, `${where} threw at t=${this.now} ms: ${msg}`, err);
    }
  }

  private checkInvariants(): void {
    for (const { name, check } of this.invariants) {
      let result: void | boolean | string;
      try {
        result = check(this);
      } catch (err) {
        throw this.error(InvariantError, `invariant "${name}" threw at t=${this.now} ms: ${err instanceof Error ? err.message : String(err)}`, err);
      }
      if (result === false || typeof result === 'string') {
        throw this.error(InvariantError, `invariant "${name}" failed at t=${this.now} ms${typeof result === 'string' ? ': ' + result : ''}`);
      }
    }
  }

  private error<E extends SimulationError>(
    ctor: new (message: string, recent: string[], options?: { cause?: unknown }) => E, message: string, cause?: unknown,
  ): E {
    return new ctor(message, this.recent(), cause === undefined ? undefined : { cause });
  }
}
