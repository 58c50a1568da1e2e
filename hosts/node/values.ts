/**
 * Parsers for single config values (numbers, lists, endpoints, addresses),
 * shared by config.ts. Each returns a value or a sentinel (-1, null, or an
 * error string) instead of throwing, so the config parser can collect every
 * problem of a file before reporting.
 */
import { networkInterfaces } from 'node:os';
import type { Cidr } from '../../modules/config';
import { parseCidr, parseIpv4Address } from '../../modules/ipv4';

/** A decimal integer 0..max, or -1. */
export function parseUint(s: string, max: number): number {
  if (!/^\d{1,10}$/.test(s)) return -1;
  const n = Number(s);
  return n <= max ? n : -1;
}

/** Whole seconds min..max, or -1; with `off`, the word "off" (any case) means 0. */
export function parseSeconds(s: string, min: number, max: number, off: boolean): number {
  if (off && s.toLowerCase() === 'off') return 0;
  const n = parseUint(s, max);
  return n >= min ? n : -1;
}

/** on/off (also true/false, yes/no, 1/0), case-insensitive; null for anything else. */
export function parseBool(s: string): boolean | null {
  const v = s.toLowerCase();
  if (v === 'on' || v === 'true' || v === 'yes' || v === '1') return true;
  if (v === 'off' || v === 'false' || v === 'no' || v === '0') return false;
  return null;
}

/** A wg-style comma list, items trimmed, empty items dropped. */
export function splitList(value: string): string[] {
  return value.split(',').map((s) => s.trim()).filter((s) => s !== '');
}

/** An IPv4 address with optional /prefix (host bits kept), or null. */
export function parseCidrOrNull(s: string): Cidr | null {
  try { return parseCidr(s); } catch { return null; }
}

/** A bare IPv4 address (no /prefix) as an unsigned 32-bit number, or null. */
export function parseIpv4OrNull(s: string): number | null {
  try { return parseIpv4Address(s); } catch { return null; }
}

/** `host:port`; host an IPv4 literal (`literal`) or a DNS name. A string is the error. */
export function parseEndpoint(value: string): { host: string; port: number; literal: boolean } | string {
  if (value.startsWith('[')) return 'IPv6 endpoints are not supported (the tunnel runs over UDP/IPv4)';
  const colon = value.lastIndexOf(':');
  if (colon <= 0) return `expected host:port (e.g. 203.0.113.1:51820 or home.example.org:51820), got "${value}"`;
  const host = value.slice(0, colon);
  const port = parseUint(value.slice(colon + 1), 65535);
  if (port < 1) return `expected a port number 1-65535 after the colon, got "${value.slice(colon + 1)}"`;
  if (host.includes(':')) return 'IPv6 endpoints are not supported (the tunnel runs over UDP/IPv4)';
  if (/^[\d.]+$/.test(host)) {
    try { parseIpv4Address(host); } catch { return `"${host}" is not a valid IPv4 address`; }
    return { host, port, literal: true };
  }
  if (!isHostname(host)) return `"${host}" is neither an IPv4 address nor a valid DNS name`;
  return { host, port, literal: false };
}

function isHostname(s: string): boolean {
  if (s.length > 253) return false;
  return s.replace(/\.$/, '').split('.').every((l) => /^[A-Za-z0-9_](?:[A-Za-z0-9_-]{0,61}[A-Za-z0-9_])?$/.test(l));
}

/**
 * Whether a socket can bind to this IPv4 address here: the wildcard, any
 * loopback address (Linux answers the whole 127/8 on lo), or an address of
 * one of the machine's interfaces.
 */
export function isLocalAddress(ip: string): boolean {
  if (ip === '0.0.0.0' || ip.startsWith('127.')) return true;
  for (const list of Object.values(networkInterfaces())) {
    for (const a of list ?? []) if (a.family === 'IPv4' && a.address === ip) return true;
  }
  return false;
}
