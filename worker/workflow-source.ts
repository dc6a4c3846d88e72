import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

/** Entry point of the workflow bundle (bundled by the worker, or once per test run). */
export const workflowsPath = join(dirname(fileURLToPath(import.meta.url)), '..', 'workflows', 'index.ts');
