/**
 * Network-namespace plumbing for the interop tests: commands, namespaces, a veth
 * pair, long-running processes with captured output, and cleanup that also runs
 * on failure and on process exit.
 *
 * Everything this module creates is named after the test process's pid
 * (namespaces `hwt<pid><x>`, interfaces `hwg<pid><x>`/`hwv<pid><x>`, temp dirs
 * `/tmp/hwt-<pid>-*`), so leftovers of a crashed run can be recognised and removed
 * once that pid is gone, without touching a concurrent run.
 */
import { spawn, execFileSync, type ChildProcess } from 'node:child_process';
import { test } from 'node:test';
import { existsSync, mkdtempSync, readdirSync, readFileSync, rmSync, statSync } from 'node:fs';
import { delimiter, join } from 'node:path';

export const PID = process.pid;
export const NS_RE = /^hwt(\d+)[a-z]$/;
export const IFACE_RE = /^hw[gv](\d+)[a-z]$/;
const TMP_RE = /^hwt-(\d+)-/;
export const WG_RUN_DIR = '/var/run/wireguard';

export const inCI = !!process.env.CI && !/^(0|false)$/i.test(process.env.CI);

const SBIN_PATH = [process.env.PATH ?? '', '/usr/local/sbin', '/usr/sbin', '/sbin', '/usr/bin', '/bin'].join(delimiter);
/** Environment for child processes: the caller's, plus the sbin dirs where Debian puts `ip`. */
export const BASE_ENV: NodeJS.ProcessEnv = { ...process.env, PATH: SBIN_PATH };

export function which(cmd: string): string | null {
  for (const dir of SBIN_PATH.split(delimiter)) {
    if (!dir) continue;
    const p = join(dir, cmd);
    try { if (statSync(p).isFile()) return p; } catch { /* not here */ }
  }
  return null;
}

export const sleep = (ms: number): Promise<void> => new Promise((r) => setTimeout(r, ms));

// ---------------------------------------------------------------- commands

export interface RunResult { code: number | null; signal: string | null; stdout: string; stderr: string; timedOut: boolean }

/** Runs a command to completion (killed after timeoutMs). Never throws on a non-zero exit. */
export function run(argv: string[], opts: { timeoutMs?: number; env?: NodeJS.ProcessEnv; input?: string } = {}): Promise<RunResult> {
  return new Promise((resolve) => {
    const child = spawn(argv[0], argv.slice(1), { env: opts.env ?? BASE_ENV, stdio: [opts.input === undefined ? 'ignore' : 'pipe', 'pipe', 'pipe'] });
    let stdout = '';
    let stderr = '';
    let timedOut = false;
    child.stdout?.on('data', (d: Buffer) => { stdout += d.toString(); });
    child.stderr?.on('data', (d: Buffer) => { stderr += d.toString(); });
    const timer = setTimeout(() => { timedOut = true; child.kill('SIGKILL'); }, opts.timeoutMs ?? 15_000);
    child.on('error', (e) => { clearTimeout(timer); resolve({ code: null, signal: null, stdout, stderr: stderr + String(e), timedOut }); });
    child.on('close', (code, signal) => { clearTimeout(timer); resolve({ code, signal, stdout, stderr, timedOut }); });
    if (child.stdin) {
      child.stdin.on('error', () => { /* the command did not read its input: its exit status tells */ });
      child.stdin.end(opts.input);
    }
  });
}

export function describeRun(argv: string[], r: RunResult): string {
  const how = r.timedOut ? 'timed out' : r.signal ? `killed by ${r.signal}` : `exit ${r.code}`;
  return `\`${argv.join(' ')}\` ${how}${r.stdout.trim() ? `\nstdout: ${r.stdout.trim()}` : ''}${r.stderr.trim() ? `\nstderr: ${r.stderr.trim()}` : ''}`;
}

