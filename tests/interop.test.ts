/**
 * Interop with stock WireGuard (Debian's wireguard-go) across two network namespaces:
 *
 *   netns A (hwt<pid>a)                           netns B (hwt<pid>b)
 *   wireguard-go hwg<pid>a, 10.100.0.1/24         homeward (no TUN), Address 10.100.0.2/24
 *   UDP :51820 on 10.200.0.1 ----- veth ----- 10.200.0.2, UDP :51821
 *
 * Needs root, /dev/net/tun, `ip netns` and wireguard-go/wg/ping; otherwise every test is
 * reported SKIPPED with the reason (in CI as root, missing tools are a failure).
 * Everything created is named after this pid and removed in `after` and on exit;
 * leftovers of crashed earlier runs are removed first.
 */
import { existsSync, rmSync } from 'node:fs';
import { after, before, describe, test, type TestContext } from 'node:test';
import assert from 'node:assert/strict';
import {
  cleanup, interopGate, createNs, createVeth, installExitCleanup, makeTempDir, nsRun, PID, removeLeftovers,
  run, describeRun, type Proc, withLogs,
} from './netns/netns';
import { WireguardGo, wgGenKey, wgGenPsk, type KeyPair } from './netns/wireguard';
import { Homeward, HOMEWARD_BIN } from './netns/homeward';
import { received, startEcho, udpRoundTrip } from './netns/udp';

const skip = await interopGate('interop');

const WG_PORT = 51820;
const HW_PORT = 51821;
const VETH_A = '10.200.0.1';
const VETH_B = '10.200.0.2';
const TUN_A = '10.100.0.1';
const TUN_B = '10.100.0.2';

/** libfaketime from the Debian package faketime (installed by .ci/run). */
const LIBFAKETIME = '/usr/lib/x86_64-linux-gnu/faketime/libfaketime.so.1';

const EV_COOKIE_SENT = /\bcookie-sent\b/;
const EV_HANDSHAKE_COMPLETE = /\bhandshake-complete\b/;

/** Every test carries the skip reason itself, so the runner counts and reports each one as skipped. */
const opts = (timeout: number) => ({ timeout, skip });

