/**
 * Liveness and lifecycle (docs/PROTOCOL.md §6) in the deterministic simulator:
 * the host-agnostic suite tests/suites/scenarios.ts under node:test
 * (tests/xs.test.ts runs the same cases on XS).
 */
import { runSuite } from './harness/node';
import { liveness } from './suites/scenarios';

runSuite('scenarios: liveness', liveness);
