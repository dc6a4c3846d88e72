// A worker process for benchmarks: counts every SSM call by operation and samples its own RSS,
// writing both to $BENCH_STATS_FILE so the benchmark can read them while it runs and after.
import { writeFileSync } from 'node:fs';
import { DefaultLogger, NativeConnection, Runtime } from '@temporalio/worker';
import { createS3Client, createSsmClient } from '../activities/aws-clients.js';
import { countSsmCalls } from '../activities/ssm/ssm-call-counter.js';
import { createSsmflowWorker } from '../worker/create-worker.js';

Runtime.install({ logger: new DefaultLogger('ERROR') });
const statsFile = process.env.BENCH_STATS_FILE ?? '';
const ssm = createSsmClient();
const calls = countSsmCalls(ssm);
let peakRssBytes = 0;
const sample = () => {
  peakRssBytes = Math.max(peakRssBytes, process.memoryUsage().rss);
  if (statsFile) writeFileSync(statsFile, JSON.stringify({ peakRssBytes, ssmCalls: calls.byOperation(), at: Date.now() }));
};
setInterval(sample, 250).unref();

const connection = await NativeConnection.connect({ address: process.env.TEMPORAL_ADDRESS ?? '' });
const worker = await createSsmflowWorker({
  connection,
  namespace: 'default',
  taskQueue: process.env.SSMFLOW_TASK_QUEUE ?? '',
  workflowBundlePath: process.env.BENCH_WORKFLOW_BUNDLE,
  dependencies: { s3: createS3Client(), ssm },
  // One waiting activity per cluster in flight: room for every cluster of the largest run.
  tuning: { maxConcurrentActivityTaskExecutions: 400, maxConcurrentWorkflowTaskExecutions: 100 },
});
process.on('SIGTERM', () => {
  sample();
  worker.shutdown();
});
process.stdout.write('worker-ready\n');
await worker.run();
sample();
await connection.close();
