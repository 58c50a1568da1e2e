/** WireGuard's timer rules in the simulator (tests/suites/timers.ts) under node:test; tests/xs.test.ts runs them on XS. */
import { runSuite } from './harness/node';
import { cases } from './suites/timers';

runSuite('timers', cases);