/** Runs a command and returns its stdout; throws with the command, exit status and output otherwise. */
export async function must(argv: string[], opts: { timeoutMs?: number; env?: NodeJS.ProcessEnv; input?: string } = {}): Promise<string> {
  const r = await run(argv, opts);
  if (r.code !== 0) throw new Error(describeRun(argv, r));
  return r.stdout;
}

export const inNs = (ns: string, argv: string[]): string[] => ['ip', 'netns', 'exec', ns, ...argv];
export const nsRun = (ns: string, argv: string[], opts?: { timeoutMs?: number; env?: NodeJS.ProcessEnv; input?: string }) => run(inNs(ns, argv), opts);
export const nsMust = (ns: string, argv: string[], opts?: { timeoutMs?: number; env?: NodeJS.ProcessEnv; input?: string }) => must(inNs(ns, argv), opts);

// ---------------------------------------------------------------- processes

export interface Line { index: number; text: string; at: number }

/** A long-running process with its stdout and stderr captured line by line. */
export class Proc {
  readonly lines: Line[] = [];
  readonly started = Date.now();
  exit: { code: number | null; signal: string | null } | null = null;
  readonly exited: Promise<void>;
  private waiters = new Set<() => void>();
  private partial: Record<string, string> = { out: '', err: '' };
  /** Lines matching this are kept but left out of logText() (start-up chatter). */
  quiet: RegExp | null = null;

  constructor(readonly name: string, readonly argv: string[], readonly child: ChildProcess) {
    const take = (which: 'out' | 'err') => (d: Buffer) => {
      const parts = (this.partial[which] + d.toString()).split('\n');
      this.partial[which] = parts.pop() ?? '';
      for (const p of parts) this.push(which === 'err' ? `[stderr] ${p}` : p);
    };
    child.stdout?.on('data', take('out'));
    child.stderr?.on('data', take('err'));
    this.exited = new Promise((resolve) => {
      child.on('error', (e) => { this.push(`[spawn error] ${e.message}`); });
      let finished = false;
      const finish = (code: number | null, signal: string | null) => {
        if (finished) return;
        finished = true;
        for (const w of ['out', 'err'] as const) if (this.partial[w]) this.push(w === 'err' ? `[stderr] ${this.partial[w]}` : this.partial[w]);
        this.partial = { out: '', err: '' };
        this.exit = { code, signal };
        live.delete(this);
        this.wake();
        resolve();
      };
      child.on('close', finish);
      // A grandchild may hold the pipes open: do not wait for 'close' beyond a moment.
      child.on('exit', (code, signal) => { setTimeout(() => finish(code, signal), 300); });
    });
    live.add(this);
  }

  get pid(): number | undefined { return this.child.pid; }
  get running(): boolean { return this.exit === null; }

  private push(text: string): void {
    this.lines.push({ index: this.lines.length, text, at: Date.now() - this.started });
    this.wake();
  }
  private wake(): void { for (const w of [...this.waiters]) w(); }

  find(re: RegExp, from = 0): Line | undefined {
    for (let i = from; i < this.lines.length; i++) if (re.test(this.lines[i].text)) return this.lines[i];
    return undefined;
  }

  /** Waits for a line matching `re` (at or after line `from`); rejects on timeout or exit, with the log. */
  waitFor(re: RegExp, timeoutMs: number, from = 0): Promise<Line> {
    return new Promise((resolve, reject) => {
      const check = () => {
        const hit = this.find(re, from);
        if (hit) { done(); resolve(hit); return; }
        if (this.exit) { done(); reject(new Error(`${this.name} exited (${this.exitText()}) before logging ${re}\n${this.logText()}`)); }
      };
      const timer = setTimeout(() => { done(); reject(new Error(`${this.name}: no line matching ${re} within ${timeoutMs} ms\n${this.logText()}`)); }, timeoutMs);
      const done = () => { clearTimeout(timer); this.waiters.delete(check); };
      this.waiters.add(check);
      check();
    });
  }

  exitText(): string {
    if (!this.exit) return 'running';
    return this.exit.signal ? `signal ${this.exit.signal}` : `code ${this.exit.code}`;
  }

