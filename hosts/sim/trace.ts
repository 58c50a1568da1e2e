/**
 * What the simulator records: one TraceEvent per datagram sent, dropped or
 * delivered, per Device event, per tunnel delivery and per lifecycle change.
 * The formatted text of a run's trace is what the determinism tests compare,
 * and the tail of it is what a livelock or invariant failure prints.
 */

export type TraceKind =
  /** A datagram left a node (or was injected): it may still be lost. */
  | 'send'
  /** A datagram reached a live node's socket. */
  | 'arrive'
  /** A datagram did not arrive; `reason` says why (loss, partition, unreachable, dead, stale). */
  | 'drop'
  /** A second copy of a datagram was made by the network. */
  | 'duplicate'
  /** A DeviceEvent was emitted. */
  | 'event'
  /** The Device delivered a UDP payload from the tunnel. */
  | 'udp'
  /** The simulation called handleTimeout on a node. */
  | 'timeout'
  /** A scheduled scenario action ran. */
  | 'action'
  /** Node lifecycle: kill, restart, move; network: partition, heal. */
  | 'kill'
  | 'restart'
  | 'move'
  | 'partition'
  | 'heal';

export interface TraceEvent {
  /** Virtual time in ms. */
  time: number;
  kind: TraceKind;
  /** The node concerned (the sender for 'send'; the receiver for 'arrive'). */
  node?: string;
  /** "address:port" of the datagram's source and destination. */
  from?: string;
  to?: string;
  /** Datagram length in bytes. */
  size?: number;
  /** Byte 0 of the datagram: the WireGuard message type (1–4) or an extension (5, 6). */
  type?: number;
  reason?: string;
  detail?: string;
  /**
   * The datagram as it was sent (a private copy; never handed to a Device, so
   * it stays intact even though Devices decrypt in place). Lets scenarios
   * capture packets to replay them.
   */
  data?: Uint8Array;
}

/** Names of the WireGuard message types, for readable traces. */
const TYPE_NAMES: Record<number, string> = { 1: 'init', 2: 'resp', 3: 'cookie', 4: 'data', 5: 'nak', 6: 'prod' };

/** The message type of a datagram: byte 0, or -1 for an empty one. */
export function datagramType(data: Uint8Array, len = data.length): number {
  return len > 0 ? data[0] : -1;
}

/** One line per event; stable across runs, so equal seeds give equal text. */
export function formatTrace(e: TraceEvent): string {
  let s = `${e.time.toFixed(3).padStart(12)} ${e.kind.padEnd(9)}`;
  if (e.node !== undefined) s += ` ${e.node}`;
  if (e.from !== undefined || e.to !== undefined) s += ` ${e.from ?? '?'} -> ${e.to ?? '?'}`;
  if (e.type !== undefined) s += ` ${TYPE_NAMES[e.type] ?? `type${e.type}`}`;
  if (e.size !== undefined) s += ` ${e.size}B`;
  if (e.reason !== undefined) s += ` (${e.reason})`;
  if (e.detail !== undefined) s += ` ${e.detail}`;
  return s;
}
