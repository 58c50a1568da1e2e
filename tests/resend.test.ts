/**
 * The resend ring against a model: whatever sizes are recorded and however the
 * ring wraps, a replay returns an unbroken, in-order suffix of what was
 * recorded for that peer and keypair, byte for byte, always including the
 * newest entry of all, and reports the counters it no longer holds.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import fc from 'fast-check';
import { ResendRing } from '../modules/resend';

test('resend ring: replays an intact, in-order suffix and counts the gap as lost', () => {
  fc.assert(
    fc.property(
      fc.integer({ min: 64, max: 2048 }),
      fc.array(fc.record({ peer: fc.integer({ min: 0, max: 2 }), len: fc.integer({ min: 0, max: 300 }) }), { maxLength: 200 }),
      fc.integer({ min: 0, max: 2 }),
      (budget, entries, who) => {
        const ring = new ResendRing(budget);
        const model: { counter: number; bytes: Uint8Array }[] = [];
        let counter = [0, 0, 0];
        entries.forEach((e, i) => {
          const bytes = new Uint8Array(e.len).map((_, j) => (i * 7 + j) & 0xff);
          const c = counter[e.peer]++;
          ring.record(e.peer, 1, c, 0, bytes, 0, e.len);
          if (e.peer === who && 16 + ((e.len + 3) & ~3) <= Math.max((budget + 3) & ~3, 32)) model.push({ counter: c, bytes });
        });
        const got: Uint8Array[] = [];
        const lost = ring.replay(who, 1, 0, 0, (buf, off, len) => got.push(buf.slice(off, off + len)));
        assert.ok(got.length <= model.length);
        const suffix = model.slice(model.length - got.length);
        got.forEach((g, i) => assert.deepEqual(g, suffix[i].bytes, `entry ${i} corrupted`));
        const last = entries[entries.length - 1];
        const fits = (len: number) => 16 + ((len + 3) & ~3) <= Math.max((budget + 3) & ~3, 32);
        if (last && last.peer === who && fits(last.len)) assert.ok(got.length >= 1, 'the newest entry is always held');
        assert.equal(lost, got.length ? suffix[0].counter : 0, 'lost = counters before the first one held');
        counter = [0, 0, 0];
      },
    ),
    { numRuns: 500 },
  );
});
