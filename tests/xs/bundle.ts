/**
 * Bundles TypeScript into one classic script for the XS worker, in memory
 * (esbuild `write: false`, virtual stdin entry; nothing is written to disk).
 */
import { build } from 'esbuild';
import { dirname, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';

const REPO = resolve(dirname(fileURLToPath(import.meta.url)), '..', '..');

/**
 * Test-only shims, installed before any bundled module runs and only when the
 * global is missing. The xsnap worker has TextEncoder/TextDecoder, `print`,
 * `gc`, `performance.now` and `harden`, but no `console` and no `crypto`.
 *
 * - `console.{log,info,warn,error,debug}` -> `print`.
 * - `crypto.getRandomValues`: a SEEDED, DETERMINISTIC generator (sfc32), so
 *   that noble's `randomBytes` works in tests. It is not random and must never
 *   reach product code: on Moddable the core gets entropy from a native module.
 */
export const TEST_PRELUDE = `(function () {
  var g = globalThis;
  if (typeof g.console === 'undefined') {
    var log = function () { print(Array.prototype.map.call(arguments, function (x) { return String(x); }).join(' ')); };
    g.console = { log: log, info: log, warn: log, error: log, debug: log };
  }
  if (typeof g.crypto === 'undefined' || typeof g.crypto.getRandomValues !== 'function') {
    var a = 0x9e3779b9, b = 0x243f6a88, c = 0xb7e15162, d = 1;
    var next = function () {
      var t = (((a + b) | 0) + d) | 0;
      d = (d + 1) | 0; a = b ^ (b >>> 9); b = (c + (c << 3)) | 0; c = (c << 21) | (c >>> 11); c = (c + t) | 0;
      return t >>> 0;
    };
    for (var i = 0; i < 12; i++) next();
    g.crypto = {
      homewardTestShim: true,
      getRandomValues: function (view) {
        if (!ArrayBuffer.isView(view) || view instanceof Float32Array || view instanceof Float64Array || view instanceof DataView)
          throw new TypeError('getRandomValues: expected an integer TypedArray');
        if (view.byteLength > 65536) throw new RangeError('getRandomValues: more than 65536 bytes');
        var bytes = new Uint8Array(view.buffer, view.byteOffset, view.byteLength);
        for (var j = 0; j < bytes.length; j += 4) {
          var r = next();
          for (var k = 0; k < 4 && j + k < bytes.length; k++) bytes[j + k] = (r >>> (8 * k)) & 255;
        }
        return view;
      },
    };
  }
})();
`;

export interface BundleOptions {
  /** Directory that relative imports in the entry resolve against. Default: the repository root. */
  resolveDir?: string;
  /** Name of the virtual entry in error messages. */
  sourcefile?: string;
  /** Script run before the bundle; default TEST_PRELUDE. Pass '' for none (benchmarks of product code). */
  prelude?: string;
  /** Script appended after the bundle, e.g. an expression whose value becomes the reply. */
  footer?: string;
  minify?: boolean;
}

/** Bundles TypeScript/JavaScript source text (with imports) into one IIFE script string. */
export async function bundle(entrySource: string, options: BundleOptions = {}): Promise<string> {
  const result = await build({
    stdin: {
      contents: entrySource,
      resolveDir: options.resolveDir ?? REPO,
      sourcefile: options.sourcefile ?? 'xs-entry.ts',
      loader: 'ts',
    },
    bundle: true,
    write: false,
    format: 'iife',
    platform: 'neutral',
    target: 'es2022',
    mainFields: ['module', 'main'],
    conditions: ['import', 'module', 'default'],
    resolveExtensions: ['.ts', '.js', '.mjs', '.json'],
    loader: { '.json': 'json' },
    // Lets entries outside the repository (e.g. under /tmp) still find @noble/*.
    nodePaths: [resolve(REPO, 'node_modules')],
    banner: options.prelude === '' ? undefined : { js: options.prelude ?? TEST_PRELUDE },
    footer: options.footer ? { js: options.footer } : undefined,
    minify: options.minify ?? false,
    legalComments: 'none',
    logLevel: 'silent',
  });
  if (result.outputFiles.length !== 1) throw new Error(`esbuild produced ${result.outputFiles.length} outputs`);
  return result.outputFiles[0].text;
}

/** Bundles a module file (its top-level code runs when the script is evaluated). */
export function bundleFile(path: string, options: BundleOptions = {}): Promise<string> {
  const abs = resolve(path);
  return bundle(`import ${JSON.stringify(abs)};\n`, { sourcefile: abs, ...options });
}

/** One case's outcome on XS. */
export interface CaseResult {
  name: string;
  ok: boolean;
  /** `Name: message` of what the case threw. */
  error?: string;
  /** XS's stack text, when the thrown value had one. */
  stack?: string;
}

export interface SuiteReport {
  results: CaseResult[];
  passed: number;
  failed: number;
}

/** Global the suite entry leaves its report in, as a UTF-8 JSON ArrayBuffer (the reply value). */
const REPORT_GLOBAL = '__homewardSuiteReport';

/**
 * Entry source for a suite file exporting `cases: Case[]`: runs each case,
 * prints `ok <name>` / `not ok <name>: <error>` and a summary line, and
 * makes the report the evaluation's completion value so it comes back in the
 * worker's reply.
 */
export function suiteEntry(suitePath: string): string {
  return `import { cases } from ${JSON.stringify(resolve(suitePath))};
const oneLine = (s: string) => s.replace(/\\r?\\n/g, '\\\\n');
const describe = (e: any): string => {
  if (e instanceof Error) return (e.name || 'Error') + ': ' + e.message;
  try { return 'thrown ' + typeof e + ': ' + String(e); } catch { return 'thrown ' + typeof e; }
};
if (!Array.isArray(cases)) throw new TypeError('suite does not export an array named "cases"');
const results: { name: string; ok: boolean; error?: string; stack?: string }[] = [];
let passed = 0;
for (const [name, run] of cases) {
  try {
    const value: any = (run as () => unknown)();
    if (value && typeof value.then === 'function') throw new Error('case returned a Promise: suite cases must be synchronous');
    passed++;
    results.push({ name, ok: true });
    print('ok ' + oneLine(name));
  } catch (e: any) {
    const error = describe(e);
    const stack = e && typeof e.stack === 'string' ? e.stack : undefined;
    results.push({ name, ok: false, error, stack });
    print('not ok ' + oneLine(name) + ': ' + oneLine(error));
  }
}
const failed = results.length - passed;
print('# xs: ' + passed + ' passed, ' + failed + ' failed, ' + results.length + ' cases');
(globalThis as any).${REPORT_GLOBAL} = new TextEncoder().encode(JSON.stringify({ results, passed, failed })).buffer;
declare function print(...args: unknown[]): void;
`;
}

/** Bundles a suite into a script whose evaluation reply is its SuiteReport (see parseSuiteReport). */
export function bundleSuite(suitePath: string, options: BundleOptions = {}): Promise<string> {
  return bundle(suiteEntry(suitePath), {
    sourcefile: `${resolve(suitePath)} (xs entry)`,
    footer: `globalThis.${REPORT_GLOBAL};\n`,
    ...options,
  });
}

export function parseSuiteReport(reply: Uint8Array): SuiteReport {
  if (reply.length === 0) throw new Error('the suite script returned no report');
  return JSON.parse(new TextDecoder().decode(reply)) as SuiteReport;
}
