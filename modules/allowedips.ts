/**
 * Cryptokey routing (whitepaper §2): the table from IPv4 prefixes to peers.
 * Outgoing, the longest prefix that contains the destination picks the peer;
 * incoming, a decrypted packet is accepted only if the longest prefix that
 * contains its source belongs to the peer that sent it.
 *
 * Structure: the prefixes in one open-addressing hash table keyed by
 * (masked address, length), plus the list of prefix lengths in use, longest
 * first. A lookup masks the address for each length in use and probes once per
 * length: at most 33 short probes, no allocation, whatever the table size. The
 * table is sized at construction (load <= 1/2), so memory never grows.
 *
 * As in wg(8), a prefix is normalised by clearing its host bits, and inserting
 * a prefix that is already present moves it to the new peer.
 */
import type { Cidr } from './config';
import { prefixMask } from './ipv4';

/** Prefix lengths 0..32. */
const LENGTHS = 33;

/** A longest-prefix-match table of IPv4 prefixes to peer indices, of fixed capacity. */
export class AllowedIps {
  /** How many prefixes fit. */
  readonly capacity: number;
  private count = 0;
  // Entries, in insertion order (entries() reports them in that order).
  private readonly ips: Uint32Array;
  private readonly bits: Uint8Array;
  private readonly peers: Int32Array;
  /** Open addressing, linear probing: entry index + 1, or 0 for empty. */
  private readonly table: Int32Array;
  private readonly tableMask: number;
  /** Netmask per prefix length. */
  private readonly masks = new Uint32Array(LENGTHS);
  /** Entries per prefix length. */
  private readonly perLength = new Int32Array(LENGTHS);
  /** The lengths in use, longest first: the only ones a lookup probes. */
  private readonly lengths = new Uint8Array(LENGTHS);
  private lengthCount = 0;

  /** @param capacity the most prefixes the table will hold (a non-negative integer). */
  constructor(capacity: number) {
    if (!Number.isInteger(capacity) || capacity < 0 || capacity > 1 << 24) {
      throw new RangeError(`AllowedIps capacity must be an integer from 0 to ${1 << 24}, got ${capacity}`);
    }
    this.capacity = capacity;
    this.ips = new Uint32Array(capacity);
    this.bits = new Uint8Array(capacity);
    this.peers = new Int32Array(capacity);
    let size = 2;
    while (size < capacity * 2) size *= 2;
    this.table = new Int32Array(size);
    this.tableMask = size - 1;
    for (let b = 0; b < LENGTHS; b++) this.masks[b] = prefixMask(b);
  }

  /** How many prefixes the table holds. */
  get size(): number {
    return this.count;
  }

  /**
   * Routes `cidr` (host bits cleared) to `peer`. A prefix already present is
   * moved to `peer`. Throws on an invalid prefix or peer, or when full.
   */
  insert(cidr: Cidr, peer: number): void {
    const bits = cidr.bits;
    if (!Number.isInteger(bits) || bits < 0 || bits > 32) throw new RangeError(`invalid prefix length ${bits}`);
    if (!Number.isInteger(cidr.ip) || cidr.ip < 0 || cidr.ip > 0xffffffff) throw new RangeError(`invalid IPv4 address ${cidr.ip}`);
    if (!Number.isInteger(peer) || peer < 0 || peer > 0x7fffffff) throw new RangeError(`invalid peer index ${peer}`);
    const ip = (cidr.ip & this.masks[bits]) >>> 0;
    const found = this.find(ip, bits);
    if (found >= 0) {
      this.peers[found] = peer;
      return;
    }
    if (this.count >= this.capacity) {
      throw new Error(`AllowedIps is full (capacity ${this.capacity}): raise the route capacity to add more prefixes`);
    }
    const e = this.count++;
    this.ips[e] = ip;
    this.bits[e] = bits;
    this.peers[e] = peer;
    this.place(e);
    if (this.perLength[bits]++ === 0) this.rebuildLengths();
  }

  /**
   * The peer whose longest prefix contains `ip`, or -1. Per packet: no
   * allocation, at most one short probe per prefix length in use.
   */
  lookup(ip: number): number {
    const table = this.table;
    const tableMask = this.tableMask;
    for (let k = 0; k < this.lengthCount; k++) {
      const bits = this.lengths[k];
      const key = (ip & this.masks[bits]) >>> 0;
      for (let h = slotOf(key, bits) & tableMask; ; h = (h + 1) & tableMask) {
        const e = table[h] - 1;
        if (e < 0) break;
        if (this.ips[e] === key && this.bits[e] === bits) return this.peers[e];
      }
    }
    return -1;
  }

  /** Removes every prefix of `peer` (configuration time: rebuilds the table). */
  removePeer(peer: number): void {
    let kept = 0;
    for (let e = 0; e < this.count; e++) {
      if (this.peers[e] === peer) continue;
      this.ips[kept] = this.ips[e];
      this.bits[kept] = this.bits[e];
      this.peers[kept] = this.peers[e];
      kept++;
    }
    if (kept === this.count) return;
    this.count = kept;
    this.table.fill(0);
    this.perLength.fill(0);
    for (let e = 0; e < kept; e++) {
      this.place(e);
      this.perLength[this.bits[e]]++;
    }
    this.rebuildLengths();
  }

  /** The (normalised) prefixes routed to `peer`, in insertion order. */
  entries(peer: number): Cidr[] {
    const out: Cidr[] = [];
    for (let e = 0; e < this.count; e++) {
      if (this.peers[e] === peer) out.push({ ip: this.ips[e], bits: this.bits[e] });
    }
    return out;
  }

  /** The entry holding exactly (ip, bits), or -1. */
  private find(ip: number, bits: number): number {
    const tableMask = this.tableMask;
    for (let h = slotOf(ip, bits) & tableMask; ; h = (h + 1) & tableMask) {
      const e = this.table[h] - 1;
      if (e < 0) return -1;
      if (this.ips[e] === ip && this.bits[e] === bits) return e;
    }
  }

  /** Puts entry e into the hash table; the load stays <= 1/2, so a free slot exists. */
  private place(e: number): void {
    const tableMask = this.tableMask;
    let h = slotOf(this.ips[e], this.bits[e]) & tableMask;
    while (this.table[h] !== 0) h = (h + 1) & tableMask;
    this.table[h] = e + 1;
  }

  private rebuildLengths(): void {
    let n = 0;
    for (let b = 32; b >= 0; b--) if (this.perLength[b] > 0) this.lengths[n++] = b;
    this.lengthCount = n;
  }
}

/**
 * A well-mixed 32-bit hash of (prefix, length): a murmur3-style finaliser, so
 * adjacent prefixes do not cluster under linear probing.
 */
function slotOf(ip: number, bits: number): number {
  let h = ip ^ Math.imul(bits + 1, 0x9e3779b1);
  h = Math.imul(h ^ (h >>> 16), 0x85ebca6b);
  h = Math.imul(h ^ (h >>> 13), 0xc2b2ae35);
  return (h ^ (h >>> 16)) >>> 0;
}
