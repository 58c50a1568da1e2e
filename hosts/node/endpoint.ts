/**
 * Runs one Device on Node: a udp4 socket on ListenPort, one timer armed at
 * the device's next deadline, the forward sockets, and the control socket
 * `homeward show` talks to.
 *
 * Every call into the device goes through `enter()`, which re-arms the timer
 * afterwards: any call may move the next deadline, and one OS timer at
 * pollTimeout() is the whole timer story (STYLE.md "a host arms one OS timer").
 *
 * The host's own parts of liveness and lifecycle live here too: DNS endpoints
 * looked up again when their peer fails (RERESOLVE_ON), and the polite
 * shutdown on SIGINT/SIGTERM (shutdown()).
 */
import { ceilingStore } from './ceiling-store';
import type { DeviceApi } from '../../modules/host';
import { createSocket, type Socket } from 'node:dgram';
import { webcrypto } from 'node:crypto';
import type { DeviceConfig } from '../../modules/config';
import { Device, SEND_NO_ROUTE, SEND_OK, SEND_STAGED, SEND_TOO_BIG } from '../../modules/device';
import type { DeviceEvent, DeviceHost } from '../../modules/host';
import type { DeviceStatus } from '../../modules/status';
import type { NodeConfig } from './config';
import { ControlServer, ensureRunDir, runDir as defaultRunDir, socketPath } from './control';
import { bindSocket, Forwarder } from './forward';
import { shortKey, type Log } from './log';
import { endpointName, resolveEndpoints, resolveIpv4 } from './resolve';

export type DeviceFactory = (config: DeviceConfig, host: DeviceHost) => DeviceApi;

export interface EndpointOptions {
  log: Log;
  /** Default: runDir() of control.ts. */
  runDir?: string;
  /** Default: the core's Device. Tests may pass a fake. */
  factory?: DeviceFactory;
  /** DNS name → IPv4 address. Default: resolveIpv4 (the system resolver). Tests may pass a fake. */
  resolve?: (host: string) => Promise<string>;
}

/** What the control socket answers to `show`: the device status plus host facts. */
export interface ShowReply extends DeviceStatus {
  name: string;
  listenPort: number;
}

/** setTimeout's limit (2^31 - 1 ms); longer deadlines are re-checked when it fires. */
const MAX_TIMER_MS = 0x7fffffff;

/** How long shutdown() waits for CLOSE_ACKs (PROTOCOL.md §7): a stop must stay prompt if peers are gone. */
export const SHUTDOWN_GRACE_MS = 2_000;

/**
 * Events after which a peer whose Endpoint is a DNS name may have moved, so
 * the name is looked up again: a failed handshake series (as wireguard-tools'
 * reresolve-dns.sh does), a dead session, and a failover.
 */
const RERESOLVE_ON: ReadonlySet<string> = new Set(['handshake-failed', 'peer-down', 'failover']);

/** One running Device with its sockets; made by start(), ended by stop(). */
export class NodeEndpoint {
  private device!: DeviceApi;
  private socket!: Socket;
  private forwarder!: Forwarder;
  private control: ControlServer | null = null;
  private timer: NodeJS.Timeout | null = null;
  private armedFor = Infinity;
  private stopped = false;
  private resolving = new Set<number>();
  private resolve: (host: string) => Promise<string> = resolveIpv4;
  /** Set while shutdown() waits: called after every device call, to see whether all closes are done. */
  private onDeviceCall: (() => void) | null = null;
  /** The bound UDP port (ListenPort, or the one the OS chose for 0). */
  listenPort = 0;

  private constructor(readonly cfg: NodeConfig, private readonly log: Log) {}

  /**
   * Resolves endpoint names, builds the Device, binds every socket and starts
   * the control server. If anything fails, whatever was opened is closed again
   * and the error (a message fit for the user) is thrown.
   */
  static async start(cfg: NodeConfig, options: EndpointOptions): Promise<NodeEndpoint> {
    const ep = new NodeEndpoint(cfg, options.log);
    try {
      await ep.open(options);
    } catch (e) {
      await ep.stop(false);
      throw e;
    }
    return ep;
  }

