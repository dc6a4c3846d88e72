// The worker process of bench/floor.ts: the floor workflow's no-op activity, with the worker
// options of bench/bench-worker.ts (ssmflow's worker), noting when each activity starts and ends.
import { writeFileSync } from 'node:fs';
import { Context } from '@temporalio/activity';
import { DefaultLogger, NativeConnection, Runtime, Worker } from '@temporalio/worker';
import type { StepTiming } from './bench-worker-process.js';

Runtime.install({ logger: new DefaultLogger('ERROR') });
const statsFile = process.env.BENCH_STATS_FILE ?? '';
const steps: StepTiming[] = [];
let peakRssBytes = 0;
const sample = () => {
  peakRssBytes = Math.max(peakRssBytes, process.memoryUsage().rss);
  writeFileSync(statsFile, JSON.stringify({ peakRssBytes, ssmCalls: {}, at: Date.now(), steps }));
};
setInterval(() => (peakRssBytes = Math.max(peakRssBytes, process.memoryUsage().rss)), 250).unref();

const connection = await NativeConnection.connect({ address: process.env.TEMPORAL_ADDRESS ?? '' });
const worker = await Worker.create({
  connection,
  namespace: 'default',
  taskQueue: process.env.SSMFLOW_TASK_QUEUE ?? '',
  workflowBundle: { codePath: process.env.BENCH_WORKFLOW_BUNDLE ?? '' },
  activities: {
    async noop(index: number): Promise<void> {
      const at = Date.now();
      // The same record as bench-worker's runCommand: the idempotency key names workflow and step.
      steps.push({
        idempotencyKey: `${Context.current().info.workflowExecution?.workflowId ?? ''}/${index}`,
        commandId: '',
        activityStartedMs: at,
        settledMs: at,
        activityEndedMs: Date.now(),
      });
    },
  },
  // What createSsmflowWorker and bench-worker.ts set; everything else at the SDK's defaults, as there.
  maxHeartbeatThrottleInterval: '2 seconds',
  maxConcurrentActivityTaskExecutions: Number(process.env.BENCH_MAX_ACTIVITIES ?? 400),
  maxConcurrentWorkflowTaskExecutions: 100,
});
process.on('SIGTERM', () => worker.shutdown());
process.stdout.write('worker-ready\n');
await worker.run();
sample();
await connection.close();
