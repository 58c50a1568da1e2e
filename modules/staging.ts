/**
 * Packets waiting for a session (wireguard-go's staged queue), for every
 * peer of a device in one byte ring allocated at start.
 *
 * Why not an array of copies per peer: staging is the data path of a peer
 * whose home end is away, and a copy per packet would grow the heap while
 * the outage lasts (32 packets of 1420 B are 45 KB per peer on a device with
 * a heap of tens of KB). Here staging never allocates, and what it can hold
 * is fixed by a byte budget and a number of records.
 *
 * Layout. Packet bytes sit in the ring in the order they were staged; each
 * has a record (peer, offset, length, and its neighbours in its peer's
 * queue), the records taken in the same circular order. A peer's queue is a
 * doubly linked list through its records, so packets leave in queue order
 * whatever order they were staged in (resent packets go in front). Taking a
 * packet out leaves a hole that is reclaimed once everything staged before
 * it is gone too. When the budget or the records run out, the packet staged
 * longest ago makes room (it is dropped and reported), whoever it was for.
 * On a gateway (budget and records below 2^16) the records are u16: 10
 * bytes each.
 */

/** A record's fields, in its stride of the records array. */
const PEER = 0;
const AT = 1;
const LEN = 2;
const PREV = 3;
const NEXT = 4;
const STRIDE = 5;

export class Staging {
  private readonly data: Uint8Array;
  /** STRIDE numbers per record; PEER is `none` for a free record. */
  private readonly rec: Uint16Array | Int32Array;
  private readonly first: Uint16Array | Int32Array;
  private readonly last: Uint16Array | Int32Array;
  private readonly counts: Int32Array;
  /** "No record" and "no peer": the largest u16 in small rings, else -1. */
  private readonly none: number;
  private readonly records: number;
  /** The record staged longest ago (live whenever `allocated` > 0), and records from it on (live or holes). */
  private oldest = 0;
  private allocated = 0;
  /** Where the bytes of the next packet go, and whether the newest bytes have wrapped around below the oldest. */
  private end = 0;
  private wrapped = false;
  /** Where pushFront inserts: after this record, or at the head when `none`. */
  private cursor: number;

  /**
   * @param budget bytes of packets held at most
   * @param records packets held at most
   * @param peers peer indices are 0 to peers - 1
   * @param dropped told of every packet that makes room for another or does not fit at all
   */
  constructor(budget: number, records: number, peers: number, private readonly dropped: (peer: number) => void) {
    this.data = new Uint8Array(Math.max(0, budget));
    this.records = Math.max(1, records);
    const small = this.data.length < 0xffff && this.records < 0xffff && peers < 0xffff;
    this.none = small ? 0xffff : -1;
    const table = (n: number) => (small ? new Uint16Array(n) : new Int32Array(n)).fill(this.none);
    this.rec = table(this.records * STRIDE);
    this.first = table(peers);
    this.last = table(peers);
    this.counts = new Int32Array(peers);
    this.cursor = this.none;
  }

  /** Packets staged for `peer`. */
  count(peer: number): number {
    return this.counts[peer];
  }

  /** Stages src[off, off+len) at the back of `peer`'s queue. */
  push(peer: number, src: Uint8Array, off: number, len: number): void {
    const r = this.store(peer, src, off, len);
    if (r !== this.none) this.link(peer, r, this.last[peer], this.none);
  }

  /** Starts a run of pushFront calls: the first goes to the head of the queue, each next one after the one before. */
  beginFront(): void {
    this.cursor = this.none;
  }

  /** Stages src[off, off+len) in front of what was staged before the run began (see beginFront). */
  pushFront(peer: number, src: Uint8Array, off: number, len: number): void {
    // Storing may evict the cursor's record: then the run goes on from the head.
    const r = this.store(peer, src, off, len);
    if (r === this.none) return;
    const c = this.cursor !== this.none && this.rec[this.cursor * STRIDE + PEER] === peer ? this.cursor : this.none;
    this.link(peer, r, c, c === this.none ? this.first[peer] : this.rec[c * STRIDE + NEXT]);
    this.cursor = r;
  }

  /** Takes the packet at the head of `peer`'s queue into out[outOff..); its length, or -1 when the queue is empty. */
  shift(peer: number, out: Uint8Array, outOff: number): number {
    const r = this.first[peer];
    if (r === this.none) return -1;
    const rec = this.rec;
    const at = rec[r * STRIDE + AT];
    const len = rec[r * STRIDE + LEN];
    const data = this.data;
    for (let i = 0; i < len; i++) out[outOff + i] = data[at + i];
    this.free(r);
    return len;
  }

