/**
 * Liveness against stock WireGuard (Debian's wireguard-go): homeward's in-tunnel ping notices
 * that a wireguard-go died and that it came back, and a failover group moves its routes from
 * one wireguard-go to a second one and back.
 *
 *   netns A (hwt<pid>a)                  netns B (hwt<pid>b)                  netns C (hwt<pid>c)
 *   wireguard-go hwg<pid>a ("home1")     homeward (no TUN)                    wireguard-go hwg<pid>c ("home2")
 *   10.100.0.1/24 on its tun             Address 10.100.0.2/24                10.100.0.1/24 on its tun
 *   UDP :51820 on 10.200.0.1 --- veth --- 10.200.0.2 | 10.201.0.2 --- veth --- 10.201.0.1, UDP :51820
 *
 * Both wireguard-go instances carry the same tunnel address (10.100.0.1), as two home servers
 * that are alternatives for the same routes would; homeward's ping target is that address
 * (the default: the first host of AllowedIPs 10.100.0.1/32), which the kernel in A or C
 * answers like any ping on a local address.
 *
 * What is observed: homeward's log (`<time> <name> <event> peer=<key prefix>… ... detail=...`)
 * with the time each line arrived, `homeward show --json`, `wg show`, and UDP echo listeners
 * on 10.100.0.1:7001 in A and C reached through homeward's LocalForward.
 *
 * Needs root, /dev/net/tun, `ip netns` and wireguard-go/wg/ping, like tests/interop.test.ts;
 * otherwise every test is reported SKIPPED with the reason.
 */
import { after, before, describe, test, type TestContext } from 'node:test';
import assert from 'node:assert/strict';
import {
  cleanup, interopGate, createNs, createVeth, describeRun, installExitCleanup, makeTempDir, nsRun, removeLeftovers,
  sleep, PID, type Line, type Proc, withLogs,
} from './netns/netns';
import { WireguardGo, wgGenKey, type KeyPair } from './netns/wireguard';
import { Homeward, type HomewardPeer } from './netns/homeward';
import { received, startEcho, udpRoundTrip } from './netns/udp';

const skip = await interopGate('interop liveness');

const WG_PORT = 51820;
const HW_PORT = 51821;
const VETH_A = '10.200.0.1';
const VETH_BA = '10.200.0.2';
const VETH_C = '10.201.0.1';
const VETH_BC = '10.201.0.2';
const TUN_HOME = '10.100.0.1';
const TUN_B = '10.100.0.2';
const ECHO_PORT = 7001;

/** Liveness settings under test (seconds / count). */
const PING_INTERVAL = 1;
const PING_MISSES = 2;
const FAILOVER_AFTER = 2;
const FAILBACK_AFTER = 2;
/**
 * Allowance for scheduling, process start-up and a busy machine (the interop files may run in
 * parallel). The bounds below are still far below what WireGuard's own timers would give
 * (a silent peer is only noticed after KEEPALIVE_TIMEOUT + REKEY_TIMEOUT = 15 s, and never
 * declared dead).
 */
const SLACK_MS = 2000;
/** WireGuard's REKEY_TIMEOUT (modules/constants.ts), and its jitter bound. */
const REKEY_TIMEOUT_MS = 5000;
const REKEY_JITTER_MS = 334;
/** Death is noticed at most interval × (misses + 1) after the last packet heard. */
const DETECT_MAX_MS = PING_INTERVAL * (PING_MISSES + 1) * 1000 + SLACK_MS;
/** ...and not before `misses` intervals of silence (less a little: the last reply may predate the stop). */
const DETECT_MIN_MS = (PING_INTERVAL * PING_MISSES - PING_INTERVAL) * 1000 + 500;

/** Every test carries the skip reason itself, so the runner counts and reports each one as skipped. */
const opts = (timeout: number) => ({ timeout, skip });

