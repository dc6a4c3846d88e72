// `ssmflow dev` (defined in dev-command.ts): the whole local stack and a worker in this process,
// until Ctrl-C.
import { rmSync, writeFileSync } from 'node:fs';
import { isAbsolute, join, relative, resolve } from 'node:path';
import type { Worker } from '@temporalio/worker';
import { createS3Client } from '../aws/clients.js';
import { CliInputError } from '../client/cli-errors.js';
import type { InstanceConfig } from '../fleet/config.js';
import { chooseFleet } from './fleet-option.js';
import { type LocalStack, startLocalStack } from './local-stack.js';
import { localAwsEnvironment } from './local-aws-env.js';
import { shellExportLines } from './shell-exports.js';
import { readRunningLocalStack, removeRunningLocalStack, type RunningLocalStack, writeRunningLocalStack } from './running-stack.js';
import type { DevOptions } from './dev-command.js';

function port(value: string, flag: string): number {
  const n = Number(value);
  if (!Number.isInteger(n) || n < 0 || n > 65535) throw new CliInputError(`${flag} must be a port number (0-65535), got "${value}"`);
  return n;
}

export async function runDev(opts: DevOptions): Promise<void> {
  const stateDir = resolve(opts.stateDir);
  const ports = {
    temporalPort: port(opts.temporalPort, '--temporal-port'),
    uiPort: port(opts.uiPort, '--ui-port'),
    s3Port: port(opts.s3Port, '--s3-port'),
    fleetPort: port(opts.fleetPort, '--fleet-port'),
  };
  const other = (() => {
    try {
      return readRunningLocalStack(stateDir);
    } catch {
      return undefined;
    }
  })();
  if (other && other.pid !== process.pid) {
    throw new CliInputError(
      `another \`ssmflow dev\` (pid ${other.pid}) runs on state dir ${opts.stateDir}: Temporal ${other.temporal.address}, fleet ${other.fleet.endpoint}`,
      'use that one (its exports are in local-stack.json), stop it first, or give this one another --state-dir',
    );
  }
  const fleetChoice = await chooseFleet(opts.fleet, 'dev');

  const verbose = opts.verbose === true;
  // Loaded here: the worker's native bridge would add ~0.4 s to every other CLI command.
  const [{ DefaultLogger, NativeConnection, Runtime, bundleWorkflowCode }, { createSsmflowWorker }, { workflowsPath }] = await Promise.all([
    import('@temporalio/worker'),
    import('../worker/create-worker.js'),
    import('../worker/workflow-source.js'),
  ]);
  // dev stops on Ctrl-C itself (below), in order: the worker drains, then the fleet and servers stop.
  Runtime.install({ logger: new DefaultLogger(verbose ? 'INFO' : 'WARN'), shutdownSignals: [] });

  let worker: Worker | undefined;
  let stopRequested = false;
  const onSignal = (signal: NodeJS.Signals) => {
    if (stopRequested) {
      console.error(`${signal} again: exiting without waiting for the stack to stop`);
      process.exit(130);
    }
    stopRequested = true;
    console.log(`\n${signal}: stopping the worker, the fleet, S3 and Temporal…`);
    if (worker && worker.getState() === 'RUNNING') worker.shutdown();
  };
  process.on('SIGINT', onSignal);
  process.on('SIGTERM', onSignal);

  const bundleStarted = Date.now();
  const [stackResult, bundleResult] = await Promise.allSettled([
    startLocalStack({
      stateDir,
      ...ports,
      ...('config' in fleetChoice ? { fleet: { config: fleetChoice.config, port: ports.fleetPort } } : {}),
    }),
    bundleWorkflowCode({ workflowsPath, logger: verbose ? new DefaultLogger('INFO') : quietBundlerLogger }).then((bundle) => ({
      bundle,
      seconds: (Date.now() - bundleStarted) / 1000,
    })),
  ]);
  if (stackResult.status === 'rejected') throw stackResult.reason;
  const stack = stackResult.value;
  const bundlePath = join(stateDir, 'workflow-bundle.js');
  let connection: Awaited<ReturnType<typeof NativeConnection.connect>> | undefined;
  try {
    if (bundleResult.status === 'rejected') throw bundleResult.reason;
    const { bundle, seconds } = bundleResult.value;
    console.log(`workflow bundle built (${(Buffer.byteLength(bundle.code) / 2 ** 20).toFixed(1)} MiB) in ${seconds.toFixed(1)} s`);
    if (stopRequested) return;
    writeFileSync(bundlePath, bundle.code);

    const env: Record<string, string> = {
      ...stack.env,
      ...('external' in fleetChoice ? localAwsEnvironment({ ssm: fleetChoice.external }) : {}),
      SSMFLOW_TASK_QUEUE: opts.taskQueue,
    };
    if ('external' in fleetChoice && process.env.AWS_ENDPOINT_URL_RESOURCE_GROUPS_TAGGING_API)
      env.AWS_ENDPOINT_URL_RESOURCE_GROUPS_TAGGING_API = process.env.AWS_ENDPOINT_URL_RESOURCE_GROUPS_TAGGING_API;
    // The worker in this process reads the same endpoints from the environment.
    Object.assign(process.env, env);
    connection = await NativeConnection.connect({ address: stack.temporal.address });
    worker = await createSsmflowWorker({
      connection,
      namespace: stack.temporal.namespace,
      taskQueue: opts.taskQueue,
      workflowBundlePath: bundlePath,
      dependencies: { s3: createS3Client() },
    });
    if (stopRequested) return;

    const record: RunningLocalStack = {
      pid: process.pid,
      startedAt: new Date().toISOString(),
      stateDir,
      temporal: { address: stack.temporal.address, namespace: stack.temporal.namespace, ui: stack.temporal.uiUrl ?? null },
      s3: { endpoint: stack.s3.endpoint, outputBucket: stack.outputBucket },
      fleet: stack.fleet
        ? { endpoint: stack.fleet.endpoint, stateDir: stack.fleet.stateDir }
        : { endpoint: env.AWS_ENDPOINT_URL_SSM ?? '', stateDir: null },
      taskQueue: opts.taskQueue,
      env,
    };
    const recordPath = writeRunningLocalStack(record);
    printStartup(stack, record, recordPath, 'config' in fleetChoice && fleetChoice.isDefault);
    await worker.run();
  } finally {
    await connection?.close().catch(() => undefined);
    await stack.stop();
    removeRunningLocalStack(stateDir);
    rmSync(bundlePath, { force: true });
    process.off('SIGINT', onSignal);
    process.off('SIGTERM', onSignal);
    if (stopRequested) console.log('stopped');
  }
}

