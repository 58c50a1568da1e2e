/**
 * A small driver for the XS engine's `xsnap-worker` binary, built by the
 * `@agoric/xsnap` package at install time. It speaks the worker's netstring
 * protocol directly (no SES / @endo/init needed):
 *
 * - the parent writes netstrings `<len>:<bytes>,` to the child's fd 3 and
 *   reads netstrings from the child's fd 4;
 * - `e<script>` evaluates a script; the reply is `.` + meter JSON + 0x01 +
 *   the completion value's bytes when that value is an ArrayBuffer (or an
 *   object whose `result` is one), or `!<text>` for an uncaught exception;
 * - while evaluating, XS `issueCommand(ArrayBuffer)` sends `?<bytes>`, which
 *   the parent must answer with `/<bytes>`;
 * - `q` quits.
 *
 * XS `print()` writes a line to the child's stdout and flushes it before the
 * reply is written. The child's stdout is an (unlinked) temporary file rather
 * than a pipe, so that every line printed during an evaluation can be read
 * synchronously when its reply arrives, with no race between two pipes.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { closeSync, existsSync, openSync, readSync, unlinkSync } from 'node:fs';
import { createRequire } from 'node:module';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import type { Readable, Writable } from 'node:stream';

/** The meter that the worker attaches to every successful reply. */
export interface Meter {
  /** Computrons used by this evaluation: deterministic, noise-free. */
  compute: number;
  /** Live + not-yet-collected heap slots (16 bytes each) after the evaluation. */
  currentHeapCount: number;
  /** Bytes of memory the machine has allocated from the OS (grows, never shrinks). */
  allocate: number;
  /** Wall-clock stamps (seconds) recorded by the worker; informational only. */
  timestamps: number[];
  [key: string]: unknown;
}

export interface EvalResult {
  meter: Meter;
  /** Lines written by XS `print()` during this evaluation, without newlines. */
  stdout: string[];
  /** The completion value's bytes if it was an ArrayBuffer, else empty. */
  reply: Uint8Array;
}

export interface WorkerOptions {
  /** Name shown in the worker's process arguments and in errors. */
  name?: string;
  /** Computron limit per evaluation; the worker exits (code 17) beyond it. Default: none. */
  meteringLimit?: number;
  /** Default timeout per evaluation in ms (the worker is killed on expiry). Default 60 s. */
  timeoutMs?: number;
  /** Answers `issueCommand()` queries. Default: answer with zero bytes. */
  onQuery?: (query: Uint8Array) => Uint8Array | Promise<Uint8Array>;
  /** Path of the xsnap-worker binary; default: the one `@agoric/xsnap` built. */
  binary?: string;
}

/** An uncaught exception inside XS (a `!` reply); the worker stays usable. */
export class XSException extends Error {
  override name = 'XSException';
}

/** The worker died, timed out, broke protocol, or is missing. */
export class XSWorkerError extends Error {
  override name = 'XSWorkerError';
}

const EXIT_CODES: Record<number, string> = {
  1: 'bad usage',
  2: 'I/O error',
  11: 'not enough memory',
  12: 'stack overflow',
  15: 'unhandled exception',
  16: 'no more keys',
  17: 'too much computation (metering limit exceeded)',
};

const PLATFORM_DIRS: Partial<Record<NodeJS.Platform, string>> = { linux: 'lin', darwin: 'mac' };

/** Where `@agoric/xsnap` puts its release worker binary on this platform. */
export function xsnapWorkerPath(): string {
  if (process.env.XSNAP_WORKER) return process.env.XSNAP_WORKER;
  const platformDir = PLATFORM_DIRS[process.platform] ?? process.platform;
  let pkgDir: string;
  try {
    pkgDir = dirname(createRequire(import.meta.url).resolve('@agoric/xsnap/package.json'));
  } catch {
    pkgDir = join(process.cwd(), 'node_modules', '@agoric', 'xsnap');
  }
  return join(pkgDir, 'xsnap-native', 'xsnap', 'build', 'bin', platformDir, 'release', 'xsnap-worker');
}

/** Undefined when the binary exists, else a sentence saying why XS tests cannot run. */
export function xsnapMissingReason(binary = xsnapWorkerPath()): string | undefined {
  if (existsSync(binary)) return undefined;
  return (
    `XS worker binary not found at ${binary}. ` +
    '`npm ci` builds it: the @agoric/xsnap install script compiles the XS engine with make and gcc ' +
    '(about a minute; install scripts must not be disabled). Or set XSNAP_WORKER to a built xsnap-worker.'
  );
}

