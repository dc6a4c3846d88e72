// A worker process for benchmarks: counts every SSM call by operation, samples its own RSS and
// records when each step's command was seen finished and when its activity started and ended,
// writing all of it to $BENCH_STATS_FILE so the benchmark can read it while it runs and after.
import { writeFileSync } from 'node:fs';
import { DefaultLogger, NativeConnection, Runtime } from '@temporalio/worker';
import { createS3Client, createSsmClient } from '../aws/clients.js';
import { createActivities } from '../activities/index.js';
import { CommandStatusPoller } from '../aws/ssm/command-status-poller.js';
import { countSsmCalls } from '../aws/ssm/ssm-call-counter.js';
import type { CommandResult, RunCommandInput } from '../aws/ssm/types.js';
import { createSsmflowWorker } from '../worker/create-worker.js';
import type { StepTiming } from './bench-worker-process.js';

Runtime.install({ logger: new DefaultLogger('ERROR') });
const statsFile = process.env.BENCH_STATS_FILE ?? '';
const ssm = createSsmClient();
const s3 = createS3Client();
const calls = countSsmCalls(ssm);
const steps: StepTiming[] = [];
let peakRssBytes = 0;
const sample = (withSteps = false) => {
  peakRssBytes = Math.max(peakRssBytes, process.memoryUsage().rss);
  if (statsFile)
    writeFileSync(
      statsFile,
      JSON.stringify({ peakRssBytes, ssmCalls: calls.byOperation(), at: Date.now(), steps: withSteps ? steps : [] }),
    );
};
setInterval(sample, 250).unref();

// The poller resolves a waiter the moment it reads the command as terminal: note that moment.
const poller = new CommandStatusPoller(ssm);
const settledAt = new Map<string, number>();
const waitForResults = poller.waitForResults.bind(poller);
poller.waitForResults = (commandId, requestedAtMs, signal) =>
  waitForResults(commandId, requestedAtMs, signal).then((finished) => {
    settledAt.set(commandId, Date.now());
    return finished;
  });
const activities = createActivities({ s3, ssm, poller });
const runCommand = async (input: RunCommandInput): Promise<CommandResult> => {
  const activityStartedMs = Date.now();
  const result = await activities.runCommand(input);
  steps.push({
    idempotencyKey: input.idempotencyKey,
    commandId: result.commandId,
    activityStartedMs,
    settledMs: settledAt.get(result.commandId) ?? NaN,
    activityEndedMs: Date.now(),
  });
  settledAt.delete(result.commandId);
  return result;
};

const connection = await NativeConnection.connect({ address: process.env.TEMPORAL_ADDRESS ?? '' });
const worker = await createSsmflowWorker({
  connection,
  namespace: 'default',
  taskQueue: process.env.SSMFLOW_TASK_QUEUE ?? '',
  workflowBundlePath: process.env.BENCH_WORKFLOW_BUNDLE,
  dependencies: { s3, ssm, poller },
  activityOverrides: { runCommand },
  // One waiting activity per cluster in flight: room for every cluster of the largest run.
  tuning: {
    maxConcurrentActivityTaskExecutions: Number(process.env.BENCH_MAX_ACTIVITIES ?? 400),
    maxConcurrentWorkflowTaskExecutions: 100,
  },
});
process.on('SIGTERM', () => {
  sample(true);
  worker.shutdown();
});
process.stdout.write('worker-ready\n');
await worker.run();
sample(true);
await connection.close();
