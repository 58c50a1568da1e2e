/**
 * The sockets behind LocalForward and RemoteForward (syntax in
 * forward-spec.ts), between local UDP services and the Device.
 *
 * LocalForward: one socket on bind:port. Each datagram it receives is sent
 * through the tunnel from Address:port to the target; tunnel datagrams that
 * come back from the target to Address:port go to the most recent local
 * sender (one sender at a time, like a NAT with a single mapping).
 *
 * RemoteForward: tunnel datagrams for Address:port are handed to the local
 * service from a socket per tunnel flow (peer, source ip, source port), as
 * ssh -R does, so the service can tell its tunnel clients apart and its
 * replies go back to the right one. Flows are bounded in number and expire
 * when idle, so memory does not grow with what peers send.
 */
import { createSocket, type Socket } from 'node:dgram';
import { formatIpv4 } from '../../modules/ipv4';
import type { LocalForward, RemoteForward } from './forward-spec';
import type { Log } from './log';

/** At most this many RemoteForward flows at once (all forwards together); the idlest is evicted. */
export const MAX_FLOWS = 256;
/** A RemoteForward flow with no traffic either way for this long is closed (conntrack's UDP timeout is 30-180 s). */
export const FLOW_IDLE_MS = 120_000;

/** What the forwards need from the endpoint running the Device. */
export interface ForwardHost {
  /**
   * Sends payload[0, len) through the tunnel from Address:srcPort to
   * dstIp:dstPort (Device.sendUdp, then re-arming the timer). Returns the
   * Device's SEND_* code.
   */
  sendUdp(srcPort: number, dstIp: number, dstPort: number, payload: Uint8Array, len: number): number;
  /** Describes a non-zero SEND_* code for the log, or null if it is not worth logging (e.g. staged). */
  describeSendFailure(code: number): string | null;
  log: Log;
}

interface LocalState {
  spec: LocalForward;
  socket: Socket;
  lastSender: { address: string; port: number } | null;
}

interface Flow {
  key: string;
  forward: RemoteForward;
  socket: Socket;
  srcIp: number;
  srcPort: number;
  lastActive: number;
}

/** The LocalForward and RemoteForward sockets of one endpoint (see the file comment). */
export class Forwarder {
  private readonly locals: LocalState[] = [];
  /** Insertion order is refreshed on use, so the first entry is the least recently used. */
  private readonly flows = new Map<string, Flow>();
  private readonly remoteByPort = new Map<number, RemoteForward>();
  private readonly localByPort = new Map<number, LocalState>();
  private sweeper: NodeJS.Timeout | null = null;
  private closed = false;

  constructor(
    private readonly file: string,
    private readonly localSpecs: LocalForward[],
    remoteSpecs: RemoteForward[],
    private readonly host: ForwardHost,
  ) {
    for (const r of remoteSpecs) this.remoteByPort.set(r.port, r);
  }

  /** Binds every LocalForward socket; on failure closes those already bound and throws `file:line: LocalForward: ...`. */
  async bind(): Promise<void> {
    for (const spec of this.localSpecs) {
      const socket = createSocket('udp4');
      try {
        await bindSocket(socket, spec.bindPort, spec.bindAddress);
      } catch (e) {
        socket.close();
        this.close();
        const code = (e as NodeJS.ErrnoException).code;
        const why = code === 'EADDRINUSE' ? 'is already in use' : code === 'EADDRNOTAVAIL' ? 'is not an address of this machine' : `cannot be bound (${(e as Error).message})`;
        throw new Error(`${this.file}:${spec.line}: LocalForward: ${spec.bindAddress}:${spec.bindPort} ${why}`);
      }
      const st: LocalState = { spec, socket, lastSender: null };
      socket.on('message', (msg, rinfo) => this.fromLocal(st, msg, rinfo.address, rinfo.port));
      socket.on('error', (e) => this.host.log.limit('local-error', 'forward-error', { forward: `${spec.bindAddress}:${spec.bindPort}`, error: e.message }));
      this.locals.push(st);
      this.localByPort.set(spec.bindPort, st);
      this.host.log.line('local-forward', { listen: `${spec.bindAddress}:${spec.bindPort}`, to: spec.target });
    }
    for (const r of this.remoteByPort.values()) {
      this.host.log.line('remote-forward', { port: r.port, to: `${r.targetHost}:${r.targetPort}` });
    }
    if (this.remoteByPort.size > 0) {
      this.sweeper = setInterval(() => this.sweep(Date.now()), 15_000);
      this.sweeper.unref();
    }
  }

