// The PostgreSQL server that holds the Temporal server's persistence and visibility databases in
// `ssmflow stack`: one local server, the `temporal` role that owns both databases, and the schema
// set-up with temporal-sql-tool from the same module version as the server.
import { existsSync, mkdirSync } from 'node:fs';
import { join } from 'node:path';
import { psqlScriptArgs, runAsUser, runCommand, runningAsRoot } from './postgres-exec.js';
import { ownedDir, ownedFile, runningServer, startServer, stopProcesses, userIds } from './postgres-server.js';
import { postgresBinDir, readPostgresTools } from './postgres-tools.js';
import { postgresReachableDir } from './postgres-reachable-dir.js';
import type { TemporalServerTools } from './temporal-server-tools.js';

export const TEMPORAL_DB_USER = 'temporal';
export const TEMPORAL_DB_NAMES = { persistence: 'temporal', visibility: 'temporal_visibility' } as const;

export interface TemporalDatabase {
  readonly host: string;
  readonly port: number;
  readonly user: string;
  readonly password: string;
  readonly dataDir: string;
  /** psql as the `temporal` role over TCP, for checks on the history tables. */
  query(database: string, sql: string): Promise<string>;
  /** Fast shutdown (clients are disconnected); `start` brings it back on the same port. */
  stop(): Promise<void>;
  start(): Promise<void>;
}

export interface TemporalDatabaseOptions {
  /** Where the data dir goes (a stand-in under /var/lib/ssmflow when the OS user cannot reach it). */
  dir: string;
  port: number;
  password: string;
  /** PostgreSQL major of the project's toolsets; the oldest installed one by default. */
  major?: number;
}

/** Initialises (first time) and starts the server, with the `temporal` role able to create its databases. */
export async function startTemporalDatabase(options: TemporalDatabaseOptions): Promise<TemporalDatabase> {
  const tools = readPostgresTools();
  const major = options.major ?? Math.min(...Object.keys(tools.majors).map(Number));
  const binDir = postgresBinDir(tools, major);
  const ids = runningAsRoot() ? await userIds(tools.osUser) : undefined;
  mkdirSync(options.dir, { recursive: true });
  const root = await postgresReachableDir(options.dir, tools.osUser);
  ownedDir(root, ids);
  const dataDir = join(root, 'data');
  const socketDir = join(root, 'run');
  const what = `PostgreSQL ${major} for Temporal (${dataDir})`;
  const fresh = !existsSync(join(dataDir, 'PG_VERSION'));
  if (fresh) {
    ownedDir(dataDir, ids);
    await runAsUser(tools.osUser, join(binDir, 'initdb'), [
      '-D',
      dataDir,
      '-U',
      'postgres',
      '-E',
      'UTF8',
      '--locale=C',
      '--auth-local=trust',
      '--auth-host=scram-sha-256',
    ]);
  }
  ownedDir(socketDir, ids);
  // Rewritten on every start: the port may differ from the last run's.
  ownedFile(
    join(dataDir, 'postgresql.auto.conf'),
    [
      `port = ${options.port}`,
      "listen_addresses = '127.0.0.1'",
      `unix_socket_directories = '${socketDir}'`,
      // Four Temporal services with their own pools (deploy/temporal-server.yaml: 20 + 10 each).
      'max_connections = 300',
      '',
    ].join('\n'),
    ids,
  );
  const running = runningServer(dataDir);
  if (running) await stopProcesses([running.pid], 'SIGINT');
  await startServer(tools.osUser, binDir, dataDir, what);
  const superuserSql = (sql: string) =>
    runAsUser(
      tools.osUser,
      tools.client.psql,
      psqlScriptArgs({ host: socketDir, port: options.port, user: 'postgres', database: 'postgres' }),
      {
        input: sql,
      },
    );
  const role = `'${options.password.replace(/'/g, "''")}'`;
  await superuserSql(
    `DO $$ BEGIN IF NOT EXISTS (SELECT FROM pg_roles WHERE rolname = '${TEMPORAL_DB_USER}') THEN CREATE ROLE ${TEMPORAL_DB_USER} LOGIN CREATEDB; END IF; END $$; ALTER ROLE ${TEMPORAL_DB_USER} PASSWORD ${role};`,
  );
  return {
    host: '127.0.0.1',
    port: options.port,
    user: TEMPORAL_DB_USER,
    password: options.password,
    dataDir,
    query: (database, sql) =>
      runCommand(tools.client.psql, psqlScriptArgs({ host: '127.0.0.1', port: options.port, user: TEMPORAL_DB_USER, database }), {
        input: sql,
        env: { ...process.env, PGPASSWORD: options.password },
      }),
    stop: async () => {
      const server = runningServer(dataDir);
      if (server) await stopProcesses([server.pid], 'SIGINT');
    },
    start: () => startServer(tools.osUser, binDir, dataDir, what),
  };
}

/**
 * Creates both databases (first time) and brings their schemas to the versions the server's
 * module ships, with temporal-sql-tool: `setup-schema -v 0.0` then `update-schema`, as Temporal's
 * own admin-tools image does. Safe to repeat on databases that are already current.
 */
export async function setUpTemporalSchemas(db: TemporalDatabase, server: TemporalServerTools): Promise<void> {
  const base = ['--plugin', 'postgres12', '--ep', db.host, '-p', String(db.port), '-u', db.user];
  // The password goes by environment, never on a command line other users can read in ps.
  const env = { ...process.env, SQL_PASSWORD: db.password };
  for (const [name, versioned] of [
    [TEMPORAL_DB_NAMES.persistence, join(server.schemaDir, 'temporal', 'versioned')],
    [TEMPORAL_DB_NAMES.visibility, join(server.schemaDir, 'visibility', 'versioned')],
  ] as const) {
    const exists = (await db.query('postgres', `SELECT 1 FROM pg_database WHERE datname = '${name}'`)).trim() === '1';
    if (!exists) {
      await runCommand(server.sqlTool, [...base, '--db', name, 'create-database'], { env });
      await runCommand(server.sqlTool, [...base, '--db', name, 'setup-schema', '-v', '0.0'], { env });
    }
    await runCommand(server.sqlTool, [...base, '--db', name, 'update-schema', '-d', versioned], { env });
  }
}
