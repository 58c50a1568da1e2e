/**
 * Amplification (bytes out over bytes in ≤ 1.0) for every kind of
 * unauthenticated input: the host-agnostic suite
 * tests/suites/recovery-security.ts under node:test (tests/xs.test.ts runs
 * the same cases on XS).
 */
import { runSuite } from './harness/node';
import { amplification } from './suites/recovery-security';

runSuite('recovery: amplification', amplification);
