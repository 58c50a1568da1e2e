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
  return (await bundleWithLines(entrySource, options)).script;
}

/**
 * A bundle plus a way to turn XS stack text into source positions. XS names
 * each evaluated script by its order in the worker (`at f (#N:LINE)`, from 0).
 */
export interface MappedBundle {
  script: string;
  /**
   * Rewrites `(#N:LINE)` frames to `(path:line)` with esbuild's source map,
   * where N is the evaluation index the bundle had (0 if it was the first).
   */
  mapStack(stack: string, evaluationIndex?: number): string;
}

export async function bundleWithLines(entrySource: string, options: BundleOptions = {}): Promise<MappedBundle> {
  const result = await build({
    stdin: {
      contents: entrySource,
      resolveDir: options.resolveDir ?? REPO,
      sourcefile: options.sourcefile ?? 'xs-entry.ts',
      loader: 'ts',
    },
    absWorkingDir: REPO,
    outfile: resolve(REPO, 'xs-bundle.js'), // names the in-memory outputs; nothing is written
    bundle: true,
    write: false,
    sourcemap: 'external',
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
  const js = result.outputFiles.find((f) => f.path.endsWith('.js'));
  const map = result.outputFiles.find((f) => f.path.endsWith('.map'));
  if (!js) throw new Error('esbuild produced no script');
  const lines = map ? lineStarts(JSON.parse(map.text) as RawSourceMap) : [];
  return {
    script: js.text,
    mapStack: (stack, evaluationIndex = 0) =>
      stack.replace(/\(#(\d+):(\d+)\)/g, (frame, index: string, line: string) => {
        const at = Number(index) === evaluationIndex ? lines[Number(line) - 1] : undefined;
        return at ? `(${decodeURIComponent(at.source)}:${at.line})` : frame;
      }),
  };
}

interface RawSourceMap {
  sources: string[];
  mappings: string;
}

const B64 = 'ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/';

/** For each generated line, the source position of its first mapping (source map v3 VLQ). */
function lineStarts(map: RawSourceMap): ({ source: string; line: number } | undefined)[] {
  const out: ({ source: string; line: number } | undefined)[] = [];
  let source = 0;
  let srcLine = 0;
  for (const generatedLine of map.mappings.split(';')) {
    let first: { source: string; line: number } | undefined;
    for (const segment of generatedLine.split(',')) {
      if (!segment) continue;
      const fields: number[] = [];
      let value = 0;
      let shift = 0;
      for (const ch of segment) {
        const digit = B64.indexOf(ch);
        value += (digit & 31) << shift;
        if (digit & 32) {
          shift += 5;
        } else {
          fields.push(value & 1 ? -(value >>> 1) : value >>> 1);
          value = 0;
          shift = 0;
        }
      }
      if (fields.length < 4) continue;
      source += fields[1];
      srcLine += fields[2];
      first ??= { source: map.sources[source], line: srcLine + 1 };
    }
    out.push(first);
  }
  return out;
}

/** Bundles a module file (its top-level code runs when the script is evaluated). */
export function bundleFile(path: string, options: BundleOptions = {}): Promise<string> {
  const abs = resolve(path);
  // The virtual entry must not share the file's name, or esbuild takes the import for a self-import.
  return bundle(`import ${JSON.stringify(abs)};\n`, { sourcefile: `${abs} (xs entry)`, ...options });
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

/** Global through which a loaded suite script is driven (see suiteEntry). */
export const SUITE_GLOBAL = '__homewardSuite';

/**
 * Entry source for a suite file exporting `cases: Case[]`. Evaluating the
 * bundle runs no case: it installs `globalThis.__homewardSuite` and its
 * completion value (so the worker's reply) is the JSON list of case names.
 * Then, each returning JSON bytes as the reply:
 * - `run(i)` runs case i and prints `ok <name>` or `not ok <name>: <error>`;
 * - `summary()` prints `# xs: P passed, F failed, N cases` (for this worker);
 * - `runAll()` does both for every case, in one evaluation.
 * Newlines in names and errors are printed as `\n`, one line per case.
 */
export function suiteEntry(suitePath: string): string {
  return `import { cases } from ${JSON.stringify(resolve(suitePath))};
declare function print(...args: unknown[]): void;
type Result = { name: string; ok: boolean; error?: string; stack?: string };
if (!Array.isArray(cases)) throw new TypeError('the suite does not export an array named "cases"');
const oneLine = (s: string) => s.replace(/\\r?\\n/g, '\\\\n');
const describe = (e: any): string => {
  if (e instanceof Error) return (e.name || 'Error') + ': ' + e.message;
  try { return 'thrown ' + typeof e + ': ' + String(e); } catch { return 'thrown ' + typeof e; }
};
const encode = (value: unknown) => new TextEncoder().encode(JSON.stringify(value)).buffer;
let passed = 0;
let failed = 0;
function run(i: number): Result {
  const [name, fn] = cases[i];
  try {
    const value: any = (fn as () => unknown)();
    if (value && typeof value.then === 'function') throw new Error('the case returned a Promise: suite cases must be synchronous');
    passed++;
    print('ok ' + oneLine(name));
    return { name, ok: true };
  } catch (e: any) {
    failed++;
    const error = describe(e);
    print('not ok ' + oneLine(name) + ': ' + oneLine(error));
    return { name, ok: false, error, stack: e && typeof e.stack === 'string' ? e.stack : undefined };
  }
}
function summary() {
  print('# xs: ' + passed + ' passed, ' + failed + ' failed, ' + cases.length + ' cases');
  return { passed, failed };
}
(globalThis as any).${SUITE_GLOBAL} = {
  names: () => encode(cases.map((c) => c[0])),
  run: (i: number) => encode(run(i)),
  summary: () => encode(summary()),
  runAll: () => { const results = cases.map((_, i) => run(i)); return encode({ results, ...summary() }); },
};
`;
}

/** Bundles a suite; evaluating the script replies with the case names (see suiteEntry). */
export function bundleSuite(suitePath: string, options: BundleOptions = {}): Promise<MappedBundle> {
  return bundleWithLines(suiteEntry(suitePath), {
    sourcefile: `${resolve(suitePath)} (xs entry)`,
    footer: `globalThis.${SUITE_GLOBAL}.names();\n`,
    ...options,
  });
}

/** Decodes a JSON reply from the suite script. */
export function decodeReply<T>(reply: Uint8Array): T {
  if (reply.length === 0) throw new Error('the suite script replied with no data');
  return JSON.parse(new TextDecoder().decode(reply)) as T;
}
