/**
 * The transport replay window (whitepaper §5.4.6), an RFC 6479 bitmap ring.
 *
 * Each received counter is one bit in a ring of u32 blocks. Moving the window
 * forward clears only the blocks it enters, so a packet costs O(1) however far
 * the counter jumps, and nothing is shifted (RFC 6479 §2).
 *
 * Semantics are wireguard-go's `ValidateCounter(counter, RejectAfterMessages)`
 * (replay/replay.go), the same as the kernel's counter_validate:
 * - a counter >= REJECT_AFTER_MESSAGES is refused;
 * - a counter above the greatest seen so far (`last`) is accepted and becomes
 *   `last`;
 * - otherwise it is accepted iff `last - counter <= W` and its bit is clear.
 * A fresh window has `last = 0` and nothing seen, so counter 0 is accepted once.
 *
 * Sizing. wireguard-go uses 128 blocks of 64 bits and W = (128 - 1) * 64 = 8128:
 * the ring holds one block more than the window, because a window of W counters
 * ending anywhere inside a block touches W/blockBits + 1 blocks. Here blocks are
 * u32 (no 64-bit integers on the data path), W is the requested size rounded up
 * to a multiple of 32, and the ring is exactly W/32 + 1 blocks. RFC 6479 §2.1
 * rounds the ring up to a power of two so that a block index is a mask; that
 * would nearly double a gateway's windows (1024 counters: 64 blocks instead of
 * 33, twice per session), and memory is what a gateway is short of, so a
 * block index is a remainder instead. 8128 gives W = 8128 in 255 blocks;
 * 1024 gives W = 1024 in 33 blocks (132 bytes).
 *
 * Storage. A window is `ReplayRing.words` u32 words: the greatest counter
 * seen (lo, hi), then the ring. ReplayRing holds what every window of one
 * size shares and works on a window anywhere in a caller's Uint32Array, so
 * a device keeps all its keypairs' windows in one array and each costs its
 * words and nothing more (on XS a typed array of its own costs 7 heap slots,
 * an object per window more). ReplayWindow is one window with its own words.
 */
import { REJECT_AFTER_MESSAGES_HI, REJECT_AFTER_MESSAGES_LO } from './constants';

const BLOCK_BITS = 32;
const BLOCK_SHIFT = 5;
/** Blocks per 2^32 counters: the block number of (lo, hi) is hi * 2^27 + (lo >>> 5). */
const BLOCKS_PER_HI = 0x8000000;
/** Large enough for any sane configuration; keeps hi * hiStep below 2^53 (exact). */
const MAX_WINDOW = 1 << 24;

/** Where a window's words start: the greatest counter seen, then the ring. */
const LAST_LO = 0;
const LAST_HI = 1;
const RING = 2;

/** The arithmetic of RFC 6479 windows of one size W, over windows stored in a caller's Uint32Array. */
export class ReplayRing {
  /** The effective window W in counters: the requested size rounded up to a multiple of 32. */
  readonly size: number;
  /** Blocks in the ring: W/32 + 1. */
  readonly blocks: number;
  /** u32 words one window takes: (lo, hi) of the greatest counter seen, then the ring. */
  readonly words: number;
  /** 2^27 mod blocks: block number mod blocks is (hi * hiStep + (lo >>> 5)) mod blocks. */
  private readonly hiStep: number;

  /**
   * @param windowSize counters to remember behind the greatest one seen
   *   (1 to 2^24); rounded up to a multiple of 32. Throws RangeError otherwise.
   */
  constructor(windowSize: number) {
    if (!Number.isInteger(windowSize) || windowSize < 1 || windowSize > MAX_WINDOW) {
      throw new RangeError(`replay window must be an integer from 1 to ${MAX_WINDOW}, got ${windowSize}`);
    }
    const windowBlocks = Math.ceil(windowSize / BLOCK_BITS);
    this.size = windowBlocks * BLOCK_BITS;
    this.blocks = windowBlocks + 1;
    this.words = RING + this.blocks;
    this.hiStep = BLOCKS_PER_HI % this.blocks;
  }

  /** The ring slot of counter (lo, hi)'s block. */
  private slot(lo: number, hi: number): number {
    return (hi * this.hiStep + (lo >>> BLOCK_SHIFT)) % this.blocks;
  }

  /** Forgets every counter of the window at w[at, +words): the state of a fresh session. */
  reset(w: Uint32Array, at: number): void {
    w.fill(0, at, at + this.words);
  }

  /**
   * Cheap test before decrypting (STYLE §7: check before, commit after): false
   * if (lo, hi) is >= REJECT_AFTER_MESSAGES, older than the window, or already
   * seen. Records nothing, so a forged packet cannot move the window.
   */
  check(w: Uint32Array, at: number, lo: number, hi: number): boolean {
    if (hi >= REJECT_AFTER_MESSAGES_HI && lo >= REJECT_AFTER_MESSAGES_LO) return false;
    const lastLo = w[at + LAST_LO];
    const lastHi = w[at + LAST_HI];
    // Above `last`: its bit is clear, since a block is cleared when the window
    // enters it and only counters <= last are recorded afterwards.
    if (hi > lastHi || (hi === lastHi && lo > lastLo)) return true;
    if (this.behindTooFar(lastLo, lastHi, lo, hi)) return false;
    return (w[at + RING + this.slot(lo, hi)] & (1 << (lo & (BLOCK_BITS - 1)))) === 0;
  }

