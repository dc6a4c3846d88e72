// A worker that dies with a step's command in flight, for the tests of what an operator may do in
// the moments after a restart. Its runCommand parks: it prints the task token and the input and
// leaves the completion to the test (asynchronous completion), so the process can be SIGKILLed
// meanwhile. It asks for a short sticky timeout, so the server hands its tasks (and queries) to the
// test's live worker soon after the kill.
import { spawn } from 'node:child_process';
import type { Client } from '@temporalio/client';
import { historyToJSON } from '@temporalio/common/lib/proto-utils.js';
import type { temporal } from '@temporalio/proto';
import { Worker } from '@temporalio/worker';
import { inject } from 'vitest';
import type { RunCommandInput } from '../../aws/ssm/types.js';
import type { runControls } from '../../client/runs.js';
import { projectRoot } from '../../local/project-root.js';
import type { RunState } from '../../workflows/run-state.js';
import { commandResult } from './scripted-ssm.js';

// How long the server keeps a task (and a query) for a worker's sticky queue before it gives them to
// any worker on the task queue. The killed worker asks for 5 s: the query falls back at ~5 s, the
// delayed workflow task (the command completes 2 s after the kill) at ~7 s.
export const stickyTimeout = '5s';
export const completeAfterKillMs = 2_000;

// A worker in its own process whose runCommand parks: it prints the task token and the input, and
// leaves the completion to the test (asynchronous completion), so the process can die meanwhile.
const parkingWorker = `
import { DefaultLogger, NativeConnection, Runtime, Worker } from '@temporalio/worker';
import { activityInfo, CompleteAsyncError } from '@temporalio/activity';
Runtime.install({ logger: new DefaultLogger('ERROR') });
const connection = await NativeConnection.connect({ address: process.env.TEST_TEMPORAL_ADDRESS });
const park = async (input) => {
  process.stdout.write('parked ' + JSON.stringify({ taskToken: Buffer.from(activityInfo().taskToken).toString('base64'), input }) + '\\n');
  throw new CompleteAsyncError();
};
const worker = await Worker.create({
  connection,
  namespace: 'default',
  taskQueue: process.env.TEST_TASK_QUEUE,
  workflowBundle: { codePath: process.env.TEST_WORKFLOW_BUNDLE },
  activities: { runCommand: park, runCheckUntilSuccess: park },
  sinks: { exporter: { export: { fn: () => undefined } } },
  stickyQueueScheduleToStartTimeout: '${stickyTimeout}',
});
process.stdout.write('worker-ready\\n');
await worker.run();
`;

/** Starts the parking worker; resolves once it polls, with a promise of its first parked command. */
export async function startParkingWorker(taskQueue: string) {
  const child = spawn(process.execPath, ['--input-type=module', '-e', parkingWorker], {
    cwd: projectRoot,
    env: {
      ...process.env,
      TEST_TEMPORAL_ADDRESS: inject('temporalAddress'),
      TEST_TASK_QUEUE: taskQueue,
      TEST_WORKFLOW_BUNDLE: inject('workflowBundlePath'),
    },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  const exited = new Promise<void>((resolve) => child.once('exit', () => resolve()));
  let output = '';
  let onOutput = () => {};
  child.stdout.on('data', (chunk: Buffer) => {
    output += chunk.toString();
    onOutput();
  });
  child.stderr.on('data', (chunk: Buffer) => (output += chunk.toString()));
  const printed = (pattern: RegExp) =>
    new Promise<RegExpExecArray>((resolve, reject) => {
      const check = () => {
        const match = pattern.exec(output);
        if (match) resolve(match);
      };
      onOutput = check;
      check();
      void exited.then(() => reject(new Error(`parking worker exited:\n${output}`)));
    });
  await printed(/worker-ready/);
  return {
    parked: async () => JSON.parse((await printed(/parked (.*)\n/))[1] as string) as { taskToken: string; input: RunCommandInput },
    kill: async () => {
      child.kill('SIGKILL');
      await exited;
    },
  };
}

export const pause = (ms = 50) => new Promise((resolve) => setTimeout(resolve, ms));

/** The run statuses the history upserted, in order. */
export const upsertedStatuses = (history: temporal.api.history.v1.IHistory) =>
  (history.events ?? []).flatMap((e) => {
    const field = e.upsertWorkflowSearchAttributesEventAttributes?.searchAttributes?.indexedFields?.SsmflowStatus;
    return field?.data ? [JSON.parse(Buffer.from(field.data).toString()) as string] : [];
  });

/**
 * Completes the parked command while the operator's status query is held for the dead worker's
 * sticky queue: the query falls back to a live worker, which answers from a task no worker has
 * completed. Resolves with that answer (the run ahead of its history).
 */
export async function completeWhileQueryRunsAhead(
  client: Client,
  controls: Pick<ReturnType<typeof runControls>, 'state'>,
  parked: { taskToken: string; input: RunCommandInput },
): Promise<RunState> {
  const ahead = controls.state();
  await pause(completeAfterKillMs);
  await client.activity.complete(Buffer.from(parked.taskToken, 'base64'), commandResult(parked.input, true));
  return ahead;
}

/** Replays a fetched history against the test run's workflow bundle (throws on nondeterminism). */
export function replayHistory(history: temporal.api.history.v1.IHistory, workflowId: string): Promise<void> {
  return Worker.runReplayHistory(
    { workflowBundle: { codePath: inject('workflowBundlePath') } },
    JSON.parse(historyToJSON(history)) as temporal.api.history.v1.IHistory,
    workflowId,
  );
}
