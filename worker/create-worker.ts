import { Worker, type NativeConnection, type WorkerOptions } from '@temporalio/worker';
import { createActivities, type ActivityDependencies } from '../activities/index.js';
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
  tuning?: Pick<WorkerOptions, 'maxConcurrentActivityTaskExecutions' | 'maxConcurrentWorkflowTaskExecutions' | 'shutdownGraceTime' | 'maxCachedWorkflows'>;
}

export async function createSsmflowWorker(options: SsmflowWorkerOptions): Promise<Worker> {
  return Worker.create({
    connection: options.connection,
    namespace: options.namespace,
    taskQueue: options.taskQueue,
    ...(options.workflowBundlePath ? { workflowBundle: { codePath: options.workflowBundlePath } } : { workflowsPath }),
    activities: { ...createActivities(options.dependencies), ...options.activityOverrides },
    ...options.tuning,
  });
}
