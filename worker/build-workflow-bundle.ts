// Builds the workflow bundle ahead of time (the Docker image does this at build time), so a
// worker starts without webpack: `node --import tsx worker/build-workflow-bundle.ts dist/workflow-bundle.js`,
// then SSMFLOW_WORKFLOW_BUNDLE=dist/workflow-bundle.js. The tracing interceptors are always
// included; with tracing off, the worker discards their spans.
import { mkdirSync, writeFileSync } from 'node:fs';
import { dirname, resolve } from 'node:path';
import { pathToFileURL } from 'node:url';
import { bundleWorkflowCode } from '@temporalio/worker';
import { tracingWorkflowInterceptorModule } from './tracing.js';
import { workflowsPath } from './workflow-source.js';

export async function buildWorkflowBundle(outputPath: string): Promise<void> {
  const { code } = await bundleWorkflowCode({ workflowsPath, workflowInterceptorModules: [tracingWorkflowInterceptorModule] });
  mkdirSync(dirname(outputPath), { recursive: true });
  writeFileSync(outputPath, code);
}

if (process.argv[1] && import.meta.url === pathToFileURL(resolve(process.argv[1])).href) {
  const output = resolve(process.argv[2] ?? 'dist/workflow-bundle.js');
  await buildWorkflowBundle(output);
  console.log(`workflow bundle written to ${output}`);
}
