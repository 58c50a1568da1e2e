/// <reference path="./hosts/moddable/moddable.d.ts" />
/**
 * homeward gateway firmware (Moddable SDK: ESP32, and the desktop simulator).
 *
 * Field devices send UDP telemetry to the gateway's local ports; the gateway
 * tunnels it home over a WireGuard-compatible tunnel. Configuration: the
 * manifest `config` (see hosts/moddable/settings.ts for every key), per-build
 * overrides as `key=value` on the mcconfig command line, per-device overrides
 * and the private key in Preference (domain "homeward"). The private key is
 * generated and stored on first boot.
 *
 * Build for the simulator: `mcconfig -m -p lin -t build homePublicKey=<base64>`
 * (`npm run sim` does this and more). For an ESP32, add the home end and the
 * Wi-Fi network: `mcconfig -m -p esp32 homeAddress=192.0.2.10
 * homePublicKey=<base64> ssid=<name> password=<secret>`; the SDK's
 * setup/network joins Wi-Fi and sets the clock by SNTP before main() runs.
 *
 * Logs one line per device event through trace(), prefixed "homeward:".
 */
// First: installs crypto.getRandomValues before any other module could look for it.
import './hosts/moddable/crypto-global';
import { ModdableEndpoint } from './hosts/moddable/endpoint';
import { loadSettings, PreferenceStore, type GatewaySettings } from './hosts/moddable/settings';
import { formatIpv4 } from './modules/ipv4';

function log(line: string): void {
  trace(`homeward: ${line}\n`);
}

/** Called by the runtime once the setup modules (Wi-Fi and SNTP on ESP32) are done. */
export default function main(): void {
  // crypto-global.ts may have run at preload (build) time: make sure what it installed survived.
  if (typeof (globalThis as { crypto?: { getRandomValues?: unknown } }).crypto?.getRandomValues !== 'function') {
    log('start failed: crypto.getRandomValues is missing');
    return;
  }
  let settings: GatewaySettings;
  try {
    settings = loadSettings();
  } catch (e) {
    log(`config error: ${(e as Error).message}`);
    return;
  }
  let endpoint: ModdableEndpoint;
  try {
    endpoint = new ModdableEndpoint(settings, log, new PreferenceStore());
  } catch (e) {
    log(`start failed: ${(e as Error).message}`);
    return;
  }
  const status = endpoint.device.status(endpoint.now());
  const home = settings.device.peers[0];
  if (settings.keyGenerated) log('generated a new private key and stored it in Preference');
  log(`public key ${status.publicKey}`);
  log(`up address=${status.address ?? 'none'} listen=${settings.device.interface.listenPort || 'any'} home=${home.endpoint?.address}:${home.endpoint?.port} home-key=${status.peers[0]?.publicKey.slice(0, 8)}`);
  for (const f of settings.forwards) log(`forward udp:${f.localPort} -> ${formatIpv4(settings.homeTunnelIp)}:${f.remotePort}`);
  try {
    endpoint.start();
  } catch (e) {
    // e.g. a forward port already in use
    log(`start failed: ${(e as Error).message}`);
    endpoint.stop();
  }
}
