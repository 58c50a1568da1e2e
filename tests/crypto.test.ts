import { runSuite } from './harness/node';
import { cases } from './suites/crypto';

runSuite('crypto', cases);
