#!/usr/bin/env node
// Runs the TypeScript CLI through tsx, so the repository runs as checked out, with no build step.
import { register } from 'tsx/esm/api';

register();
await import('../client/cli.ts');