const esc = (s: string) => s.replace(/[.*+?^${}()|[\]\\/]/g, '\\$&');
/** A homeward log line for `event` (third field), optionally about the peer with `publicKey`. */
function ev(event: string, publicKey?: string): RegExp {
  return new RegExp(`^\\S+ \\S+ ${esc(event)}(?= |$)${publicKey ? `.* peer=${esc(publicKey.slice(0, 8))}` : ''}`);
}

describe('liveness interop with wireguard-go', () => {
  let nsA = '';
  let nsB = '';
  let nsC = '';
  let dir = '';
  let keyHome1: KeyPair; // wireguard-go in A
  let keyHome2: KeyPair; // wireguard-go in C
  let keyGw: KeyPair; // homeward in B

  before(async () => {
    if (skip) return;
    installExitCleanup();
    const removed = removeLeftovers();
    if (removed.length) console.log(`removed leftovers of earlier runs: ${removed.join(', ')}`);
    dir = makeTempDir();
    nsA = await createNs('a');
    nsB = await createNs('b');
    nsC = await createNs('c');
    await createVeth(nsA, `${VETH_A}/24`, nsB, `${VETH_BA}/24`, ['a', 'b']);
    await createVeth(nsC, `${VETH_C}/24`, nsB, `${VETH_BC}/24`, ['c', 'd']);
    for (const [ns, dst] of [[nsB, VETH_A], [nsB, VETH_C]]) {
      const r = await nsRun(ns, ['ping', '-c', '1', '-W', '2', dst]);
      if (r.code !== 0) throw new Error(`veth from ${ns} to ${dst} does not carry traffic: ${describeRun(['ping', dst], r)}`);
    }
    [keyHome1, keyHome2, keyGw] = await Promise.all([wgGenKey(), wgGenKey(), wgGenKey()]);
  }, { timeout: 30_000 });

  after(async () => { if (!skip) await cleanup(); }, { timeout: 30_000 });

  /** Processes started for one test: stopped at its end, their logs attached to its failure. */
  class Scope {
    wgs: WireguardGo[] = [];
    hw: Homeward | null = null;
    extra: Proc[] = [];
    /** Processes paused with SIGSTOP: resumed before anything else, so they can be stopped and queried. */
    paused = new Set<Proc>();

    procs(): Proc[] { return [this.hw?.proc, ...this.wgs.map((w) => w.proc), ...this.extra].filter((p): p is Proc => !!p); }

    resumeAll(): void {
      for (const p of this.paused) if (p.pid && p.running) { try { process.kill(p.pid, 'SIGCONT'); } catch { /* gone */ } }
      this.paused.clear();
    }

    async run(fn: () => Promise<void>): Promise<void> {
      try {
        await fn();
      } catch (e) {
        this.resumeAll();
        const err = withLogs(e, this.procs());
        for (const w of this.wgs) if (w.proc.running) err.message += `\n--- wg show ${w.iface} ---\n${await w.dump()}`;
        if (this.hw?.proc.running) {
          try { err.message += `\n--- homeward show --json ---\n${JSON.stringify(await this.hw.show(), null, 1)}`; } catch { /* best effort */ }
        }
        throw err;
      } finally {
        this.resumeAll();
        await Promise.all(this.procs().map((p) => p.stop()));
        for (const w of this.wgs) await w.stop().catch(() => undefined);
        this.wgs = [];
        this.hw = null;
        this.extra = [];
      }
    }
  }

  /** wireguard-go in `ns` with key `key`, tunnel address 10.100.0.1/24, peered with homeward (no Endpoint: it only responds). */
  function startHome(ns: string, suffix: string, key: KeyPair): Promise<WireguardGo> {
    return WireguardGo.start({
      ns, iface: `hwg${PID}${suffix}`, privateKey: key.privateKey, listenPort: WG_PORT, address: `${TUN_HOME}/24`,
      peers: [{ publicKey: keyGw.publicKey, allowedIps: `${TUN_B}/32` }],
    }, dir);
  }

  function homewardPeer(key: KeyPair, endpointHost: string, extra: Partial<HomewardPeer> = {}): HomewardPeer {
    return {
      publicKey: key.publicKey, allowedIps: `${TUN_HOME}/32`, endpoint: `${endpointHost}:${WG_PORT}`,
      pingInterval: PING_INTERVAL, pingMisses: PING_MISSES, ...extra,
    };
  }

  /** When a log line arrived (ms since the epoch). */
  const at = (p: Proc, l: Line): number => p.started + l.at;

  /** Sends through homeward's LocalForward 127.0.0.1:7001 -> 10.100.0.1:7001 until the echo comes back. */
  async function roundTrip(prefix: string, timeoutMs: number): Promise<{ ms: number; sent: number }> {
    const rt = await udpRoundTrip(nsB, '127.0.0.1', ECHO_PORT, prefix, timeoutMs, 200);
    assert.ok(rt.ok, `no echo through LocalForward 127.0.0.1:${ECHO_PORT} -> ${TUN_HOME}:${ECHO_PORT} within ${timeoutMs} ms (prefix ${prefix}): ${JSON.stringify(rt)}`);
    return { ms: rt.ms, sent: rt.sent };
  }

  const got = (echo: Proc, prefix: string) => received(echo).filter((d) => d.data.startsWith(`${prefix}-`));

  /** `ping` from `ns` to homeward's Address through the tunnel; asserts every echo was answered. */
  async function pingHomeward(ns: string, count = 2): Promise<void> {
    const argv = ['ping', '-c', String(count), '-W', '2', '-i', '0.3', TUN_B];
    const r = await nsRun(ns, argv, { timeoutMs: count * 2000 + 5000 });
    assert.ok(r.code === 0 && new RegExp(`\\b${count} (packets )?received`).test(r.stdout), `ping from ${ns} to ${TUN_B} failed: ${describeRun(argv, r)}`);
  }

  /**
   * Waits until homeward's last initiation to `publicKey` is more than REKEY_TIMEOUT (5 s) old.
   * homeward sends at most one (non-retry) initiation per REKEY_TIMEOUT, and the one it sends on
   * peer-down is subject to that limit: a peer that dies sooner after its handshake than that
   * gets its initiation only once REKEY_TIMEOUT has passed (the early-death test at the end). The
   * main tests let the session age first, as it would in service, so their timings are the
   * steady state's.
   */
  async function settle(hw: Homeward, publicKey: string): Promise<void> {
    const sent = hw.proc.lines.filter((l) => ev('handshake-sent', publicKey).test(l.text)).pop();
    if (!sent) return;
    const wait = at(hw.proc, sent) + REKEY_TIMEOUT_MS + 500 - Date.now();
    if (wait > 0) await sleep(wait);
  }

  async function groupsOf(hw: Homeward): Promise<Record<string, string>> {
    const find = (v: unknown): Record<string, string> | undefined => {
      if (Array.isArray(v)) { for (const x of v) { const f = find(x); if (f) return f; } return undefined; }
      if (v && typeof v === 'object') {
        const o = v as Record<string, unknown>;
        if (o.groups && typeof o.groups === 'object' && !Array.isArray(o.groups)) return o.groups as Record<string, string>;
        for (const x of Object.values(o)) { const f = find(x); if (f) return f; }
      }
      return undefined;
    };
    const status = await hw.show();
    const g = find(status);
    if (!g) throw new Error(`homeward show --json has no groups:\n${JSON.stringify(status, null, 2)}`);
    return g;
  }

  // ---------------------------------------------------------------- death and return

  test('death and return: in-tunnel ping declares a paused wireguard-go down and sees it come back', opts(50_000), async (t) => {
    const s = new Scope();
    await s.run(async () => {
      const wg = await startHome(nsA, 'a', keyHome1);
      s.wgs.push(wg);
      const echo = await startEcho(nsA, TUN_HOME, ECHO_PORT, 'echo A 10.100.0.1:7001');
      s.extra.push(echo);
      const hw = s.hw = await Homeward.start(nsB, {
        privateKey: keyGw.privateKey, listenPort: HW_PORT, address: `${TUN_B}/24`,
        localForwards: [`127.0.0.1:${ECHO_PORT} -> ${TUN_HOME}:${ECHO_PORT}`],
        // The ping target is left to its default: the first host of AllowedIPs, 10.100.0.1.
        peers: [homewardPeer(keyHome1, VETH_A, { persistentKeepalive: 25 })],
      }, dir, 'hw-liveness');
      const key = keyHome1.publicKey;

      // ---- up: handshake, traffic both ways
      await wg.waitHandshake(keyGw.publicKey, 10_000);
      await hw.waitFor(ev('peer-up', key), 5000);
      await roundTrip('before', 8000);
      assert.ok(got(echo, 'before').length > 0, 'the wireguard-go side received nothing before the death');
      await pingHomeward(nsA);

      // ---- idle, alive: probes go out and are answered, nobody is declared down
      const idleFrom = hw.proc.lines.length;
      const st0 = await hw.peerStatus(key);
      await sleep(DETECT_MAX_MS);
      const st1 = await hw.peerStatus(key);
      t.diagnostic(`alive and idle for ${DETECT_MAX_MS} ms: probesSent ${st0.probesSent} -> ${st1.probesSent}, probesMissed ${st0.probesMissed} -> ${st1.probesMissed}, state ${st1.state}`);
      assert.equal(hw.proc.find(ev('peer-down'), idleFrom), undefined, 'peer-down while wireguard-go was alive and answering');
      assert.equal(hw.proc.find(ev('probe-missed'), idleFrom), undefined, 'probe-missed while wireguard-go was alive and answering');
      assert.ok((st1.probesSent as number) - (st0.probesSent as number) >= 2,
        `an idle tunnel should be probed every ${PING_INTERVAL} s: probesSent went ${st0.probesSent} -> ${st1.probesSent}`);
      assert.equal(st1.probesMissed, st0.probesMissed, 'wireguard-go (its kernel) should answer every probe while alive');
      assert.equal(st1.state, 'established');
      await settle(hw, key);

      // ---- death: wireguard-go paused (silent: no ICMP errors, no packets at all)
      const hsBefore = await wg.latestHandshake(keyGw.publicKey);
      const deathFrom = hw.proc.lines.length;
      const tDeath = Date.now();
      process.kill(wg.proc.pid!, 'SIGSTOP');
      s.paused.add(wg.proc);
      const down = await hw.waitFor(ev('peer-down', key), DETECT_MAX_MS + 1000, deathFrom);
      const detectMs = at(hw.proc, down) - tDeath;
      t.diagnostic(`peer-down ${detectMs} ms after wireguard-go was paused: ${down.text}`);
      assert.ok(detectMs <= DETECT_MAX_MS, `peer-down took ${detectMs} ms, more than interval×(misses+1)+slack = ${DETECT_MAX_MS} ms`);
      assert.ok(detectMs >= DETECT_MIN_MS, `peer-down after only ${detectMs} ms: sooner than ${PING_MISSES} missed probes allow`);
      assert.match(down.text, new RegExp(`no answer to ${PING_MISSES} probes`));
      const missed = hw.proc.lines.slice(deathFrom, down.index).filter((l) => ev('probe-missed', key).test(l.text));
      assert.equal(missed.length, PING_MISSES, `expected ${PING_MISSES} probe-missed before peer-down, got:\n${missed.map((l) => l.text).join('\n')}`);
      // Its keys are gone and it asks for new ones at once.
      const hs = await hw.waitFor(ev('handshake-sent', key), 1500, down.index);
      t.diagnostic(`handshake-sent ${at(hw.proc, hs) - at(hw.proc, down)} ms after peer-down`);
      const stDown = await hw.peerStatus(key);
      assert.notEqual(stDown.state, 'established', `after peer-down the session should be gone: ${JSON.stringify(stDown)}`);
      assert.ok((stDown.probesMissed as number) >= (st1.probesMissed as number) + PING_MISSES, `show --json probesMissed: ${JSON.stringify(stDown)}`);

      // ---- return: wireguard-go resumes; homeward's pending initiation gets its answer
      await sleep(1000);
      const backFrom = hw.proc.lines.length;
      const tBack = Date.now();
      process.kill(wg.proc.pid!, 'SIGCONT');
      s.paused.delete(wg.proc);
      // Initiations are retried every REKEY_TIMEOUT (5 s + jitter), and one is queued in the socket already.
      const up = await hw.waitFor(ev('peer-up', key), 8000, backFrom);
      const hc = hw.proc.find(ev('handshake-complete', key), backFrom);
      assert.ok(hc && hc.index <= up.index, 'peer-up without a new handshake-complete');
      t.diagnostic(`peer-up ${at(hw.proc, up) - tBack} ms after wireguard-go resumed`);
      assert.ok(await wg.latestHandshake(keyGw.publicKey) >= hsBefore, 'wg latest-handshakes went backwards');
      const rt = await roundTrip('after', 8000);
      assert.ok(got(echo, 'after').length > 0, 'the wireguard-go side received nothing after its return');
      await pingHomeward(nsA);
      t.diagnostic(`traffic after the return: echo in ${rt.ms} ms (${rt.sent} sent)`);
      assert.equal(hw.proc.find(ev('peer-down'), up.index), undefined, 'peer-down again after the return');
      const stUp = await hw.peerStatus(key);
      assert.equal(stUp.state, 'established', `show --json after the return: ${JSON.stringify(stUp)}`);
    });
  });

  // ---------------------------------------------------------------- failover and failback

  test('failover group: home1 wireguard-go dies, routes move to home2; home1 returns, routes move back', opts(60_000), async (t) => {
    const s = new Scope();
    await s.run(async () => {
      let wg1 = await startHome(nsA, 'a', keyHome1);
      const wg2 = await startHome(nsC, 'c', keyHome2);
      s.wgs.push(wg1, wg2);
      let echoA = await startEcho(nsA, TUN_HOME, ECHO_PORT, 'echo A (home1)');
      const echoC = await startEcho(nsC, TUN_HOME, ECHO_PORT, 'echo C (home2)');
      s.extra.push(echoA, echoC);
      const hw = s.hw = await Homeward.start(nsB, {
        privateKey: keyGw.privateKey, listenPort: HW_PORT, address: `${TUN_B}/24`,
        localForwards: [`127.0.0.1:${ECHO_PORT} -> ${TUN_HOME}:${ECHO_PORT}`],
        failoverAfter: FAILOVER_AFTER, failbackAfter: FAILBACK_AFTER,
        peers: [
          homewardPeer(keyHome1, VETH_A, { group: 'home', pingTarget: TUN_HOME, persistentKeepalive: 25 }),
          homewardPeer(keyHome2, VETH_C, { group: 'home', pingTarget: TUN_HOME }),
        ],
      }, dir, 'hw-failover');
      const k1 = keyHome1.publicKey;
      const k2 = keyHome2.publicKey;

      // ---- home1 is active: traffic goes there and only there
      await wg1.waitHandshake(keyGw.publicKey, 10_000);
      await hw.waitFor(ev('peer-up', k1), 5000);
      await roundTrip('via1', 8000);
      assert.ok(got(echoA, 'via1').length > 0, 'home1 received nothing while active');
      assert.equal(got(echoC, 'via1').length, 0, 'home2 received traffic while home1 was active');
      assert.equal((await groupsOf(hw)).home, k1, 'show --json groups.home should be home1 at first');
      await pingHomeward(nsA);
      await settle(hw, k1);
      const idle = await hw.peerStatus(k1);
      assert.equal(idle.probesMissed, 0, `home1 should answer every probe while alive: ${JSON.stringify(idle)}`);
      assert.ok((idle.probesSent as number) >= 2, `home1 should have been probed while idle: ${JSON.stringify(idle)}`);
      assert.equal(hw.proc.find(ev('peer-down')), undefined, 'peer-down while both wireguard-go were alive');

      // ---- home1 dies (SIGKILL: its interface, socket and sessions go)
      await echoA.stop();
      s.extra = s.extra.filter((p) => p !== echoA);
      const deathFrom = hw.proc.lines.length;
      const tDeath = Date.now();
      await wg1.stop(true);
      const down = await hw.waitFor(ev('peer-down', k1), DETECT_MAX_MS + 1000, deathFrom);
      const downMs = at(hw.proc, down) - tDeath;
      t.diagnostic(`peer-down (home1) ${downMs} ms after its death: ${down.text}`);
      assert.ok(downMs <= DETECT_MAX_MS, `peer-down for home1 took ${downMs} ms (> ${DETECT_MAX_MS})`);
      const failoverMax = DETECT_MAX_MS + FAILOVER_AFTER * 1000 + 1000;
      const fo = await hw.waitFor(ev('failover'), failoverMax + 1000, deathFrom);
      const foMs = at(hw.proc, fo) - tDeath;
      t.diagnostic(`failover ${foMs} ms after home1's death (${at(hw.proc, fo) - at(hw.proc, down)} ms after its peer-down): ${fo.text}`);
      assert.match(fo.text, ev('failover', k2), 'the failover should name home2 as the new active gateway');
      assert.ok(fo.text.includes(`from ${k1}`), `the failover should say it came from home1: ${fo.text}`);
      assert.ok(fo.index > down.index, 'failover before home1 was declared down');
      assert.ok(at(hw.proc, fo) - at(hw.proc, down) >= FAILOVER_AFTER * 1000 - 250,
        `failover ${at(hw.proc, fo) - at(hw.proc, down)} ms after peer-down: FailoverAfter = ${FAILOVER_AFTER} s should hold it back`);
      assert.ok(foMs <= failoverMax, `failover took ${foMs} ms after home1's death (> ${failoverMax})`);

      // ---- traffic now arrives at home2
      const rt2 = await roundTrip('via2', 8000);
      const firstAt2 = got(echoC, 'via2');
      assert.ok(firstAt2.length > 0, 'home2 received nothing after the failover');
      assert.equal(firstAt2[0].from, `${TUN_B}:${ECHO_PORT}`, 'home2 should see the datagram from homeward\'s Address:7001');
      await hw.waitFor(ev('peer-up', k2), 3000, deathFrom);
      assert.equal((await groupsOf(hw)).home, k2, 'show --json groups.home should be home2 after the failover');
      await pingHomeward(nsC);
      t.diagnostic(`traffic via home2: echo in ${rt2.ms} ms (${rt2.sent} sent), ${Date.now() - tDeath} ms after home1's death`);
      assert.equal(hw.proc.lines.slice(deathFrom).filter((l) => ev('failover').test(l.text)).length, 1, 'more than one failover');

      // ---- home1 returns (new process, same key, state lost): after FailbackAfter of it being up, routes go back
      const backFrom = hw.proc.lines.length;
      const tBack = Date.now();
      wg1 = await startHome(nsA, 'a', keyHome1);
      s.wgs[0] = wg1;
      echoA = await startEcho(nsA, TUN_HOME, ECHO_PORT, 'echo A (home1 again)');
      s.extra.push(echoA);
      // homeward keeps asking home1 (its handshake retries every REKEY_TIMEOUT, 5 s + jitter, or a
      // failback ask every PingInterval); once home1 answered it must stay up FailbackAfter.
      const failbackMax = REKEY_TIMEOUT_MS + REKEY_JITTER_MS + FAILBACK_AFTER * 1000 + SLACK_MS + 1000;
      const up1 = await hw.waitFor(ev('peer-up', k1), failbackMax, backFrom);
      const fb = await hw.waitFor(ev('failback'), failbackMax, backFrom);
      const fbMs = at(hw.proc, fb) - tBack;
      const holdMs = at(hw.proc, fb) - at(hw.proc, up1);
      t.diagnostic(`home1 peer-up ${at(hw.proc, up1) - tBack} ms and failback ${fbMs} ms after its return (hold ${holdMs} ms): ${fb.text}`);
      assert.match(fb.text, ev('failback', k1), 'the failback should name home1');
      assert.ok(fb.text.includes(`from ${k2}`), `the failback should say it came from home2: ${fb.text}`);
      assert.ok(holdMs >= FAILBACK_AFTER * 1000 - 250, `failback only ${holdMs} ms after home1 came up: FailbackAfter = ${FAILBACK_AFTER} s`);
      assert.ok(fbMs <= failbackMax, `failback took ${fbMs} ms after home1's return (> ${failbackMax})`);
      assert.equal((await groupsOf(hw)).home, k1, 'show --json groups.home should be home1 after the failback');

      const beforeC = got(echoC, 'back1').length;
      const rt1 = await roundTrip('back1', 8000);
      assert.ok(got(echoA, 'back1').length > 0, 'home1 received nothing after the failback');
      assert.equal(got(echoC, 'back1').length, beforeC, 'home2 still received traffic after the failback');
      await pingHomeward(nsA);
      t.diagnostic(`traffic via home1 again: echo in ${rt1.ms} ms (${rt1.sent} sent)`);
      assert.equal(hw.proc.lines.slice(backFrom).filter((l) => ev('failover').test(l.text)).length, 0, 'a failover after home1 returned');
      assert.equal(hw.proc.lines.slice(backFrom).filter((l) => ev('failback').test(l.text)).length, 1, 'more than one failback');
    });
  });

  // ---------------------------------------------------------------- early death

  test('early death: home1 dies within REKEY_TIMEOUT of its handshake, on an idle tunnel; homeward still re-initiates and fails over', opts(40_000), async (t) => {
    const s = new Scope();
    await s.run(async () => {
      const wg1 = await startHome(nsA, 'a', keyHome1);
      const wg2 = await startHome(nsC, 'c', keyHome2);
      s.wgs.push(wg1, wg2);
      const hw = s.hw = await Homeward.start(nsB, {
        privateKey: keyGw.privateKey, listenPort: HW_PORT, address: `${TUN_B}/24`,
        failoverAfter: FAILOVER_AFTER, failbackAfter: FAILBACK_AFTER,
        peers: [
          homewardPeer(keyHome1, VETH_A, { group: 'home', persistentKeepalive: 25 }),
          homewardPeer(keyHome2, VETH_C, { group: 'home' }),
        ],
      }, dir, 'hw-early');
      const k1 = keyHome1.publicKey;
      const k2 = keyHome2.publicKey;
      await wg1.waitHandshake(keyGw.publicKey, 10_000);
      await hw.waitFor(ev('peer-up', k1), 5000);
      const tDeath = Date.now();
      await wg1.stop(true);
      const down = await hw.waitFor(ev('peer-down', k1), DETECT_MAX_MS + 1000);
      t.diagnostic(`peer-down ${at(hw.proc, down) - tDeath} ms after home1's death`);
      // Even if the initiation on peer-down is deferred to REKEY_TIMEOUT after the previous one, one
      // must follow, and FailoverAfter after it the failover.
      const hs = await hw.waitFor(ev('handshake-sent', k1), REKEY_TIMEOUT_MS + REKEY_JITTER_MS + 1000, down.index);
      t.diagnostic(`handshake-sent to home1 ${at(hw.proc, hs) - at(hw.proc, down)} ms after peer-down`);
      const fo = await hw.waitFor(ev('failover', k2), FAILOVER_AFTER * 1000 + SLACK_MS, hs.index);
      t.diagnostic(`failover ${at(hw.proc, fo) - tDeath} ms after home1's death`);
      await hw.waitFor(ev('peer-up', k2), 5000, fo.index);
    });
  });
});
