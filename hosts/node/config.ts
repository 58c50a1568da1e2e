/**
 * wg-quick config files → the core's DeviceConfig, plus what only the Node
 * host uses (forwards, DNS names to resolve, the interface name).
 *
 * The whole file is checked before anything is applied: every problem is
 * collected and reported together in one ConfigError, each naming
 * `file:line: Key:`. Nothing here touches the network (DNS names are resolved
 * at `up` time by resolve.ts).
 *
 * Keys (case-insensitive, as in wg-quick):
 *
 * [Interface]
 * - PrivateKey (required), ListenPort (default 0: any free port),
 *   Address (one IPv4 address with optional /prefix; IPv6 entries are skipped
 *   with a warning, since the tunnel carries IPv4 only).
 * - LocalForward, RemoteForward (repeatable; also accepted under [Peer]):
 *   `LocalForward = [127.0.0.1:]7000 -> 10.100.0.1:7000`,
 *   `RemoteForward = 7000 -> 127.0.0.1:7100`.
 * - Extension keys: MaxPeers (default 1024: sessions held at once, not
 *   peers configured), ReplayWindow (8128), PreviousReplayWindow (the
 *   window of a session's other keypair: ReplayWindow), StagedPackets (128),
 *   StagingBudget (4 MiB: bytes of staged packets for all peers together),
 *   UnderLoadAfter (1000 handshake messages/s; 0 demands cookies always).
 *   Defaults are NODE_LIMITS in modules/config.ts.
 * - Lifecycle keys, in seconds: UnusedLifetime (600; 0 or off never closes an
 *   unused session), MaxSegmentLifetime (5), FailoverAfter (5), FailbackAfter
 *   (10). Defaults are LIFECYCLE_DEFAULTS in modules/config.ts.
 * - Recovery limits: NakRate (NAKs per second to one source, 10), NakBurst
 *   (5), NakRateTotal (NAKs per second in all, 100), WaitMin and WaitMax
 *   (seconds, 10 and 30: WAIT's random length). Defaults are
 *   RECOVERY_DEFAULTS in modules/config.ts.
 * - DNS, MTU, Table, PreUp, PostUp, PreDown, PostDown, SaveConfig, FwMark:
 *   accepted and ignored with a warning (homeward configures no host network).
 *
 * [Peer] (repeatable)
 * - PublicKey (required), PresharedKey, Endpoint (host:port; host an IPv4
 *   literal or a DNS name), AllowedIPs (repeatable comma lists; IPv6 skipped
 *   with a warning), PersistentKeepalive (seconds, or `off`).
 * - Extension keys: Extensions (on|off, default on): homeward's recovery
 *   extensions with this peer; off gives exactly WireGuard's behaviour.
 *   PingInterval (seconds, default 10; 0 or off: no liveness probes),
 *   PingMisses (3), PingTarget (IPv4 address; default the first host of the
 *   first AllowedIPs prefix), Group (a name: peers in the same group are
 *   alternative gateways for the same routes, so they may share AllowedIPs).
 */
import { readFileSync } from 'node:fs';
import { basename } from 'node:path';
import {
  LIFECYCLE_DEFAULTS, NODE_LIMITS, RECOVERY_DEFAULTS,
  type Cidr, type DeviceConfig, type DeviceLimits, type LifecycleLimits, type PeerConfig, type RecoveryLimits,
} from '../../modules/config';
import { decodeKey } from '../../modules/base64';
import { cidrContains, formatIpv4, prefixMask } from '../../modules/ipv4';
import { publicKey as derivePublicKey } from '../../modules/crypto/x25519';
import { parseIni, type IniEntry, type IniSection } from './ini';
import { isLocalAddress, parseBool, parseCidrOrNull, parseEndpoint, parseIpv4OrNull, parseSeconds, parseUint, splitList } from './values';
import { parseForwardLocal, parseForwardRemote, type LocalForward, type RemoteForward } from './forward-spec';

export type { LocalForward, RemoteForward } from './forward-spec';

/** A peer endpoint given as a DNS name: resolved at `up`, and kept for re-resolution. */
export interface EndpointName {
  /** Index of the peer in device.peers. */
  peer: number;
  host: string;
  port: number;
  line: number;
}

/** A parsed config file: the core's config and the Node host's own parts. */
export interface NodeConfig {
  /** The file name without `.conf`: names the log lines and the control socket. */
  name: string;
  file: string;
  /** Peer endpoints that are DNS names have `endpoint: null` here until resolved. */
  device: DeviceConfig;
  localForwards: LocalForward[];
  remoteForwards: RemoteForward[];
  endpointNames: EndpointName[];
  /** `file:line: Key: ...` for everything accepted but ignored. */
  warnings: string[];
}

