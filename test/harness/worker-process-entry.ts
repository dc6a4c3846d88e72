// A real ssmflow worker in its own process, so tests can SIGKILL it at chosen moments.
// Test-only: SSMFLOW_TEST_CRASH_AFTER_SEND=1 makes the process SIGKILL itself the instant a
// SendCommand response arrives, before the activity can record anything.
// SSMFLOW_SSM_LISTING_LAG (the production setting) bounds the send-once lookup in both modes.
// SSMFLOW_TEST_PRODUCTION_WORKER=1 runs the production entry point (runWorker: config from env,
// JSON logs, metrics and health endpoint, payload codec, graceful shutdown) instead of a bare worker.
import { DefaultLogger, NativeConnection, Runtime } from '@temporalio/worker';
import { createS3Client, createSsmClient } from '../../aws/clients.js';
import { withoutSdkRetries } from '../../aws/clients.js';
import { parseDuration } from '../../runbook/duration.js';
import { createSsmflowWorker } from '../../worker/create-worker.js';
import { runWorker } from '../../worker/run-worker.js';

const ssm = createSsmClient();
const ssmSend = withoutSdkRetries(ssm);
if (process.env.SSMFLOW_TEST_CRASH_AFTER_SEND === '1') {
  ssmSend.middlewareStack.add(
    (next, context) => async (args) => {
      const result = await next(args);
      if (context.commandName === 'SendCommandCommand') process.kill(process.pid, 'SIGKILL');
      return result;
    },
    { step: 'initialize', name: 'testCrashAfterSend' },
  );
}

if (process.env.SSMFLOW_TEST_PRODUCTION_WORKER === '1') {
  await runWorker(
    { ...process.env, SSMFLOW_WORKFLOW_BUNDLE: process.env.SSMFLOW_WORKFLOW_BUNDLE ?? process.env.SSMFLOW_TEST_WORKFLOW_BUNDLE },
    { ssm, ssmSend, onReady: ({ opsAddress }) => process.stdout.write(`worker-ready ops=${opsAddress ?? 'off'}\n`) },
  );
  process.exit(0);
} else {
  Runtime.install({ logger: new DefaultLogger('ERROR') });
  const connection = await NativeConnection.connect({ address: process.env.TEMPORAL_ADDRESS ?? '' });
  const worker = await createSsmflowWorker({
    connection,
    namespace: 'default',
    taskQueue: process.env.SSMFLOW_TASK_QUEUE ?? '',
    workflowBundlePath: process.env.SSMFLOW_TEST_WORKFLOW_BUNDLE,
    dependencies: {
      s3: createS3Client(),
      ssm,
      ssmSend,
      sendOnce: { listingLagMs: parseDuration(process.env.SSMFLOW_SSM_LISTING_LAG ?? '30s') },
    },
  });
  process.stdout.write('worker-ready\n');
  await worker.run();
  await connection.close();
}
