/**
 * The `recovery` section of bench/results.json: recovery from state loss in
 * the deterministic simulator (100 ms RTT, 20 telemetry datagrams/s), each
 * scenario with homeward's extensions on and off (WireGuard's behaviour).
 * See hosts/sim/recovery.ts for the scenarios.
 *
 * Per scenario: `on` and `off`, each `{ outageS, lost }`, and `ratio` =
 * off.outageS / on.outageS, where both outages are first raised to
 * OUTAGE_FLOOR_S. The outage is a gap between telemetry arrivals, which come
 * every 50 ms, so nothing shorter than one telemetry period can be resolved;
 * a reported 0 (keepaliveOnly, when the new session is up before the first
 * keepalive reaches the restarted end) means "under one period", and dividing
 * by it would give no number. With the floor the ratio is always finite.
 *
 * waitProd has one more entry, `prodsLost`: the same run with extensions on
 * but every PROD lost, i.e. what WAIT alone costs (secnet without its PROD);
 * its `ratio` is against `on` as well.
 */
import { runRecovery, runWaitProd, SCENARIOS, type RecoveryResult } from '../hosts/sim/recovery';

/** One telemetry period (50 ms at 20 datagrams/s): the resolution of the outage measurement. */
export const OUTAGE_FLOOR_S = 0.05;

/** off / on, each raised to the floor; two decimals. Never null, never infinite. */
export function outageRatio(offS: number, onS: number): number {
  return +(Math.max(offS, OUTAGE_FLOOR_S) / Math.max(onS, OUTAGE_FLOOR_S)).toFixed(2);
}

const figures = (r: RecoveryResult) => ({ outageS: r.outageS, lost: r.lost });

export function benchRecovery(): { results: Record<string, unknown>; table: string[] } {
  const results: Record<string, unknown> = {};
  const table: string[] = [
    `Recovery after a restart (simulator, 100 ms RTT, 20 datagrams/s): outage s / datagrams lost; ratio = WireGuard / homeward, outages below ${OUTAGE_FLOOR_S} s (one telemetry period) counted as ${OUTAGE_FLOOR_S} s`,
    '| scenario | homeward | WireGuard behaviour | outage ratio |',
    '|---|---|---|---|',
  ];
  for (const name of SCENARIOS) {
    const on = runRecovery(name, true);
    const off = runRecovery(name, false);
    const ratio = outageRatio(off.outageS, on.outageS);
    const entry: Record<string, unknown> = { on: figures(on), off: figures(off), ratio };
    table.push(`| ${name} | ${on.outageS} s / ${on.lost} | ${off.outageS} s / ${off.lost} | ${ratio} |`);
    if (name === 'waitProd') {
      const noProd = runWaitProd(true, { dropProds: true });
      entry.prodsLost = { ...figures(noProd), ratio: outageRatio(noProd.outageS, on.outageS) };
      table.push(`| waitProd, every PROD lost (WAIT alone) | ${noProd.outageS} s / ${noProd.lost} | – | ${outageRatio(noProd.outageS, on.outageS)} (vs PROD) |`);
    }
    results[name] = entry;
  }
  return { results, table };
}