/** One problem in a config file. */
export interface ConfigIssue {
  /** 1-based; 0 when the problem is about the file as a whole. */
  line: number;
  key: string;
  message: string;
}

/**
 * A config file is invalid. `message` has one `file:line: Key: problem` line
 * per issue (all of them, not just the first); `issues` has them as data.
 */
export class ConfigError extends Error {
  constructor(readonly file: string, readonly issues: ConfigIssue[]) {
    super(issues.map((i) => formatIssue(file, i)).join('\n'));
    this.name = 'ConfigError';
  }
}

function formatIssue(file: string, i: ConfigIssue): string {
  return `${file}${i.line > 0 ? `:${i.line}` : ''}: ${i.key}: ${i.message}`;
}

/** Interface name as wg-quick derives it: the file's basename without `.conf`. */
export function configName(file: string): string {
  return basename(file).replace(/\.conf$/, '');
}

/** Reads and parses a config file; a missing or unreadable file is a ConfigError too. */
export function loadConfig(file: string): NodeConfig {
  let text: string;
  try {
    text = readFileSync(file, 'utf8');
  } catch (e) {
    const err = e as NodeJS.ErrnoException;
    const why = err.code === 'ENOENT' ? 'no such file' : err.code === 'EACCES' ? 'permission denied' : err.message;
    throw new ConfigError(file, [{ line: 0, key: 'file', message: `cannot read: ${why}` }]);
  }
  return parseConfig(text, file);
}

const IGNORED_KEYS = new Set(['dns', 'mtu', 'table', 'preup', 'postup', 'predown', 'postdown', 'saveconfig', 'fwmark']);
const REPEATABLE = new Set(['address', 'allowedips', 'localforward', 'remoteforward']);

/** Bounds of the extension keys: what the core can allocate sensibly. */
const LIMIT_KEYS: Record<string, { field: keyof DeviceLimits; min: number; max: number }> = {
  maxpeers: { field: 'maxPeers', min: 1, max: 65536 },
  replaywindow: { field: 'replayWindow', min: 1, max: 1 << 24 },
  previousreplaywindow: { field: 'previousReplayWindow', min: 1, max: 1 << 24 },
  stagedpackets: { field: 'stagedPackets', min: 1, max: 65536 },
  stagingbudget: { field: 'stagingBudget', min: 0, max: 1 << 30 },
  underloadafter: { field: 'underLoadHandshakesPerSecond', min: 0, max: 1_000_000_000 },
};

/**
 * The lifecycle keys: whole seconds in the file, ms in the core. `off` means 0
 * where 0 is meaningful (an unused session is never closed). MSL and
 * FailoverAfter start at 1: at 0 a CLOSE could never be acknowledged and a
 * group would move on before its gateway could answer one handshake.
 */
const LIFECYCLE_KEYS: Record<string, { field: keyof LifecycleLimits; min: number; max: number; off: boolean }> = {
  unusedlifetime: { field: 'unusedLifetimeMs', min: 0, max: 86_400, off: true },
  maxsegmentlifetime: { field: 'maxSegmentLifetimeMs', min: 1, max: 3_600, off: false },
  failoverafter: { field: 'failoverAfterMs', min: 1, max: 3_600, off: false },
  failbackafter: { field: 'failbackAfterMs', min: 0, max: 86_400, off: false },
};

/**
 * The limits on homeward's unauthenticated recovery messages: NAK rates (per
 * second; a rate of 0 would make the token bucket meaningless, and NAKs off
 * is `Extensions = off`), and the WAIT time in whole seconds (ms in the core).
 */
const RECOVERY_KEYS: Record<string, { field: keyof RecoveryLimits; min: number; max: number; scale: number }> = {
  nakrate: { field: 'nakPerSecondPerSource', min: 1, max: 100_000, scale: 1 },
  nakburst: { field: 'nakBurstPerSource', min: 1, max: 100_000, scale: 1 },
  nakratetotal: { field: 'nakPerSecondGlobal', min: 1, max: 1_000_000, scale: 1 },
  waitmin: { field: 'waitMinMs', min: 1, max: 3_600, scale: 1000 },
  waitmax: { field: 'waitMaxMs', min: 1, max: 3_600, scale: 1000 },
};

/** Group names show up in logs and `show`: keep them to a safe, short alphabet. */
const GROUP_NAME = /^[A-Za-z0-9_.-]{1,32}$/;

/**
 * Parses the text of a wg-quick config file. `file` is used in messages and
 * to derive the name. Throws ConfigError listing every problem found.
 */
