/**
 * The homeward CLI (`node bin/homeward.js up <file.conf>`) inside a network
 * namespace, with its log captured line by line.
 */
import { existsSync, mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { nsRun, poll, Proc, spawnIn, udpPortBound, withLogs } from './netns';

export const REPO = fileURLToPath(new URL('../../', import.meta.url));
export const HOMEWARD_BIN = join(REPO, 'bin', 'homeward.js');

export interface HomewardPeer {
  publicKey: string;
  presharedKey?: string;
  endpoint?: string;
  allowedIps: string;
  persistentKeepalive?: number;
  /** Liveness (seconds between in-tunnel pings; probes missed before the peer is down; IPv4 target). */
  pingInterval?: number;
  pingMisses?: number;
  pingTarget?: string;
  /** Failover group name: same-group peers are alternative gateways for the same routes, in config order. */
  group?: string;
}

export interface HomewardConfig {
  privateKey: string;
  listenPort: number;
  /** Tunnel address, e.g. 10.100.0.2/24. */
  address: string;
  /** `127.0.0.1:7001 -> 10.100.0.1:7001` */
  localForwards?: string[];
  /** `7000 -> 127.0.0.1:7100` */
  remoteForwards?: string[];
  underLoadAfter?: number;
  /** Lifecycle keys, in seconds. */
  unusedLifetime?: number;
  maxSegmentLifetime?: number;
  failoverAfter?: number;
  failbackAfter?: number;
  peers: HomewardPeer[];
}

/** The wg-quick INI text for a homeward config. */
export function homewardConfText(c: HomewardConfig): string {
  const l = ['[Interface]', `PrivateKey = ${c.privateKey}`, `ListenPort = ${c.listenPort}`, `Address = ${c.address}`];
  for (const f of c.localForwards ?? []) l.push(`LocalForward = ${f}`);
  for (const f of c.remoteForwards ?? []) l.push(`RemoteForward = ${f}`);
  if (c.underLoadAfter !== undefined) l.push(`UnderLoadAfter = ${c.underLoadAfter}`);
  if (c.unusedLifetime !== undefined) l.push(`UnusedLifetime = ${c.unusedLifetime}`);
  if (c.maxSegmentLifetime !== undefined) l.push(`MaxSegmentLifetime = ${c.maxSegmentLifetime}`);
  if (c.failoverAfter !== undefined) l.push(`FailoverAfter = ${c.failoverAfter}`);
  if (c.failbackAfter !== undefined) l.push(`FailbackAfter = ${c.failbackAfter}`);
  for (const p of c.peers) {
    l.push('', '[Peer]', `PublicKey = ${p.publicKey}`);
    if (p.presharedKey) l.push(`PresharedKey = ${p.presharedKey}`);
    if (p.endpoint) l.push(`Endpoint = ${p.endpoint}`);
    l.push(`AllowedIPs = ${p.allowedIps}`);
    if (p.persistentKeepalive) l.push(`PersistentKeepalive = ${p.persistentKeepalive}`);
    if (p.pingInterval !== undefined) l.push(`PingInterval = ${p.pingInterval}`);
    if (p.pingMisses !== undefined) l.push(`PingMisses = ${p.pingMisses}`);
    if (p.pingTarget !== undefined) l.push(`PingTarget = ${p.pingTarget}`);
    if (p.group !== undefined) l.push(`Group = ${p.group}`);
  }
  return l.join('\n') + '\n';
}

const forwardPort = (spec: string): number => Number(/:(\d+)\s*->/.exec(spec)?.[1]);

export class Homeward {
  private constructor(readonly ns: string, readonly proc: Proc, readonly confPath: string, readonly runDir: string) {}

  /**
   * Writes the config, runs `homeward up`, and waits until its UDP port and its
   * LocalForward sockets are bound (not depending on any particular log line).
   */
  /** `env` is added to the process's environment (e.g. libfaketime's, for a clock at 1970). */
  static async start(ns: string, config: HomewardConfig, dir: string, name = 'homeward', env: NodeJS.ProcessEnv = {}): Promise<Homeward> {
    if (!existsSync(HOMEWARD_BIN)) throw new Error(`${HOMEWARD_BIN} does not exist (the homeward CLI has not landed yet)`);
    const confPath = join(dir, `${name}.conf`);
    writeFileSync(confPath, homewardConfText(config), { mode: 0o600 });
    const runDir = join(dir, `${name}.run`);
    mkdirSync(runDir, { recursive: true, mode: 0o700 });
    const proc = spawnIn(ns, name, [process.execPath, HOMEWARD_BIN, 'up', confPath], { ...env, HOMEWARD_RUN_DIR: runDir });
    const hw = new Homeward(ns, proc, confPath, runDir);
    const ports = [config.listenPort, ...(config.localForwards ?? []).map(forwardPort)];
    try {
      await poll(`homeward to bind UDP ports ${ports.join(', ')} in ${ns}`, 10_000, async () => {
        if (!proc.running) throw new Error(`homeward exited (${proc.exitText()}) during start-up`);
        for (const p of ports) if (!(await udpPortBound(ns, p))) return false;
        return true;
      }, 100);
    } catch (e) {
      await proc.stop();
      throw withLogs(new Error(`${(e as Error).message}\nconfig ${confPath}:\n${homewardConfText({
        ...config, privateKey: '(redacted)', peers: config.peers.map((p) => ({ ...p, presharedKey: p.presharedKey && '(redacted)' })),
      })}`), [proc]);
    }
    return hw;
  }

  /** `homeward show --json`, parsed. */
  async show(): Promise<unknown> {
    const argv = [process.execPath, HOMEWARD_BIN, 'show', '--json'];
    const r = await nsRun(this.ns, argv, { env: { ...process.env, HOMEWARD_RUN_DIR: this.runDir }, timeoutMs: 5000 });
    if (r.code !== 0) throw new Error(`homeward show --json failed (exit ${r.code}): ${r.stderr.trim() || r.stdout.trim()}`);
    try { return JSON.parse(r.stdout); } catch { throw new Error(`homeward show --json printed no JSON:\n${r.stdout}`); }
  }

  /** The per-peer status object for `publicKey` in `show --json` (searched anywhere in the output). */
  async peerStatus(publicKey: string): Promise<Record<string, unknown>> {
    const status = await this.show();
    const found = findByKey(status, publicKey);
    if (!found) throw new Error(`homeward show --json has no peer ${publicKey}:\n${JSON.stringify(status, null, 2)}`);
    return found;
  }

  /** Log lines matching `re`, in order. */
  events(re: RegExp): number[] { return this.proc.lines.filter((l) => re.test(l.text)).map((l) => l.index); }

  waitFor(re: RegExp, timeoutMs: number, from = 0) { return this.proc.waitFor(re, timeoutMs, from); }

  stop(): Promise<void> { return this.proc.stop(); }
}

function findByKey(v: unknown, key: string): Record<string, unknown> | undefined {
  if (Array.isArray(v)) {
    for (const x of v) { const f = findByKey(x, key); if (f) return f; }
  } else if (v && typeof v === 'object') {
    const o = v as Record<string, unknown>;
    if (o.publicKey === key && ('lastHandshakeAgoMs' in o || 'endpoint' in o || 'allowedIps' in o)) return o;
    for (const x of Object.values(o)) { const f = findByKey(x, key); if (f) return f; }
  }
  return undefined;
}