  private async open(options: EndpointOptions): Promise<void> {
    const { cfg, log } = this;
    if (options.resolve) this.resolve = options.resolve;
    await resolveEndpoints(cfg, this.resolve);
    const factory = options.factory ?? ((config, host) => new Device(config, host));
    this.socket = createSocket('udp4');
    this.forwarder = new Forwarder(cfg.file, cfg.localForwards, cfg.remoteForwards, {
      sendUdp: (srcPort, dstIp, dstPort, payload, len) => this.enter((now) => this.device.sendUdp(now, srcPort, dstIp, dstPort, payload, 0, len)),
      describeSendFailure,
      log,
    });
    this.device = factory(cfg.device, this.makeHost());

    const port = cfg.device.interface.listenPort;
    try {
      this.listenPort = await bindSocket(this.socket, port);
    } catch (e) {
      const code = (e as NodeJS.ErrnoException).code;
      throw new Error(`${cfg.file}: ListenPort: UDP port ${port} ${code === 'EADDRINUSE' ? 'is already in use' : `cannot be bound (${(e as Error).message})`}`);
    }
    this.socket.on('message', (msg, rinfo) => {
      // A plain Uint8Array view, not the Buffer: Buffer#slice shares memory where
      // Uint8Array#slice copies, and the core relies on slice() copying.
      const data = new Uint8Array(msg.buffer, msg.byteOffset, msg.length);
      this.enter((now) => this.device.handleDatagram(now, data, data.length, rinfo.address, rinfo.port));
    });
    this.socket.on('error', (e) => log.limit('socket-error', 'socket-error', { error: e.message }));
    await this.forwarder.bind();

    const dir = options.runDir ?? defaultRunDir();
    ensureRunDir(dir);
    this.control = await ControlServer.listen(socketPath(dir, cfg.name), () => this.show());

    const status = this.device.status(now());
    log.line('up', {
      listen: `0.0.0.0:${this.listenPort}`, 'public-key': status.publicKey, address: status.address ?? 'none',
      peers: cfg.device.peers.length, control: this.control.path,
    });
    cfg.device.peers.forEach((p, i) => {
      const name = endpointName(cfg, i);
      log.line('peer', {
        peer: shortKey(status.peers[i]?.publicKey ?? ''),
        endpoint: p.endpoint ? `${p.endpoint.address}:${p.endpoint.port}` : 'none',
        dns: name ? `${name.host}:${name.port}` : undefined,
        'allowed-ips': p.allowedIps.length ? status.peers[i]?.allowedIps.join(',') : 'none',
        keepalive: p.persistentKeepalive || undefined,
      });
    });
    // wireguard-go sends a keepalive (so a handshake) as soon as a persistent keepalive is set on an up device.
    cfg.device.peers.forEach((p, i) => {
      if (p.persistentKeepalive > 0 && p.endpoint) this.enter((now) => this.device.connect(now, i));
    });
    this.arm();
  }

  /** The reply to `show` on the control socket. */
  show(): ShowReply {
    return { name: this.cfg.name, listenPort: this.listenPort, ...this.device.status(now()) };
  }

  /**
   * SIGINT/SIGTERM: closes every session politely (CLOSE to homeward peers,
   * PROTOCOL.md §6), keeps the UDP socket and the timer running until every
   * CLOSE is acknowledged or `graceMs` passed, then stop()s. The forwards
   * close first: new data would only reopen the sessions being closed.
   */
  async shutdown(graceMs = SHUTDOWN_GRACE_MS): Promise<void> {
    if (this.stopped) return;
    this.forwarder?.close();
    const pending = this.enter((t) => this.device.shutdown(t));
    if (pending > 0) {
      this.log.line('shutdown', { closing: pending, 'wait-ms': graceMs });
      await new Promise<void>((resolve) => {
        const done = (): void => {
          clearTimeout(timer);
          this.onDeviceCall = null;
          resolve();
        };
        const timer = setTimeout(done, graceMs);
        this.onDeviceCall = () => { if (this.device.closingCount() === 0) done(); };
      });
      const left = this.device.closingCount();
      if (left > 0) this.log.line('close-timeout', { unacknowledged: left });
    }
    await this.stop();
  }

  /** Closes every socket and the control socket. Idempotent. */
  async stop(logIt = true): Promise<void> {
    if (this.stopped) return;
    this.stopped = true;
    if (this.timer) clearTimeout(this.timer);
    this.timer = null;
    this.forwarder?.close();
    if (this.control) await this.control.close();
    if (this.socket) {
      try { this.socket.close(); } catch { /* never bound */ }
    }
    if (logIt) this.log.line('down');
  }

  /** Runs fn with the current time, then re-arms the timer for the (possibly new) next deadline. */
  private enter<T>(fn: (now: number) => T): T {
    try {
      return fn(now());
    } finally {
      this.arm();
      this.onDeviceCall?.();
    }
  }

