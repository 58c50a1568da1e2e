/// <reference path="./moddable.d.ts" />
/**
 * The gateway's configuration on Moddable: defaults from the manifest
 * `config` (overridable per build with `key=value` on the mcconfig command
 * line), then per-device overrides and the private key from Preference
 * (domain "homeward"), turned into the core's DeviceConfig.
 *
 * Setting names double as Preference keys, so each is at most 15 characters
 * (the ESP32 NVS limit):
 *
 * | key           | meaning                                          | default            |
 * |---------------|--------------------------------------------------|--------------------|
 * | homeAddress   | home end's IPv4 address (a literal, no DNS)      | required           |
 * | homePort      | home end's UDP port                              | 51820              |
 * | homePublicKey | home end's public key (base64)                   | required           |
 * | homePsk       | preshared key (base64), empty for none           | none               |
 * | homeTunnelIp  | home's tunnel address: where telemetry goes      | 10.100.0.1         |
 * | allowedIps    | the home peer's AllowedIPs, comma-separated      | homeTunnelIp/32    |
 * | address       | this gateway's tunnel Address (CIDR)             | 10.100.0.2/24      |
 * | listenPort    | tunnel UDP port, 0 for any                       | 0                  |
 * | forwards      | local UDP ports to tunnel home: "7000" sends to  | none               |
 * |               | homeTunnelIp:7000, "7001:7100" local 7001 to     |                    |
 * |               | homeTunnelIp:7100; comma-separated               |                    |
 * | keepalive     | PersistentKeepalive in seconds, 0 off            | 25                 |
 * | extensions    | homeward's recovery extensions with home         | true               |
 * | ping          | PingInterval: seconds between liveness probes    | 10                 |
 * |               | when home is silent, 0 off                       |                    |
 * | pingMisses    | unanswered probes before the session is dead     | 3                  |
 * | backupAddress | a second home end (IPv4 literal): with it, both  | none               |
 * |               | form failover group "home", this one second      |                    |
 * | backupPort    | its UDP port                                     | 51820              |
 * | backupKey     | its public key (base64)                          | required with it   |
 * | replayWindow  | replay window in counters of a session's current | 1024               |
 * |               | keypair (memory: 4 B per 32 counters + 12)       |                    |
 * | previousReplay| the same for its other keypair (previous after a | 256                |
 * | Window        | rekey, or next until confirmed); at most the one |                    |
 * |               | above                                            |                    |
 * | stagedPackets | packets queued while a handshake is in flight    | 32                 |
 * | stagingBudget | bytes of those for all peers (one ring)          | 8192               |
 * | resendBudget  | bytes of sent packets kept for resending after   | 4096               |
 * |               | home lost its state (one ring for the device)    |                    |
 *
 * The last five fix the device's memory bounds at boot (with the
 * peer-table capacity, GATEWAY_LIMITS.maxPeers): the replay windows, the
 * staging ring and the resend ring are allocated then, and nothing grows
 * after start.
 *
 * Preference also holds `privateKey` (an ArrayBuffer of 32 bytes, or a
 * base64 string when provisioned by hand; generated and stored on first boot)
 * and `taiCeiling` (the TAI64N ceiling, see PreferenceStore).
 */
import config from 'mc/config';
import Preference from 'preference';
import { GATEWAY_LIMITS, type Cidr, type DeviceConfig, type PeerConfig } from '../../modules/config';
import { decodeKey } from '../../modules/base64';
import { parseCidr, parseIpv4Address } from '../../modules/ipv4';
import type { Store } from '../../modules/store';
import { fillRandom } from './native';

/** The Preference domain of every homeward key. */
export const DOMAIN = 'homeward';
const KEY_PRIVATE = 'privateKey';
const KEY_CEILING = 'taiCeiling';

/** A local UDP port whose datagrams go through the tunnel to homeTunnelIp:remotePort. */
export interface Forward {
  localPort: number;
  remotePort: number;
}

export interface GatewaySettings {
  device: DeviceConfig;
  forwards: Forward[];
  /** Where forwarded telemetry is sent inside the tunnel (u32). */
  homeTunnelIp: number;
  /** A private key was generated (and stored) during this boot. */
  keyGenerated: boolean;
}

