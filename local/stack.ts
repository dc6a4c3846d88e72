// `ssmflow stack` (defined in stack-command.ts): the production-like topology until Ctrl-C.
import { isAbsolute, relative, resolve } from 'node:path';
import { CliInputError } from '../client/cli-errors.js';
import { chooseFleet } from './fleet-option.js';
import { describeInstances } from './dev.js';
import { type ProductionStack, startProductionStack } from './production-stack.js';
import { readRunningLocalStack, removeRunningLocalStack, type RunningLocalStack, writeRunningLocalStack } from './running-stack.js';
import { shellExportLines } from './shell-exports.js';
import type { StackOptions } from './stack-command.js';

function positiveInteger(value: string, flag: string, max: number): number {
  const n = Number(value);
  if (!Number.isInteger(n) || n < 1 || n > max) throw new CliInputError(`${flag} must be a whole number from 1 to ${max}, got "${value}"`);
  return n;
}

/** Relative to the working directory when inside it, else absolute. */
function shown(path: string): string {
  const rel = relative(process.cwd(), path);
  return rel === '' ? '.' : rel.startsWith('..') || isAbsolute(rel) ? path : rel;
}

export async function runStack(opts: StackOptions): Promise<void> {
  const stateDir = resolve(opts.stateDir);
  const basePort = positiveInteger(opts.basePort, '--base-port', 32_000);
  const workers = positiveInteger(opts.workers, '--workers', 16);
  const other = (() => {
    try {
      return readRunningLocalStack(stateDir);
    } catch {
      return undefined;
    }
  })();
  if (other) {
    throw new CliInputError(
      `a stack (pid ${other.pid}) already runs on state dir ${opts.stateDir}: Temporal ${other.temporal.address}`,
      'use that one (its exports are in local-stack.json), stop it first (Ctrl-C in its shell), or give this one another --state-dir',
    );
  }
  const fleetChoice = await chooseFleet(opts.fleet, 'stack');

  let stack: ProductionStack | undefined;
  let stopRequested = false;
  let wake: () => void = () => undefined;
  const stopped = new Promise<void>((resolveStop) => (wake = resolveStop));
  const onSignal = (signal: NodeJS.Signals) => {
    if (stopRequested) {
      console.error(`${signal} again: exiting without waiting for the stack to stop`);
      process.exit(130);
    }
    stopRequested = true;
    console.log(`\n${signal}: stopping the workers, the API, the codec server, the fleet, S3, Temporal and PostgreSQL…`);
    wake();
  };
  process.on('SIGINT', onSignal);
  process.on('SIGTERM', onSignal);
  const started = Date.now();
  try {
    stack = await startProductionStack({
      stateDir,
      basePort,
      workers,
      taskQueue: opts.taskQueue,
      ...('config' in fleetChoice ? { fleet: { config: fleetChoice.config } } : {}),
      ...('external' in fleetChoice ? { workerEnv: { AWS_ENDPOINT_URL_SSM: fleetChoice.external } } : {}),
      logLevel: opts.verbose ? 'info' : 'warn',
      progress: (line) => console.log(`  starting ${line}`),
    });
    const env = { ...stack.env, ...('external' in fleetChoice ? { AWS_ENDPOINT_URL_SSM: fleetChoice.external } : {}) };
    const record: RunningLocalStack = {
      pid: process.pid,
      startedAt: new Date().toISOString(),
      stateDir,
      temporal: { address: stack.temporal.address, namespace: stack.temporal.namespace, ui: null },
      s3: { endpoint: stack.s3.endpoint, outputBucket: stack.outputBucket },
      fleet: stack.fleet
        ? { endpoint: stack.fleet.endpoint, stateDir: stack.fleet.stateDir }
        : { endpoint: env.AWS_ENDPOINT_URL_SSM ?? '', stateDir: null },
      taskQueue: stack.taskQueue,
      env,
    };
    const recordPath = writeRunningLocalStack(record);
    console.log(`\nstack up in ${((Date.now() - started) / 1000).toFixed(1)} s`);
    console.log(
      `Temporal     ${stack.temporal.address}   namespace ${stack.temporal.namespace}   server metrics ${stack.temporal.metricsUrl}`,
    );
    console.log(`PostgreSQL   127.0.0.1:${stack.db.port}   databases temporal, temporal_visibility (user temporal)`);
    console.log(`S3           ${stack.s3.endpoint}   output bucket ${stack.outputBucket}`);
    if (stack.fleet) console.log(`Fleet        ${stack.fleet.endpoint}   ${describeInstances(stack.fleet.instances())}`);
    else console.log(`Fleet        ${record.fleet.endpoint}   (from AWS_ENDPOINT_URL_SSM)`);
    console.log(`Codec        ${stack.codecServer.url}   (TEMPORAL_CODEC_ENDPOINT for a Temporal UI)`);
    console.log(
      `API          ${stack.api.url}   admin token for ${stack.api.identity} in ${shown(stack.api.tokenFile)}   log ${shown(stack.api.logFile)}`,
    );
    for (const worker of stack.workers)
      console.log(`Worker       ${worker.name} pid ${worker.pid}   ${worker.url}/metrics   log ${shown(worker.logFile)}`);
    console.log(`State        ${shown(stateDir)} (databases, fleet, encryption key, logs; kept across restarts)`);
    console.log(`Stack        ${shown(recordPath)} (for other local commands)`);
    console.log('\nIn another shell:');
    for (const line of shellExportLines(env)) console.log(`  ${line}`);
    console.log('then:\n  ssmflow run runbooks/examples/hello.yaml --wait');
    console.log(
      `or through the API (docs/api.md):\n  curl -H "Authorization: Bearer $(cat ${shown(stack.api.tokenFile)})" ${stack.api.url}/v1/runs`,
    );
    console.log(`\nCtrl-C (or kill ${process.pid}) stops everything.`);
    if (!stopRequested) await stopped;
  } finally {
    process.off('SIGINT', onSignal);
    process.off('SIGTERM', onSignal);
    await stack?.stop();
    removeRunningLocalStack(stateDir);
    if (stack) console.log('stopped');
  }
}
