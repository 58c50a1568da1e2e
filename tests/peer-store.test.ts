/** The peer store (tests/suites/peer-store.ts; tests/xs.test.ts runs it on XS too). */
import { runSuite } from './harness/node';
import { cases } from './suites/peer-store';

runSuite('peer store', cases);
