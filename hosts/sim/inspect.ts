/**
 * What a Device holds that its status does not show, for the simulator's
 * checks on memory: they read the core's internals by name, and throw when
 * those change rather than pass on an undefined.
 */
import type { Device } from '../../modules/device';

interface Internals {
  sessions?: { liveIndices?: () => number; handshakes?: { bound?: number } };
}

/** Receiver indices that name something (handshakes in flight and live keypairs): the state a handshake creates. */
export function indexEntries(device: Device): number {
  const sessions = (device as unknown as Internals).sessions;
  if (typeof sessions?.liveIndices !== 'function') throw new Error('Device internals changed: sessions.liveIndices not found (update indexEntries)');
  return sessions.liveIndices();
}

/** Pooled handshakes bound to a peer (exchanges in flight). */
export function handshakesBound(device: Device): number {
  const bound = (device as unknown as Internals).sessions?.handshakes?.bound;
  if (typeof bound !== 'number') throw new Error('Device internals changed: sessions.handshakes.bound not found (update handshakesBound)');
  return bound;
}
