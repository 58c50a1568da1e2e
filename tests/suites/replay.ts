/**
 * The replay window against the kernel / wireguard-go counter table and bulk
 * patterns (tests/vectors/replay-window.json), evaluated with W = the window's
 * effective size, for the Node (8128) and gateway (1024) sizes; plus sizing,
 * reset, check-does-not-record, and crossing the u32 boundary of the counter.
 */
import { ReplayWindow } from '../../modules/replay';
import vectors from '../vectors/replay-window.json' with { type: 'json' };
import { type Case, equal, ok, throws } from '../harness/suite';

const R = (1n << 64n) - (1n << 13n) - 1n;
const MASK32 = 0xffffffffn;

/**
 * Evaluates a table expression such as "T_LIM*4-(T_LIM-1)" or "R+2": integers,
 * the names W, T_LIM and R, + - * and parentheses (recursive descent).
 */
export function evaluate(expr: string, w: bigint): bigint {
  const names: Record<string, bigint> = { W: w, T_LIM: w + 1n, R };
  let i = 0;
  const peek = () => expr[i];
  const atom = (): bigint => {
    if (peek() === '(') {
      i++;
      const v = sum();
      if (expr[i++] !== ')') throw new Error(`expected ) in ${expr}`);
      return v;
    }
    const start = i;
    while (i < expr.length && /[A-Za-z0-9_]/.test(expr[i])) i++;
    const word = expr.slice(start, i);
    if (/^[0-9]+$/.test(word)) return BigInt(word);
    if (word in names) return names[word];
    throw new Error(`bad term ${JSON.stringify(word)} in ${expr}`);
  };
  const product = (): bigint => {
    let v = atom();
    while (peek() === '*') {
      i++;
      v *= atom();
    }
    return v;
  };
  const sum = (): bigint => {
    let v = product();
    while (peek() === '+' || peek() === '-') {
      const op = expr[i++];
      const r = product();
      v = op === '+' ? v + r : v - r;
    }
    return v;
  };
  const v = sum();
  if (i !== expr.length) throw new Error(`trailing input in ${expr}`);
  return v;
}

const lo = (n: bigint) => Number(n & MASK32);
const hi = (n: bigint) => Number((n >> 32n) & MASK32);

/** update(n), after checking that check(n) predicts it and records nothing. */
function accept(win: ReplayWindow, n: bigint | number, expected: boolean, label: string): void {
  const b = BigInt(n);
  equal(win.check(lo(b), hi(b)), expected, `${label}: check(${b})`);
  equal(win.check(lo(b), hi(b)), expected, `${label}: check(${b}) again (check must not record)`);
  equal(win.update(lo(b), hi(b)), expected, `${label}: update(${b})`);
  if (expected) equal(win.check(lo(b), hi(b)), false, `${label}: check(${b}) after it was recorded`);
}

function tableCases(windowSize: number): Case[] {
  return [
    [`W=${windowSize}: the 34-step table`, () => {
      const win = new ReplayWindow(windowSize);
      const w = BigInt(win.size);
      for (const step of vectors.sequence) accept(win, evaluate(step.n, w), step.ok, `case ${step.case} (${step.n})`);
    }],
    [`W=${windowSize}: bulk patterns`, () => {
      const win = new ReplayWindow(windowSize);
      const w = win.size;
      equal(vectors.bulk.length, 6, 'six bulk patterns in the vectors');
      // 1: for i in 1..W accept i; then 0 accepted; then 0 rejected
      win.reset();
      for (let i = 1; i <= w; i++) accept(win, i, true, `bulk 1, ${i}`);
      accept(win, 0, true, 'bulk 1, 0');
      accept(win, 0, false, 'bulk 1, 0 again');
      // 2: for i in 2..W+1 accept i; then 1 accepted; then 0 rejected
      win.reset();
      for (let i = 2; i <= w + 1; i++) accept(win, i, true, `bulk 2, ${i}`);
      accept(win, 1, true, 'bulk 2, 1');
      accept(win, 0, false, 'bulk 2, 0');
      // 3: for i from W+1 down to 1 accept i
      win.reset();
      for (let i = w + 1; i >= 1; i--) accept(win, i, true, `bulk 3, ${i}`);
      // 4: for i from W+2 down to 2 accept i; then 0 rejected
      win.reset();
      for (let i = w + 2; i >= 2; i--) accept(win, i, true, `bulk 4, ${i}`);
      accept(win, 0, false, 'bulk 4, 0');
      // 5: for i from W down to 1 accept i; then W+1 accepted; then 0 rejected
      win.reset();
      for (let i = w; i >= 1; i--) accept(win, i, true, `bulk 5, ${i}`);
      accept(win, w + 1, true, 'bulk 5, W+1');
      accept(win, 0, false, 'bulk 5, 0');
      // 6: for i from W down to 1 accept i; then 0 accepted; then W+1 accepted
      win.reset();
      for (let i = w; i >= 1; i--) accept(win, i, true, `bulk 6, ${i}`);
      accept(win, 0, true, 'bulk 6, 0');
      accept(win, w + 1, true, 'bulk 6, W+1');
    }],
  ];
}