  /** DeviceHost.deliverUdp: a datagram from the tunnel for our Address:dstPort. buf is valid only during the call. */
  deliver(peer: number, srcIp: number, srcPort: number, dstPort: number, buf: Uint8Array, off: number, len: number): void {
    if (this.closed) return;
    const local = this.localByPort.get(dstPort);
    if (local) {
      const s = local.spec;
      // Only the forward's own target may answer through it: anything else would be injected into the local service.
      if (srcIp !== s.targetIp || srcPort !== s.targetPort || local.lastSender === null) {
        this.host.log.limit('local-reply-drop', 'drop', { reason: local.lastSender ? 'not from the forward target' : 'no local sender yet', from: `${formatIpv4(srcIp)}:${srcPort}`, port: dstPort });
        return;
      }
      local.socket.send(copy(buf, off, len), local.lastSender.port, local.lastSender.address, this.sendError);
      return;
    }
    const remote = this.remoteByPort.get(dstPort);
    if (remote) return this.toService(remote, peer, srcIp, srcPort, buf, off, len);
    this.host.log.limit('no-forward', 'drop', { reason: 'no forward for this port', from: `${formatIpv4(srcIp)}:${srcPort}`, port: dstPort });
  }

  /** Closes every socket. */
  close(): void {
    this.closed = true;
    if (this.sweeper) clearInterval(this.sweeper);
    for (const l of this.locals) l.socket.close();
    this.locals.length = 0;
    for (const f of this.flows.values()) f.socket.close();
    this.flows.clear();
  }

  private fromLocal(st: LocalState, msg: Buffer, address: string, port: number): void {
    st.lastSender = { address, port };
    const s = st.spec;
    const code = this.host.sendUdp(s.bindPort, s.targetIp, s.targetPort, msg, msg.length);
    const why = code === 0 ? null : this.host.describeSendFailure(code);
    if (why) this.host.log.limit(`send-${code}`, 'drop', { reason: why, forward: `${s.bindAddress}:${s.bindPort}`, to: s.target });
  }

  private toService(fwd: RemoteForward, peer: number, srcIp: number, srcPort: number, buf: Uint8Array, off: number, len: number): void {
    const key = `${fwd.port}/${peer}/${srcIp}/${srcPort}`;
    const now = Date.now();
    let flow = this.flows.get(key);
    if (flow) {
      this.flows.delete(key); // re-insert below: most recently used last
    } else {
      if (this.flows.size >= MAX_FLOWS) this.evict(this.flows.values().next().value!, 'too many flows');
      flow = this.openFlow(key, fwd, srcIp, srcPort);
    }
    flow.lastActive = now;
    this.flows.set(key, flow);
    flow.socket.send(copy(buf, off, len), fwd.targetPort, fwd.targetHost, this.sendError);
  }

  private openFlow(key: string, fwd: RemoteForward, srcIp: number, srcPort: number): Flow {
    const socket = createSocket('udp4');
    const flow: Flow = { key, forward: fwd, socket, srcIp, srcPort, lastActive: Date.now() };
    // Loopback targets get a loopback source, so the service sees the flow as local.
    socket.bind({ port: 0, address: fwd.targetHost.startsWith('127.') ? '127.0.0.1' : '0.0.0.0' });
    socket.on('message', (msg, rinfo) => {
      if (rinfo.address !== fwd.targetHost || rinfo.port !== fwd.targetPort) return; // only the service may answer
      flow.lastActive = Date.now();
      const code = this.host.sendUdp(fwd.port, flow.srcIp, flow.srcPort, msg, msg.length);
      const why = code === 0 ? null : this.host.describeSendFailure(code);
      if (why) this.host.log.limit(`send-${code}`, 'drop', { reason: why, forward: fwd.port, to: `${formatIpv4(flow.srcIp)}:${flow.srcPort}` });
    });
    // ICMP port unreachable from a service that is down shows up here; the flow stays (the service may come back).
    socket.on('error', (e) => this.host.log.limit('flow-error', 'forward-error', { forward: fwd.port, error: e.message }));
    this.host.log.line('flow-open', { forward: fwd.port, from: `${formatIpv4(srcIp)}:${srcPort}`, to: `${fwd.targetHost}:${fwd.targetPort}` });
    return flow;
  }

  private evict(flow: Flow, why: string): void {
    this.flows.delete(flow.key);
    flow.socket.close();
    this.host.log.line('flow-close', { forward: flow.forward.port, from: `${formatIpv4(flow.srcIp)}:${flow.srcPort}`, reason: why });
  }

  private sweep(now: number): void {
    for (const f of [...this.flows.values()]) if (now - f.lastActive >= FLOW_IDLE_MS) this.evict(f, 'idle');
  }

  private readonly sendError = (e: Error | null): void => {
    if (e) this.host.log.limit('forward-send', 'forward-error', { error: e.message });
  };
}

/** The core reuses its buffer after deliverUdp returns, and dgram sends later: copy. */
function copy(buf: Uint8Array, off: number, len: number): Buffer {
  return Buffer.from(buf.subarray(off, off + len));
}

/** Binds and waits; rejects with the bind error (EADDRINUSE, EADDRNOTAVAIL, ...). */
export function bindSocket(socket: Socket, port: number, address?: string): Promise<number> {
  return new Promise((resolve, reject) => {
    const onError = (e: Error): void => reject(e);
    socket.once('error', onError);
    socket.bind({ port, address, exclusive: true }, () => {
      socket.off('error', onError);
      resolve(socket.address().port);
    });
  });
}
