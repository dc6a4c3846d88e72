// The production-like topology on one machine, without Docker (`ssmflow stack`, and the tests of
// test-production-stack): PostgreSQL for Temporal, the real Temporal server on it, ssmflow's
// workers as separate processes with the payload codec on, the codec server, the HTTP API, the S3
// emulator and the local fleet. docker-compose.yml describes the same topology with containers.
import { randomBytes } from 'node:crypto';
import { existsSync, mkdirSync, openSync, readFileSync, closeSync } from 'node:fs';
import { join } from 'node:path';
import { CreateBucketCommand } from '@aws-sdk/client-s3';
import { spawn, type ChildProcess } from 'node:child_process';
import { newToken } from '../api/tokens.js';
import { createS3Client } from '../aws/clients.js';
import { actingIdentity } from '../client/identity.js';
import type { FleetConfig } from '../fleet/config.js';
import { type RunningFleet, startFleet } from '../fleet/server.js';
import { localAwsEnvironment } from './local-aws-env.js';
import { freePortBlock } from './port-available.js';
import { projectRoot } from './project-root.js';
import { ownedFile } from './postgres-server.js';
import { startS3Emulator, type S3Emulator } from './s3-emulator.js';
import { setUpTemporalSchemas, startTemporalDatabase, type TemporalDatabase } from './temporal-database.js';
import { startTemporalServer, TEMPORAL_SERVER_PORT_COUNT, temporalServerPorts, type TemporalServer } from './temporal-server.js';
import { readTemporalServerTools } from './temporal-server-tools.js';
import { writeStackServeConfig } from './stack-serve-config.js';

/** One ssmflow process of the stack (a worker, the codec server or the API), its log in `<stateDir>/logs`. */
export interface StackProcess {
  readonly name: string;
  readonly pid: number | undefined;
  /** Its ops, codec or API address (http://127.0.0.1:port). */
  readonly url: string;
  readonly logFile: string;
  /**
   * Sends the signal (SIGKILL by default, as a crash would) and waits until it has exited; resolves
   * with the signal that ended it (undefined when it was not running or exited by itself).
   */
  kill(signal?: NodeJS.Signals): Promise<NodeJS.Signals | undefined>;
  /** Starts it again (after a kill) and waits until it is ready. */
  start(): Promise<void>;
}

export interface ProductionStack {
  readonly stateDir: string;
  readonly db: TemporalDatabase;
  readonly temporal: TemporalServer;
  readonly s3: S3Emulator;
  readonly fleet?: RunningFleet;
  readonly workers: readonly StackProcess[];
  readonly codecServer: StackProcess;
  /** `ssmflow serve`, with one admin token for whoever started the stack. */
  readonly api: StackProcess & { readonly tokenFile: string; readonly identity: string };
  readonly taskQueue: string;
  readonly outputBucket: string;
  /** Environment for a CLI (or another worker) in another shell: addresses, and the codec key file. */
  readonly env: Record<string, string>;
  stop(): Promise<void>;
}

export interface ProductionStackOptions {
  stateDir: string;
  /** First of the stack's consecutive ports: Temporal's ten, PostgreSQL, the codec server, S3, the fleet, the API, then two per worker. */
  basePort?: number;
  workers?: number;
  taskQueue?: string;
  outputBucket?: string;
  /** Run the local fleet of this config in this process; without it the workers use AWS_ENDPOINT_URL_SSM or real SSM. */
  fleet?: { config: FleetConfig };
  /** Extra environment for the workers (e.g. SSMFLOW_SSM_LISTING_LAG). */
  workerEnv?: Record<string, string>;
  logLevel?: 'debug' | 'info' | 'warn' | 'error';
  /** Progress lines while it starts (the CLI prints them; tests pass nothing). */
  progress?: (line: string) => void;
}

/** A secret kept in a 0600 file of the state dir, made once: restarts must decrypt old histories and reach the same database. */
function persistentSecret(file: string, make: () => string): string {
  if (existsSync(file)) return readFileSync(file, 'utf8').trim();
  const value = make();
  ownedFile(file, `${value}\n`, undefined);
  return value;
}

const BIN = join(projectRoot, 'bin', 'ssmflow.mjs');

