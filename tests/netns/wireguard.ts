/**
 * wireguard-go (userspace WireGuard, Debian package `wireguard-go`) inside a
 * network namespace, configured with `wg` as wg-quick would.
 *
 * Facts this relies on (wireguard-go v0.0.20220316, Debian bookworm):
 * - `wireguard-go -f <iface>` stays in the foreground and logs to stdout. Without
 *   WG_PROCESS_FOREGROUND=1 it first prints a boxed "not required because this kernel
 *   has first class support" warning to stderr whenever the kernel has WireGuard
 *   (harmless; the env var suppresses it). LOG_LEVEL=verbose (or debug) logs every
 *   handshake, cookie and keepalive as `DEBUG: (<iface>) <date> <time> ...`; the
 *   default is errors only.
 * - Its UAPI socket is /var/run/wireguard/<iface>.sock. `ip netns exec` shares /var/run
 *   with the host, so that path is global: interface names must be unique across
 *   namespaces, and `wg` finds the socket from any namespace.
 * - The TUN device and UDP socket are created in the namespace the process starts in.
 * - On SIGTERM it removes the interface and the socket; after SIGKILL the kernel
 *   removes the interface, but the socket file stays behind (we remove it).
 */
import { chmodSync, existsSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { must, nsMust, nsRun, poll, Proc, spawnIn, WG_RUN_DIR } from './netns';

export interface KeyPair { privateKey: string; publicKey: string }

export async function wgGenKey(): Promise<KeyPair> {
  const privateKey = (await must(['wg', 'genkey'])).trim();
  const publicKey = (await must(['wg', 'pubkey'], { input: privateKey + '\n' })).trim();
  return { privateKey, publicKey };
}

export async function wgGenPsk(): Promise<string> {
  return (await must(['wg', 'genpsk'])).trim();
}

export interface WgPeer {
  publicKey: string;
  presharedKey?: string;
  /** host:port */
  endpoint?: string;
  allowedIps: string;
  persistentKeepalive?: number;
}

export interface WgConfig {
  ns: string;
  iface: string;
  privateKey: string;
  listenPort: number;
  /** Tunnel address in CIDR form, e.g. 10.100.0.1/24. */
  address: string;
  peers: WgPeer[];
}

/** A running wireguard-go with its configuration (so it can be restarted identically). */
export class WireguardGo {
  private constructor(readonly config: WgConfig, readonly proc: Proc, private readonly dir: string) {}

  static async start(config: WgConfig, dir: string): Promise<WireguardGo> {
    const { ns, iface } = config;
    const sock = join(WG_RUN_DIR, `${iface}.sock`);
    // A socket file left by a SIGKILLed predecessor would make `wg` talk to nobody.
    rmSync(sock, { force: true });
    const proc = spawnIn(ns, `wireguard-go ${iface}`, ['wireguard-go', '-f', iface], {
      WG_PROCESS_FOREGROUND: '1',
      LOG_LEVEL: 'verbose',
    });
    proc.quiet = / Routine: /;
    const wg = new WireguardGo(config, proc, dir);
    try {
      await poll(`${sock} (wireguard-go UAPI socket)`, 5000, async () => {
        if (!proc.running) throw new Error(`wireguard-go exited (${proc.exitText()}) during start-up`);
        return existsSync(sock);
      }, 50);
      await wg.configure();
    } catch (e) {
      await proc.stop();
      const err = e instanceof Error ? e : new Error(String(e));
      err.message += '\n' + proc.logText();
      throw err;
    }
    return wg;
  }

  /** `wg set` (keys via files), address, link up: what wg-quick does. */
  private async configure(): Promise<void> {
    const { ns, iface, privateKey, listenPort, address, peers } = this.config;
    const keyFile = join(this.dir, `${iface}.key`);
    writeFileSync(keyFile, privateKey + '\n', { mode: 0o600 });
    chmodSync(keyFile, 0o600);
    const args = ['wg', 'set', iface, 'listen-port', String(listenPort), 'private-key', keyFile];
    peers.forEach((p, i) => {
      args.push('peer', p.publicKey, 'allowed-ips', p.allowedIps);
      if (p.presharedKey) {
        const pskFile = join(this.dir, `${iface}.psk${i}`);
        writeFileSync(pskFile, p.presharedKey + '\n', { mode: 0o600 });
        args.push('preshared-key', pskFile);
      }
      if (p.endpoint) args.push('endpoint', p.endpoint);
      if (p.persistentKeepalive) args.push('persistent-keepalive', String(p.persistentKeepalive));
    });
    await nsMust(ns, args);
    await nsMust(ns, ['ip', 'addr', 'add', address, 'dev', iface]);
    await nsMust(ns, ['ip', 'link', 'set', iface, 'up']);
  }

  get ns(): string { return this.config.ns; }
  get iface(): string { return this.config.iface; }

  /** Unix seconds of the latest handshake with `publicKey` (0 = never), from `wg show`. */
  async latestHandshake(publicKey: string): Promise<number> {
    const out = await nsMust(this.ns, ['wg', 'show', this.iface, 'latest-handshakes']);
    for (const line of out.split('\n')) {
      const [key, secs] = line.trim().split(/\s+/);
      if (key === publicKey) return Number(secs) || 0;
    }
    return 0;
  }

  /** `wg show <iface>` (keys hidden) for failure reports. */
  async dump(): Promise<string> {
    const r = await nsRun(this.ns, ['wg', 'show', this.iface], { timeoutMs: 3000 });
    return r.code === 0 ? r.stdout.trim() : `(wg show failed: ${r.stderr.trim()})`;
  }

  /** Waits until the latest handshake with `publicKey` is newer than `after` (unix seconds). */
  async waitHandshake(publicKey: string, timeoutMs: number, after = 0): Promise<number> {
    return poll(`a handshake on ${this.iface} with ${publicKey} (wg latest-handshakes > ${after})`, timeoutMs, async () => {
      if (!this.proc.running) throw new Error(`wireguard-go exited (${this.proc.exitText()})`);
      const t = await this.latestHandshake(publicKey);
      return t > after ? t : 0;
    }, 250);
  }

  /** Stops it (SIGTERM, or SIGKILL with `crash`) and waits until its interface and socket are gone. */
  async stop(crash = false): Promise<void> {
    if (crash) await this.proc.kill(); else await this.proc.stop();
    rmSync(join(WG_RUN_DIR, `${this.iface}.sock`), { force: true });
    await poll(`${this.iface} to disappear`, 5000, async () => {
      const r = await nsRun(this.ns, ['ip', 'link', 'show', this.iface], { timeoutMs: 3000 });
      return r.code !== 0;
    }, 100);
  }

  /** A new wireguard-go with the same key and configuration. */
  async restart(crash = false): Promise<WireguardGo> {
    await this.stop(crash);
    return WireguardGo.start(this.config, this.dir);
  }
}
