/**
 * The simulator's own cases (tests/suites/sim.ts) under node:test; tests/xs.test.ts
 * runs them on XS. The WireGuard timer cases against the real Device are in
 * tests/suites/timers.ts.
 */
import { runSuite } from './harness/node';
import { cases } from './suites/sim';

runSuite('sim', cases);