  /** The captured output, last `max` lines, framed for a failure message. */
  logText(max = 80): string {
    const all = this.quiet ? this.lines.filter((l) => !this.quiet!.test(l.text)) : this.lines;
    const shown = all.slice(-max);
    const skipped = all.length - shown.length;
    return `--- ${this.name} (${this.argv.join(' ')}; ${this.exitText()}) ---\n`
      + (skipped ? `[... ${skipped} earlier lines]\n` : '')
      + (shown.length ? shown.map((l) => `${(l.at / 1000).toFixed(2).padStart(7)}s ${l.text}`).join('\n') : '(no output)')
      + `\n--- end ${this.name} ---`;
  }

  /** SIGTERM, then SIGKILL after graceMs. Resolves when the process is gone. */
  async stop(graceMs = 3000): Promise<void> {
    if (!this.running) return;
    try { this.child.kill('SIGTERM'); } catch { /* gone */ }
    const t = setTimeout(() => { try { this.child.kill('SIGKILL'); } catch { /* gone */ } }, graceMs);
    await this.exited;
    clearTimeout(t);
  }

  /** SIGKILL: a crash, as far as the process is concerned. */
  async kill(): Promise<void> {
    if (!this.running) return;
    try { this.child.kill('SIGKILL'); } catch { /* gone */ }
    await this.exited;
  }
}

const live = new Set<Proc>();

/**
 * Starts argv inside namespace `ns` (`ip netns exec` execs it, so the child's pid is
 * the program's own pid and signals reach it directly).
 */
export function spawnIn(ns: string, name: string, argv: string[], env: NodeJS.ProcessEnv = {}, display?: string[]): Proc {
  const full = inNs(ns, argv);
  const child = spawn(full[0], full.slice(1), { env: { ...BASE_ENV, ...env }, stdio: ['ignore', 'pipe', 'pipe'] });
  return new Proc(name, ['ip', 'netns', 'exec', ns, ...(display ?? argv)], child);
}

/** Appends the logs of the given processes to an error's message (for a clear failure report). */
export function withLogs(err: unknown, procs: (Proc | undefined | null)[]): Error {
  const e = err instanceof Error ? err : new Error(String(err));
  const logs = procs.filter((p): p is Proc => !!p).map((p) => p.logText()).filter((l) => !e.message.includes(l));
  if (logs.length) e.message += '\n\n' + logs.join('\n\n');
  return e;
}

// ---------------------------------------------------------------- namespaces

const namespaces = new Set<string>();
const tempDirs = new Set<string>();

export async function createNs(suffix: string): Promise<string> {
  const ns = `hwt${PID}${suffix}`;
  deleteNsSync(ns); // a namespace of a crashed run whose pid we now reuse
  namespaces.add(ns);
  await must(['ip', 'netns', 'add', ns]);
  await nsMust(ns, ['ip', 'link', 'set', 'lo', 'up']);
  return ns;
}

/**
 * A veth pair between two namespaces, with an IPv4 address (CIDR) on each end. Its ends are
 * `hwv<pid><x>` with the one-letter suffixes given (default a and b; pass others for a second pair).
 */
export async function createVeth(nsA: string, addrA: string, nsB: string, addrB: string, suffixes: [string, string] = ['a', 'b']): Promise<{ a: string; b: string }> {
  const a = `hwv${PID}${suffixes[0]}`;
  const b = `hwv${PID}${suffixes[1]}`;
  await must(['ip', 'link', 'add', a, 'netns', nsA, 'type', 'veth', 'peer', 'name', b, 'netns', nsB]);
  await nsMust(nsA, ['ip', 'addr', 'add', addrA, 'dev', a]);
  await nsMust(nsB, ['ip', 'addr', 'add', addrB, 'dev', b]);
  await nsMust(nsA, ['ip', 'link', 'set', a, 'up']);
  await nsMust(nsB, ['ip', 'link', 'set', b, 'up']);
  return { a, b };
}

export function makeTempDir(): string {
  const dir = mkdtempSync(`/tmp/hwt-${PID}-`);
  tempDirs.add(dir);
  return dir;
}

