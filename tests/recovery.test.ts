/**
 * Recovery from state loss, extensions on against off (WireGuard), in the
 * deterministic simulator at 100 ms RTT and 20 datagrams/s. The scenarios are
 * the host-agnostic suite tests/suites/scenarios.ts (also run on XS by
 * tests/xs.test.ts); the check of the bench table stays here: it tests
 * bench/'s code, not the core, and reruns every scenario once more.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { SCENARIOS } from '../hosts/sim/recovery';
import { benchRecovery, OUTAGE_FLOOR_S, outageRatio } from '../bench/recovery';
import { runSuite } from './harness/node';
import { recovery } from './suites/scenarios';

runSuite('scenarios: recovery', recovery);

test('bench: every scenario has on/off figures and a finite ratio; outages below one telemetry period count as the floor', () => {
  assert.equal(outageRatio(3, 0), 3 / OUTAGE_FLOOR_S);
  assert.equal(outageRatio(0, 0), 1);
  assert.equal(outageRatio(6.55, 0.25), 26.2);
  const { results, table } = benchRecovery();
  assert.deepEqual(Object.keys(results), SCENARIOS);
  for (const name of SCENARIOS) {
    const r = results[name] as { on: { outageS: number; lost: number }; off: { outageS: number; lost: number }; ratio: number };
    for (const v of [r.on.outageS, r.on.lost, r.off.outageS, r.off.lost, r.ratio]) {
      assert.ok(typeof v === 'number' && Number.isFinite(v), `${name}: ${JSON.stringify(r)}`);
    }
    assert.equal(r.ratio, outageRatio(r.off.outageS, r.on.outageS));
    assert.ok(table.some((line) => line.startsWith(`| ${name} |`)), `${name} missing from the table`);
  }
  const wp = results.waitProd as { on: { outageS: number }; prodsLost: { outageS: number } };
  assert.ok(wp.prodsLost.outageS > wp.on.outageS);
});
