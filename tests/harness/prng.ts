/**
 * mulberry32: the suites' seeded PRNG, so that the same random cases run on
 * Node and XS (Math.random is never used in a suite).
 */

/** The next 32-bit unsigned value of the sequence seeded with `seed`, per call. */
export function mulberry32(seed: number): () => number {
  let s = seed >>> 0;
  return () => {
    s = (s + 0x6d2b79f5) | 0;
    let t = Math.imul(s ^ (s >>> 15), 1 | s);
    t = (t + Math.imul(t ^ (t >>> 7), 61 | t)) ^ t;
    return (t ^ (t >>> 14)) >>> 0;
  };
}

/** An integer in [0, n) per call, from mulberry32(seed). */
export function prng(seed: number): (n: number) => number {
  const next = mulberry32(seed);
  return (n: number) => next() % n;
}