/** Alive and not a zombie (a container's pid 1 may never reap a killed test runner). */
function pidAlive(pid: number): boolean {
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
    return !/^\d+ \(.*\) [ZX]/s.test(stat);
  } catch {
    return false;
  }
}

function killQuiet(pid: number): void { try { process.kill(pid, 'SIGKILL'); } catch { /* gone */ } }

function nsPidsSync(ns: string): number[] {
  try {
    return execFileSync('ip', ['netns', 'pids', ns], { env: BASE_ENV, stdio: ['ignore', 'pipe', 'ignore'] })
      .toString().split(/\s+/).filter(Boolean).map(Number);
  } catch { return []; }
}

function deleteNsSync(ns: string): void {
  for (const p of nsPidsSync(ns)) killQuiet(p);
  for (let i = 0; i < 20 && nsPidsSync(ns).length; i++) execFileSync('sleep', ['0.05']);
  try { execFileSync('ip', ['netns', 'del', ns], { env: BASE_ENV, stdio: 'ignore' }); } catch { /* already gone */ }
}

/** Processes (any namespace) whose command line names a resource owned by test pid `owner`. */
function ownedProcesses(isDead: (owner: number) => boolean): number[] {
  const out: number[] = [];
  let entries: string[] = [];
  try { entries = readdirSync('/proc'); } catch { return out; }
  for (const e of entries) {
    if (!/^\d+$/.test(e) || Number(e) === PID) continue;
    let args: string[];
    try { args = readFileSync(`/proc/${e}/cmdline`).toString().split('\0'); } catch { continue; }
    for (const a of args) {
      const m = IFACE_RE.exec(a) ?? NS_RE.exec(a) ?? /\/tmp\/hwt-(\d+)-/.exec(a);
      if (m && isDead(Number(m[1]))) { out.push(Number(e)); break; }
    }
  }
  return out;
}

/** Removes what earlier runs of this test left behind (their owner pid is gone). */
export function removeLeftovers(): string[] {
  const removed: string[] = [];
  const dead = (owner: number) => owner !== PID && !pidAlive(owner);
  for (const p of ownedProcesses(dead)) { killQuiet(p); removed.push(`process ${p}`); }
  let list = '';
  try { list = execFileSync('ip', ['netns', 'list'], { env: BASE_ENV, stdio: ['ignore', 'pipe', 'ignore'] }).toString(); } catch { /* no ip */ }
  for (const line of list.split('\n')) {
    const ns = line.split(' ')[0];
    const m = NS_RE.exec(ns);
    if (m && dead(Number(m[1]))) { deleteNsSync(ns); removed.push(`netns ${ns}`); }
  }
  try {
    for (const f of readdirSync(WG_RUN_DIR)) {
      const m = /^(hwg\d+[a-z])\.sock$/.exec(f);
      const o = m && IFACE_RE.exec(m[1]);
      if (o && dead(Number(o[1]))) { rmSync(join(WG_RUN_DIR, f), { force: true }); removed.push(`socket ${f}`); }
    }
  } catch { /* no dir */ }
  try {
    for (const f of readdirSync('/tmp')) {
      const m = TMP_RE.exec(f);
      if (m && dead(Number(m[1]))) { rmSync(join('/tmp', f), { recursive: true, force: true }); removed.push(`dir /tmp/${f}`); }
    }
  } catch { /* no /tmp */ }
  return removed;
}

/** Synchronous cleanup of everything this process created (safe to call repeatedly, and from 'exit'). */
export function cleanupSync(): void {
  for (const p of [...live]) if (p.pid) killQuiet(p.pid);
  for (const p of ownedProcesses((o) => o === PID)) killQuiet(p);
  for (const ns of [...namespaces]) { deleteNsSync(ns); namespaces.delete(ns); }
  try {
    for (const f of readdirSync(WG_RUN_DIR)) if (f.startsWith(`hwg${PID}`) && f.endsWith('.sock')) rmSync(join(WG_RUN_DIR, f), { force: true });
  } catch { /* no dir */ }
  for (const d of [...tempDirs]) { rmSync(d, { recursive: true, force: true }); tempDirs.delete(d); }
}

