import { runWorker } from './run-worker.js';

runWorker().catch((err: unknown) => {
  console.error(err instanceof Error ? err.message : err);
  process.exit(1);
});
