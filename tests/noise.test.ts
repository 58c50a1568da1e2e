import { runSuite } from './harness/node';
import { cases } from './suites/noise';

runSuite('noise', cases);