function printStartup(stack: LocalStack, record: RunningLocalStack, recordPath: string, defaultFleet: boolean): void {
  // Relative when inside the working directory (.ssmflow/fleet), else absolute.
  const shown = (path: string) => {
    const rel = relative(process.cwd(), path);
    return rel === '' ? '.' : rel.startsWith('..') || isAbsolute(rel) ? path : rel;
  };
  console.log(
    `Temporal   ${record.temporal.address}   namespace ${record.temporal.namespace}   UI ${record.temporal.ui ?? '(none: --ui-port 0)'}`,
  );
  console.log(`S3         ${record.s3.endpoint}   output bucket ${record.s3.outputBucket}`);
  if (stack.fleet) {
    console.log(`Fleet      ${stack.fleet.endpoint}   state in ${shown(stack.fleet.stateDir)}`);
    console.log(`Instances  ${describeInstances(stack.fleet.instances())}`);
  } else {
    console.log(`Fleet      ${record.fleet.endpoint}   (from AWS_ENDPOINT_URL_SSM; dev started none)`);
  }
  console.log(`Worker     task queue "${record.taskQueue}"`);
  console.log(`Stack      ${shown(recordPath)} (for other local commands)`);
  console.log('\nIn another shell:');
  for (const line of shellExportLines(record.env)) console.log(`  ${line}`);
  if (defaultFleet) console.log('then:\n  ssmflow run runbooks/examples/hello.yaml --wait');
  console.log('\nCtrl-C stops everything.');
}

const tagText = (tags: [string, string][]) => tags.map(([k, v]) => `${k}=${v}`).join(' ');

/** One line: the count, the tags every instance shares, then each instance with its own tags (the first few). */
export function describeInstances(instances: readonly InstanceConfig[], limit = 5): string {
  if (instances.length === 0) return 'none yet (register some: POST <fleet>/_fleet/instances, see fleet/README.md)';
  const first = instances[0];
  const common = Object.entries(first?.tags ?? {}).filter(([k, v]) => instances.every((i) => i.tags[k] === v));
  const commonKeys = new Set(common.map(([k]) => k));
  const each = instances.slice(0, limit).map((i) => {
    const own = Object.entries(i.tags).filter(([k]) => !commonKeys.has(k));
    return own.length > 0 ? `${i.id} (${tagText(own)})` : i.id;
  });
  const more = instances.length > limit ? `, … ${instances.length - limit} more` : '';
  const shared = common.length > 0 ? `, all ${tagText(common)}` : '';
  return `${instances.length} instance${instances.length === 1 ? '' : 's'}${shared}: ${each.join(', ')}${more}`;
}

const noop = () => undefined;
/** The bundler's logger without its webpack module listing (info); warnings and errors still show. */
const quietBundlerLogger = {
  trace: noop,
  debug: noop,
  info: noop,
  log: noop,
  warn: (message: string) => console.warn(message),
  error: (message: string) => console.error(message),
};