function ssmflowProcess(options: {
  name: string;
  args: string[];
  env: NodeJS.ProcessEnv;
  url: string;
  readyPath: string;
  logDir: string;
}): StackProcess {
  const logFile = join(options.logDir, `${options.name}.log`);
  let child: ChildProcess | undefined;
  const start = async () => {
    const log = openSync(logFile, 'a');
    try {
      child = spawn(process.execPath, [BIN, ...options.args], { cwd: projectRoot, env: options.env, stdio: ['ignore', log, log] });
    } finally {
      closeSync(log);
    }
    const started = child;
    const deadline = Date.now() + 90_000;
    for (;;) {
      if (started.exitCode !== null || started.signalCode !== null) {
        const tail = readFileSync(logFile, 'utf8').trim().split('\n').slice(-15).join('\n');
        throw new Error(`${options.name} exited during start-up (${started.exitCode ?? started.signalCode}); ${logFile}:\n${tail}`);
      }
      const ready = await fetch(`${options.url}${options.readyPath}`, { method: options.readyPath === '/decode' ? 'OPTIONS' : 'GET' }).then(
        (r) => r.status < 300,
        () => false,
      );
      if (ready) return;
      if (Date.now() > deadline) {
        started.kill('SIGKILL');
        throw new Error(`${options.name} was not ready within 90 s; see ${logFile}`);
      }
      await new Promise((r) => setTimeout(r, 250));
    }
  };
  return {
    name: options.name,
    get pid() {
      return child?.pid;
    },
    url: options.url,
    logFile,
    start,
    kill: async (signal = 'SIGKILL') => {
      const running = child;
      if (!running || running.exitCode !== null || running.signalCode !== null) return undefined;
      return new Promise<NodeJS.Signals | undefined>((resolveExit) => {
        running.once('exit', (_code, exitSignal) => resolveExit(exitSignal ?? undefined));
        running.kill(signal);
      });
    },
  };
}

/**
 * Starts everything, in dependency order: PostgreSQL, the schemas, the Temporal server (namespace
 * and search attributes registered), S3 and the fleet, the codec server, the API, then the workers. If a
 * part fails to start, what already runs is stopped before the error is thrown.
 */
