/**
 * Deterministic cost measurement on XS, for benchmarks: computrons and heap
 * slots (16 bytes each) per iteration of a loop body, from the meters the
 * xsnap worker attaches to every reply.
 *
 * Method (see /work/shared/MODDABLE.md): `gc()`, run N iterations in one
 * evaluation, take the `currentHeapCount` delta, subtract the same for an
 * empty loop, divide by N. That delta is only meaningful when no collection
 * ran during the loop, and the xsnap build gives JavaScript no way to see an
 * organic collection (it even keeps WeakRef targets alive through them). So
 * the slot heap is grown first (XS never shrinks it) to hold the expected
 * garbage, and the measurement is repeated with N/2 iterations: `linear`
 * reports whether both runs agree, which a mid-loop collection would break.
 */
import { XSWorker } from './worker.ts';

export interface MeasureOptions {
  /** Script evaluated once first, e.g. a bundle that puts functions on globalThis. */
  setup?: string;
  /** Worker to use (its global state is reused); default: a fresh one, closed afterwards. */
  worker?: XSWorker;
  /** Iterations run once before measuring, so lazy initialisation is not counted. Default 1. */
  warmup?: number;
}

export interface Measurement {
  iterations: number;
  /** Computrons per iteration, net of the empty loop's. */
  computePerIteration: number;
  /** Heap slots allocated per iteration (garbage + retained), net of the empty loop's. */
  slotsPerIteration: number;
  /** Heap slots still live after `gc()`, per iteration (a leak if > 0). */
  retainedPerIteration: number;
  /** The N and N/2 runs agree; false means a collection probably ran mid-loop: distrust slots. */
  linear: boolean;
  /** Totals per run, for N and N/2 iterations of the body and of the empty loop. */
  raw: Record<'body' | 'bodyHalf' | 'empty' | 'emptyHalf', RunCost>;
}

export interface RunCost {
  iterations: number;
  compute: number;
  /** currentHeapCount after the loop minus after the preceding gc(). */
  slots: number;
  /** currentHeapCount after a gc() following the loop, minus before the loop. */
  retained: number;
}

const grownTo = new WeakMap<XSWorker, number>();

function loopScript(body: string, n: number): string {
  return `(function () { for (let i = 0; i < ${n}; i++) {\n${body}\n} })();`;
}

async function run(worker: XSWorker, body: string, n: number): Promise<RunCost> {
  const before = (await worker.evaluate('gc();')).meter;
  const during = (await worker.evaluate(loopScript(body, n))).meter;
  const after = (await worker.evaluate('gc();')).meter;
  return {
    iterations: n,
    compute: during.compute,
    slots: during.currentHeapCount - before.currentHeapCount,
    retained: after.currentHeapCount - before.currentHeapCount,
  };
}

/** Makes sure the slot heap has room for `slots` more slots without collecting. */
async function growHeap(worker: XSWorker, slots: number): Promise<void> {
  if ((grownTo.get(worker) ?? 0) >= slots) return;
  // One `{}` is one slot; the array's storage also grows the chunk heap.
  await worker.evaluate(`(function () { const a = []; for (let i = 0; i < ${slots}; i++) a.push({}); })(); gc();`);
  grownTo.set(worker, slots);
}

/**
 * Measures `body` (JavaScript statements; `i` is the iteration index; reach
 * state made by `setup` through globalThis) over `iterations` iterations.
 */
export async function measure(body: string, iterations: number, options: MeasureOptions = {}): Promise<Measurement> {
  if (!Number.isInteger(iterations) || iterations < 2) throw new RangeError('measure: iterations must be an integer >= 2');
  const worker = options.worker ?? XSWorker.start({ name: 'xs-measure' });
  try {
    if (options.setup) await worker.evaluate(options.setup);
    const warmup = options.warmup ?? 1;
    if (warmup > 0) await worker.evaluate(loopScript(body, warmup));

    // Estimate the garbage, then make room for it (with margin) before the real runs.
    const probe = await run(worker, body, 2);
    await growHeap(worker, Math.ceil(Math.max(probe.slots, 1) * iterations * 0.75 + 65_536));

    const half = Math.floor(iterations / 2);
    const raw = {
      empty: await run(worker, '', iterations),
      emptyHalf: await run(worker, '', half),
      body: await run(worker, body, iterations),
      bodyHalf: await run(worker, body, half),
    };
    const per = (key: 'compute' | 'slots' | 'retained', b: RunCost, e: RunCost) => (b[key] - e[key]) / b.iterations;
    const slots = per('slots', raw.body, raw.empty);
    const slotsHalf = per('slots', raw.bodyHalf, raw.emptyHalf);
    return {
      iterations,
      computePerIteration: per('compute', raw.body, raw.empty),
      slotsPerIteration: slots,
      retainedPerIteration: per('retained', raw.body, raw.empty),
      linear: Math.abs(slots - slotsHalf) <= Math.max(1, 0.02 * Math.abs(slots)),
      raw,
    };
  } finally {
    if (!options.worker) await worker.close();
  }
}
