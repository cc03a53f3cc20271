#!/usr/bin/env node
// Runs the compiled JavaScript in dist/ (`npm run build`, which `npm install` runs through
// `prepare`): no TypeScript is compiled at run time, so a command starts as fast as node does.
import { distState } from './build-state.js';

const state = distState();
if (state === 'missing') {
  process.stderr.write('mailroom: dist/ is missing: run `npm run build` (npm install runs it)\n');
  process.exit(1);
}
if (state === 'stale') process.stderr.write('mailroom: warning: src/ changed since the last build; run `npm run build`\n');
await import('../dist/cli/main.js');