const COLON = 0x3a;
const COMMA = 0x2c;
const OK = 0x2e; // '.'
const ERROR = 0x21; // '!'
const QUERY = 0x3f; // '?'
const METER_END = 0x01;

interface Pending {
  resolve(message: Buffer): void;
  reject(error: Error): void;
}

export class XSWorker {
  readonly name: string;
  private readonly child: ChildProcess;
  private readonly toChild: Writable;
  private readonly fromChild: Readable;
  private readonly stdoutFd: number;
  private stdoutOffset = 0;
  private stdoutCarry = '';
  private stderrTail = '';
  private inbox: Buffer = Buffer.alloc(0);
  private pending: Pending | undefined;
  private queue: Promise<unknown> = Promise.resolve();
  private exited: XSWorkerError | undefined;
  private readonly exitPromise: Promise<void>;
  private readonly onProcessExit = (): void => {
    this.child.kill('SIGKILL');
  };
  private readonly options: WorkerOptions;

  /** Starts a worker; throws XSWorkerError with a clear reason when the binary is missing. */
  static start(options: WorkerOptions = {}): XSWorker {
    return new XSWorker(options);
  }

  private constructor(options: WorkerOptions) {
    this.options = options;
    this.name = options.name ?? 'homeward-xs';
    const binary = options.binary ?? xsnapWorkerPath();
    const missing = xsnapMissingReason(binary);
    if (missing) throw new XSWorkerError(missing);

    const stdoutPath = join(tmpdir(), `xsnap-stdout-${process.pid}-${Date.now()}-${Math.random().toString(36).slice(2)}`);
    this.stdoutFd = openSync(stdoutPath, 'w+');
    const args = [this.name];
    if (options.meteringLimit !== undefined) args.push('-l', String(options.meteringLimit));
    try {
      this.child = spawn(binary, args, { stdio: ['ignore', this.stdoutFd, 'pipe', 'pipe', 'pipe'] });
    } finally {
      // The child holds its own descriptor; the name is no longer needed.
      unlinkSync(stdoutPath);
    }
    this.toChild = this.child.stdio[3] as Writable;
    this.fromChild = this.child.stdio[4] as Readable;

    this.child.stderr!.setEncoding('utf8');
    this.child.stderr!.on('data', (text: string) => {
      this.stderrTail = (this.stderrTail + text).slice(-4000);
    });
    this.fromChild.on('data', (chunk: Buffer) => this.receive(chunk));
    // EPIPE when the child dies mid-write surfaces through 'exit' below.
    this.toChild.on('error', () => {});
    this.fromChild.on('error', () => {});

    this.exitPromise = new Promise((resolve) => {
      this.child.on('error', (err) => {
        this.fail(new XSWorkerError(`${this.name}: cannot start ${binary}: ${err.message}`));
        resolve();
      });
      this.child.on('exit', (code, signal) => {
        const why = signal ? `signal ${signal}` : `code ${code}${code && EXIT_CODES[code] ? ` (${EXIT_CODES[code]})` : ''}`;
        const stderr = this.stderrTail.trim();
        this.fail(new XSWorkerError(`${this.name}: xsnap-worker exited with ${why}${stderr ? `; stderr: ${stderr}` : ''}`));
        resolve();
      });
    });
    process.once('exit', this.onProcessExit);
    this.setRef(false);
  }

  /**
   * Evaluates a script (sloppy-mode global code: top-level `const`/`let` do
   * not survive, `globalThis` properties do). Evaluations run one at a time,
   * in call order. Rejects with XSException for an uncaught exception (the
   * worker survives) or XSWorkerError if the worker dies or times out (it is
   * then killed and every later call rejects).
   */
  evaluate(script: string, timeoutMs = this.options.timeoutMs ?? 60_000): Promise<EvalResult> {
    const run = this.queue.then(() => this.evaluateNow(script, timeoutMs));
    this.queue = run.catch(() => {});
    return run;
  }

