import { existsSync } from 'node:fs';
import { dirname, extname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

const here = dirname(fileURLToPath(import.meta.url));

/** Entry point of the workflow code: workflows/index.ts from sources, dist/workflows/index.js when compiled. */
export const workflowsPath = join(here, '..', 'workflows', `index${extname(fileURLToPath(import.meta.url))}`);

/**
 * The bundle `npm run build` writes to dist/workflow-bundle.js, when this worker runs compiled
 * code: production workers load it instead of running webpack at start-up. Sources (dev, tests)
 * have none and bundle at start.
 */
export function prebuiltWorkflowBundle(): string | undefined {
  if (extname(fileURLToPath(import.meta.url)) !== '.js') return undefined;
  const bundle = join(here, '..', 'workflow-bundle.js');
  return existsSync(bundle) ? bundle : undefined;
}