describe('interop with wireguard-go', () => {
  let nsA = '';
  let nsB = '';
  let dir = '';
  let keyA: KeyPair; // wireguard-go
  let keyB: KeyPair; // homeward (or the second wireguard-go in the sanity test)
  let psk = '';

  before(async () => {
    if (skip) return;
    installExitCleanup();
    const removed = removeLeftovers();
    if (removed.length) console.log(`removed leftovers of earlier runs: ${removed.join(', ')}`);
    dir = makeTempDir();
    nsA = await createNs('a');
    nsB = await createNs('b');
    await createVeth(nsA, `${VETH_A}/24`, nsB, `${VETH_B}/24`);
    const r = await nsRun(nsA, ['ping', '-c', '1', '-W', '2', VETH_B]);
    if (r.code !== 0) throw new Error(`veth between ${nsA} and ${nsB} does not carry traffic: ${describeRun(['ping', VETH_B], r)}`);
    [keyA, keyB, psk] = await Promise.all([wgGenKey(), wgGenKey(), wgGenPsk()]);
  }, { timeout: 30_000 });

  after(async () => { if (!skip) await cleanup(); }, { timeout: 30_000 });

  /** Processes started for one test; stopped at its end, their logs attached to its failure. */
  class Scope {
    wg: WireguardGo | null = null;
    wg2: WireguardGo | null = null;
    hw: Homeward | null = null;
    extra: Proc[] = [];

    procs(): Proc[] { return [this.hw?.proc, this.wg?.proc, this.wg2?.proc, ...this.extra].filter((p): p is Proc => !!p); }

    async explain(e: unknown): Promise<Error> {
      const err = withLogs(e, this.procs());
      for (const w of [this.wg, this.wg2]) if (w?.proc.running) err.message += `\n--- wg show ${w.iface} ---\n${await w.dump()}`;
      return err;
    }

    /** Runs fn; on failure the error carries every captured log. */
    async check(fn: () => Promise<void>): Promise<void> {
      try { await fn(); } catch (e) { throw await this.explain(e); }
    }

    async close(): Promise<void> {
      await Promise.all(this.procs().map((p) => p.stop()));
      for (const w of [this.wg, this.wg2]) if (w) await w.stop().catch(() => undefined);
      this.wg = this.wg2 = this.hw = null;
      this.extra = [];
    }

    /** check(fn), then close() whatever happened. */
    async run(fn: () => Promise<void>): Promise<void> {
      try { await this.check(fn); } finally { await this.close(); }
    }
  }

  /** wireguard-go in A, peered with B's key. */
  function startWgA(opts: { endpoint?: boolean; keepalive?: number; psk?: boolean } = {}): Promise<WireguardGo> {
    return WireguardGo.start({
      ns: nsA, iface: `hwg${PID}a`, privateKey: keyA.privateKey, listenPort: WG_PORT, address: `${TUN_A}/24`,
      peers: [{
        publicKey: keyB.publicKey, allowedIps: `${TUN_B}/32`,
        presharedKey: opts.psk ? psk : undefined,
        endpoint: opts.endpoint ? `${VETH_B}:${HW_PORT}` : undefined,
        persistentKeepalive: opts.keepalive,
      }],
    }, dir);
  }

  /** homeward in B, peered with A's key. */
  function startHomeward(
    opts: { endpoint?: boolean; keepalive?: number; psk?: boolean; underLoadAfter?: number; forwards?: boolean }, name: string, env: NodeJS.ProcessEnv = {},
  ): Promise<Homeward> {
    return Homeward.start(nsB, {
      privateKey: keyB.privateKey, listenPort: HW_PORT, address: `${TUN_B}/24`,
      underLoadAfter: opts.underLoadAfter,
      localForwards: opts.forwards ? [`127.0.0.1:7001 -> ${TUN_A}:7001`] : [],
      remoteForwards: opts.forwards ? ['7000 -> 127.0.0.1:7100'] : [],
      peers: [{
        publicKey: keyA.publicKey, allowedIps: `${TUN_A}/32`,
        presharedKey: opts.psk ? psk : undefined,
        endpoint: opts.endpoint ? `${VETH_A}:${WG_PORT}` : undefined,
        persistentKeepalive: opts.keepalive,
      }],
    }, dir, name, env);
  }

  /** `ping -c <count> -W 2 <dst>` from A's kernel; asserts every echo was answered. */
  async function pingFromA(dst: string, count = 3): Promise<void> {
    const argv = ['ping', '-c', String(count), '-W', '2', '-i', '0.3', dst];
    const r = await nsRun(nsA, argv, { timeoutMs: count * 2000 + 5000 });
    assert.ok(r.code === 0 && new RegExp(`\\b${count} (packets )?received`).test(r.stdout),
      `ping from ${nsA} to ${dst} failed: ${describeRun(argv, r)}`);
  }

  async function assertHomewardHandshake(hw: Homeward, t: TestContext): Promise<void> {
    await hw.waitFor(EV_HANDSHAKE_COMPLETE, 3000);
    const st = await hw.peerStatus(keyA.publicKey);
    t.diagnostic(`homeward show --json peer: ${JSON.stringify(st)}`);
    assert.equal(typeof st.lastHandshakeAgoMs, 'number', `show --json: lastHandshakeAgoMs should be a number: ${JSON.stringify(st)}`);
    assert.ok((st.lastHandshakeAgoMs as number) < 60_000, `show --json: lastHandshakeAgoMs too large: ${JSON.stringify(st)}`);
  }

  // ---------------------------------------------------------------- harness

  test('harness sanity: two wireguard-go instances ping each other', opts(30_000), async (t) => {
    const s = new Scope();
    await s.run(async () => {
      s.wg = await startWgA({ endpoint: true, psk: true });
      s.wg2 = await WireguardGo.start({
        ns: nsB, iface: `hwg${PID}b`, privateKey: keyB.privateKey, listenPort: HW_PORT, address: `${TUN_B}/24`,
        peers: [{ publicKey: keyA.publicKey, allowedIps: `${TUN_A}/32`, presharedKey: psk, endpoint: `${VETH_A}:${WG_PORT}` }],
      }, dir);
      const t0 = Date.now();
      await pingFromA(TUN_B);
      const r = await nsRun(nsB, ['ping', '-c', '2', '-W', '2', TUN_A]);
      assert.equal(r.code, 0, `ping from ${nsB} to ${TUN_A} failed: ${describeRun(['ping', TUN_A], r)}`);
      assert.ok(await s.wg.latestHandshake(keyB.publicKey) > 0, 'wg latest-handshakes is still 0 after pings');
      t.diagnostic(`wireguard-go <-> wireguard-go: handshake and 5 pings in ${Date.now() - t0} ms`);
    });
  });

  test('homeward pubkey agrees with wg pubkey', opts(15_000), async () => {
    const argv = [process.execPath, HOMEWARD_BIN, 'pubkey'];
    const r = await run(argv, { input: keyA.privateKey + '\n' });
    assert.equal(r.code, 0, describeRun(argv, r));
    assert.equal(r.stdout.trim(), keyA.publicKey, 'homeward pubkey and wg pubkey derive different public keys');
  });

  // ---------------------------------------------------------------- handshakes

  test('handshake: homeward initiates (Endpoint + PersistentKeepalive, PSK), wireguard-go responds', opts(30_000), async (t) => {
    const s = new Scope();
    await s.run(async () => {
      s.wg = await startWgA({ psk: true });
      const t0 = Date.now();
      s.hw = await startHomeward({ endpoint: true, keepalive: 25, psk: true }, 'hw-initiator');
      await s.wg.waitHandshake(keyB.publicKey, 10_000);
      t.diagnostic(`wg latest-handshakes non-zero ${Date.now() - t0} ms after homeward started`);
      const ep = await nsRun(nsA, ['wg', 'show', s.wg.iface, 'endpoints']);
      assert.match(ep.stdout, new RegExp(`${keyB.publicKey.replace(/[+/]/g, '\\$&')}\\s+${VETH_B}:${HW_PORT}`),
        `wireguard-go did not learn homeward's endpoint: ${ep.stdout}`);
      await assertHomewardHandshake(s.hw, t);
    });
  });

  test('handshake: wireguard-go initiates, homeward (no Endpoint) responds', opts(30_000), async (t) => {
    const s = new Scope();
    await s.run(async () => {
      s.hw = await startHomeward({}, 'hw-responder');
      s.wg = await startWgA({ endpoint: true });
      const t0 = Date.now();
      // A packet for the peer makes wireguard-go initiate; it is sent once the session exists.
      const ping = nsRun(nsA, ['ping', '-c', '1', '-W', '8', TUN_B], { timeoutMs: 12_000 });
      await s.wg.waitHandshake(keyB.publicKey, 10_000);
      t.diagnostic(`wg latest-handshakes non-zero ${Date.now() - t0} ms after the first ping`);
      await assertHomewardHandshake(s.hw, t);
      const r = await ping;
      assert.equal(r.code, 0, `the ping that triggered the handshake was not answered: ${describeRun(['ping', TUN_B], r)}`);
    });
  });

  // ---------------------------------------------------------------- a gateway without a wall clock

  test('clock at 1970 after a reboot: wireguard-go accepts the next handshake thanks to the stored ceiling, and rejects it without', opts(60_000), async (t) => {
    if (!existsSync(LIBFAKETIME)) {
      // .ci/run installs faketime; elsewhere the test says what it needs.
      if (process.env.CI) assert.fail(`${LIBFAKETIME} is missing: install the Debian package faketime`);
      t.skip(`${LIBFAKETIME} is missing (Debian package faketime)`);
      return;
    }
    // libfaketime: the wall clock starts at 1970-01-02, as on an ESP32 before SNTP; the monotonic
    // clock (homeward's timers) stays real.
    const at1970 = { LD_PRELOAD: LIBFAKETIME, FAKETIME: '@1970-01-02 00:00:00', FAKETIME_DONT_FAKE_MONOTONIC: '1' };
    const s = new Scope();
    await s.run(async () => {
      s.wg = await startWgA({});
      s.hw = await startHomeward({ endpoint: true, keepalive: 25 }, 'hw-clock');
      const first = await s.wg.waitHandshake(keyB.publicKey, 10_000);
      const ceiling = `${s.hw.confPath}.ceiling`;
      assert.ok(existsSync(ceiling), `no TAI64N ceiling was stored at ${ceiling}`);
      await s.hw.proc.kill(); // power cut

      // wg latest-handshakes has 1 s resolution: let the next one be distinguishable.
      await new Promise((r) => setTimeout(r, 1100));
      s.hw = await startHomeward({ endpoint: true, keepalive: 25 }, 'hw-clock', at1970);
      const second = await s.wg.waitHandshake(keyB.publicKey, 10_000, first);
      t.diagnostic(`handshakes accepted by wireguard-go at ${first} and, after the reboot to 1970, at ${second}`);
      await s.hw.waitFor(EV_HANDSHAKE_COMPLETE, 3000);
      await s.hw.proc.kill();

      // Control: the same reboot without the ceiling sends a 1970 timestamp, older than the last one
      // wireguard-go accepted, so it is dropped as a replay: no handshake, whatever homeward retries.
      rmSync(ceiling);
      s.hw = await startHomeward({ endpoint: true, keepalive: 25 }, 'hw-clock', at1970);
      await s.hw.waitFor(/\bhandshake-sent\b.*retry/, 8_000);
      assert.equal(await s.wg.latestHandshake(keyB.publicKey), second, 'wireguard-go accepted a handshake stamped 1970');
      assert.ok(!s.hw.proc.lines.some((l) => EV_HANDSHAKE_COMPLETE.test(l.text)), 'homeward completed a handshake stamped 1970');
    });
  });

  // ---------------------------------------------------------------- traffic on one session

  describe('traffic: homeward initiator with forwards', () => {
    const s = new Scope();
    let echoA: Proc; // in A on 10.100.0.1:7001 (LocalForward target)
    let echoB: Proc; // in B on 127.0.0.1:7100 (RemoteForward service)

    before(async () => {
      if (skip) return;
      await s.check(async () => {
        s.wg = await startWgA({ psk: true });
        echoA = await startEcho(nsA, TUN_A, 7001, 'echo A 10.100.0.1:7001');
        echoB = await startEcho(nsB, '127.0.0.1', 7100, 'echo B 127.0.0.1:7100');
        s.extra.push(echoA, echoB);
        s.hw = await startHomeward({ endpoint: true, keepalive: 25, psk: true, forwards: true }, 'hw-traffic');
        await s.wg.waitHandshake(keyB.publicKey, 10_000);
      });
    }, { timeout: 30_000 });

    after(async () => { await s.close(); }, { timeout: 20_000 });

    test('kernel ping from A is answered by homeward', opts(20_000), async () => {
      await s.check(() => pingFromA(TUN_B));
    });

    test('UDP A -> 10.100.0.2:7000 -> RemoteForward -> 127.0.0.1:7100 in B, and the reply back', opts(20_000), async (t) => {
      await s.check(async () => {
        const rt = await udpRoundTrip(nsA, TUN_B, 7000, 'a2b', 8000);
        assert.ok(rt.ok, `no reply from 10.100.0.2:7000 through RemoteForward: ${JSON.stringify(rt)}; the service got ${JSON.stringify(received(echoB))}`);
        assert.equal(rt.from, `${TUN_B}:7000`, 'the reply should come from Address:7000');
        const got = received(echoB).filter((d) => d.data.startsWith('a2b-'));
        assert.ok(got.length > 0, 'the B service received nothing');
        assert.match(got[0].from, /^127\.0\.0\.1:\d+$/, 'RemoteForward should deliver from loopback');
        t.diagnostic(`round trip in ${rt.ms} ms after ${rt.sent} datagram(s)`);
      });
    });

    test('UDP B -> LocalForward 127.0.0.1:7001 -> 10.100.0.1:7001 in A, and the reply back', opts(20_000), async (t) => {
      await s.check(async () => {
        const rt = await udpRoundTrip(nsB, '127.0.0.1', 7001, 'b2a', 8000);
        assert.ok(rt.ok, `no reply through LocalForward 127.0.0.1:7001: ${JSON.stringify(rt)}; the A listener got ${JSON.stringify(received(echoA))}`);
        assert.equal(rt.from, '127.0.0.1:7001', 'the reply should come from the LocalForward socket');
        const got = received(echoA).filter((d) => d.data.startsWith('b2a-'));
        assert.ok(got.length > 0, 'the A listener received nothing');
        assert.equal(got[0].from, `${TUN_B}:7001`, 'LocalForward should send from Address:7001');
        t.diagnostic(`round trip in ${rt.ms} ms after ${rt.sent} datagram(s)`);
      });
    });

    test('survives a wireguard-go restart (SIGKILL, new process, same key and config)', opts(70_000), async (t) => {
      await s.check(async () => {
        assert.ok(s.wg, 'no wireguard-go running');
        const hsBefore = await s.wg.latestHandshake(keyB.publicKey);
        await echoA.stop();
        s.extra = s.extra.filter((p) => p !== echoA);
        s.wg = await s.wg.restart(true);
        echoA = await startEcho(nsA, TUN_A, 7001, 'echo A (after restart)');
        s.extra.push(echoA);
        const t0 = Date.now();
        // homeward holds a session the new wireguard-go does not know. Data from homeward
        // gets no answer, so after KEEPALIVE_TIMEOUT + REKEY_TIMEOUT (15 s) it re-initiates.
        const rt = await udpRoundTrip(nsB, '127.0.0.1', 7001, 'restart', 40_000, 500);
        assert.ok(rt.ok, `traffic did not recover within 40 s of the wireguard-go restart: ${JSON.stringify(rt)}`);
        t.diagnostic(`recovered after ${Date.now() - t0} ms (${rt.sent} datagrams sent)`);
        assert.ok(await s.wg.latestHandshake(keyB.publicKey) > 0, 'the new wireguard-go reports no handshake');
        assert.ok(hsBefore > 0, 'there was no handshake before the restart');
        await pingFromA(TUN_B);
        const back = await udpRoundTrip(nsA, TUN_B, 7000, 'a2b-again', 8000);
        assert.ok(back.ok, `UDP A -> B after the restart: ${JSON.stringify(back)}`);
      });
    });
  });

  // ---------------------------------------------------------------- cookies

  test('cookie: homeward with UnderLoadAfter = 0 demands a cookie; wireguard-go retries with mac2 and completes', opts(40_000), async (t) => {
    const s = new Scope();
    await s.run(async () => {
      s.hw = await startHomeward({ underLoadAfter: 0 }, 'hw-cookie');
      s.wg = await startWgA({ endpoint: true });
      const t0 = Date.now();
      const ping = nsRun(nsA, ['ping', '-c', '1', '-W', '15', TUN_B], { timeoutMs: 20_000 });
      const cookie = await s.hw.waitFor(EV_COOKIE_SENT, 5000);
      t.diagnostic(`cookie-sent after ${Date.now() - t0} ms`);
      // wireguard-go stores the cookie and retransmits after REKEY_TIMEOUT (5 s + jitter).
      const done = await s.hw.waitFor(EV_HANDSHAKE_COMPLETE, 15_000, cookie.index + 1);
      t.diagnostic(`handshake-complete after ${Date.now() - t0} ms`);
      const early = s.hw.proc.find(EV_HANDSHAKE_COMPLETE);
      assert.equal(early?.index, done.index, 'a handshake completed before any cookie was sent');
      if (s.wg.proc.find(/cookie/i)) t.diagnostic(`wireguard-go: ${s.wg.proc.find(/cookie/i)?.text}`);
      await s.wg.waitHandshake(keyB.publicKey, 3000);
      const r = await ping;
      assert.equal(r.code, 0, `the ping queued during the cookie exchange was not answered: ${describeRun(['ping', TUN_B], r)}`);
      await pingFromA(TUN_B);
    });
  });
});