export async function startProductionStack(options: ProductionStackOptions): Promise<ProductionStack> {
  const say = options.progress ?? (() => undefined);
  const stateDir = options.stateDir;
  const logDir = join(stateDir, 'logs');
  mkdirSync(logDir, { recursive: true });
  const workerCount = options.workers ?? 2;
  const taskQueue = options.taskQueue ?? 'ssmflow';
  const outputBucket = options.outputBucket ?? 'ssmflow-output';
  const tools = readTemporalServerTools();
  const portCount = TEMPORAL_SERVER_PORT_COUNT + 5 + 2 * workerCount;
  const base = await freePortBlock(portCount, options.basePort);
  const temporalPorts = temporalServerPorts(base);
  let next = base + TEMPORAL_SERVER_PORT_COUNT;
  const take = () => next++;
  const [dbPort, codecPort, s3Port, fleetPort, apiPort] = [take(), take(), take(), take(), take()];
  const workerPorts = Array.from({ length: workerCount }, () => ({ ops: take(), sdkMetrics: take() }));

  const password = persistentSecret(join(stateDir, 'temporal-db-password'), () => randomBytes(18).toString('base64url'));
  const keyFile = join(stateDir, 'encryption-keys.yaml');
  persistentSecret(keyFile, () => `stack-${new Date().toISOString().slice(0, 10)}: ${randomBytes(32).toString('base64')}`);
  const apiTokenFile = join(stateDir, 'api-token');
  const apiToken = persistentSecret(apiTokenFile, newToken);
  const apiIdentity = actingIdentity(undefined);
  const serveConfigFile = join(stateDir, 'serve.yaml');
  writeStackServeConfig(serveConfigFile, { port: apiPort, taskQueue, outputBucket, identity: apiIdentity, token: apiToken });
  const apiUrl = `http://127.0.0.1:${apiPort}`;

  const stops: (() => Promise<void>)[] = [];
  const stopAll = async () => {
    for (const stop of stops.reverse()) await stop().catch(() => undefined);
    stops.length = 0;
  };
  try {
    say(`PostgreSQL for Temporal on 127.0.0.1:${dbPort}`);
    const db = await startTemporalDatabase({ dir: join(stateDir, 'temporal-db'), port: dbPort, password });
    stops.push(() => db.stop());
    say('Temporal schemas (temporal-sql-tool setup-schema/update-schema)');
    await setUpTemporalSchemas(db, tools);
    say(`Temporal server ${tools.version} on 127.0.0.1:${temporalPorts.frontend}`);
    const temporal = await startTemporalServer({ tools, db, ports: temporalPorts, logLevel: options.logLevel ?? 'warn' });
    stops.push(() => temporal.stop());

    const s3 = await startS3Emulator({ port: s3Port });
    stops.push(() => s3.stop());
    for (const [key, value] of Object.entries(localAwsEnvironment({}))) process.env[key] ??= value;
    const s3Client = createS3Client({ endpoint: s3.endpoint });
    try {
      await s3Client.send(new CreateBucketCommand({ Bucket: outputBucket })).catch((err: Error) => {
        if (err.name !== 'BucketAlreadyOwnedByYou') throw err;
      });
    } finally {
      s3Client.destroy();
    }
    let fleet: RunningFleet | undefined;
    if (options.fleet) {
      fleet = await startFleet({
        stateDir: join(stateDir, 'fleet'),
        port: fleetPort,
        config: { ...options.fleet.config, s3Endpoint: options.fleet.config.s3Endpoint ?? s3.endpoint },
      });
      const running = fleet;
      stops.push(() => running.stop());
    }

    const env: Record<string, string> = {
      TEMPORAL_ADDRESS: temporal.address,
      TEMPORAL_NAMESPACE: temporal.namespace,
      SSMFLOW_TASK_QUEUE: taskQueue,
      SSMFLOW_OUTPUT_BUCKET: outputBucket,
      SSMFLOW_ENCRYPTION_KEYS_FILE: keyFile,
      ...localAwsEnvironment({ s3: s3.endpoint, ...(fleet ? { ssm: fleet.endpoint } : {}) }),
    };
    const processEnv = (extra: Record<string, string>): NodeJS.ProcessEnv => {
      const inherited = { ...process.env };
      // A parent's own codec keys must not override the stack's key file.
      delete inherited.SSMFLOW_ENCRYPTION_KEYS;
      return { ...inherited, ...env, SSMFLOW_LOG_LEVEL: options.logLevel ?? 'info', ...extra };
    };

    const codecServer = ssmflowProcess({
      name: 'codec-server',
      args: ['codec-server', '--address', `127.0.0.1:${codecPort}`],
      env: processEnv({}),
      url: `http://127.0.0.1:${codecPort}`,
      readyPath: '/decode',
      logDir,
    });
    say(`codec server on 127.0.0.1:${codecPort}`);
    await codecServer.start();
    stops.push(() => codecServer.kill('SIGTERM').then(() => undefined));

    const apiServer = ssmflowProcess({
      name: 'api',
      args: ['serve', '--config', serveConfigFile],
      env: processEnv({}),
      url: apiUrl,
      readyPath: '/readyz',
      logDir,
    });
    say(`HTTP API on 127.0.0.1:${apiPort}`);
    await apiServer.start();
    stops.push(() => apiServer.kill('SIGTERM').then(() => undefined));

    const workers = workerPorts.map((ports, index) =>
      ssmflowProcess({
        name: `worker-${index + 1}`,
        args: ['worker'],
        env: processEnv({
          SSMFLOW_HTTP_ADDRESS: `127.0.0.1:${ports.ops}`,
          SSMFLOW_SDK_METRICS_ADDRESS: `127.0.0.1:${ports.sdkMetrics}`,
          // The links in notifications lead to the stack's API.
          SSMFLOW_PUBLIC_URL: apiUrl,
          ...options.workerEnv,
        }),
        url: `http://127.0.0.1:${ports.ops}`,
        readyPath: '/readyz',
        logDir,
      }),
    );
    say(`${workerCount} ssmflow workers on task queue "${taskQueue}"`);
    for (const worker of workers) stops.push(() => worker.kill('SIGTERM').then(() => undefined));
    await Promise.all(workers.map((worker) => worker.start()));

    return {
      stateDir,
      db,
      temporal,
      s3,
      ...(fleet ? { fleet } : {}),
      workers,
      codecServer,
      api: Object.assign(apiServer, { tokenFile: apiTokenFile, identity: apiIdentity }),
      taskQueue,
      outputBucket,
      env,
      stop: stopAll,
    };
  } catch (err) {
    await stopAll();
    throw err;
  }
}
