// `ssmflow stack`: the command's definition; local/stack.ts starts and stops the topology.
import type { Command } from 'commander';

export interface StackOptions {
  stateDir: string;
  basePort: string;
  workers: string;
  fleet?: string;
  taskQueue: string;
  verbose?: boolean;
}

const HELP = `
What runs (all on 127.0.0.1, in this order):
  PostgreSQL      persistence and visibility databases of Temporal (temporal, temporal_visibility),
                  schemas created and updated with temporal-sql-tool
  Temporal        the real server (not the dev server), built once per machine by \`npm run tools\`,
                  started with deploy/temporal-server.yaml: frontend, history, matching and worker
                  services in one process
  S3 emulator     with the output bucket
  local fleet     the instances of --fleet's config (default: three tagged Env=dev), unless
                  AWS_ENDPOINT_URL_SSM names another fleet
  codec server    decrypts payloads for the Temporal UI and the temporal CLI
  HTTP API        ssmflow serve (docs/api.md), starting runbooks/examples/, with an admin token for you
                  in <state-dir>/api-token (the config it writes: <state-dir>/serve.yaml)
  workers         --workers ssmflow worker processes, payload encryption on

Ports are consecutive from --base-port (the Temporal frontend) when they are free, else from a free
block. State (databases, fleet, encryption key, logs) stays in --state-dir across restarts.
docker-compose.yml runs the same topology with containers.

Example:
  ssmflow stack                                  # in one shell; Ctrl-C stops everything
  export TEMPORAL_ADDRESS=… SSMFLOW_ENCRYPTION_KEYS_FILE=…   # in another: the lines it printed
  ssmflow run runbooks/examples/hello.yaml --wait
`;

export function registerStackCommand(program: Command): void {
  program
    .command('stack')
    .summary('run the production-like topology: Temporal server on PostgreSQL, two workers, codec server, API, S3, fleet')
    .description(
      'Starts the production topology on one machine, without Docker, and keeps it running until Ctrl-C.\n' +
        'Use it to try ssmflow on the real Temporal server before deploying (docs/deploy.md).',
    )
    .option('--state-dir <dir>', 'where the stack keeps its databases, fleet, key and logs', '.ssmflow/stack')
    .option('--base-port <port>', 'first of the consecutive ports (the Temporal frontend)', '7233')
    .option('--workers <n>', 'ssmflow worker processes', '2')
    .option('--fleet <config.yaml>', 'local fleet config (default: fleet/examples/dev.yaml)')
    .option('--task-queue <name>', 'task queue the workers poll', process.env.SSMFLOW_TASK_QUEUE || 'ssmflow')
    .option('--verbose', "also print the Temporal server's info logs to <state-dir>/logs")
    .addHelpText('after', HELP)
    .action(async (opts: StackOptions) => {
      const { runStack } = await import('./stack.js');
      await runStack(opts);
      process.exit(process.exitCode ?? 0);
    });
}
