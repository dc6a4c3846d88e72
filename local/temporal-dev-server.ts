import { spawnSync } from 'node:child_process';
import { existsSync, mkdirSync } from 'node:fs';
import { dirname } from 'node:path';
import { Connection } from '@temporalio/client';
import { ssmflowSearchAttributes } from '../workflows/search-attributes.js';
import { readToolsManifest } from './tools.js';
import { freePort } from './free-port.js';
import { spawnManaged, waitUntilReady } from './child-process.js';

export interface TemporalDevServer {
  /** host:port for TEMPORAL_ADDRESS. */
  readonly address: string;
  /** The Web UI, when started with one. */
  readonly uiUrl?: string;
  readonly namespace: string;
  stop(): Promise<void>;
}

export interface TemporalDevServerOptions {
  port?: number;
  /** SQLite file; in-memory when omitted (tests). */
  dbFile?: string;
  /** Serve the Web UI on this port (0 = headless). */
  uiPort?: number;
  namespace?: string;
}

const searchAttributeFlags = ssmflowSearchAttributes.flatMap((k) => ['--search-attribute', `${k.name}=Keyword`]);

/** Starts `temporal server start-dev` on loopback with ssmflow's search attributes registered. */
export async function startTemporalDevServer(options: TemporalDevServerOptions = {}): Promise<TemporalDevServer> {
  const { temporal } = readToolsManifest();
  const port = options.port ?? (await freePort());
  const namespace = options.namespace ?? 'default';
  const reusingDb = options.dbFile !== undefined && existsSync(options.dbFile);
  const args = ['server', 'start-dev', '--ip', '127.0.0.1', '--port', String(port), '--log-level', 'warn', '--namespace', namespace];
  if (options.dbFile) {
    mkdirSync(dirname(options.dbFile), { recursive: true });
    args.push('--db-filename', options.dbFile);
  }
  args.push(...(options.uiPort ? ['--ui-port', String(options.uiPort)] : ['--headless']));
  args.push(...searchAttributeFlags);
  const proc = spawnManaged(temporal.path, args);
  const address = `127.0.0.1:${port}`;
  await waitUntilReady(
    'Temporal dev server',
    proc,
    async () => {
      const connection = await Connection.connect({ address, connectTimeout: 1_000 });
      try {
        await connection.workflowService.describeNamespace({ namespace });
        return true;
      } finally {
        await connection.close();
      }
    },
    60_000,
  );
  // An existing SQLite file keeps its namespace as it was: register attributes added since.
  if (reusingDb) registerSearchAttributes(temporal.path, address, namespace);
  return {
    address,
    namespace,
    uiUrl: options.uiPort ? `http://127.0.0.1:${options.uiPort}` : undefined,
    stop: () => proc.stop(),
  };
}

function registerSearchAttributes(cli: string, address: string, namespace: string): void {
  for (const key of ssmflowSearchAttributes) {
    const res = spawnSync(
      cli,
      ['operator', 'search-attribute', 'create', '--address', address, '--namespace', namespace, '--name', key.name, '--type', 'Keyword'],
      { encoding: 'utf8' },
    );
    if (res.status !== 0 && !/already exists/i.test(`${res.stderr}${res.stdout}`)) {
      throw new Error(`Could not register search attribute ${key.name}: ${res.stderr || res.stdout}`);
    }
  }
}
