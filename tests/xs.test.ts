/**
 * Runs every host-agnostic suite in tests/suites/*.ts again on the real XS
 * engine (the xsnap worker built by @agoric/xsnap), one node:test test per
 * case, named `xs: <suite>: <case>`. A case that fails on XS fails here with
 * the XS error text.
 *
 * Env: XS_SUITES_DIR (default tests/suites); XS_SUITES (comma-separated
 * suite names to run); XS_TIMEOUT_MS (per evaluation, i.e. loading a suite or
 * running one case; default 60000); CI (a missing worker binary then fails
 * the run instead of skipping it).
 */
import { test } from 'node:test';
import { availableParallelism } from 'node:os';
import { readdirSync } from 'node:fs';
import { basename, dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { bundleSuite, type MappedBundle } from './xs/bundle.ts';
import { runSuiteOnXS, type CaseOutcome } from './xs/suite-runner.ts';
import { XSException, xsnapMissingReason } from './xs/worker.ts';

const here = dirname(fileURLToPath(import.meta.url));
const suitesDir = resolve(process.env.XS_SUITES_DIR ?? join(here, 'suites'));
const only = process.env.XS_SUITES?.split(',').map((s) => s.trim()).filter(Boolean);
const timeoutMs = Number(process.env.XS_TIMEOUT_MS ?? 60_000);
const inCI = !!process.env.CI && !/^(0|false)$/i.test(process.env.CI);

type Outcome =
  | { suite: string; kind: 'cases'; results: CaseOutcome[] }
  | { suite: string; kind: 'broken'; stage: 'bundle' | 'load' | 'worker'; error: string };

function listSuites(): string[] {
  let files: string[];
  try {
    files = readdirSync(suitesDir);
  } catch {
    return [];
  }
  return files
    .filter((f) => f.endsWith('.ts') && !f.endsWith('.d.ts'))
    .map((f) => basename(f, '.ts'))
    .filter((name) => !only || only.includes(name))
    .sort();
}

async function runSuite(suite: string): Promise<Outcome> {
  let bundled: MappedBundle;
  try {
    bundled = await bundleSuite(join(suitesDir, `${suite}.ts`));
  } catch (e) {
    return { suite, kind: 'broken', stage: 'bundle', error: (e as Error).message };
  }
  try {
    const { results } = await runSuiteOnXS(bundled, { name: `xs-${suite}`, timeoutMs });
    return { suite, kind: 'cases', results };
  } catch (e) {
    const err = e as Error & { stdout?: string[] };
    const printed = err.stdout?.length ? `\nprinted before the failure:\n${err.stdout.join('\n')}` : '';
    const stage = e instanceof XSException ? 'load' : 'worker';
    return { suite, kind: 'broken', stage, error: `${err.message}${printed}` };
  }
}

/** Runs suites in their own workers, a few at a time (each bundle is built once). */
async function runAll(suites: string[]): Promise<Outcome[]> {
  const outcomes: Outcome[] = new Array(suites.length);
  let next = 0;
  const lanes = Math.max(1, Math.min(suites.length, availableParallelism() - 1, 4));
  await Promise.all(
    Array.from({ length: lanes }, async () => {
      while (next < suites.length) {
        const i = next++;
        outcomes[i] = await runSuite(suites[i]);
      }
    }),
  );
  return outcomes;
}

const missing = xsnapMissingReason();
const suites = listSuites();

if (missing) {
  // In CI the XS run is required; locally a machine without the build skips it.
  test('xs: worker binary', { skip: inCI ? false : missing }, () => {
    throw new Error(missing);
  });
} else if (suites.length === 0) {
  test('xs: suites', { skip: `no suites found in ${suitesDir}` }, () => {});
} else {
  for (const outcome of await runAll(suites)) {
    if (outcome.kind === 'broken') {
      test(`xs: ${outcome.suite}: (${outcome.stage})`, () => {
        throw new Error(`suite ${outcome.suite} could not run on XS (${outcome.stage}): ${outcome.error}`);
      });
      continue;
    }
    if (outcome.results.length === 0) {
      test(`xs: ${outcome.suite}: (no cases)`, { skip: 'suite exports no cases' }, () => {});
    }
    for (const r of outcome.results) {
      test(`xs: ${outcome.suite}: ${r.name}`, () => {
        if (!r.ok) throw new Error(`on XS: ${r.error}${r.stack ? `\nXS stack:\n${r.stack}` : ''}`);
      });
    }
  }
}
