import { spawn } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { bundleWorkflowCode } from '@temporalio/worker';
import type { TestProject } from 'vitest/node';
import { startTemporalDevServer } from '../../local/temporal-dev-server.js';
import { startS3Emulator } from '../../local/s3-emulator.js';
import { projectRoot } from '../../local/project-root.js';
import { readToolsManifest } from '../../local/tools.js';
import { quietBundlerLogger } from '../../worker/build-workflow-bundle.js';
import { workflowsPath } from '../../worker/workflow-source.js';

declare module 'vitest' {
  export interface ProvidedContext {
    temporalAddress: string;
    s3Endpoint: string;
    workflowBundlePath: string;
  }
}

/**
 * One Temporal dev server, one S3 emulator and one workflow bundle (from the sources) for the whole
 * test run, and a current dist/ for the tests that run the `ssmflow` bin.
 * A missing tool fails the run here with the command that installs it; nothing is skipped.
 */
export default async function setup(project: TestProject): Promise<() => Promise<void>> {
  readToolsManifest();
  const scratch = mkdtempSync(join(tmpdir(), 'ssmflow-test-'));
  const [temporal, s3, bundle] = await Promise.all([
    startTemporalDevServer(),
    startS3Emulator(),
    bundleWorkflowCode({ workflowsPath, logger: quietBundlerLogger }),
    buildDistIfStale(),
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

/** dist/ as `npm run build` makes it, because tests run the `ssmflow` bin, which runs compiled code. */
function buildDistIfStale(): Promise<void> {
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, [join(projectRoot, 'scripts', 'build.mjs'), '--if-stale'], {
      cwd: projectRoot,
      stdio: 'inherit',
    });
    child.once('error', reject);
    child.once('exit', (code) =>
      code === 0 ? resolve() : reject(new Error(`node scripts/build.mjs --if-stale exited ${code}: fix the build first`)),
    );
  });
}
