/** Runs host-agnostic suites under node:test. */
import { test } from 'node:test';
import { setDiagnosticSink, type Case } from './suite';

export function runSuite(name: string, cases: Case[]): void {
  for (const [caseName, run] of cases) {
    test(`${name}: ${caseName}`, (t) => {
      setDiagnosticSink((message) => t.diagnostic(message));
      try {
        run();
      } finally {
        setDiagnosticSink(null);
      }
    });
  }
}
