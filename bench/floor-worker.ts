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
let workerOptions: Record<string, unknown> = {};
let cpuAtReady = process.cpuUsage();
const sample = () => {
  peakRssBytes = Math.max(peakRssBytes, process.memoryUsage().rss);
  // CPU this process spent from ready to stop (all its threads): against the wall time, how busy the worker was.
  const cpu = process.cpuUsage(cpuAtReady);
  const cpuSeconds = (cpu.user + cpu.system) / 1e6;
  writeFileSync(statsFile, JSON.stringify({ peakRssBytes, ssmCalls: {}, at: Date.now(), steps, workerOptions, cpuSeconds }));
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
// The settings the SDK resolved (defaults included: the cache is sized from this process's heap
// limit), so a result shows what the worker really ran with rather than what was meant.
const { tuner, ...resolved } = worker.options;
const slots = (supplier: unknown) => (supplier as { numSlots?: number } | undefined)?.numSlots ?? null;
workerOptions = {
  workflowTaskSlots: slots(tuner.workflowTaskSlotSupplier),
  activityTaskSlots: slots(tuner.activityTaskSlotSupplier),
  maxCachedWorkflows: resolved.maxCachedWorkflows,
  workflowTaskPollerBehavior: resolved.workflowTaskPollerBehavior,
  activityTaskPollerBehavior: resolved.activityTaskPollerBehavior,
  nonStickyToStickyPollRatio: resolved.nonStickyToStickyPollRatio,
  stickyQueueScheduleToStartTimeoutMs: resolved.stickyQueueScheduleToStartTimeoutMs,
  maxHeartbeatThrottleIntervalMs: resolved.maxHeartbeatThrottleIntervalMs,
  reuseV8Context: resolved.reuseV8Context,
  workflowThreadPoolSize: resolved.workflowThreadPoolSize,
};
process.on('SIGTERM', () => worker.shutdown());
cpuAtReady = process.cpuUsage();
process.stdout.write('worker-ready\n');
await worker.run();
sample();
await connection.close();
