import { Option, type Command } from 'commander';

export function registerWorkerCommand(program: Command): void {
  program
    .command('worker')
    .summary('run an ssmflow worker (executes runs; start as many as you like)')
    .description(
      'Polls the task queue for ssmflow workflows and activities until SIGINT/SIGTERM, then drains.\n' +
        'Workers are stateless: run several for capacity or availability; Temporal balances them.',
    )
    .addHelpText(
      'after',
      `
Environment (every setting also has a config-file key; the full reference is docs/deploy.md):
  TEMPORAL_ADDRESS       host:port of the Temporal frontend (default 127.0.0.1:7233)
  TEMPORAL_NAMESPACE     namespace (default "default")
  TEMPORAL_API_KEY, TEMPORAL_TLS_CERT/KEY/CA   Temporal Cloud: API key or mTLS
  SSMFLOW_TASK_QUEUE     task queue (default "ssmflow")
  SSMFLOW_OUTPUT_BUCKET  S3 bucket for full command output
  SSMFLOW_ENCRYPTION_KEYS  id=base64 AES-256 keys: payloads encrypted at rest in Temporal
  SSMFLOW_HTTP_ADDRESS   /metrics, /healthz, /readyz (default 0.0.0.0:9464)
  AWS_REGION, AWS_ENDPOINT_URL_SSM, AWS_ENDPOINT_URL_S3 and the standard AWS credential chain
  AWS_ENDPOINT_URL_RESOURCE_GROUPS_TAGGING_API  cluster discovery by tag (local fleet only)

Example:
  TEMPORAL_ADDRESS=temporal.internal:7233 SSMFLOW_OUTPUT_BUCKET=ops-ssm-output ssmflow worker`,
    )
    .addOption(new Option('--config <file>', 'YAML config file; environment variables override it (docs/deploy.md)').env('SSMFLOW_CONFIG'))
    .action(async (opts: { config?: string }) => {
      // Loaded here: the worker's native bridge would add ~0.4 s to every other CLI command.
      const { runWorker } = await import('../../worker/run-worker.js');
      await runWorker(process.env, { configFile: opts.config });
    });
}
