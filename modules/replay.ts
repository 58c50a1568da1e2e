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
 * to a multiple of 32, and the ring is the smallest power of two of at least
 * W/32 + 1 blocks, so a block index is a mask of the counter's low half
 * (RFC 6479 §2.1). 8128 gives W = 8128 in 256 u32 blocks: exactly wireguard-go's
 * window and bitmap size; 1024 gives W = 1024 in 64 blocks (256 bytes).
 */
import { REJECT_AFTER_MESSAGES_HI, REJECT_AFTER_MESSAGES_LO } from './constants';

const BLOCK_BITS = 32;
const BLOCK_SHIFT = 5;
/** Blocks per 2^32 counters: the block index of (lo, hi) is hi * 2^27 + (lo >>> 5). */
const BLOCKS_PER_HI = 0x8000000;
/** Large enough for any sane configuration; keeps the ring a divisor of 2^27. */
const MAX_WINDOW = 1 << 24;

/** RFC 6479 anti-replay window over u64 counters carried as (lo, hi) u32 halves. */
export class ReplayWindow {
  /** The effective window W in counters: the requested size rounded up to a multiple of 32. */
  readonly size: number;
  private readonly ring: Uint32Array;
  /** ring.length - 1; the ring length is a power of two. */
  private readonly mask: number;
  private lastLo = 0;
  private lastHi = 0;

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
    let blocks = 1;
    while (blocks < windowBlocks + 1) blocks *= 2;
    this.ring = new Uint32Array(blocks);
    this.mask = blocks - 1;
  }

  /** Forgets every counter: the state of a fresh session. */
  reset(): void {
    this.lastLo = 0;
    this.lastHi = 0;
    this.ring.fill(0);
  }

  /**
   * Cheap test before decrypting (STYLE §7: check before, commit after): false
   * if (lo, hi) is >= REJECT_AFTER_MESSAGES, older than the window, or already
   * seen. Records nothing, so a forged packet cannot move the window.
   */
  check(lo: number, hi: number): boolean {
    if (hi >= REJECT_AFTER_MESSAGES_HI && lo >= REJECT_AFTER_MESSAGES_LO) return false;
    // Above `last`: its bit is clear, since a block is cleared when the window
    // enters it and only counters <= last are recorded afterwards.
    if (hi > this.lastHi || (hi === this.lastHi && lo > this.lastLo)) return true;
    if (this.behindTooFar(lo, hi)) return false;
    return (this.ring[(lo >>> BLOCK_SHIFT) & this.mask] & (1 << (lo & (BLOCK_BITS - 1)))) === 0;
  }

  /**
   * Check-and-record, once the packet has authenticated; false if rejected.
   * wireguard-go's ValidateCounter(counter, RejectAfterMessages).
   */
  update(lo: number, hi: number): boolean {
    if (hi >= REJECT_AFTER_MESSAGES_HI && lo >= REJECT_AFTER_MESSAGES_LO) return false;
    const ring = this.ring;
    const mask = this.mask;
    if (hi > this.lastHi || (hi === this.lastHi && lo > this.lastLo)) {
      // Move forward: clear the blocks the window enters, at most the whole ring.
      const current = this.lastLo >>> BLOCK_SHIFT;
      const target = lo >>> BLOCK_SHIFT;
      let diff: number;
      if (hi === this.lastHi) diff = target - current;
      else if (hi - this.lastHi === 1) diff = target + (BLOCKS_PER_HI - current);
      else diff = ring.length;
      if (diff > ring.length) diff = ring.length;
      // The ring length divides 2^27, so masking the low half's block number is
      // the same as masking the full 59-bit block index.
      for (let i = 1; i <= diff; i++) ring[(current + i) & mask] = 0;
      this.lastLo = lo;
      this.lastHi = hi;
    } else if (this.behindTooFar(lo, hi)) {
      return false;
    }
    const index = (lo >>> BLOCK_SHIFT) & mask;
    const bit = 1 << (lo & (BLOCK_BITS - 1));
    const old = ring[index];
    if ((old & bit) !== 0) return false;
    ring[index] = old | bit;
    return true;
  }

  /** For (lo, hi) <= last: whether last - counter > W. */
  private behindTooFar(lo: number, hi: number): boolean {
    const dh = this.lastHi - hi;
    if (dh === 0) return this.lastLo - lo > this.size;
    if (dh === 1) return this.lastLo + (0x100000000 - lo) > this.size;
    return true;
  }
}
