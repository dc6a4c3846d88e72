// The real Temporal server (not the dev server) in `ssmflow stack`: started with the committed
// deploy/temporal-server.yaml, all four services in one process, persistence on PostgreSQL.
import { Connection } from '@temporalio/client';
import { msToTs } from '@temporalio/common/lib/time.js';
import { join } from 'node:path';
import { ssmflowSearchAttributes } from '../workflows/search-attributes.js';
import { type ManagedProcess, spawnManaged, waitUntilReady } from './child-process.js';
import { projectRoot } from './project-root.js';
import type { TemporalDatabase } from './temporal-database.js';
import { TEMPORAL_DB_NAMES } from './temporal-database.js';
import type { TemporalServerTools } from './temporal-server-tools.js';

export const TEMPORAL_SERVER_CONFIG = join(projectRoot, 'deploy', 'temporal-server.yaml');
export const TEMPORAL_DYNAMIC_CONFIG = join(projectRoot, 'deploy', 'temporal-dynamic-config.yaml');

/** The server's own ports besides the frontend's (history, matching, worker, membership, HTTP, metrics). */
export interface TemporalServerPorts {
  frontend: number;
  frontendHttp: number;
  frontendMembership: number;
  history: number;
  historyMembership: number;
  matching: number;
  matchingMembership: number;
  worker: number;
  workerMembership: number;
  metrics: number;
}

/** Ten consecutive ports from `base`: the layout `ssmflow stack` prints. */
export function temporalServerPorts(base: number): TemporalServerPorts {
  return {
    frontend: base,
    history: base + 1,
    matching: base + 2,
    worker: base + 3,
    frontendHttp: base + 4,
    frontendMembership: base + 5,
    historyMembership: base + 6,
    matchingMembership: base + 7,
    workerMembership: base + 8,
    metrics: base + 9,
  };
}
export const TEMPORAL_SERVER_PORT_COUNT = 10;

export interface TemporalServer {
  readonly address: string;
  readonly namespace: string;
  readonly metricsUrl: string;
  readonly pid: number | undefined;
  /**
   * SIGKILL, as a crash would (the test of a server fault); `start` brings it back on the same
   * ports. Resolves with the signal that ended the process (undefined when it was not running).
   */
  kill(): Promise<NodeJS.Signals | undefined>;
  start(): Promise<void>;
  stop(): Promise<void>;
}

export interface TemporalServerOptions {
  tools: TemporalServerTools;
  db: TemporalDatabase;
  ports: TemporalServerPorts;
  namespace?: string;
  /** Retention of closed runs in the namespace (created on first start). */
  retentionDays?: number;
  logLevel?: string;
}

/** The environment deploy/temporal-server.yaml reads (docker-compose.yml sets the same names). */
export function temporalServerEnvironment(db: TemporalDatabase, ports: TemporalServerPorts, logLevel = 'warn'): Record<string, string> {
  return {
    TEMPORAL_DB_HOST: db.host,
    TEMPORAL_DB_PORT: String(db.port),
    TEMPORAL_DB_USER: db.user,
    TEMPORAL_DB_PASSWORD: db.password,
    TEMPORAL_DB_NAME: TEMPORAL_DB_NAMES.persistence,
    TEMPORAL_VISIBILITY_DB_NAME: TEMPORAL_DB_NAMES.visibility,
    TEMPORAL_BIND_IP: '127.0.0.1',
    TEMPORAL_BROADCAST_ADDRESS: '127.0.0.1',
    TEMPORAL_FRONTEND_PORT: String(ports.frontend),
    TEMPORAL_FRONTEND_HTTP_PORT: String(ports.frontendHttp),
    TEMPORAL_FRONTEND_MEMBERSHIP_PORT: String(ports.frontendMembership),
    TEMPORAL_HISTORY_PORT: String(ports.history),
    TEMPORAL_HISTORY_MEMBERSHIP_PORT: String(ports.historyMembership),
    TEMPORAL_MATCHING_PORT: String(ports.matching),
    TEMPORAL_MATCHING_MEMBERSHIP_PORT: String(ports.matchingMembership),
    TEMPORAL_WORKER_PORT: String(ports.worker),
    TEMPORAL_WORKER_MEMBERSHIP_PORT: String(ports.workerMembership),
    TEMPORAL_METRICS_PORT: String(ports.metrics),
    TEMPORAL_DYNAMIC_CONFIG_FILE: TEMPORAL_DYNAMIC_CONFIG,
    TEMPORAL_LOG_LEVEL: logLevel,
  };
}