  private arm(): void {
    if (this.stopped) return;
    const deadline = this.device.pollTimeout();
    if (deadline === this.armedFor && this.timer !== null) return;
    if (this.timer) clearTimeout(this.timer);
    this.timer = null;
    this.armedFor = deadline;
    if (!Number.isFinite(deadline)) return; // Infinity: nothing pending (NaN would spin a 1 ms timer)
    // +1: Node may fire a hair early against performance.now(); a deadline not yet due would re-arm at 0 ms forever.
    const delay = Math.min(MAX_TIMER_MS, Math.max(0, Math.ceil(deadline - now()) + 1));
    this.timer = setTimeout(() => {
      this.timer = null;
      this.armedFor = Infinity;
      this.enter((t) => this.device.handleTimeout(t));
    }, delay);
  }

  private makeHost(): DeviceHost {
    return {
      send: (data, len, address, port) => {
        if (this.stopped) return;
        // The core reuses `data` as soon as we return; dgram sends later.
        this.socket.send(Buffer.from(data.subarray(0, len)), port, address, (e) => {
          if (e) this.log.limit('send-error', 'send-error', { to: `${address}:${port}`, error: e.message });
        });
      },
      deliverUdp: (peer, srcIp, srcPort, dstPort, buf, off, len) => this.forwarder.deliver(peer, srcIp, srcPort, dstPort, buf, off, len),
      random: (out) => { webcrypto.getRandomValues(out); },
      event: (e) => this.onEvent(e),
      wallClock: () => Date.now(),
      // The ceiling keeps TAI64N monotonic even if this machine's clock steps back across a restart.
      store: ceilingStore(this.cfg.file, (message) => this.log.limit('store-error', 'store-error', { error: message })),
    };
  }

  private onEvent(e: DeviceEvent): void {
    let endpoint: string | undefined;
    let group: string | undefined;
    if (e.peer >= 0) {
      // Events are rare (handshakes, state changes); building a status for the endpoint is fine here.
      endpoint = this.device?.status(now()).peers[e.peer]?.endpoint ?? undefined;
      group = this.cfg.device.peers[e.peer]?.group ?? undefined;
    }
    this.log.line(e.name, { peer: e.publicKey ? shortKey(e.publicKey) : undefined, endpoint, group, detail: e.detail });
    if (e.peer >= 0 && RERESOLVE_ON.has(e.name)) {
      // A failover names the new active gateway; the one it left has just failed: look up the whole group.
      const peers = e.name === 'failover' && group !== undefined
        ? this.cfg.endpointNames.filter((n) => this.cfg.device.peers[n.peer].group === group).map((n) => n.peer)
        : [e.peer];
      for (const i of peers) void this.reresolve(i);
    }
  }

  /** Looks a peer's Endpoint name up again and points the device there if it moved (nothing to do without a name). */
  private async reresolve(peer: number): Promise<void> {
    const name = endpointName(this.cfg, peer);
    if (!name || this.resolving.has(peer)) return;
    this.resolving.add(peer);
    try {
      const address = await this.resolve(name.host);
      if (this.stopped) return;
      // Compared with where the device sends now (it may have roamed), not with the last lookup.
      const target = `${address}:${name.port}`;
      const st = this.device.status(now()).peers[peer];
      if (st?.endpoint === target) return;
      this.cfg.device.peers[peer].endpoint = { address, port: name.port };
      this.log.line('endpoint-resolved', { peer: st ? shortKey(st.publicKey) : undefined, host: name.host, address: target });
      this.enter((t) => this.device.setEndpoint(t, peer, address, name.port));
    } catch (e) {
      this.log.limit('resolve-error', 'resolve-error', { host: name.host, error: (e as NodeJS.ErrnoException).code ?? (e as Error).message });
    } finally {
      this.resolving.delete(peer);
    }
  }
}

/** The monotonic clock the device runs on, in milliseconds. */
function now(): number {
  return performance.now();
}

function describeSendFailure(code: number): string | null {
  switch (code) {
    case SEND_OK:
    case SEND_STAGED: return null; // staged behind a handshake: normal
    case SEND_NO_ROUTE: return 'no route (destination not in any peer\'s AllowedIPs)';
    case SEND_TOO_BIG: return 'datagram too big for the tunnel MTU';
    default: return `send failed (code ${code})`;
  }
}
