/**
 * The PROD path out of WAIT after the home end lost its state: the
 * host-agnostic suite tests/suites/recovery-security.ts under node:test
 * (tests/xs.test.ts runs the same cases on XS).
 */
import { runSuite } from './harness/node';
import { prod } from './suites/recovery-security';

runSuite('recovery: prod', prod);
