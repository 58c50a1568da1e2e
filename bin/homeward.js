#!/usr/bin/env node
// The homeward command line: TypeScript sources run through tsx, no build step.
import { register } from 'tsx/esm/api';

register();
await import('../hosts/node/cli.ts');
