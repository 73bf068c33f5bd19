#!/usr/bin/env node
// Runs the TypeScript CLI through tsx, so a checkout works right after `npm ci` and `npm install -g .` needs no build.
import { register } from 'tsx/esm/api';

register();
await import('../src/cli.ts');
