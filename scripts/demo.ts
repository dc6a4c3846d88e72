// `npm run demo`: the main job on the local default stack. Starts the stack (Temporal dev server
// with its SQLite file under .ssmflow/, the S3 emulator), a worker, and runs a workflow end to end.
import { Client, Connection } from '@temporalio/client';
import { DefaultLogger, NativeConnection, Runtime } from '@temporalio/worker';
import { createS3Client } from '../activities/aws-clients.js';
import { startLocalStack } from '../client/local/local-stack.js';
import { createSsmflowWorker } from '../worker/create-worker.js';
import { checkOutputBucket } from '../workflows/index.js';

const keepRunning = process.argv.includes('--keep');
const started = Date.now();
const elapsed = () => `${((Date.now() - started) / 1000).toFixed(1).padStart(5)}s`;
const step = (text: string) => console.log(`${elapsed()}  ${text}`);

async function demo(): Promise<void> {
  Runtime.install({ logger: new DefaultLogger('WARN') });
  step('starting the local stack (Temporal dev server + UI, S3 emulator)');
  const stack = await startLocalStack();
  Object.assign(process.env, stack.env);
  step(`Temporal ${stack.temporal.address}, UI ${stack.temporal.uiUrl}, S3 ${stack.s3.endpoint}`);

  const taskQueue = 'ssmflow-demo';
  const nativeConnection = await NativeConnection.connect({ address: stack.temporal.address });
  const connection = await Connection.connect({ address: stack.temporal.address });
  const client = new Client({ connection, namespace: stack.temporal.namespace });
  try {
    step('bundling workflows and starting a worker');
    const worker = await createSsmflowWorker({
      connection: nativeConnection,
      namespace: stack.temporal.namespace,
      taskQueue,
      dependencies: { s3: createS3Client() },
    });
    const workflowId = `demo-check-output-bucket-${new Date().toISOString().replace(/[:.]/g, '-')}`;
    step(`running workflow ${workflowId}: the output bucket preflight`);
    const result = await worker.runUntil(
      client.workflow.execute(checkOutputBucket, { taskQueue, workflowId, args: [{ bucket: stack.outputBucket, prefix: 'ssmflow/runs' }] }),
    );
    step(`output bucket s3://${result.bucket} is writable and readable (probe ${result.key}, ${result.bytes} bytes)`);
    const description = await client.workflow.getHandle(workflowId).describe();
    console.log('');
    console.log('Summary');
    console.log(`  workflow      ${workflowId}  ${description.status.name}  (${description.historyLength} history events)`);
    console.log(`  Temporal UI   ${stack.temporal.uiUrl}/namespaces/${stack.temporal.namespace}/workflows/${workflowId}`);
    console.log(`  state         .ssmflow/temporal.db (runs survive restarts; \`npx ssmflow dev\` brings the UI back)`);
    console.log(`  wall time     ${elapsed().trim()}`);
    if (keepRunning) {
      console.log('\n--keep: the stack stays up; Ctrl-C stops it.');
      await new Promise<void>((resolveStop) => process.once('SIGINT', () => resolveStop()));
    }
  } finally {
    await connection.close();
    await nativeConnection.close();
    await stack.stop();
  }
}

demo().then(
  () => process.exit(0),
  (err: unknown) => {
    console.error(`demo failed: ${err instanceof Error ? (err.stack ?? err.message) : String(err)}`);
    process.exit(1);
  },
);
