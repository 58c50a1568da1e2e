#!/usr/bin/env node
// `npm start`: the self-contained restart demo (DESIGN.md §5), run through tsx.
import { register } from 'tsx/esm/api';

register();
await import('../hosts/node/demo.ts');
