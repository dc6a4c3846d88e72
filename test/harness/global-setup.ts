import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { bundleWorkflowCode } from '@temporalio/worker';
import type { TestProject } from 'vitest/node';
import { startTemporalDevServer } from '../../local/temporal-dev-server.js';
import { startS3Emulator } from '../../local/s3-emulator.js';
import { readToolsManifest } from '../../local/tools.js';
import { workflowsPath } from '../../worker/workflow-source.js';

declare module 'vitest' {
  export interface ProvidedContext {
    temporalAddress: string;
    s3Endpoint: string;
    workflowBundlePath: string;
  }
}

/**
 * One Temporal dev server, one S3 emulator and one workflow bundle for the whole test run.
 * A missing tool fails the run here with the command that installs it; nothing is skipped.
 */
export default async function setup(project: TestProject): Promise<() => Promise<void>> {
  readToolsManifest();
  const scratch = mkdtempSync(join(tmpdir(), 'ssmflow-test-'));
  const [temporal, s3, bundle] = await Promise.all([
    startTemporalDevServer(),
    startS3Emulator(),
    bundleWorkflowCode({ workflowsPath, logger: quietBundlerLogger }),
  ]);
  const workflowBundlePath = join(scratch, 'workflow-bundle.js');
  writeFileSync(workflowBundlePath, bundle.code);
  project.provide('temporalAddress', temporal.address);
  project.provide('s3Endpoint', s3.endpoint);
  project.provide('workflowBundlePath', workflowBundlePath);
  return async () => {
    await Promise.all([temporal.stop(), s3.stop()]);
    rmSync(scratch, { recursive: true, force: true });
  };
}

const noop = () => undefined;
const quietBundlerLogger = {
  trace: noop,
  debug: noop,
  info: noop,
  warn: (message: string) => console.warn(message),
  error: (message: string) => console.error(message),
  log: noop,
};
