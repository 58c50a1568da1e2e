/**
 * Deterministic cost measurement on XS, for benchmarks: computrons and heap
 * slots (16 bytes each) per iteration of a loop body, from the meters the
 * xsnap worker attaches to every reply.
 *
 * Method: `gc()`, run N iterations in one
 * evaluation, take the `currentHeapCount` delta, subtract the same for an
 * empty loop, divide by N. The slot delta is only right if no collection ran
 * during the loop (a collection resets the count to the live slots), and this
 * XS build gives JavaScript no way to observe an organic collection (it even
 * keeps WeakRef targets alive through them). So:
 * - the slot heap is grown first to hold the expected garbage (XS never
 *   shrinks it), which prevents collections for want of slots;
 * - the chunk heap (strings, arrays, closures) can still fill up and collect,
 *   so the N-iteration figure is checked against a tiny run of a few
 *   iterations; if N gives clearly fewer slots per iteration, N is halved
 *   until they agree (`slotIterations`) and `gcSuspected` says if they never did.
 * Computrons and retained slots are exact at any N.
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
  /** Computrons per iteration, net of the empty loop's (over `iterations`). */
  computePerIteration: number;
  /** Heap slots allocated per iteration (garbage + retained), net of the empty loop's. */
  slotsPerIteration: number;
  /** Iterations the slot figure comes from (less than `iterations` if a collection was suspected). */
  slotIterations: number;
  /** Heap slots still live after `gc()`, per iteration (a leak if > 0). */
  retainedPerIteration: number;
  /** Slots per iteration from a run of a few iterations, the cross-check. */
  slotsPerIterationSmall: number;
  /** Even the smallest slot run disagreed with the tiny run: distrust slotsPerIteration. */
  gcSuspected: boolean;
  /** Every run made, body and empty loop at each size. */
  runs: { body: RunCost; empty: RunCost }[];
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
  // One `{}` is one slot.
  await worker.evaluate(`(function () { const a = []; for (let i = 0; i < ${slots}; i++) a.push({}); })(); gc();`);
  grownTo.set(worker, slots);
}

/**
 * Measures `body` (JavaScript statements; `i` is the iteration index; reach
 * state made by `setup` through globalThis) over `iterations` iterations.
 */
export async function measure(body: string, iterations: number, options: MeasureOptions = {}): Promise<Measurement> {
  if (!Number.isInteger(iterations) || iterations < 1) throw new RangeError('measure: iterations must be a positive integer');
  const worker = options.worker ?? XSWorker.start({ name: 'xs-measure' });
  try {
    if (options.setup) await worker.evaluate(options.setup);
    const warmup = options.warmup ?? 1;
    if (warmup > 0) await worker.evaluate(loopScript(body, warmup));

    const runs: { body: RunCost; empty: RunCost }[] = [];
    const pair = async (n: number) => {
      const r = { body: await run(worker, body, n), empty: await run(worker, '', n) };
      runs.push(r);
      return r;
    };
    const per = (key: keyof RunCost, r: { body: RunCost; empty: RunCost }) => (r.body[key] - r.empty[key]) / r.body.iterations;

    const small = per('slots', await pair(Math.min(4, iterations)));
    await growHeap(worker, Math.ceil(Math.max(small, 1) * iterations * 1.5 + 65_536));
    const full = await pair(iterations);
    // A collection mid-loop can only make the count smaller.
    const suspect = (slots: number) => slots < small * 0.9 - 1;
    let slots = per('slots', full);
    let slotIterations = iterations;
    while (suspect(slots) && slotIterations > 4) {
      slotIterations = Math.max(4, Math.floor(slotIterations / 2));
      slots = per('slots', await pair(slotIterations));
    }
    return {
      iterations,
      computePerIteration: per('compute', full),
      slotsPerIteration: slots,
      slotIterations,
      retainedPerIteration: per('retained', full),
      slotsPerIterationSmall: small,
      gcSuspected: suspect(slots),
      runs,
    };
  } finally {
    if (!options.worker) await worker.close();
  }
}