export const cases: Case[] = [
  ['the expression evaluator', () => {
    equal(evaluate('T_LIM*4-(T_LIM-1)', 10n), 34n, 'T_LIM = W + 1 = 11');
    equal(evaluate('R+2', 10n), (1n << 64n) - 8192n + 1n);
    equal(evaluate('0', 10n), 0n);
    throws(() => evaluate('T_LIM+', 10n));
  }],
  ['effective window size: rounded up to a multiple of 32; 8128 exactly as wireguard-go', () => {
    equal(new ReplayWindow(8128).size, 8128);
    equal(new ReplayWindow(1024).size, 1024);
    equal(new ReplayWindow(1000).size, 1024);
    equal(new ReplayWindow(1).size, 32);
    equal(new ReplayWindow(33).size, 64);
  }],
  ['bad window sizes throw', () => {
    throws(() => new ReplayWindow(0));
    throws(() => new ReplayWindow(-32));
    throws(() => new ReplayWindow(100.5));
    throws(() => new ReplayWindow(NaN));
    throws(() => new ReplayWindow(1 << 30));
  }],
  ...tableCases(8128),
  ...tableCases(1024),
  ...tableCases(32),
  ['reset forgets everything', () => {
    const win = new ReplayWindow(64);
    ok(win.update(5000, 0));
    ok(!win.update(5000, 0));
    ok(!win.update(0, 0), '0 is far behind 5000');
    win.reset();
    ok(win.update(0, 0), '0 accepted on a fresh window');
    ok(win.update(5000, 0));
  }],
  ['windows across the u32 boundary of the counter', () => {
    const win = new ReplayWindow(1024);
    ok(win.update(0xffffff00, 0));
    ok(win.update(5, 1), '2^32 + 5');
    equal(win.check(0xffffff00, 0), false, 'seen, 261 behind');
    ok(win.update(0xffffff01, 0), 'unseen, 260 behind');
    ok(win.update(0xfffffc05, 0), '2^32 + 5 - 1024 is exactly W behind');
    equal(win.update(0xfffffc04, 0), false, 'W + 1 behind');
    equal(win.update(0, 0), false, 'far behind');
    ok(win.update(0, 3), 'jump two halves ahead clears the ring');
    equal(win.check(5, 1), false, '2^33 behind');
    ok(win.update(0xffffffff, 2), '1 behind 3 * 2^32');
    equal(win.update(0xffffffff, 2), false);
  }],
  ['crossing into the next u32 half clears the ring blocks it enters', () => {
    // W = 32: a ring of 2 blocks (64 counters). 2^32 - 59 and 2^32 + 5 share
    // ring block 0 and bit 5, one lap apart: the later one is new.
    const win = new ReplayWindow(32);
    ok(win.update(0xffffffc5, 0), '2^32 - 59');
    ok(win.update(0xffffffff, 0), '2^32 - 1');
    ok(win.check(5, 1), '2^32 + 5 is ahead');
    ok(win.update(5, 1), '2^32 + 5');
    equal(win.update(5, 1), false);
    // The same one lap apart within a half.
    ok(win.update(69, 1), '2^32 + 69: ring block 0 again, bit 5');
  }],
  ['REJECT_AFTER_MESSAGES is the limit, from a fresh window', () => {
    const win = new ReplayWindow(1024);
    equal(win.check(0xffffdfff, 0xffffffff), false, 'R');
    equal(win.check(0xffffffff, 0xffffffff), false, '2^64 - 1');
    ok(win.check(0xffffdffe, 0xffffffff), 'R - 1');
    ok(win.update(0xffffdffe, 0xffffffff), 'R - 1');
    equal(win.update(0xffffdfff, 0xffffffff), false, 'R');
  }],
  ['a long in-order run with duplicates and a jump far ahead', () => {
    const win = new ReplayWindow(1024);
    for (let i = 0; i < 20000; i++) {
      ok(win.update(i, 0), `fresh ${i}`);
      if (i % 7 === 0) equal(win.update(i, 0), false, `duplicate ${i}`);
      if (i >= 1030 && i % 13 === 0) equal(win.update(i - 1025, 0), false, `too old ${i - 1025}`);
    }
    ok(win.update(1 << 30, 0));
    equal(win.update(19999, 0), false);
    ok(win.update((1 << 30) - 1024, 0));
  }],
];