/** A setting's raw value and where it came from, for error messages. */
interface Raw {
  value: unknown;
  source: string;
}

function raw(key: string): Raw {
  const pref = Preference.get(DOMAIN, key);
  if (pref !== undefined) return { value: pref, source: `Preference ${DOMAIN}/${key}` };
  return { value: config[key], source: `manifest config "${key}"` };
}

function fail(r: Raw, expected: string): never {
  throw new Error(`${r.source}: expected ${expected}, got ${JSON.stringify(r.value)}`);
}

function text(key: string, fallback: string | null): string {
  const r = raw(key);
  if (r.value === undefined || r.value === '') {
    if (fallback === null) fail(r, 'a value (it is required)');
    return fallback;
  }
  if (typeof r.value !== 'string') fail(r, 'a string');
  return r.value.trim();
}

/** Numbers arrive as numbers from the manifest and Preference, as strings from the mcconfig command line. */
function integer(key: string, fallback: number, min: number, max: number): number {
  const r = raw(key);
  if (r.value === undefined || r.value === '') return fallback;
  const n = typeof r.value === 'number' ? r.value : typeof r.value === 'string' && /^\d+$/.test(r.value.trim()) ? Number(r.value) : NaN;
  if (!Number.isInteger(n) || n < min || n > max) fail(r, `an integer ${min}-${max}`);
  return n;
}

function flag(key: string, fallback: boolean): boolean {
  const r = raw(key);
  if (r.value === undefined || r.value === '') return fallback;
  if (r.value === true || r.value === 'true' || r.value === 1 || r.value === '1') return true;
  if (r.value === false || r.value === 'false' || r.value === 0 || r.value === '0') return false;
  fail(r, 'true or false');
}

function key(name: string, required: boolean): Uint8Array | null {
  const r = raw(name);
  if (!required && (r.value === undefined || r.value === '')) return null;
  const k = typeof r.value === 'string' ? decodeKey(r.value.trim()) : null;
  if (k === null) fail(r, 'a 32-byte key in base64 (44 characters, as wg genkey prints)');
  return k;
}

function withSource<T>(key: string, parse: (s: string) => T, fallback: string | null): T {
  const s = text(key, fallback);
  try {
    return parse(s);
  } catch (e) {
    throw new Error(`${raw(key).source}: ${(e as Error).message}`);
  }
}

function parseForwards(s: string): Forward[] {
  const out: Forward[] = [];
  for (const item of s.split(/[\s,]+/)) {
    if (item === '') continue;
    const m = /^(\d+)(?::(\d+))?$/.exec(item);
    const localPort = m ? Number(m[1]) : 0;
    const remotePort = m ? Number(m[2] ?? m[1]) : 0;
    if (!m || localPort < 1 || localPort > 65535 || remotePort < 1 || remotePort > 65535) {
      throw new Error(`forward "${item}": expected "port" or "localPort:tunnelPort" (1-65535)`);
    }
    if (out.some((f) => f.localPort === localPort)) throw new Error(`forward "${item}": local port ${localPort} is listed twice`);
    out.push({ localPort, remotePort });
  }
  return out;
}

/** RFC 7748 §5 clamping, as `wg genkey` applies to the keys it prints. */
function clamp(k: Uint8Array): void {
  k[0] &= 248;
  k[31] = (k[31] & 127) | 64;
}

/**
 * The stored private key, or a new one generated from the native random
 * source and stored, read back to make sure it persisted.
 */
