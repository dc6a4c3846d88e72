import { NativeConnection } from '@temporalio/worker';
import { createS3Client } from '../activities/aws-clients.js';
import { workerConfigFromEnv } from './config.js';
import { createSsmflowWorker } from './create-worker.js';

/** Runs a worker until SIGINT/SIGTERM (the SDK runtime drains it on those signals). */
export async function runWorker(env: NodeJS.ProcessEnv = process.env): Promise<void> {
  const config = workerConfigFromEnv(env);
  const connection = await NativeConnection.connect({ address: config.temporalAddress });
  try {
    const worker = await createSsmflowWorker({
      connection,
      namespace: config.namespace,
      taskQueue: config.taskQueue,
      dependencies: { s3: createS3Client() },
    });
    console.log(`ssmflow worker polling task queue "${config.taskQueue}" on ${config.temporalAddress} (namespace ${config.namespace})`);
    await worker.run();
  } finally {
    await connection.close();
  }
}
