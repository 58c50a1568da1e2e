/**
 * A gateway rebooting to a 1970 clock, with and without the stored TAI64N
 * ceiling: the host-agnostic suite tests/suites/reboot-clock.ts under
 * node:test (tests/xs.test.ts runs the same cases on XS).
 */
import { runSuite } from './harness/node';
import { cases } from './suites/reboot-clock';

runSuite('reboot clock', cases);
