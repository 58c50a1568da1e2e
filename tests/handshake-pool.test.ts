/**
 * The handshake pool: the host-agnostic suite tests/suites/handshake-pool.ts
 * under node:test (tests/xs.test.ts runs the same cases on XS).
 */
import { runSuite } from './harness/node';
import { cases } from './suites/handshake-pool';

runSuite('handshake pool', cases);
