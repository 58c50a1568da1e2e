/** Rekeys under reordering on gateway limits (tests/suites/rekey.ts; tests/xs.test.ts runs it on XS too). */
import { runSuite } from './harness/node';
import { cases } from './suites/rekey';

runSuite('rekey', cases);
