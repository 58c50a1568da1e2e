/**
 * DNS for peer endpoints. The core only takes literal addresses, so names
 * from the config are resolved here: all of them at `up` (a name that does
 * not resolve stops the start, as with wg-quick), and one again later when
 * its peer's handshakes give up (as wireguard-tools' reresolve-dns.sh does),
 * its session dies or its failover group moves (endpoint.ts RERESOLVE_ON),
 * since a dynamic-DNS home address may have moved.
 */
import { lookup } from 'node:dns/promises';
import type { EndpointName, NodeConfig } from './config';

/** Resolves `host` to one IPv4 address (the system resolver's first, as wg does). */
export async function resolveIpv4(host: string): Promise<string> {
  const r = await lookup(host, { family: 4 });
  return r.address;
}

/**
 * Fills in the endpoint of every peer whose Endpoint is a DNS name. Throws an
 * Error naming `file:line: Endpoint:` and every name that failed; the config
 * is left untouched in that case, so nothing is half-applied.
 */
export async function resolveEndpoints(cfg: NodeConfig, resolve: (host: string) => Promise<string> = resolveIpv4): Promise<void> {
  const results = await Promise.all(cfg.endpointNames.map(async (n) => {
    try {
      return { n, address: await resolve(n.host), error: '' };
    } catch (e) {
      return { n, address: '', error: (e as NodeJS.ErrnoException).code ?? (e as Error).message };
    }
  }));
  const failed = results.filter((r) => r.error !== '');
  if (failed.length > 0) {
    throw new Error(failed.map((r) => `${cfg.file}:${r.n.line}: Endpoint: cannot resolve "${r.n.host}" to an IPv4 address (${r.error})`).join('\n'));
  }
  for (const r of results) cfg.device.peers[r.n.peer].endpoint = { address: r.address, port: r.n.port };
}

/** The DNS name configured for peer `peer`, if its Endpoint was one. */
export function endpointName(cfg: NodeConfig, peer: number): EndpointName | undefined {
  return cfg.endpointNames.find((n) => n.peer === peer);
}
