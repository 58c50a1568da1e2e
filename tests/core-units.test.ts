/** The small core modules' host-agnostic suites under node:test (tests/xs.test.ts runs them on XS). */
import { runSuite } from './harness/node';
import { cases as replay } from './suites/replay';
import { cases as keypair } from './suites/keypair';
import { cases as tai64n } from './suites/tai64n';
import { cases as ipv4 } from './suites/ipv4';
import { cases as base64 } from './suites/base64';
import { cases as allowedips } from './suites/allowedips';
import { cases as ratelimiter } from './suites/ratelimiter';
import { cases as resend } from './suites/resend';

runSuite('replay', replay);
runSuite('keypair', keypair);
runSuite('tai64n', tai64n);
runSuite('ipv4', ipv4);
runSuite('base64', base64);
runSuite('allowedips', allowedips);
runSuite('ratelimiter', ratelimiter);
runSuite('resend', resend);
