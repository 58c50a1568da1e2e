/**
 * Dotted-quad helpers for scenarios: the core carries IPv4 addresses as
 * unsigned 32-bit numbers (config.ts `Cidr`), scenarios prefer to write text.
 */
import type { Cidr } from '../../modules/config';

/** "10.0.0.1" → 0x0a000001. Throws on anything that is not four decimal octets. */
export function ipv4(text: string): number {
  const parts = text.split('.');
  if (parts.length !== 4) throw new Error(`not an IPv4 address: "${text}"`);
  let n = 0;
  for (const p of parts) {
    const v = Number(p);
    if (!/^\d{1,3}$/.test(p) || v > 255) throw new Error(`not an IPv4 address: "${text}"`);
    n = n * 256 + v;
  }
  return n;
}

/** 0x0a000001 → "10.0.0.1". */
export function formatIpv4(n: number): string {
  return `${n >>> 24}.${(n >>> 16) & 0xff}.${(n >>> 8) & 0xff}.${n & 0xff}`;
}

/** "10.100.0.0/24" → { ip, bits }; a bare address is a /32. */
export function cidr(text: string): Cidr {
  const [ip, bits = '32'] = text.split('/');
  const b = Number(bits);
  if (!/^\d{1,2}$/.test(bits) || b > 32) throw new Error(`bad prefix length in "${text}"`);
  return { ip: ipv4(ip), bits: b };
}
