/**
 * Forged, replayed and off-path NAKs and PRODs destroy nothing: the
 * host-agnostic suite tests/suites/recovery-security.ts under node:test
 * (tests/xs.test.ts runs the same cases on XS).
 */
import { runSuite } from './harness/node';
import { security } from './suites/recovery-security';

runSuite('recovery: security', security);
