/**
 * The syntax of the forwarding keys, named after ssh's -L and -R:
 *
 * - `LocalForward = [bind:]port -> tunnelIp:port`: a UDP socket on bind:port
 *   (bind defaults to 127.0.0.1); what it receives goes through the tunnel
 *   from Address:port (the local port doubles as the tunnel source port) to
 *   tunnelIp:port, and replies come back to the most recent local sender.
 * - `RemoteForward = port -> host:port`: tunnel UDP for Address:port is handed
 *   to the local service host:port, from one socket per tunnel flow, and the
 *   service's replies go back through the tunnel.
 *
 * Hosts are IPv4 literals or `localhost`; DNS is not consulted for forwards.
 */
import { parseIpv4Address } from '../../modules/ipv4';

export interface LocalForward {
  /** Line in the config file (0 when not from a file). */
  line: number;
  bindAddress: string;
  /** The local UDP port, and the tunnel source port. */
  bindPort: number;
  /** The destination inside the tunnel, as a u32 and as written. */
  targetIp: number;
  targetPort: number;
  target: string;
}

export interface RemoteForward {
  line: number;
  /** The UDP port on our tunnel Address. */
  port: number;
  /** The local service. */
  targetHost: string;
  targetPort: number;
}

const ARROW = /^(.*?)\s*->\s*(.*)$/;

/** Parses the value of a LocalForward key; a string is the error message. */
export function parseForwardLocal(value: string): LocalForward | string {
  const usage = 'expected "[bind-address:]port -> tunnel-ip:port", e.g. "127.0.0.1:7000 -> 10.100.0.1:7000"';
  const m = ARROW.exec(value);
  if (!m) return `${usage}, got "${value}"`;
  const local = splitHostPort(m[1], '127.0.0.1');
  if (typeof local === 'string') return `local side: ${local}; ${usage}`;
  const remote = splitHostPort(m[2], null);
  if (typeof remote === 'string') return `tunnel side: ${remote}; ${usage}`;
  let targetIp: number;
  try {
    targetIp = parseIpv4Address(remote.host);
  } catch {
    return `tunnel side: "${remote.host}" is not an IPv4 address; ${usage}`;
  }
  return {
    line: 0, bindAddress: local.host, bindPort: local.port,
    targetIp, targetPort: remote.port, target: `${remote.host}:${remote.port}`,
  };
}

/** Parses the value of a RemoteForward key; a string is the error message. */
export function parseForwardRemote(value: string): RemoteForward | string {
  const usage = 'expected "port -> local-address:port", e.g. "7000 -> 127.0.0.1:7100"';
  const m = ARROW.exec(value);
  if (!m) return `${usage}, got "${value}"`;
  const port = parsePort(m[1]);
  if (port < 0) return `tunnel side: expected a port number 1-65535, got "${m[1]}"; ${usage}`;
  const target = splitHostPort(m[2], null);
  if (typeof target === 'string') return `local side: ${target}; ${usage}`;
  return { line: 0, port, targetHost: target.host, targetPort: target.port };
}

/** `host:port` or, when `defaultHost` is given, a bare `port`. `localhost` means 127.0.0.1. */
function splitHostPort(s: string, defaultHost: string | null): { host: string; port: number } | string {
  const colon = s.lastIndexOf(':');
  if (colon < 0) {
    if (defaultHost === null) return `expected address:port, got "${s}"`;
    const port = parsePort(s);
    return port < 0 ? `expected a port number 1-65535, got "${s}"` : { host: defaultHost, port };
  }
  let host = s.slice(0, colon).trim();
  const port = parsePort(s.slice(colon + 1).trim());
  if (port < 0) return `expected a port number 1-65535, got "${s.slice(colon + 1)}"`;
  if (host.toLowerCase() === 'localhost') host = '127.0.0.1';
  if (host.includes(':') || host.startsWith('[')) return 'IPv6 addresses are not supported';
  try {
    parseIpv4Address(host);
  } catch {
    return `"${host}" is not an IPv4 address`;
  }
  return { host, port };
}

function parsePort(s: string): number {
  if (!/^\d{1,5}$/.test(s)) return -1;
  const n = Number(s);
  return n >= 1 && n <= 65535 ? n : -1;
}
