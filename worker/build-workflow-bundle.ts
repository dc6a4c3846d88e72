// Builds the workflow bundle ahead of time, so a worker starts without webpack. `npm run build`
// runs it as `node dist/worker/build-workflow-bundle.js dist/workflow-bundle.js`; compiled workers
// load that file unless SSMFLOW_WORKFLOW_BUNDLE names another. The tracing interceptors are always
// included; with tracing off, the worker discards their spans.
import { mkdirSync, writeFileSync } from 'node:fs';
import { dirname, resolve } from 'node:path';
import { pathToFileURL } from 'node:url';
import { bundleWorkflowCode } from '@temporalio/worker';
import { tracingWorkflowInterceptorModule } from './tracing.js';
import { workflowsPath } from './workflow-source.js';

const ignore = () => undefined;
/** Webpack's progress chatter off; its warnings and errors still show. */
export const quietBundlerLogger = {
  trace: ignore,
  debug: ignore,
  info: ignore,
  warn: (message: string) => console.warn(message),
  error: (message: string) => console.error(message),
  log: ignore,
};

export async function buildWorkflowBundle(outputPath: string): Promise<void> {
  const { code } = await bundleWorkflowCode({
    workflowsPath,
    workflowInterceptorModules: [tracingWorkflowInterceptorModule],
    logger: quietBundlerLogger,
  });
  mkdirSync(dirname(outputPath), { recursive: true });
  writeFileSync(outputPath, code);
}

if (process.argv[1] && import.meta.url === pathToFileURL(resolve(process.argv[1])).href) {
  const output = resolve(process.argv[2] ?? 'dist/workflow-bundle.js');
  await buildWorkflowBundle(output);
  console.log(`workflow bundle written to ${output}`);
}
