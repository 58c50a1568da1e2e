/**
 * `homeward show` as text, laid out like `wg show` (same labels, same time
 * and byte formats) so the output reads the same to people used to wg, plus
 * homeward's own lines: failover groups, and per peer its state (closing and
 * closed included), group role, liveness probes, recovery counters and drops.
 * Counters that are zero are left out, as wg leaves out what never happened.
 */
import type { PeerStatus } from '../../modules/status';
import type { ShowReply } from './endpoint';

/** Formats one endpoint's status; `status` is what its control socket answered. */
export function formatShow(name: string, status: unknown): string {
  const s = status as Partial<ShowReply> & { error?: string };
  if (typeof s !== 'object' || s === null) return `interface: ${name}\n  error: malformed status\n`;
  if (s.error) return `interface: ${name}\n  error: ${s.error}\n`;
  const out: string[] = [`interface: ${name}`];
  out.push(`  public key: ${s.publicKey ?? '(unknown)'}`);
  out.push('  private key: (hidden)');
  if (s.listenPort !== undefined) out.push(`  listening port: ${s.listenPort}`);
  if (s.address) out.push(`  address: ${s.address}`);
  const drops = Object.entries(s.drops ?? {}).filter(([, n]) => n > 0);
  if (drops.length > 0) out.push(`  drops: ${drops.map(([k, n]) => `${k} ${n}`).join(', ')}`);
  if (s.naksSent) out.push(`  naks sent: ${s.naksSent}`);
  for (const [group, key] of Object.entries(s.groups ?? {})) out.push(`  group: ${group}, active peer ${key}`);
  for (const p of s.peers ?? []) out.push('', ...formatPeer(p));
  return out.join('\n') + '\n';
}

function formatPeer(p: PeerStatus): string[] {
  const out = [`peer: ${p.publicKey}`];
  if (p.endpoint) out.push(`  endpoint: ${p.endpoint}`);
  out.push(`  allowed ips: ${p.allowedIps.length ? p.allowedIps.join(', ') : '(none)'}`);
  if (p.lastHandshakeAgoMs !== null) out.push(`  latest handshake: ${formatAgo(p.lastHandshakeAgoMs)}`);
  if (p.rxBytes || p.txBytes) out.push(`  transfer: ${formatBytes(p.rxBytes)} received, ${formatBytes(p.txBytes)} sent`);
  if (p.persistentKeepalive) out.push(`  persistent keepalive: every ${formatDuration(p.persistentKeepalive)}`);
  out.push(`  state: ${p.state}${p.homeward ? ' (homeward peer)' : ''}`);
  // A standby gateway is down by design: say so, or its state reads like a fault.
  if (p.group) out.push(`  group: ${p.group}, ${p.active ? 'active' : 'standby'}`);
  if (p.probesSent || p.probesMissed) out.push(`  probes: ${p.probesSent} sent, ${p.probesMissed} missed`);
  const recovery: string[] = [];
  if (p.naksSent) recovery.push(`${p.naksSent} naks sent`);
  if (p.naksReceived) recovery.push(`${p.naksReceived} naks received`);
  if (p.prodsSent) recovery.push(`${p.prodsSent} prods sent`);
  if (p.prodsReceived) recovery.push(`${p.prodsReceived} prods received`);
  if (p.resent) recovery.push(`${p.resent} resent`);
  if (p.lost) recovery.push(`${p.lost} lost`);
  if (recovery.length) out.push(`  recovery: ${recovery.join(', ')}`);
  const drops = Object.entries(p.drops ?? {}).filter(([, n]) => n > 0);
  if (drops.length > 0) out.push(`  drops: ${drops.map(([k, n]) => `${k} ${n}`).join(', ')}`);
  return out;
}

/** wg's "1 minute, 3 seconds ago" ("Now" under a second). */
export function formatAgo(ms: number): string {
  const seconds = Math.floor(ms / 1000);
  return seconds <= 0 ? 'Now' : `${formatDuration(seconds)} ago`;
}

/** wg's duration: "2 days, 1 hour, 3 seconds". */
export function formatDuration(totalSeconds: number): string {
  const units: [number, string][] = [[365 * 86400, 'year'], [86400, 'day'], [3600, 'hour'], [60, 'minute'], [1, 'second']];
  const parts: string[] = [];
  let left = totalSeconds;
  for (const [size, unit] of units) {
    const n = Math.floor(left / size);
    left -= n * size;
    if (n > 0) parts.push(`${n} ${unit}${n === 1 ? '' : 's'}`);
  }
  return parts.length ? parts.join(', ') : '0 seconds';
}

/** wg's byte counts: "123 B", "1.21 KiB", "4.00 MiB". */
export function formatBytes(n: number): string {
  const units = ['KiB', 'MiB', 'GiB', 'TiB'];
  if (n < 1024) return `${n} B`;
  let v = n;
  let i = -1;
  while (v >= 1024 && i < units.length - 1) {
    v /= 1024;
    i++;
  }
  return `${v.toFixed(2)} ${units[i]}`;
}
