/**
 * Runs one Device on Node: a udp4 socket on ListenPort, one timer armed at
 * the device's next deadline, the forward sockets, and the control socket
 * `homeward show` talks to.
 *
 * Every call into the device goes through `enter()`, which re-arms the timer
 * afterwards: any call may move the next deadline, and one OS timer at
 * pollTimeout() is the whole timer story (STYLE.md "a host arms one OS timer").
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

/**
 * The part of the Device API this host drives (modules/device.ts `Device`
 * has this shape). `setPeerEndpoint` is optional: when the core offers it,
 * a re-resolved DNS name is applied to the running device.
 */
export interface NodeDevice extends DeviceApi {
  setPeerEndpoint?(now: number, peer: number, address: string, port: number): void;
}

export type DeviceFactory = (config: DeviceConfig, host: DeviceHost) => NodeDevice;

export interface EndpointOptions {
  log: Log;
  /** Default: runDir() of control.ts. */
  runDir?: string;
  /** Default: the core's Device. Tests may pass a fake. */
  factory?: DeviceFactory;
}

/** What the control socket answers to `show`: the device status plus host facts. */
export interface ShowReply extends DeviceStatus {
  name: string;
  listenPort: number;
}

/** setTimeout's limit (2^31 - 1 ms); longer deadlines are re-checked when it fires. */
const MAX_TIMER_MS = 0x7fffffff;

/** One running Device with its sockets; made by start(), ended by stop(). */
export class NodeEndpoint {
  private device!: NodeDevice;
  private socket!: Socket;
  private forwarder!: Forwarder;
  private control: ControlServer | null = null;
  private timer: NodeJS.Timeout | null = null;
  private armedFor = Infinity;
  private stopped = false;
  private resolving = new Set<number>();
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
    await resolveEndpoints(cfg);
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
    if (e.peer >= 0) {
      // Events are rare (handshakes, state changes); building a status for the endpoint is fine here.
      endpoint = this.device?.status(now()).peers[e.peer]?.endpoint ?? undefined;
    }
    this.log.line(e.name, { peer: e.publicKey ? shortKey(e.publicKey) : undefined, endpoint, detail: e.detail });
    if (e.name === 'handshake-failed' && e.peer >= 0) void this.reresolve(e.peer);
  }

  /** After handshakes gave up, a peer configured by DNS name may have moved: look it up again. */
  private async reresolve(peer: number): Promise<void> {
    const name = endpointName(this.cfg, peer);
    if (!name || this.resolving.has(peer)) return;
    this.resolving.add(peer);
    try {
      const address = await resolveIpv4(name.host);
      if (this.stopped) return;
      const old = this.cfg.device.peers[peer].endpoint;
      if (old && old.address === address) return;
      this.cfg.device.peers[peer].endpoint = { address, port: name.port };
      const apply = this.device.setPeerEndpoint;
      this.log.line('endpoint-resolved', { host: name.host, address: `${address}:${name.port}`, applied: apply ? 'yes' : 'no (core has no setPeerEndpoint)' });
      if (apply) this.enter((t) => apply.call(this.device, t, peer, address, name.port));
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
