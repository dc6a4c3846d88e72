// `ssmflow dev`: the command's definition; local/dev.ts starts and stops the stack when it runs.
import type { Command } from 'commander';

export interface DevOptions {
  stateDir: string;
  temporalPort: string;
  uiPort: string;
  s3Port: string;
  fleet?: string;
  fleetPort: string;
  taskQueue: string;
  verbose?: boolean;
}

const HELP = `
Without AWS_ENDPOINT_URL_SSM, dev runs the local SSM fleet in the same process (state in
<state-dir>/fleet): the instances of --fleet's config, or three instances tagged Env=dev
(fleet/examples/dev.yaml), so \`ssmflow run runbooks/examples/hello.yaml\` works at once. With
AWS_ENDPOINT_URL_SSM set, the worker uses that fleet instead and dev starts none.

It prints the export lines for other shells and writes <state-dir>/local-stack.json while it
runs (endpoints, task queue, pid), for other local commands.

Example:
  ssmflow dev                                     # in one shell; Ctrl-C stops everything
  export TEMPORAL_ADDRESS=… AWS_ENDPOINT_URL_SSM=…   # in another: the lines dev printed
  ssmflow run runbooks/examples/hello.yaml --wait
`;

export function registerDevCommand(program: Command): void {
  program
    .command('dev')
    .summary('run the whole local stack: Temporal dev server + UI, S3 emulator, the local SSM fleet, a worker')
    .description(
      'Starts everything a developer needs on loopback and keeps it running until Ctrl-C.\n' +
        'Runs persist in <state-dir>/temporal.db and the fleet in <state-dir>/fleet, so they are still there after a restart.',
    )
    .option('--state-dir <dir>', 'where the local stack keeps its state', '.ssmflow')
    .option('--temporal-port <port>', 'Temporal frontend port (a free one if taken; 0 = any free one)', '7233')
    .option('--ui-port <port>', 'Temporal Web UI port (a free one if taken; 0 = no UI)', '8233')
    .option('--s3-port <port>', 'S3 emulator port (a free one if taken; 0 = any free one)', '4566')
    .option('--fleet <config.yaml>', 'local fleet config: instances, documents, parameters, faults (default: fleet/examples/dev.yaml)')
    .option('--fleet-port <port>', 'local fleet port (a free one if taken; 0 = any free one)', '4580')
    .option('--task-queue <name>', 'task queue the worker polls', process.env.SSMFLOW_TASK_QUEUE || 'ssmflow')
    .option('--verbose', "also print the workflow bundler's module listing and the worker's own logs")
    .addHelpText('after', HELP)
    .action(async (opts: DevOptions) => {
      const { runDev } = await import('./dev.js');
      await runDev(opts);
      // Idle SDK sockets or timers must not keep a stopped stack's process alive.
      process.exit(process.exitCode ?? 0);
    });
}