export function parseConfig(text: string, file: string): NodeConfig {
  const issues: ConfigIssue[] = [];
  const warnings: string[] = [];
  const fail = (line: number, key: string, message: string): void => { issues.push({ line, key, message }); };
  const warn = (line: number, key: string, message: string): void => { warnings.push(formatIssue(file, { line, key, message })); };

  const name = configName(file);
  if (!/^[A-Za-z0-9_=+.-]{1,64}$/.test(name)) {
    fail(0, 'file', `the name "${name}" (file name without .conf) may use only letters, digits and _=+.- (at most 64)`);
  }

  const doc = parseIni(text);
  for (const p of doc.problems) fail(p.line, p.subject, p.message);

  let iface: IniSection | null = null;
  const peerSections: IniSection[] = [];
  for (const s of doc.sections) {
    if (s.lowerName === 'interface') {
      if (iface) fail(s.line, `[${s.name}]`, `second [Interface] section (the first is on line ${iface.line})`);
      else iface = s;
    } else if (s.lowerName === 'peer') {
      peerSections.push(s);
    } else if (s.lowerName !== '') {
      fail(s.line, `[${s.name}]`, 'unknown section (expected [Interface] or [Peer])');
    }
  }

  const limits: DeviceLimits = { ...NODE_LIMITS };
  const lifecycle: LifecycleLimits = { ...LIFECYCLE_DEFAULTS };
  const recovery: RecoveryLimits = { ...RECOVERY_DEFAULTS };
  let waitLine = 0;
  let privateKey: Uint8Array | null = null;
  let listenPort = 0;
  let address: Cidr | null = null;
  let addressLine = 0;
  const localForwards: LocalForward[] = [];
  const remoteForwards: RemoteForward[] = [];
  /** Forwards written under a [Peer] must target that peer: index into peers, or -1. */
  const forwardOwner = new Map<LocalForward, number>();

  const onForward = (e: IniEntry, owner: number): void => {
    if (e.lowerKey === 'localforward') {
      const r = parseForwardLocal(e.value);
      if (typeof r === 'string') return fail(e.line, e.key, r);
      if (!isLocalAddress(r.bindAddress)) {
        return fail(e.line, e.key, `bind address ${r.bindAddress} is not an address of this machine`);
      }
      r.line = e.line;
      localForwards.push(r);
      forwardOwner.set(r, owner);
    } else {
      const r = parseForwardRemote(e.value);
      if (typeof r === 'string') return fail(e.line, e.key, r);
      r.line = e.line;
      remoteForwards.push(r);
    }
  };

  if (iface === null) {
    fail(doc.sections[0]?.line ?? 1, '[Interface]', 'missing section (every config needs one, with a PrivateKey)');
  } else {
    const seen = new Map<string, number>();
    for (const e of iface.entries) {
      if (!checkRepeat(e, seen, fail)) continue;
      const k = e.lowerKey;
      if (k === 'privatekey') {
        privateKey = decodeKey(e.value);
        if (privateKey === null) fail(e.line, e.key, badKey(e.value));
      } else if (k === 'listenport') {
        const n = parseUint(e.value, 65535);
        if (n < 0) fail(e.line, e.key, `expected a port number 0-65535, got "${e.value}"`);
        else listenPort = n;
      } else if (k === 'address') {
        for (const item of splitList(e.value)) {
          if (item.includes(':')) {
            warn(e.line, e.key, `${item}: IPv6 skipped (the tunnel carries IPv4 only)`);
            continue;
          }
          const c = parseCidrOrNull(item);
          if (c === null) fail(e.line, e.key, `expected an IPv4 address with optional /prefix (e.g. 10.100.0.1/24), got "${item}"`);
          else if (address !== null) fail(e.line, e.key, `${item}: only one IPv4 address is supported (the first is on line ${addressLine})`);
          else { address = c; addressLine = e.line; }
        }
      } else if (k === 'localforward' || k === 'remoteforward') {
        onForward(e, -1);
      } else if (Object.hasOwn(LIMIT_KEYS, k)) {
        const spec = LIMIT_KEYS[k];
        const n = parseUint(e.value, spec.max);
        if (n < spec.min) fail(e.line, e.key, `expected an integer ${spec.min}-${spec.max}, got "${e.value}"`);
        else (limits[spec.field] as number) = n;
      } else if (Object.hasOwn(LIFECYCLE_KEYS, k)) {
        const spec = LIFECYCLE_KEYS[k];
        const n = parseSeconds(e.value, spec.min, spec.max, spec.off);
        if (n < 0) fail(e.line, e.key, `expected seconds ${spec.min}-${spec.max}${spec.off ? ' or "off"' : ''}, got "${e.value}"`);
        else lifecycle[spec.field] = n * 1000;
      } else if (Object.hasOwn(RECOVERY_KEYS, k)) {
        const spec = RECOVERY_KEYS[k];
        const n = parseUint(e.value, spec.max);
        if (n < spec.min) fail(e.line, e.key, `expected an integer ${spec.min}-${spec.max}, got "${e.value}"`);
        else recovery[spec.field] = n * spec.scale;
        if (k === 'waitmin' || k === 'waitmax') waitLine = Math.max(waitLine, e.line);
      } else if (IGNORED_KEYS.has(k)) {
        warn(e.line, e.key, 'ignored (homeward does not configure the host\'s network)');
      } else {
        fail(e.line, e.key, 'unknown key in [Interface]');
      }
    }
    if (!seen.has('privatekey')) fail(iface.line, 'PrivateKey', 'missing in [Interface]');
    if (recovery.waitMinMs > recovery.waitMaxMs) {
      fail(waitLine, 'WaitMin', `${recovery.waitMinMs / 1000} s is more than WaitMax, ${recovery.waitMaxMs / 1000} s`);
    }
  }

  const ownPublic = privateKey ? derivePublicKey(privateKey) : null;
  const peers: PeerConfig[] = [];
  const endpointNames: EndpointName[] = [];
  const keyLines = new Map<string, number>();
  for (const s of peerSections) {
    const index = peers.length;
    const peer: PeerConfig = { publicKey: new Uint8Array(32), presharedKey: null, endpoint: null, allowedIps: [], persistentKeepalive: 0 };
    const seen = new Map<string, number>();
    let pingTargetLine = 0;
    for (const e of s.entries) {
      if (!checkRepeat(e, seen, fail)) continue;
      const k = e.lowerKey;
      if (k === 'publickey') {
        const key = decodeKey(e.value);
        if (key === null) { fail(e.line, e.key, badKey(e.value)); continue; }
        peer.publicKey = key;
        const first = keyLines.get(e.value);
        if (first !== undefined) fail(e.line, e.key, `duplicate peer: the same public key is on line ${first}`);
        else keyLines.set(e.value, e.line);
        if (ownPublic && equalBytes(key, ownPublic)) fail(e.line, e.key, 'this is the interface\'s own public key (from its PrivateKey)');
      } else if (k === 'presharedkey') {
        peer.presharedKey = decodeKey(e.value);
        if (peer.presharedKey === null) fail(e.line, e.key, badKey(e.value));
      } else if (k === 'endpoint') {
        const r = parseEndpoint(e.value);
        if (typeof r === 'string') fail(e.line, e.key, r);
        else if (r.literal) peer.endpoint = { address: r.host, port: r.port };
        else endpointNames.push({ peer: index, host: r.host, port: r.port, line: e.line });
      } else if (k === 'allowedips') {
        for (const item of splitList(e.value)) {
          if (item.includes(':')) {
            warn(e.line, e.key, `${item}: IPv6 skipped (the tunnel carries IPv4 only)`);
            continue;
          }
          const c = parseCidrOrNull(item);
          if (c === null) fail(e.line, e.key, `expected an IPv4 prefix like 10.100.0.0/24, got "${item}"`);
          // Canonical form, as wg(8) shows it: host bits cleared.
          else peer.allowedIps.push({ ip: (c.ip & prefixMask(c.bits)) >>> 0, bits: c.bits });
        }
      } else if (k === 'persistentkeepalive') {
        const n = parseSeconds(e.value, 0, 65535, true);
        if (n < 0) fail(e.line, e.key, `expected seconds 0-65535 or "off", got "${e.value}"`);
        else peer.persistentKeepalive = n;
      } else if (k === 'pinginterval') {
        const n = parseSeconds(e.value, 0, 3600, true);
        if (n < 0) fail(e.line, e.key, `expected seconds 0-3600 or "off", got "${e.value}"`);
        else peer.pingInterval = n;
      } else if (k === 'pingmisses') {
        const n = parseUint(e.value, 100);
        if (n < 1) fail(e.line, e.key, `expected an integer 1-100, got "${e.value}"`);
        else peer.pingMisses = n;
      } else if (k === 'pingtarget') {
        const ip = parseIpv4OrNull(e.value);
        if (ip === null) fail(e.line, e.key, `expected an IPv4 address (e.g. 10.100.0.1), got "${e.value}"`);
        else { peer.pingTarget = ip; pingTargetLine = e.line; }
      } else if (k === 'group') {
        if (!GROUP_NAME.test(e.value)) fail(e.line, e.key, `expected a name of 1-32 letters, digits and _.-, got "${e.value}"`);
        else peer.group = e.value;
      } else if (k === 'extensions') {
        const b = parseBool(e.value);
        if (b === null) fail(e.line, e.key, `expected on or off, got "${e.value}"`);
        else peer.extensions = b;
      } else if (k === 'localforward' || k === 'remoteforward') {
        onForward(e, index);
      } else {
        fail(e.line, e.key, 'unknown key in [Peer]');
      }
    }
    if (!seen.has('publickey')) fail(s.line, 'PublicKey', 'missing in [Peer]');
    // The echo reply comes from PingTarget, and cryptokey routing drops a source outside AllowedIPs.
    const target = peer.pingTarget;
    if (typeof target === 'number' && !peer.allowedIps.some((c) => cidrContains(c, target))) {
      warn(pingTargetLine, 'PingTarget', `${formatIpv4(target)} is not in this peer's AllowedIPs: its echo replies will be dropped (any authenticated packet still counts as alive)`);
    }
    peers.push(peer);
  }

  // No check of peers against MaxPeers: it bounds the sessions held at once, and a
  // configured peer without a session costs only its handshake state (PROTOCOL.md §6).
  checkForwards(localForwards, remoteForwards, forwardOwner, peers, address, listenPort, fail);

  if (issues.length > 0) {
    issues.sort((a, b) => a.line - b.line);
    throw new ConfigError(file, issues);
  }
  const device: DeviceConfig = {
    interface: { privateKey: privateKey!, listenPort, address },
    peers,
    limits,
    lifecycle,
    recovery,
  };
  return { name, file, device, localForwards, remoteForwards, endpointNames, warnings };
}

