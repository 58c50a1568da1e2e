/**
 * The staging ring: the host-agnostic suite tests/suites/staging.ts under
 * node:test (tests/xs.test.ts runs the same cases on XS).
 */
import { runSuite } from './harness/node';
import { cases } from './suites/staging';

runSuite('staging', cases);
