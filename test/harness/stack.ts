import { randomUUID } from 'node:crypto';
import { CreateBucketCommand, type S3Client } from '@aws-sdk/client-s3';
import { Client, Connection, type WorkflowHandle } from '@temporalio/client';
import { historyToJSON } from '@temporalio/common/lib/proto-utils.js';
import { DefaultLogger, NativeConnection, Runtime, type Worker } from '@temporalio/worker';
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { inject } from 'vitest';
import { createS3Client } from '../../aws/clients.js';
import { createSsmflowWorker, type SsmflowWorkerOptions } from '../../worker/create-worker.js';
import { projectRoot } from '../../local/project-root.js';

let runtimeInstalled = false;
function quietRuntime(): void {
  if (runtimeInstalled) return;
  runtimeInstalled = true;
  try {
    Runtime.install({ logger: new DefaultLogger('WARN') });
  } catch {
    // Another helper in this process installed it first.
  }
}

/** A unique name per test, so parallel test files never share task queues or workflow ids. */
export function uniqueId(prefix: string): string {
  return `${prefix}-${randomUUID().slice(0, 8)}`;
}

export interface TestStack {
  client: Client;
  s3: S3Client;
  s3Endpoint: string;
  temporalAddress: string;
  /** A worker on its own task queue, using the run's shared workflow bundle. */
  createWorker(options?: Partial<Omit<SsmflowWorkerOptions, 'connection' | 'namespace'>>): Promise<{ worker: Worker; taskQueue: string }>;
  /** A fresh bucket on the shared S3 emulator. */
  createBucket(prefix?: string): Promise<string>;
  close(): Promise<void>;
}

/** Connects to the run's shared dev server and S3 emulator (started by global-setup.ts). */
export async function connectTestStack(): Promise<TestStack> {
  quietRuntime();
  const temporalAddress = inject('temporalAddress');
  const s3Endpoint = inject('s3Endpoint');
  const workflowBundlePath = inject('workflowBundlePath');
  const connection = await Connection.connect({ address: temporalAddress });
  const nativeConnection = await NativeConnection.connect({ address: temporalAddress });
  const client = new Client({ connection, namespace: 'default' });
  const s3 = createS3Client({ endpoint: s3Endpoint });
  return {
    client,
    s3,
    s3Endpoint,
    temporalAddress,
    async createWorker(options = {}) {
      const taskQueue = options.taskQueue ?? uniqueId('tq');
      const worker = await createSsmflowWorker({
        connection: nativeConnection,
        namespace: 'default',
        workflowBundlePath,
        dependencies: options.dependencies ?? { s3 },
        ...options,
        taskQueue,
      });
      return { worker, taskQueue };
    },
    async createBucket(prefix = 'bucket') {
      const bucket = uniqueId(prefix).toLowerCase();
      await s3.send(new CreateBucketCommand({ Bucket: bucket }));
      return bucket;
    },
    async close() {
      s3.destroy();
      await connection.close();
      await nativeConnection.close();
    },
  };
}

/**
 * With SSMFLOW_RECORD_HISTORIES=1, saves the workflow's history as a replay fixture under
 * test/histories/, so fixtures are made by the same scenario that the test asserts on.
 */
export async function recordHistoryIfAsked(handle: WorkflowHandle, fixtureName: string): Promise<void> {
  if (process.env.SSMFLOW_RECORD_HISTORIES !== '1') return;
  const history = await handle.fetchHistory();
  writeFileSync(
    join(projectRoot, 'test', 'histories', `${fixtureName}.json`),
    JSON.stringify(JSON.parse(historyToJSON(history)), null, 2) + '\n',
  );
}
