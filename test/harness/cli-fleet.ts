// What a CLI end-to-end suite sets up: the shared stack, a local fleet, a worker in this process
// running real SSM activities against it, a scratch folder for runbook files, and the environment
// that points `ssmflow` at all of them.
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { ActivityDependencies } from '../../activities/index.js';
import { fleetClient, startTestFleet, type TestFleet } from '../../fleet/test-support.js';
import { runCli, type CliResult } from './cli.js';
import { connectTestStack, type TestStack } from './stack.js';

export interface CliFleet {
  stack: TestStack;
  testFleet: TestFleet;
  /** TEMPORAL_ADDRESS, the worker's task queue and the fleet's SSM endpoint. */
  env: Record<string, string>;
  cli(...args: string[]): Promise<CliResult>;
  /** Writes a runbook into the scratch folder and returns its path. */
  writeRunbook(name: string, yaml: string): string;
  dispose(): Promise<void>;
}

export async function startCliFleet(
  fleetConfig: Record<string, unknown>,
  /** More for the worker's activities, such as the webhooks to notify. */
  workerDependencies: Omit<Partial<ActivityDependencies>, 's3' | 'ssm'> = {},
): Promise<CliFleet> {
  const stack = await connectTestStack();
  const testFleet = await startTestFleet(fleetConfig);
  const { worker, taskQueue } = await stack.createWorker({
    dependencies: { s3: stack.s3, ssm: fleetClient(testFleet.fleet.endpoint, 3), ...workerDependencies },
  });
  const workerRun = worker.run();
  const scratch = mkdtempSync(join(tmpdir(), 'ssmflow-cli-'));
  const env = { TEMPORAL_ADDRESS: stack.temporalAddress, SSMFLOW_TASK_QUEUE: taskQueue, AWS_ENDPOINT_URL_SSM: testFleet.fleet.endpoint };
  return {
    stack,
    testFleet,
    env,
    cli: (...args) => runCli(args, env),
    writeRunbook(name, yaml) {
      const file = join(scratch, `${name}.yaml`);
      writeFileSync(file, yaml);
      return file;
    },
    async dispose() {
      worker.shutdown();
      await workerRun;
      await testFleet.dispose();
      await stack.close();
      rmSync(scratch, { recursive: true, force: true });
    },
  };
}
