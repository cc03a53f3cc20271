#!/usr/bin/env node
// Runs the TypeScript sources directly through tsx, so there is no build step between a
// checkout and a running daemon.
import { register } from 'tsx/esm/api';

register();
await import(new URL('../src/cli/main.ts', import.meta.url).href);
