/**
 * TAI64N: the label is 2^62 + 10 + unix seconds (wireguard-go's base
 * 0x400000000000000a), nanoseconds are whitened to multiples of 2^24, and
 * byte order is chronological order.
 */
import { compareTai64n, readTai64nMs, TAI64N_SIZE, writeTai64n } from '../../modules/tai64n';
import { type Case, equal, equalBytes, fromHex, ok } from '../harness/suite';

function stamp(ms: number): Uint8Array {
  const out = new Uint8Array(TAI64N_SIZE);
  writeTai64n(out, 0, ms);
  return out;
}

export const cases: Case[] = [
  ['known answers', () => {
    equalBytes(stamp(0), fromHex('400000000000000a00000000'), 'the unix epoch');
    // 1000.123 s: label 1010 = 0x3f2; 123,000,000 ns rounds down to 7 * 2^24 = 0x07000000.
    equalBytes(stamp(1_000_123), fromHex('40000000000003f207000000'));
    // 999 ms = 999,000,000 ns = 59.54 * 2^24 -> 59 * 2^24 = 0x3b000000.
    equalBytes(stamp(1_700_000_000_999), fromHex('400000006553f10a3b000000'), '2023-11-14T22:13:20.999Z');
    // Past 2^32 seconds (year 2106) the label's high half moves.
    equalBytes(stamp((0x100000000 + 5) * 1000), fromHex('400000010000000f00000000'));
  }],
  ['written at an offset, nothing else touched', () => {
    const buf = new Uint8Array(20).fill(0xee);
    writeTai64n(buf, 4, 0);
    equalBytes(buf, fromHex('eeeeeeee400000000000000a00000000eeeeeeee'));
  }],
  ['whitening: one value per 2^24 ns, never rounded up', () => {
    // 16.777216 ms steps: 0..16 ms share a value, 17 ms is the next one.
    equalBytes(stamp(5_000_016), stamp(5_000_000));
    ok(compareTai64n(stamp(5_000_017), 0, stamp(5_000_016), 0) > 0);
    equal(readTai64nMs(stamp(5_000_016), 0), 5_000_000);
    equal(readTai64nMs(stamp(5_000_017), 0), 5_000_016, '2^24 ns is 16.777 ms');
  }],
  ['bad clocks give the epoch rather than garbage', () => {
    equalBytes(stamp(-5), stamp(0));
    equalBytes(stamp(NaN), stamp(0));
  }],
  ['order of bytes is order of time; read back within one whitening step (16.8 ms, floored to ms)', () => {
    let prev = stamp(0);
    let ms = 0;
    for (let i = 0; i < 2000; i++) {
      ms += (i * 7919) % 50_000; // irregular steps, including 0
      const cur = stamp(ms);
      ok(compareTai64n(cur, 0, prev, 0) >= 0, `monotone at ${ms}`);
      equal(compareTai64n(prev, 0, cur, 0), -compareTai64n(cur, 0, prev, 0), 'antisymmetric');
      const back = readTai64nMs(cur, 0);
      ok(back <= ms && ms - back <= 17, `read back ${back} for ${ms}`);
      prev = cur;
    }
  }],
  ['compareTai64n: -1, 0, 1 at offsets', () => {
    const a = fromHex('ff400000000000000a00000000');
    const b = fromHex('400000000000000a00000001');
    equal(compareTai64n(a, 1, b, 0), -1);
    equal(compareTai64n(b, 0, a, 1), 1);
    equal(compareTai64n(a, 1, a, 1), 0);
    equal(compareTai64n(stamp(1000), 0, stamp(999_999), 0), -1, 'the label is compared before the nanoseconds');
  }],
];
