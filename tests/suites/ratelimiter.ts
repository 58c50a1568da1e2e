/**
 * Token buckets: burst then rate, exact integer-millisecond refills, a clock
 * going back, per-source isolation in a fixed table, and the eviction floor
 * that keeps a displaced source from coming back with a fresh burst.
 */
import { SourceRateLimiter, TokenBucket } from '../../modules/ratelimiter';
import { type Case, equal, ok, throws } from '../harness/suite';

function count(take: () => boolean, n: number): number {
  let k = 0;
  for (let i = 0; i < n; i++) if (take()) k++;
  return k;
}

export const cases: Case[] = [
  ['TokenBucket: a full burst, then the rate', () => {
    const b = new TokenBucket(10, 5);
    equal(count(() => b.take(1000), 20), 5, 'burst at t=1000');
    equal(b.take(1099), false, '0.99 tokens after 99 ms');
    ok(b.take(1100), 'one token after 100 ms at 10/s');
    equal(b.take(1100), false);
    equal(count(() => b.take(1_000_000), 20), 5, 'refill is capped at the burst');
  }],
  ['TokenBucket: exact for rates that are not a divisor of 1000', () => {
    const b = new TokenBucket(3, 1);
    ok(b.take(0));
    // One token every 333.33 ms: at 333 ms 0.999 tokens, at 334 ms 1.002.
    equal(b.take(333), false);
    ok(b.take(334));
    let allowed = 1;
    for (let t = 335; t <= 60_000; t++) if (b.take(t)) allowed++;
    // At most burst + rate * t; a bucket of one token drops the fraction of a
    // token it cannot hold, so polling every ms loses a little below that.
    ok(allowed <= 1 + (60_000 * 3) / 1000, `at most rate * t + burst over a minute, got ${allowed}`);
    ok(allowed >= 179, `close to the rate, got ${allowed}`);
  }],
  ['TokenBucket: a clock that goes back refills nothing', () => {
    const b = new TokenBucket(1, 1);
    ok(b.take(10_000));
    equal(b.take(5_000), false);
    equal(b.take(10_999), false, 'time is measured from 10 000, not 5 000');
    ok(b.take(11_000));
  }],
  ['bad parameters throw', () => {
    throws(() => new TokenBucket(0, 1));
    throws(() => new TokenBucket(1, 0));
    throws(() => new TokenBucket(1, 0.5));
    throws(() => new TokenBucket(1, Infinity));
    throws(() => new TokenBucket(Infinity, 1));
    throws(() => new SourceRateLimiter(1, 1, 0));
  }],
  ['SourceRateLimiter: sources are independent; the port is not part of the key', () => {
    const l = new SourceRateLimiter(20, 5, 64);
    equal(count(() => l.allow(0, '192.0.2.1', 51820), 10), 5);
    equal(count(() => l.allow(0, '192.0.2.1', 40000), 10), 0, 'another port, same bucket');
    equal(count(() => l.allow(0, '192.0.2.2', 51820), 10), 5, 'another address, its own burst');
    equal(count(() => l.allow(50, '192.0.2.1'), 10), 1, 'refills at 20/s');
  }],
  ['SourceRateLimiter: memory is fixed; displaced sources do not get a fresh burst', () => {
    const l = new SourceRateLimiter(1, 3, 4);
    equal(count(() => l.allow(0, 'victim'), 10), 3, 'victim drains its bucket');
    // Flood with many other sources at the same instant: the victim is displaced.
    for (let i = 0; i < 200; i++) l.allow(0, `flood-${i}`);
    equal(count(() => l.allow(0, 'victim'), 10), 0, 'no fresh burst after eviction');
    equal(count(() => l.allow(1000, 'victim'), 10), 1, 'one token per second, as if never forgotten');
    // Once nothing was evicted un-refilled for burst/rate seconds, newcomers get a full burst.
    const quiet = new SourceRateLimiter(1, 3, 4);
    equal(count(() => quiet.allow(0, 'a'), 10), 3);
    equal(count(() => quiet.allow(3000, 'b'), 10), 3);
    for (let i = 0; i < 50; i++) quiet.allow(3000 + i * 5000, `n-${i}`);
    equal(count(() => quiet.allow(1_000_000, 'a'), 10), 3, 'a was idle long enough to be full');
  }],
];