/**
 * Starts the server and waits until its frontend serves the namespace with ssmflow's search
 * attributes: the namespace and the attributes are created on the first start (the server
 * creates neither by itself, unlike the dev server).
 */
export async function startTemporalServer(options: TemporalServerOptions): Promise<TemporalServer> {
  const namespace = options.namespace ?? 'default';
  const address = `127.0.0.1:${options.ports.frontend}`;
  const env = { ...process.env, ...temporalServerEnvironment(options.db, options.ports, options.logLevel) };
  let proc: ManagedProcess | undefined;

  const launch = async () => {
    const started = spawnManaged(options.tools.server, ['--config-file', TEMPORAL_SERVER_CONFIG, '--allow-no-auth', 'start'], env);
    proc = started;
    await waitUntilReady(
      `Temporal server ${options.tools.version}`,
      started,
      async () => {
        const connection = await Connection.connect({ address, connectTimeout: 1_000 });
        try {
          const health = await connection.healthService.check({});
          return health.status === 1;
        } finally {
          await connection.close();
        }
      },
      120_000,
    );
  };

  await launch();
  await ensureNamespace(address, namespace, options.retentionDays ?? 7);
  return {
    address,
    namespace,
    metricsUrl: `http://127.0.0.1:${options.ports.metrics}/metrics`,
    get pid() {
      return proc?.child.pid;
    },
    kill: async () => {
      const child = proc?.child;
      if (!child || child.exitCode !== null || child.signalCode !== null) return undefined;
      return new Promise<NodeJS.Signals | undefined>((resolveKill) => {
        child.once('exit', (_code, signal) => resolveKill(signal ?? undefined));
        child.kill('SIGKILL');
      });
    },
    start: async () => {
      await launch();
      await waitForNamespace(address, namespace);
    },
    stop: async () => {
      await proc?.stop();
    },
  };
}

/** Registers the namespace and ssmflow's search attributes when missing, then waits until both are served. */
async function ensureNamespace(address: string, namespace: string, retentionDays: number): Promise<void> {
  const connection = await Connection.connect({ address });
  try {
    const described = await connection.workflowService.describeNamespace({ namespace }).catch(() => undefined);
    if (!described) {
      await connection.workflowService.registerNamespace({
        namespace,
        description: 'ssmflow runs (created by ssmflow stack)',
        workflowExecutionRetentionPeriod: msToTs(`${retentionDays} days`),
      });
    }
    // The frontend's namespace cache refreshes every few seconds: retry until it knows the new one.
    await retryFor(30_000, `namespace ${namespace} to appear on ${address}`, async () => {
      const existing = await connection.operatorService.listSearchAttributes({ namespace });
      const missing = ssmflowSearchAttributes.filter((key) => !(key.name in (existing.customAttributes ?? {})));
      if (missing.length === 0) return;
      await connection.operatorService.addSearchAttributes({
        namespace,
        // 2 = INDEXED_VALUE_TYPE_KEYWORD
        searchAttributes: Object.fromEntries(missing.map((key) => [key.name, 2])),
      });
    });
  } finally {
    await connection.close();
  }
  await waitForNamespace(address, namespace);
}

async function retryFor(timeoutMs: number, what: string, attempt: () => Promise<void>): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    try {
      return await attempt();
    } catch (err) {
      if (Date.now() > deadline) throw new Error(`gave up waiting for ${what}: ${(err as Error).message}`, { cause: err });
      await new Promise((r) => setTimeout(r, 500));
    }
  }
}

/** The frontend caches namespaces (refreshed every 10 s): wait until it serves this one with the attributes. */
async function waitForNamespace(address: string, namespace: string): Promise<void> {
  const deadline = Date.now() + 60_000;
  const connection = await Connection.connect({ address });
  try {
    for (;;) {
      const ok = await connection.workflowService
        .listWorkflowExecutions({
          namespace,
          pageSize: 1,
          query: ssmflowSearchAttributes.map((key) => `${key.name} = 'probe'`).join(' AND '),
        })
        .then(
          () => true,
          () => false,
        );
      if (ok) return;
      if (Date.now() > deadline)
        throw new Error(`Temporal at ${address} does not serve namespace ${namespace} with ssmflow's search attributes after 60 s`);
      await new Promise((r) => setTimeout(r, 500));
    }
  } finally {
    await connection.close();
  }
}
