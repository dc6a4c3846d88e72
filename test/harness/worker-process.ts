import { spawn, type ChildProcess } from 'node:child_process';
import { join } from 'node:path';
import { inject } from 'vitest';
import { projectRoot } from '../../local/project-root.js';

export interface WorkerProcess {
  readonly child: ChildProcess;
  /** Resolves when the process has exited, with its signal (e.g. SIGKILL) or code. */
  readonly exited: Promise<{ code: number | null; signal: NodeJS.Signals | null }>;
  kill(signal?: NodeJS.Signals): Promise<void>;
  /** Everything the process printed (stdout and stderr), e.g. its logs. */
  output(): string;
}

/**
 * Starts an ssmflow worker in a child process on `taskQueue` and waits until it polls. Inside
 * vitest the shared dev server and bundle are used; outside (bench/) pass them.
 */
export async function spawnWorkerProcess(options: {
  taskQueue: string;
  env: Record<string, string>;
  temporalAddress?: string;
  workflowBundlePath?: string;
}): Promise<WorkerProcess> {
  const child = spawn(process.execPath, ['--import', 'tsx', join(projectRoot, 'test', 'harness', 'worker-process-entry.ts')], {
    cwd: projectRoot,
    env: {
      ...process.env,
      TEMPORAL_ADDRESS: options.temporalAddress ?? inject('temporalAddress'),
      SSMFLOW_TEST_WORKFLOW_BUNDLE: options.workflowBundlePath ?? inject('workflowBundlePath'),
      SSMFLOW_TASK_QUEUE: options.taskQueue,
      // The local fleet lists a command at once unless a listing-lag fault says otherwise.
      SSMFLOW_SSM_LISTING_LAG: '3s',
      ...options.env,
    },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  const exited = new Promise<{ code: number | null; signal: NodeJS.Signals | null }>((resolve) =>
    child.once('exit', (code, signal) => resolve({ code, signal })),
  );
  let output = '';
  child.stderr?.on('data', (chunk: Buffer) => (output += chunk.toString()));
  await new Promise<void>((resolve, reject) => {
    child.stdout?.on('data', (chunk: Buffer) => {
      output += chunk.toString();
      if (output.includes('worker-ready')) resolve();
    });
    void exited.then(({ code, signal }) =>
      reject(new Error(`worker process exited before it was ready (code ${code}, signal ${signal}):\n${output}`)),
    );
  });
  return {
    child,
    exited,
    output: () => output,
    async kill(signal = 'SIGKILL') {
      if (child.exitCode === null && child.signalCode === null) child.kill(signal);
      await exited;
    },
  };
}
