/**
 * The TAI64N ceiling on Node: a small file next to the config
 * (`<config>.ceiling`), so an endpoint restarted on a machine whose clock
 * stepped back still sends timestamps its peers accept. Written about once
 * an hour (modules/store.ts CEILING_AHEAD); a write failure only costs that
 * protection, so it is logged, never fatal.
 */
import { readFileSync, writeFileSync, renameSync } from 'node:fs';
import type { Store } from '../../modules/store';

export function ceilingStore(configFile: string, onError: (message: string) => void): Store {
  const path = `${configFile}.ceiling`;
  return {
    loadTimestampCeiling(): number | null {
      try {
        const n = Number(readFileSync(path, 'utf8').trim());
        return Number.isFinite(n) ? n : null;
      } catch {
        return null;
      }
    },
    saveTimestampCeiling(unixMs: number): void {
      try {
        writeFileSync(`${path}.tmp`, `${unixMs}\n`);
        renameSync(`${path}.tmp`, path); // atomic: a crash leaves the old ceiling, never half a number
      } catch (e) {
        onError(`${path}: ${(e as Error).message}`);
      }
    },
  };
}