export function loadOrCreatePrivateKey(): { key: Uint8Array; generated: boolean } {
  const stored = Preference.get(DOMAIN, KEY_PRIVATE);
  if (stored instanceof ArrayBuffer) {
    if (stored.byteLength !== 32) throw new Error(`Preference ${DOMAIN}/${KEY_PRIVATE}: expected 32 bytes, got ${stored.byteLength}`);
    return { key: new Uint8Array(stored), generated: false };
  }
  if (stored !== undefined) {
    const k = typeof stored === 'string' ? decodeKey(stored.trim()) : null;
    if (k === null) throw new Error(`Preference ${DOMAIN}/${KEY_PRIVATE}: expected 32 bytes or a base64 key`);
    return { key: k, generated: false };
  }
  const k = new Uint8Array(32);
  fillRandom(k);
  clamp(k);
  Preference.set(DOMAIN, KEY_PRIVATE, k.buffer);
  const back = Preference.get(DOMAIN, KEY_PRIVATE);
  const check = back instanceof ArrayBuffer && back.byteLength === 32 ? new Uint8Array(back) : null;
  for (let i = 0; i < 32; i++) {
    if (check === null || check[i] !== k[i]) throw new Error(`Preference ${DOMAIN}/${KEY_PRIVATE}: the new private key did not persist`);
  }
  return { key: k, generated: true };
}

/** Reads every setting; throws an Error naming the setting and its source on bad input. */
export function loadSettings(): GatewaySettings {
  const { key: privateKey, generated } = loadOrCreatePrivateKey();
  const homeTunnelIp = withSource('homeTunnelIp', parseIpv4Address, '10.100.0.1');
  const allowed = text('allowedIps', '');
  const allowedIps: Cidr[] = allowed === ''
    ? [{ ip: homeTunnelIp, bits: 32 }]
    : withSource('allowedIps', (s) => s.split(',').map((c) => parseCidr(c.trim())), '');
  // A literal address: the firmware does no DNS.
  const homeAddress = withSource('homeAddress', (s) => (parseIpv4Address(s), s), null);
  const backupAddress = withSource('backupAddress', (s) => (s === '' ? s : (parseIpv4Address(s), s)), '');
  const common = {
    presharedKey: key('homePsk', false),
    allowedIps,
    persistentKeepalive: integer('keepalive', 25, 0, 65535),
    extensions: flag('extensions', true),
    pingInterval: integer('ping', 10, 0, 3600),
    pingMisses: integer('pingMisses', 3, 1, 100),
    group: backupAddress === '' ? null : 'home',
  };
  const peers: PeerConfig[] = [{
    ...common,
    publicKey: key('homePublicKey', true)!,
    endpoint: { address: homeAddress, port: integer('homePort', 51820, 1, 65535) },
  }];
  if (backupAddress !== '') {
    peers.push({
      ...common,
      publicKey: key('backupKey', true)!,
      endpoint: { address: backupAddress, port: integer('backupPort', 51820, 1, 65535) },
    });
  }
  return {
    device: {
      interface: {
        privateKey,
        listenPort: integer('listenPort', 0, 0, 65535),
        address: withSource('address', parseCidr, '10.100.0.2/24'),
      },
      peers,
      limits: {
        ...GATEWAY_LIMITS,
        replayWindow: integer('replayWindow', GATEWAY_LIMITS.replayWindow, 64, 8192),
        previousReplayWindow: integer('previousReplayWindow', GATEWAY_LIMITS.previousReplayWindow!, 32, 8192),
        stagedPackets: integer('stagedPackets', GATEWAY_LIMITS.stagedPackets, 1, 1024),
        stagingBudget: integer('stagingBudget', GATEWAY_LIMITS.stagingBudget!, 256, 1 << 20),
        resendBudget: integer('resendBudget', GATEWAY_LIMITS.resendBudget!, 256, 1 << 20),
      },
    },
    forwards: withSource('forwards', parseForwards, ''),
    homeTunnelIp,
    keyGenerated: generated,
  };
}

/**
 * The TAI64N ceiling in Preference (DESIGN.md §2: a timestamp that never goes
 * backwards across reboots without a clock). Stored as a decimal string:
 * ESP32 Preference keeps numbers as int32, and Unix milliseconds are ~2^40.
 * The core rewrites it at most once per CEILING_AHEAD (an hour), sparing flash.
 */
export class PreferenceStore implements Store {
  loadTimestampCeiling(): number | null {
    const v = Preference.get(DOMAIN, KEY_CEILING);
    const n = typeof v === 'string' ? Number(v) : NaN;
    return Number.isFinite(n) ? n : null;
  }

  saveTimestampCeiling(unixMs: number): void {
    Preference.set(DOMAIN, KEY_CEILING, String(Math.ceil(unixMs)));
  }
}