  /** Drops the packet at the head of `peer`'s queue (its oldest); false when there is none. */
  dropFirst(peer: number): boolean {
    const r = this.first[peer];
    if (r === this.none) return false;
    this.free(r);
    return true;
  }

  /** Drops everything staged for `peer`; how many packets that was. */
  clear(peer: number): number {
    const n = this.counts[peer];
    while (this.first[peer] !== this.none) this.free(this.first[peer]);
    return n;
  }

  /**
   * Moves `from`'s queue to the back of `to`'s, in order. Past `limit`
   * packets in `to`'s queue, the rest of `from`'s are dropped and reported.
   */
  move(from: number, to: number, limit: number): void {
    const rec = this.rec;
    while (this.first[from] !== this.none) {
      const r = this.first[from];
      if (this.counts[to] >= limit) {
        this.free(r);
        this.dropped(from);
        continue;
      }
      this.unlink(r);
      rec[r * STRIDE + PEER] = to;
      this.link(to, r, this.last[to], this.none);
    }
  }

  // ---------------------------------------------------------------- records and bytes

  /** Copies a packet into the ring and gives it a record (not yet in any queue); `none` if it cannot be held at all. */
  private store(peer: number, src: Uint8Array, off: number, len: number): number {
    if (len > this.data.length) {
      this.dropped(peer);
      return this.none;
    }
    let at = this.place(len);
    while (at < 0 || this.allocated === this.records) {
      this.evictOldest();
      at = this.place(len);
    }
    const r = (this.oldest + this.allocated) % this.records;
    if (this.allocated === 0) this.oldest = r;
    this.allocated++;
    const rec = this.rec;
    rec[r * STRIDE + PEER] = peer;
    rec[r * STRIDE + AT] = at;
    rec[r * STRIDE + LEN] = len;
    rec[r * STRIDE + PREV] = this.none;
    rec[r * STRIDE + NEXT] = this.none;
    const data = this.data;
    for (let i = 0; i < len; i++) data[at + i] = src[off + i];
    if (at < this.end) this.wrapped = true;
    this.end = at + len;
    return r;
  }

  /** Where `len` contiguous free bytes are, or -1 if something must be evicted first. */
  private place(len: number): number {
    if (this.allocated === 0) {
      this.end = 0;
      this.wrapped = false;
      return 0;
    }
    const start = this.rec[this.oldest * STRIDE + AT];
    if (this.wrapped) return start - this.end >= len ? this.end : -1;
    if (this.data.length - this.end >= len) return this.end;
    return start >= len ? 0 : -1;
  }

  private evictOldest(): void {
    const r = this.oldest;
    const peer = this.rec[r * STRIDE + PEER];
    this.free(r);
    this.dropped(peer);
  }

  /** Unlinks a live record from its queue and frees it; reclaims the holes at the old end of the ring. */
  private free(r: number): void {
    const rec = this.rec;
    this.unlink(r);
    rec[r * STRIDE + PEER] = this.none;
    if (this.cursor === r) this.cursor = this.none;
    while (this.allocated > 0 && rec[this.oldest * STRIDE + PEER] === this.none) {
      const was = rec[this.oldest * STRIDE + AT];
      this.oldest = (this.oldest + 1) % this.records;
      this.allocated--;
      // Bytes go in ascending order except at the one point where they wrapped to 0.
      if (this.allocated > 0 && rec[this.oldest * STRIDE + AT] < was) this.wrapped = false;
    }
  }

  private link(peer: number, r: number, prev: number, next: number): void {
    const rec = this.rec;
    rec[r * STRIDE + PREV] = prev;
    rec[r * STRIDE + NEXT] = next;
    if (prev === this.none) this.first[peer] = r;
    else rec[prev * STRIDE + NEXT] = r;
    if (next === this.none) this.last[peer] = r;
    else rec[next * STRIDE + PREV] = r;
    this.counts[peer]++;
  }

  private unlink(r: number): void {
    const rec = this.rec;
    const peer = rec[r * STRIDE + PEER];
    const prev = rec[r * STRIDE + PREV];
    const next = rec[r * STRIDE + NEXT];
    if (prev === this.none) this.first[peer] = next;
    else rec[prev * STRIDE + NEXT] = next;
    if (next === this.none) this.last[peer] = prev;
    else rec[next * STRIDE + PREV] = prev;
    this.counts[peer]--;
  }
}