  private async evaluateNow(script: string, timeoutMs: number): Promise<EvalResult> {
    if (this.exited) throw this.exited;
    this.setRef(true);
    const timer = setTimeout(() => {
      this.fail(new XSWorkerError(`${this.name}: evaluation timed out after ${timeoutMs} ms; worker killed`));
      this.child.kill('SIGKILL');
    }, timeoutMs);
    try {
      let message = await this.request(Buffer.concat([Buffer.from('e'), Buffer.from(script, 'utf8')]));
      while (message[0] === QUERY) {
        const answer = await (this.options.onQuery ?? (() => new Uint8Array(0)))(message.subarray(1));
        message = await this.request(Buffer.concat([Buffer.from('/'), answer]));
      }
      const stdout = this.drainStdout();
      if (message[0] === OK) {
        const end = message.indexOf(METER_END, 1);
        const meterText = message.subarray(1, end < 0 ? message.length : end).toString('utf8');
        const meter = JSON.parse(meterText) as Meter;
        const reply = end < 0 ? new Uint8Array(0) : new Uint8Array(message.subarray(end + 1));
        return { meter, stdout, reply };
      }
      if (message[0] === ERROR) {
        const err = new XSException(message.subarray(1).toString('utf8'));
        (err as XSException & { stdout: string[] }).stdout = stdout;
        throw err;
      }
      this.child.kill('SIGKILL');
      throw new XSWorkerError(`${this.name}: protocol error: unexpected reply ${JSON.stringify(message.subarray(0, 80).toString('latin1'))}`);
    } finally {
      clearTimeout(timer);
      this.setRef(false);
    }
  }

  /** Asks the worker to quit, waits for it (killing it after 2 s), releases the stdout file. */
  async close(): Promise<void> {
    await this.queue;
    if (!this.exited) {
      this.toChild.write('1:q,');
      this.toChild.end();
      this.setRef(true);
      const timer = setTimeout(() => this.child.kill('SIGKILL'), 2000);
      await this.exitPromise;
      clearTimeout(timer);
    }
    process.removeListener('exit', this.onProcessExit);
    this.exited ??= new XSWorkerError(`${this.name}: worker closed`);
    try {
      closeSync(this.stdoutFd);
    } catch {
      // already closed
    }
  }

  private request(payload: Buffer): Promise<Buffer> {
    if (this.exited) return Promise.reject(this.exited);
    return new Promise((resolve, reject) => {
      this.pending = { resolve, reject };
      this.toChild.write(Buffer.concat([Buffer.from(`${payload.length}:`), payload, Buffer.from(',')]));
    });
  }

  private receive(chunk: Buffer): void {
    this.inbox = this.inbox.length ? Buffer.concat([this.inbox, chunk]) : chunk;
    for (;;) {
      const colon = this.inbox.indexOf(COLON);
      if (colon < 0) return;
      const header = this.inbox.subarray(0, colon).toString('latin1');
      if (!/^\d{1,10}$/.test(header)) return this.protocolError(`bad netstring length ${JSON.stringify(header.slice(0, 20))}`);
      const length = Number(header);
      if (this.inbox.length < colon + 1 + length + 1) return;
      if (this.inbox[colon + 1 + length] !== COMMA) return this.protocolError('netstring without trailing comma');
      const message = this.inbox.subarray(colon + 1, colon + 1 + length);
      this.inbox = this.inbox.subarray(colon + 2 + length);
      const pending = this.pending;
      this.pending = undefined;
      if (!pending) return this.protocolError('reply without a request');
      if (message.length === 0) return this.protocolError('empty reply');
      pending.resolve(Buffer.from(message));
    }
  }

  private protocolError(what: string): void {
    this.fail(new XSWorkerError(`${this.name}: protocol error: ${what}`));
    this.child.kill('SIGKILL');
  }

  private fail(error: XSWorkerError): void {
    this.exited ??= error;
    const pending = this.pending;
    this.pending = undefined;
    pending?.reject(this.exited);
  }

  private drainStdout(): string[] {
    const chunks: Buffer[] = [];
    const buf = Buffer.alloc(64 * 1024);
    for (;;) {
      const n = readSync(this.stdoutFd, buf, 0, buf.length, this.stdoutOffset);
      if (n === 0) break;
      this.stdoutOffset += n;
      chunks.push(Buffer.from(buf.subarray(0, n)));
    }
    const text = this.stdoutCarry + Buffer.concat(chunks).toString('utf8');
    const lines = text.split('\n');
    this.stdoutCarry = lines.pop() ?? '';
    return lines;
  }

  /** Idle workers must not keep Node's event loop alive; busy ones must. */
  private setRef(on: boolean): void {
    const handles = [this.child, this.toChild, this.fromChild, this.child.stderr] as Array<{ ref?(): void; unref?(): void } | null>;
    for (const h of handles) (on ? h?.ref : h?.unref)?.call(h);
  }
}
