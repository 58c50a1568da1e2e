/**
 * Host-agnostic test suites (noble's "platform" pattern): a suite is a list of
 * named cases that use only this file's assertions, so the same file runs
 * under node:test and inside the XS engine.
 */

export type Case = [name: string, run: () => void];

export class AssertionError extends Error {}

let diagnosticSink: ((message: string) => void) | null = null;

/**
 * Informational output of the running case, like node:test's t.diagnostic.
 * A host that has nowhere to show it (the XS runner) drops it, so a case must
 * never depend on it.
 */
export function diagnostic(message: string): void {
  diagnosticSink?.(message);
}

/** For hosts: where diagnostic() goes while a case runs (null: nowhere). */
export function setDiagnosticSink(sink: ((message: string) => void) | null): void {
  diagnosticSink = sink;
}

export function ok(value: unknown, message = 'expected a truthy value'): asserts value {
  if (!value) throw new AssertionError(message);
}

export function equal<T>(actual: T, expected: T, message = ''): void {
  if (actual !== expected && !(actual !== actual && expected !== expected)) {
    throw new AssertionError(`${message ? message + ': ' : ''}expected ${String(expected)}, got ${String(actual)}`);
  }
}

export function hex(bytes: Uint8Array): string {
  let s = '';
  for (let i = 0; i < bytes.length; i++) s += (bytes[i] < 16 ? '0' : '') + bytes[i].toString(16);
  return s;
}

export function fromHex(s: string): Uint8Array {
  if (s.length % 2) throw new Error(`odd-length hex: ${s.length}`);
  const out = new Uint8Array(s.length / 2);
  for (let i = 0; i < out.length; i++) {
    const b = parseInt(s.substr(i * 2, 2), 16);
    if (b !== b) throw new Error(`bad hex at ${i * 2}`);
    out[i] = b;
  }
  return out;
}

export function equalBytes(actual: Uint8Array, expected: Uint8Array, message = ''): void {
  equal(hex(actual), hex(expected), message);
}

export function throws(fn: () => void, message = 'expected an exception'): void {
  try {
    fn();
  } catch {
    return;
  }
  throw new AssertionError(message);
}

/** What fn threw, for the caller to examine; fails if it threw nothing. */
export function thrown(fn: () => unknown, message = 'expected an exception'): unknown {
  try {
    fn();
  } catch (e) {
    return e;
  }
  throw new AssertionError(message);
}

/** re matches value (a string). */
export function match(value: string, re: RegExp, message = ''): void {
  if (!re.test(value)) throw new AssertionError(`${message ? message + ': ' : ''}${JSON.stringify(value)} does not match ${String(re)}`);
}

/** Structural equality of JSON-shaped values (arrays, plain objects, numbers, strings, booleans, null). */
export function deepEqual(actual: unknown, expected: unknown, message = ''): void {
  const a = JSON.stringify(actual);
  const e = JSON.stringify(expected);
  if (a !== e) throw new AssertionError(`${message ? message + ': ' : ''}expected ${e}, got ${a}`);
}

/** lo <= value <= hi. */
export function within(value: number, lo: number, hi: number, message = ''): void {
  if (!(value >= lo && value <= hi)) {
    throw new AssertionError(`${message ? message + ': ' : ''}expected a value in [${lo}, ${hi}], got ${String(value)}`);
  }
}

export function notEqual<T>(actual: T, unexpected: T, message = ''): void {
  if (actual === unexpected) throw new AssertionError(`${message ? message + ': ' : ''}expected anything but ${String(unexpected)}`);
}
