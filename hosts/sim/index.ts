/**
 * hosts/sim: a deterministic, seeded network and virtual clock for running
 * Devices (real or fake) through latency, loss, duplication, reordering,
 * partitions, roaming and restarts.
 */
export { Rng } from './rng';
export { EventQueue, type Handle, type Scheduler } from './queue';
export { Network, DEFAULT_LINK, type LinkSettings, type NetEndpoint, type NodeCounters } from './network';
export { SimNode, type SimDevice, type SimNodeOptions, type Delivery, type RecordedEvent } from './node';
export {
  Simulation, SimulationError, LivelockError, InvariantError,
  type SimulationOptions, type Invariant, type WireFilter,
} from './simulation';
export { formatTrace, datagramType, type TraceEvent, type TraceKind } from './trace';
export { MemoryStore } from './store';
export { handshakesBound, indexEntries } from './inspect';
export { ipv4, formatIpv4, cidr } from './addr';
export { buildPair, makeKeyPair, peerConfig, deviceFactory, PAIR, type Pair, type PairOptions, type KeyPair } from './pair';
