/**
 * Runs a bundled suite (see bundle.ts `bundleSuite`) in an XS worker, one
 * evaluation per case, so that each case gets its own meter and timeout and a
 * case that kills the engine (XS aborts the whole machine on stack overflow or
 * memory exhaustion, and a timeout kills the worker) fails alone: the worker
 * is restarted and the remaining cases still run.
 */
import { SUITE_GLOBAL, decodeReply, type CaseResult, type MappedBundle } from './bundle.ts';
import { XSException, XSWorker } from './worker.ts';

export interface CaseOutcome extends CaseResult {
  /** Computrons the case used (absent if the worker died). */
  compute?: number;
  /** Lines the case printed, including its `ok` / `not ok` line. */
  stdout: string[];
}

export interface SuiteRun {
  results: CaseOutcome[];
  /** How many times the worker had to be restarted after a case killed it. */
  restarts: number;
}

export interface RunOptions {
  /** Worker name (shown in errors). */
  name?: string;
  /** Per-evaluation timeout: loading the bundle, then each case. Default 60 s. */
  timeoutMs?: number;
}

/**
 * Loads the suite and runs every case. Rejects (XSException, XSWorkerError)
 * only if the suite cannot be loaded at all; failures of cases are results.
 */
export async function runSuiteOnXS(bundled: MappedBundle, options: RunOptions = {}): Promise<SuiteRun> {
  const load = async (): Promise<[XSWorker, string[]]> => {
    const worker = XSWorker.start({ name: options.name, timeoutMs: options.timeoutMs });
    try {
      const { reply } = await worker.evaluate(bundled.script);
      return [worker, decodeReply<string[]>(reply)];
    } catch (e) {
      await worker.close();
      throw e;
    }
  };
  // XS stack text repeats the message on its first line; keep the frames, mapped to sources
  // (the bundle is always the first evaluation of its worker: script #0).
  const frames = (stack: string) =>
    bundled.mapStack(stack.split('\n').filter((line) => line.startsWith(' at ')).join('\n'));

  let [worker, names] = await load();
  const results: CaseOutcome[] = [];
  let restarts = 0;
  try {
    for (let i = 0; i < names.length; i++) {
      try {
        const { reply, meter, stdout } = await worker.evaluate(`globalThis.${SUITE_GLOBAL}.run(${i});`);
        const r = decodeReply<CaseResult>(reply);
        results.push({ ...r, stack: r.stack && frames(r.stack), compute: meter.compute, stdout });
      } catch (e) {
        const stdout = (e as { stdout?: string[] }).stdout ?? [];
        if (e instanceof XSException) {
          // run() catches what the case throws, so this is an exception escaping the runner itself.
          results.push({ name: names[i], ok: false, error: `escaped the case runner: ${e.message}`, stdout });
          continue;
        }
        results.push({ name: names[i], ok: false, error: `the XS worker died during this case: ${(e as Error).message}`, stdout });
        await worker.close();
        if (i + 1 < names.length) {
          [worker] = await load();
          restarts++;
        }
      }
    }
    await worker.evaluate(`globalThis.${SUITE_GLOBAL}.summary();`).catch(() => {});
  } finally {
    await worker.close();
  }
  return { results, restarts };
}