  /**
   * Check-and-record, once the packet has authenticated; false if rejected.
   * wireguard-go's ValidateCounter(counter, RejectAfterMessages).
   */
  update(w: Uint32Array, at: number, lo: number, hi: number): boolean {
    if (hi >= REJECT_AFTER_MESSAGES_HI && lo >= REJECT_AFTER_MESSAGES_LO) return false;
    const n = this.blocks;
    const ring = at + RING;
    const lastLo = w[at + LAST_LO];
    const lastHi = w[at + LAST_HI];
    if (hi > lastHi || (hi === lastHi && lo > lastLo)) {
      // Move forward: clear the blocks the window enters, at most the whole ring.
      const current = lastLo >>> BLOCK_SHIFT;
      const target = lo >>> BLOCK_SHIFT;
      let diff: number;
      if (hi === lastHi) diff = target - current;
      else if (hi - lastHi === 1) diff = target + (BLOCKS_PER_HI - current);
      else diff = n;
      if (diff > n) diff = n;
      for (let i = 1, k = this.slot(lastLo, lastHi); i <= diff; i++) {
        k = k + 1 === n ? 0 : k + 1;
        w[ring + k] = 0;
      }
      w[at + LAST_LO] = lo;
      w[at + LAST_HI] = hi;
    } else if (this.behindTooFar(lastLo, lastHi, lo, hi)) {
      return false;
    }
    const index = ring + this.slot(lo, hi);
    const bit = 1 << (lo & (BLOCK_BITS - 1));
    const old = w[index];
    if ((old & bit) !== 0) return false;
    w[index] = old | bit;
    return true;
  }

  /**
   * Copies the window at src[srcAt, +words) into the window of ring `to` at
   * dst[dstAt, +to.words), as far as `to` can hold it (a keypair changing
   * windows, keypair.ts): the same greatest counter, the same bits for the
   * blocks both hold, and every block only `to` holds (it is larger)
   * marked as all seen, since this window no longer knows them. So the copy
   * may refuse a counter the original would have taken, never the reverse.
   * The two windows must not overlap.
   */
  carry(src: Uint32Array, srcAt: number, to: ReplayRing, dst: Uint32Array, dstAt: number): void {
    const lastLo = src[srcAt + LAST_LO];
    const lastHi = src[srcAt + LAST_HI];
    dst[dstAt + LAST_LO] = lastLo;
    dst[dstAt + LAST_HI] = lastHi;
    const fromSlot = this.slot(lastLo, lastHi);
    const toSlot = to.slot(lastLo, lastHi);
    // Block i back from last's block: below block 0 while hi is 0 and i > lo >>> 5 (no counter is there).
    const firstBlock = lastHi === 0 ? lastLo >>> BLOCK_SHIFT : Infinity;
    // Blocks copied as they are: all of this ring's into a window no larger (its own size check
    // refuses what lies beyond it), else all but this ring's oldest, which is only partly inside
    // this window (its counters beyond the window were refused unseen, and a larger one must too).
    const copied = to.size <= this.size ? this.blocks : this.blocks - 1;
    for (let i = 0; i < to.blocks; i++) {
      const t = toSlot - i < 0 ? toSlot - i + to.blocks : toSlot - i;
      let v = 0xffffffff;
      if (i > firstBlock) v = 0;
      else if (i < copied) v = src[srcAt + RING + (fromSlot - i < 0 ? fromSlot - i + this.blocks : fromSlot - i)];
      dst[dstAt + RING + t] = v;
    }
  }

  /** For (lo, hi) <= last: whether last - counter > W. */
  private behindTooFar(lastLo: number, lastHi: number, lo: number, hi: number): boolean {
    const dh = lastHi - hi;
    if (dh === 0) return lastLo - lo > this.size;
    if (dh === 1) return lastLo + (0x100000000 - lo) > this.size;
    return true;
  }
}

/** One RFC 6479 anti-replay window over u64 counters carried as (lo, hi) u32 halves, with its own storage. */
export class ReplayWindow {
  private readonly ring: ReplayRing;
  private readonly w: Uint32Array;

  /** See ReplayRing: 1 to 2^24 counters, rounded up to a multiple of 32; throws RangeError otherwise. */
  constructor(windowSize: number) {
    this.ring = new ReplayRing(windowSize);
    this.w = new Uint32Array(this.ring.words);
  }

  /** The effective window W in counters. */
  get size(): number {
    return this.ring.size;
  }

  reset(): void {
    this.ring.reset(this.w, 0);
  }

  check(lo: number, hi: number): boolean {
    return this.ring.check(this.w, 0, lo, hi);
  }

  update(lo: number, hi: number): boolean {
    return this.ring.update(this.w, 0, lo, hi);
  }
}