/** Graceful cleanup for `after` hooks: stop processes politely, then remove everything. */
export async function cleanup(): Promise<void> {
  await Promise.all([...live].map((p) => p.stop(2000)));
  cleanupSync();
}

let hooked = false;
/** Ensures cleanup also happens when the process exits or is interrupted. */
export function installExitCleanup(): void {
  if (hooked) return;
  hooked = true;
  process.on('exit', cleanupSync);
  for (const sig of ['SIGINT', 'SIGTERM', 'SIGHUP'] as const) {
    process.once(sig, () => { cleanupSync(); process.exit(130); });
  }
}

// ---------------------------------------------------------------- prerequisites

export interface Prereqs { skip?: string; fail?: string }

/**
 * The gate of an interop test file: the reason to skip its tests, or false to
 * run them. Missing prerequisites that must not be missing (see checkPrereqs)
 * become one failing test named `<name> prerequisites`.
 */
export async function interopGate(name: string): Promise<string | false> {
  const prereqs = await checkPrereqs();
  if (prereqs.fail) {
    const why = prereqs.fail;
    test(`${name} prerequisites`, () => { throw new Error(why); });
  }
  return prereqs.skip ?? (prereqs.fail ? 'interop prerequisites are missing (see the failing test)' : false);
}

/**
 * Whether the interop tests can run here. Not root, no /dev/net/tun, no `ip netns`,
 * or missing tools mean "skip", except that in CI (CI=true) as root a missing
 * wireguard-go, wg or ping is a failure: .ci/run installs them.
 */
export async function checkPrereqs(): Promise<Prereqs> {
  if (process.platform !== 'linux') return { skip: `not Linux (${process.platform})` };
  if (typeof process.getuid !== 'function' || process.getuid() !== 0) return { skip: 'not root (network namespaces and TUN need root)' };
  if (!existsSync('/dev/net/tun')) return { skip: '/dev/net/tun is missing' };
  if (!which('ip')) return { skip: '`ip` (iproute2) is not installed' };
  const probe = `hwt${PID}p`;
  const r = await run(['ip', 'netns', 'add', probe]);
  await run(['ip', 'netns', 'del', probe]);
  if (r.code !== 0) return { skip: `\`ip netns add\` fails: ${(r.stderr || r.stdout).trim()}` };
  const missing = ['wireguard-go', 'wg', 'ping'].filter((c) => !which(c));
  if (missing.length) {
    const msg = `${missing.join(', ')} not installed (Debian: apt-get install wireguard-go wireguard-tools iputils-ping)`;
    return inCI ? { fail: `CI=true and root, but ${msg}` } : { skip: msg };
  }
  return {};
}

/** Polls `check` every `everyMs` until it returns a truthy value; throws `what` on timeout. */
export async function poll<T>(what: string, timeoutMs: number, check: () => Promise<T | null | undefined | false>, everyMs = 200): Promise<T> {
  const end = Date.now() + timeoutMs;
  for (;;) {
    const v = await check();
    if (v) return v;
    if (Date.now() >= end) throw new Error(`timed out after ${timeoutMs} ms waiting for ${what}`);
    await sleep(everyMs);
  }
}

/** True when a UDP socket is bound to `port` (any address) inside namespace `ns`. */
export async function udpPortBound(ns: string, port: number): Promise<boolean> {
  const hex = port.toString(16).toUpperCase().padStart(4, '0');
  for (const file of ['/proc/net/udp', '/proc/net/udp6']) {
    const r = await nsRun(ns, ['cat', file], { timeoutMs: 3000 });
    if (r.code !== 0) continue;
    for (const line of r.stdout.split('\n').slice(1)) {
      const local = line.trim().split(/\s+/)[1];
      if (local && local.endsWith(`:${hex}`)) return true;
    }
  }
  return false;
}
