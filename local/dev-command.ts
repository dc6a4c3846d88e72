import type { Command } from 'commander';
import { createS3Client } from '../activities/aws-clients.js';
import { startLocalStack } from './local-stack.js';

export function registerDevCommand(program: Command): void {
  program
    .command('dev')
    .summary('run the whole local stack: Temporal dev server + UI, S3 emulator, a worker')
    .description(
      'Starts everything a developer needs on loopback and keeps it running until Ctrl-C.\n' +
        'Runs persist in .ssmflow/temporal.db, so they are still there after a restart.',
    )
    .option('--state-dir <dir>', 'where the local stack keeps its state', '.ssmflow')
    .option('--temporal-port <port>', 'Temporal frontend port (a free one if taken)', '7233')
    .option('--ui-port <port>', 'Temporal Web UI port (a free one if taken)', '8233')
    .option('--s3-port <port>', 'S3 emulator port (a free one if taken)', '4566')
    .option('--task-queue <name>', 'task queue the worker polls', process.env.SSMFLOW_TASK_QUEUE ?? 'ssmflow')
    .action(async (opts: { stateDir: string; temporalPort: string; uiPort: string; s3Port: string; taskQueue: string }) => {
      const stack = await startLocalStack({
        stateDir: opts.stateDir,
        temporalPort: Number(opts.temporalPort),
        uiPort: Number(opts.uiPort),
        s3Port: Number(opts.s3Port),
      });
      Object.assign(process.env, stack.env);
      // Loaded here: the worker's native bridge would add ~0.4 s to every other CLI command.
      const [{ NativeConnection }, { createSsmflowWorker }] = await Promise.all([import('@temporalio/worker'), import('../worker/create-worker.js')]);
      const connection = await NativeConnection.connect({ address: stack.temporal.address });
      const worker = await createSsmflowWorker({
        connection,
        namespace: stack.temporal.namespace,
        taskQueue: opts.taskQueue,
        dependencies: { s3: createS3Client() },
      });
      console.log(`Temporal   ${stack.temporal.address}   UI ${stack.temporal.uiUrl ?? '(headless)'}`);
      console.log(`S3         ${stack.s3.endpoint}   output bucket ${stack.outputBucket}`);
      console.log(`Worker     task queue "${opts.taskQueue}"`);
      console.log('\nIn another shell:');
      for (const [key, value] of Object.entries({ ...stack.env, SSMFLOW_TASK_QUEUE: opts.taskQueue })) console.log(`  export ${key}=${value}`);
      console.log('\nCtrl-C stops everything.');
      try {
        await worker.run();
      } finally {
        await connection.close();
        await stack.stop();
      }
    });
}
