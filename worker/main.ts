import { runWorker } from './run-worker.js';

// Exit as soon as the worker has drained: the shutdown bound is the process's, not just the worker's.
runWorker().then(
  () => process.exit(0),
  (err: unknown) => {
    console.error(err instanceof Error ? err.message : err);
    process.exit(1);
  },
);