/** Forwards need an Address, a tunnel port of their own, and a route for their target. */
function checkForwards(
  locals: LocalForward[], remotes: RemoteForward[], owner: Map<LocalForward, number>, peers: PeerConfig[],
  address: Cidr | null, listenPort: number, fail: (line: number, key: string, message: string) => void,
): void {
  const ports = new Map<number, number>();
  const claim = (port: number, line: number, key: string): void => {
    const first = ports.get(port);
    if (first !== undefined) fail(line, key, `duplicate forward port ${port}: already used by the forward on line ${first}`);
    else ports.set(port, line);
  };
  // Claim tunnel ports in file order, so the later of two duplicates is the one reported.
  const claims = [
    ...locals.map((f) => ({ port: f.bindPort, line: f.line, key: 'LocalForward' })),
    ...remotes.map((f) => ({ port: f.port, line: f.line, key: 'RemoteForward' })),
  ].sort((a, b) => a.line - b.line);
  for (const c of claims) claim(c.port, c.line, c.key);
  for (const f of locals) {
    if (address === null) fail(f.line, 'LocalForward', 'needs an Address in [Interface] (the tunnel source of the datagrams)');
    if (listenPort !== 0 && f.bindPort === listenPort) fail(f.line, 'LocalForward', `port ${f.bindPort} is the ListenPort`);
    const own = owner.get(f) ?? -1;
    const routed = own >= 0
      ? peers[own].allowedIps.some((c) => cidrContains(c, f.targetIp))
      : peers.some((p) => p.allowedIps.some((c) => cidrContains(c, f.targetIp)));
    if (!routed) {
      fail(f.line, 'LocalForward', `target ${f.target} is not in the AllowedIPs of ${own >= 0 ? 'this peer' : 'any peer'}, so nothing would carry it`);
    }
  }
  for (const f of remotes) {
    if (address === null) fail(f.line, 'RemoteForward', 'needs an Address in [Interface] (the tunnel address it listens on)');
  }
}

/** Single-valued keys may appear once per section. Returns false for a repeat (already reported). */
function checkRepeat(e: IniEntry, seen: Map<string, number>, fail: (line: number, key: string, message: string) => void): boolean {
  const first = seen.get(e.lowerKey);
  if (first !== undefined && !REPEATABLE.has(e.lowerKey)) {
    fail(e.line, e.key, `given twice in this section (first on line ${first})`);
    return false;
  }
  if (first === undefined) seen.set(e.lowerKey, e.line);
  return true;
}

function badKey(value: string): string {
  return `expected a 32-byte key in base64 (44 characters, as wg genkey prints), got ${value === '' ? 'nothing' : `"${value.length > 60 ? value.slice(0, 60) + '…' : value}"`}`;
}

function equalBytes(a: Uint8Array, b: Uint8Array): boolean {
  if (a.length !== b.length) return false;
  let d = 0;
  for (let i = 0; i < a.length; i++) d |= a[i] ^ b[i];
  return d === 0;
}
