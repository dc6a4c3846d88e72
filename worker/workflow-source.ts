import { join } from 'node:path';
import { projectRoot } from '../client/local/project-root.js';

/** Entry point of the workflow bundle (bundled by the worker, or once per test run). */
export const workflowsPath = join(projectRoot, 'workflows', 'index.ts');
