import type { DataConverter } from '@temporalio/common';
import { Worker, type InjectedSinks, type NativeConnection, type WorkerOptions } from '@temporalio/worker';
import { createActivities, type ActivityDependencies } from '../activities/index.js';
import { withActivityMetrics } from './activity-metrics.js';
import { createTargetLockActivities } from './target-lock-activities.js';
import type { SsmflowMetrics } from './metrics.js';
import { workflowsPath } from './workflow-source.js';

export interface SsmflowWorkerOptions {
  connection: NativeConnection;
  namespace: string;
  taskQueue: string;
  /** A prebuilt bundle (tests build one per run); otherwise the worker bundles workflows/ itself. */
  workflowBundlePath?: string;
  dependencies: ActivityDependencies;
  /** Replace or extend activities (tests inject failures here). */
  activityOverrides?: Record<string, (...args: never[]) => Promise<unknown>>;
  tuning?: Pick<
    WorkerOptions,
    | 'maxConcurrentActivityTaskExecutions'
    | 'maxConcurrentWorkflowTaskExecutions'
    | 'shutdownGraceTime'
    | 'shutdownForceTime'
    | 'maxCachedWorkflows'
  >;
  /** The payload codec etc.; clients must use the same (see dataConverterFromConfig). */
  dataConverter?: DataConverter;
  /** ssmflow's Prometheus metrics, fed by the activities' outcomes. */
  metrics?: SsmflowMetrics;
  /** SDK plugins, e.g. the OpenTelemetry tracing plugin. */
  plugins?: WorkerOptions['plugins'];
}

// Bundles built by worker/build-workflow-bundle.ts carry the tracing interceptors; with tracing
// off their spans go nowhere. The tracing plugin replaces this sink when it is on.
const discardWorkflowSpans: InjectedSinks<{ exporter: { export(spans: unknown): void } }> = {
  exporter: { export: { fn: () => undefined } },
};

export async function createSsmflowWorker(options: SsmflowWorkerOptions): Promise<Worker> {
  const activities = { ...createActivities(options.dependencies), ...createTargetLockActivities(), ...options.activityOverrides };
  return Worker.create({
    connection: options.connection,
    namespace: options.namespace,
    taskQueue: options.taskQueue,
    ...(options.workflowBundlePath ? { workflowBundle: { codePath: options.workflowBundlePath } } : { workflowsPath }),
    activities: options.metrics ? withActivityMetrics(activities, options.metrics) : activities,
    sinks: discardWorkflowSpans,
    // A cancel reaches a waiting activity only with a heartbeat's answer; the SDK's default
    // throttle (up to 48 s with a 60 s heartbeat timeout) let a cancelled step's command run on.
    maxHeartbeatThrottleInterval: '2 seconds',
    ...(options.dataConverter ? { dataConverter: options.dataConverter } : {}),
    ...(options.plugins ? { plugins: options.plugins } : {}),
    ...options.tuning,
  });
}
