// Local PostgreSQL clusters laid out as production runs them: a primary, physical streaming
// standbys (pg_basebackup -R with a replication slot each) and a PgBouncer in front, the address
// clients use. Each part is a local fleet instance tagged Cluster=<name> and Role=primary,
// standby or pooler, laid out like a provisioned host with its sandbox as the root file system
// (fleet/agent.ts makes <stateDir>/instances/<id>/ the sandbox):
//   opt/ssmflow/postgres/      the runbook's scripts (runbooks/postgres/*.sh, copied)
//   etc/ssmflow/postgres.env   the scripts' host configuration (runbooks/postgres/README.md)
//   etc/ssmflow/pgpass         libpq password file for TCP connections (replication, PgBouncer)
//   pgdata/<major>/main        data directories (primary, standby), owned by the clusters' OS user
//   pgbouncer/                 PgBouncer's config, auth file, pid file and log (pooler)
//   run/                       the Unix socket directory
// Commands sent through the fleet start in the sandbox, so the runbook's `scriptsDir` and
// `envFile` parameters are the relative paths in `runbookParameters`.
import { createHash, randomBytes } from 'node:crypto';
import { chmodSync, copyFileSync, existsSync, mkdirSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { BucketAlreadyExists, BucketAlreadyOwnedByYou, CreateBucketCommand, S3Client } from '@aws-sdk/client-s3';
import { freePort } from './free-port.js';
import { startPgbouncer, stopPgbouncer } from './pgbouncer.js';
import { preferredPort } from './port-available.js';
import { projectRoot } from './project-root.js';
import { psqlScriptArgs, runAsUser, runningAsRoot } from './postgres-exec.js';
import { seedAppSql, seedGlobalsSql, seedReportingSql } from './postgres-seed.js';
import {
  dataDirs,
  ownedDir,
  ownedFile,
  runningServer,
  serverConfText,
  startServer,
  stopServersUnder,
  type OwnerIds,
  userIds,
} from './postgres-server.js';
import { type PostgresTools, postgresBinDir, readPostgresTools } from './postgres-tools.js';
import { shellQuote } from '../runbook/shell-quote.js';

export const LOCAL_SCRIPTS_DIR = 'opt/ssmflow/postgres';
export const LOCAL_ENV_FILE = 'etc/ssmflow/postgres.env';
/** The database superuser of local clusters. */
export const LOCAL_SUPERUSER = 'postgres';
const SEEDED_MARKER = 'ssmflow-local-seeded';
const SCRIPTS_SOURCE = join(projectRoot, 'runbooks', 'postgres');
// Unix socket paths are limited to 107 bytes; deep state dirs get a socket dir under /tmp.
const MAX_SOCKET_DIR_LENGTH = 80;

export type LocalRole = 'primary' | 'standby' | 'pooler';

export interface LocalPostgresClusterOptions {
  /** Cluster name: the `Cluster` tag of its instances and the runbook's `cluster` parameter. */
  cluster: string;
  /** The local fleet's state dir; sandboxes are `<stateDir>/instances/<id>/`. */
  stateDir: string;
  /** Streaming standbys of the primary. Default 1; 0 makes a cluster without one. */
  standbys?: number;
  /** A PgBouncer in front of the primary. Default true. */
  pooler?: boolean;
  /** Major version the cluster starts on. Default 16. */
  fromVersion?: number;
  /** S3 emulator for the backup step (unsigned curl uploads). Without it the scripts use the aws CLI. */
  s3Endpoint?: string;
  /** Bucket to create on `s3Endpoint` for backups. */
  backupBucket?: string;
  /** Multiplies the seeded row counts (1 ≈ 45,000 rows). Default 1. */
  seedScale?: number;
}

/** A fleet instance of a local cluster. */
export interface LocalMember {
  instanceId: string;
  role: LocalRole;
  sandboxDir: string;
  envFile: string;
  socketDir: string;
  /** Where clients reach it on 127.0.0.1: the server's port, or PgBouncer's. */
  port: number;
  /** Where the test-only failure switch looks for `fail-<step>` files. */
  failDir: string;
}

/** A member running PostgreSQL (the primary or a standby). */
export interface LocalServerMember extends LocalMember {
  role: 'primary' | 'standby';
  dataRoot: string;
  /** Data directory of the source-major server. */
  sourceDataDir: string;
  /** Where the upgrade runs a server beside the live one (migrate, pg_upgrade). */
  stagingPort: number;
}

/** A fleet config `instances:` entry. */
export interface LocalFleetInstance {
  id: string;
  tags: { Cluster: string; Role: LocalRole };
}

export interface LocalPostgresCluster {
  cluster: string;
  fromVersion: number;
  stateDir: string;
  osUser: string;
  /** Password of the `postgres` superuser for TCP connections (the servers and PgBouncer). */
  superuserPassword: string;
  /** Entries for the fleet config's `instances:` (or POST /_fleet/instances). */
  instances: LocalFleetInstance[];
  members: LocalMember[];
  primary: LocalServerMember;
  standbys: LocalServerMember[];
  pooler?: LocalMember;
  /** The port clients use: PgBouncer's when there is one, else the primary's. */
  clientPort: number;
  /** Runbook parameters that point the scripts at this layout. */
  runbookParameters: { cluster: string; fromVersion: number; scriptsDir: string; envFile: string };
  /** Stops every server and PgBouncer of the cluster (data stays). */
  stop(): Promise<void>;
}

interface ClusterRecord {
  cluster: string;
  fromVersion: number;
  superuserPassword: string;
  members: Array<{ instanceId: string; role: LocalRole; port: number; stagingPort?: number }>;
}

/** Deterministic instance id (`i-` + 17 hex digits) for member `index` of a cluster. */
export function localInstanceId(cluster: string, index: number): string {
  const hash = createHash('sha256').update(cluster).digest('hex').slice(0, 13);
  return `i-${hash}${index.toString(16).padStart(4, '0')}`;
}

/** The replication slot a standby streams through, on whichever server is primary. */
export const standbySlotName = (instanceId: string): string => `ssmflow_${instanceId.replace(/-/g, '_')}`;

function recordPath(stateDir: string, cluster: string): string {
  return join(stateDir, 'postgres-clusters', `${cluster}.json`);
}

function readRecord(stateDir: string, cluster: string): ClusterRecord | undefined {
  try {
    return JSON.parse(readFileSync(recordPath(stateDir, cluster), 'utf8')) as ClusterRecord;
  } catch {
    return undefined;
  }
}

/** Names of the local clusters recorded in a fleet state dir. */
export function localClusterNames(stateDir: string): string[] {
  const dir = join(stateDir, 'postgres-clusters');
  if (!existsSync(dir)) return [];
  return readdirSync(dir)
    .filter((f) => f.endsWith('.json'))
    .map((f) => f.slice(0, -'.json'.length))
    .sort();
}

async function distinctFreePort(taken: Set<number>, preferred?: number): Promise<number> {
  if (preferred !== undefined && !taken.has(preferred)) {
    const port = await preferredPort(preferred);
    if (!taken.has(port)) return port;
  }
  for (;;) {
    const port = await freePort();
    if (!taken.has(port)) return port;
  }
}

function socketDirFor(sandboxDir: string): string {
  const dir = join(sandboxDir, 'run');
  return dir.length > MAX_SOCKET_DIR_LENGTH
    ? join('/tmp', `ssmflow-pg-${createHash('sha256').update(sandboxDir).digest('hex').slice(0, 12)}`)
    : dir;
}

function memberBase(stateDir: string, instanceId: string, role: LocalRole, port: number): LocalMember {
  const sandboxDir = join(stateDir, 'instances', instanceId);
  return {
    instanceId,
    role,
    sandboxDir,
    envFile: join(sandboxDir, LOCAL_ENV_FILE),
    socketDir: socketDirFor(sandboxDir),
    port,
    failDir: sandboxDir,
  };
}

function serverMember(
  stateDir: string,
  instanceId: string,
  role: 'primary' | 'standby',
  fromVersion: number,
  ports: { port: number; stagingPort: number },
): LocalServerMember {
  const base = memberBase(stateDir, instanceId, role, ports.port);
  const dataRoot = join(base.sandboxDir, 'pgdata');
  return { ...base, role, dataRoot, sourceDataDir: join(dataRoot, String(fromVersion), 'main'), stagingPort: ports.stagingPort };
}

const passFile = (member: LocalMember) => join(member.sandboxDir, 'etc', 'ssmflow', 'pgpass');

function envFileText(member: LocalMember, tools: PostgresTools, cluster: string, extra: string[]): string {
  const lines = [
    `# Host configuration for ssmflow's postgres-major-upgrade scripts (runbooks/postgres/README.md).`,
    `# Local cluster ${cluster}, instance ${member.instanceId} (${member.role}); written by local/postgres-cluster.ts.`,
    `PG_ROLE=${member.role}`,
    `PG_OS_USER=${shellQuote(tools.osUser)}`,
    `PG_SUPERUSER=${LOCAL_SUPERUSER}`,
    `PG_SOCKET_DIR=${shellQuote(member.socketDir)}`,
    `PG_PASSFILE=${shellQuote(passFile(member))}`,
    ...Object.entries(tools.majors).map(([major, entry]) => `PG_BIN_${major}=${shellQuote(entry.binDir)}`),
    `PG_CLIENT_BIN=${shellQuote(join(tools.client.psql, '..'))}`,
    ...extra,
    `# Test-only: a file fail-<step> in this directory makes that step fail (local clusters only).`,
    `SSMFLOW_TEST_FAIL_DIR=${shellQuote(member.failDir)}`,
  ];
  return lines.join('\n') + '\n';
}

function serverEnvLines(
  member: LocalServerMember,
  primary: LocalServerMember,
  s3Endpoint: string | undefined,
  targetConf: string,
): string[] {
  return [
    `PG_PORT=${member.port}`,
    `PG_STAGING_PORT=${member.stagingPort}`,
    `PG_LISTEN_ADDRESSES=127.0.0.1`,
    `PG_DATA_ROOT=${shellQuote(member.dataRoot)}`,
    `PG_TARGET_CONF=${shellQuote(targetConf)}`,
    `PG_PRIMARY_HOST=127.0.0.1`,
    `PG_PRIMARY_PORT=${primary.port}`,
    ...(member.role === 'standby'
      ? [`PG_REPLICATION_SLOT=${standbySlotName(member.instanceId)}`, `PG_PRIMARY_NEW_PORT=${primary.stagingPort}`]
      : []),
    ...(s3Endpoint ? [`S3_UPLOAD=curl`, `S3_ENDPOINT=${shellQuote(s3Endpoint)}`] : []),
  ];
}

// Settings for small, disposable local clusters: also given to the target through PG_TARGET_CONF.
const LOCAL_SERVER_SETTINGS = `# Local development clusters only: small and fast, not durable.
shared_buffers = 64MB
max_connections = 60
fsync = off
synchronous_commit = off
full_page_writes = off
max_wal_size = 2GB
# Logical replication, for the upgrade's online strategy (both directions).
wal_level = logical
max_replication_slots = 20
max_wal_senders = 20
max_worker_processes = 16
max_logical_replication_workers = 10
wal_receiver_status_interval = 1s
`;

function installScripts(member: LocalMember): void {
  const target = join(member.sandboxDir, LOCAL_SCRIPTS_DIR);
  mkdirSync(target, { recursive: true });
  for (const file of readdirSync(SCRIPTS_SOURCE).filter((name) => name.endsWith('.sh'))) {
    copyFileSync(join(SCRIPTS_SOURCE, file), join(target, file));
    chmodSync(join(target, file), 0o755);
  }
}

/** Sandbox, scripts, password file and env file of one member (everything but its server). */
function prepareHost(member: LocalMember, ids: OwnerIds, password: string, envText: (targetConf: string) => string): void {
  mkdirSync(member.sandboxDir, { recursive: true });
  if (ids) chmodSync(member.sandboxDir, 0o711);
  installScripts(member);
  const etcDir = join(member.sandboxDir, 'etc', 'ssmflow');
  mkdirSync(etcDir, { recursive: true });
  chmodSync(etcDir, 0o755);
  const targetConf = join(etcDir, 'postgresql-local.conf');
  writeFileSync(targetConf, LOCAL_SERVER_SETTINGS, { mode: 0o644 });
  ownedFile(passFile(member), `127.0.0.1:*:*:${LOCAL_SUPERUSER}:${password}\n`, ids);
  ownedDir(member.socketDir, ids);
  writeFileSync(member.envFile, envText(targetConf), { mode: 0o644 });
}

/** psql as the OS user over the member's socket; stops on the first error. */
export async function psqlOnServer(tools: PostgresTools, member: LocalMember, database: string, sql: string): Promise<string> {
  const to = { host: member.socketDir, port: member.port, user: LOCAL_SUPERUSER, database };
  return runAsUser(tools.osUser, tools.client.psql, psqlScriptArgs(to), { input: sql });
}

/** On disk, the primary holds only its seeded source cluster (no upgrade left anything behind). */
function primaryLooksReusable(member: LocalServerMember, fromVersion: number): boolean {
  if (!existsSync(join(member.dataRoot, SEEDED_MARKER))) return false;
  let version: string;
  try {
    version = readFileSync(join(member.sourceDataDir, 'PG_VERSION'), 'utf8').trim();
  } catch {
    return false;
  }
  return (
    version === String(fromVersion) && dataDirs(member.dataRoot).length === 1 && !existsSync(join(member.sourceDataDir, 'standby.signal'))
  );
}

function standbyLooksReusable(member: LocalServerMember, fromVersion: number): boolean {
  try {
    return (
      readFileSync(join(member.sourceDataDir, 'PG_VERSION'), 'utf8').trim() === String(fromVersion) &&
      existsSync(join(member.sourceDataDir, 'standby.signal')) &&
      dataDirs(member.dataRoot).length === 1
    );
  } catch {
    return false;
  }
}

async function startIfStopped(tools: PostgresTools, member: LocalServerMember, fromVersion: number, ids: OwnerIds): Promise<void> {
  if (runningServer(member.sourceDataDir)) return;
  // The recorded ports may have been taken meanwhile: write the current ones first.
  ownedFile(join(member.sourceDataDir, 'ssmflow.conf'), serverConfText(member.port, member.socketDir), ids);
  await startServer(
    tools.osUser,
    postgresBinDir(tools, fromVersion),
    member.sourceDataDir,
    `PostgreSQL ${fromVersion} (${member.role}) of ${member.instanceId}`,
  );
}

async function buildPrimary(
  tools: PostgresTools,
  member: LocalServerMember,
  fromVersion: number,
  ids: OwnerIds,
  password: string,
  seedScale: number,
): Promise<void> {
  ownedDir(member.dataRoot, ids);
  ownedDir(join(member.dataRoot, String(fromVersion)), ids);
  await runAsUser(tools.osUser, 'test', ['-w', member.dataRoot]).catch(() => {
    throw new Error(
      `${tools.osUser} cannot write ${member.dataRoot}: every directory above it must be traversable by other users (chmod o+x).`,
    );
  });
  const binDir = postgresBinDir(tools, fromVersion);
  await runAsUser(tools.osUser, join(binDir, 'initdb'), [
    '-D',
    member.sourceDataDir,
    '-U',
    LOCAL_SUPERUSER,
    '-E',
    'UTF8',
    '--locale=C',
    '--auth-local=peer',
    '--auth-host=scram-sha-256',
  ]);
  // The OS user connects over the socket as the postgres role (peer with a map), as `sudo -u
  // postgres psql` does on a packaged host; TCP on loopback (standbys, PgBouncer) needs the password.
  ownedFile(
    join(member.sourceDataDir, 'pg_hba.conf'),
    [
      'local all all peer map=ssmflow',
      'host all all 127.0.0.1/32 scram-sha-256',
      'host replication all 127.0.0.1/32 scram-sha-256',
      'host all all ::1/128 scram-sha-256',
      '',
    ].join('\n'),
    ids,
  );
  ownedFile(
    join(member.sourceDataDir, 'pg_ident.conf'),
    `ssmflow ${tools.osUser} ${LOCAL_SUPERUSER}\nssmflow ${tools.osUser} ${tools.osUser}\n`,
    ids,
  );
  const conf = join(member.sourceDataDir, 'postgresql.conf');
  const targetConf = join(member.sandboxDir, 'etc', 'ssmflow', 'postgresql-local.conf');
  writeFileSync(conf, readFileSync(conf, 'utf8') + `\ninclude '${targetConf}'\n\ninclude_if_exists = 'ssmflow.conf'\n`);
  ownedFile(join(member.sourceDataDir, 'ssmflow.conf'), serverConfText(member.port, member.socketDir), ids);
  await startServer(tools.osUser, binDir, member.sourceDataDir, `PostgreSQL ${fromVersion} (primary) of ${member.instanceId}`);
  await psqlOnServer(tools, member, 'postgres', seedGlobalsSql);
  await psqlOnServer(tools, member, 'app', seedAppSql(seedScale));
  await psqlOnServer(tools, member, 'reporting', seedReportingSql);
  await psqlOnServer(tools, member, 'postgres', `ALTER ROLE ${LOCAL_SUPERUSER} PASSWORD '${password}';\nCHECKPOINT;`);
  ownedFile(join(member.dataRoot, SEEDED_MARKER), `seeded ${new Date().toISOString()}\n`, ids);
}

/** A fresh standby of the primary: pg_basebackup -R through its own slot, then its own port. */
async function buildStandby(
  tools: PostgresTools,
  member: LocalServerMember,
  primary: LocalServerMember,
  fromVersion: number,
  ids: OwnerIds,
): Promise<void> {
  const slot = standbySlotName(member.instanceId);
  await psqlOnServer(
    tools,
    primary,
    'postgres',
    `SELECT pg_drop_replication_slot(slot_name) FROM pg_replication_slots WHERE slot_name = '${slot}' AND NOT active;`,
  );
  ownedDir(member.dataRoot, ids);
  ownedDir(join(member.dataRoot, String(fromVersion)), ids);
  const binDir = postgresBinDir(tools, fromVersion);
  await runAsUser(tools.osUser, join(binDir, 'pg_basebackup'), [
    '-D',
    member.sourceDataDir,
    '-R',
    '-C',
    '-S',
    slot,
    '-X',
    'stream',
    '-c',
    'fast',
    '-d',
    `host=127.0.0.1 port=${primary.port} user=${LOCAL_SUPERUSER} passfile=${passFile(member)} application_name=${member.instanceId}`,
  ]);
  // The copy carries the primary's port and socket dir.
  ownedFile(join(member.sourceDataDir, 'ssmflow.conf'), serverConfText(member.port, member.socketDir), ids);
  await startServer(tools.osUser, binDir, member.sourceDataDir, `PostgreSQL ${fromVersion} (standby) of ${member.instanceId}`);
}

/** Waits until a standby's WAL receiver streams from the primary. */
export async function waitForStreaming(tools: PostgresTools, member: LocalMember, timeoutMs = 60_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  let status = '';
  while (Date.now() < deadline) {
    status = (await psqlOnServer(tools, member, 'postgres', 'SELECT status FROM pg_stat_wal_receiver').catch(() => '')).trim();
    if (status === 'streaming') return;
    await new Promise((r) => setTimeout(r, 200));
  }
  throw new Error(
    `standby ${member.instanceId} on port ${member.port} is not streaming after ${timeoutMs / 1000} s (WAL receiver: ${status || 'none'})`,
  );
}

async function ensureBucket(endpoint: string, bucket: string): Promise<void> {
  const s3 = new S3Client({
    endpoint,
    region: process.env.AWS_REGION ?? 'us-east-1',
    forcePathStyle: true,
    credentials: {
      accessKeyId: process.env.AWS_ACCESS_KEY_ID ?? 'ssmflow-local',
      secretAccessKey: process.env.AWS_SECRET_ACCESS_KEY ?? 'ssmflow-local',
    },
  });
  try {
    await s3.send(new CreateBucketCommand({ Bucket: bucket }));
  } catch (err) {
    if (!(err instanceof BucketAlreadyOwnedByYou || err instanceof BucketAlreadyExists)) throw err;
  } finally {
    s3.destroy();
  }
}

/**
 * Creates (or brings back) a local cluster: a seeded primary of `fromVersion`, its streaming
 * standbys and a PgBouncer in front, each in its fleet sandbox. Idempotent: a primary that still
 * holds its seeded, writable source cluster is reused (started if stopped), and so are standbys
 * still streaming from it; anything an earlier upgrade changed is rebuilt.
 */
export async function createLocalPostgresCluster(options: LocalPostgresClusterOptions): Promise<LocalPostgresCluster> {
  const { cluster, stateDir } = options;
  if (!/^[a-z0-9-]+$/.test(cluster))
    throw new Error(`cluster name ${JSON.stringify(cluster)} must match ^[a-z0-9-]+$ (lowercase letters, digits, -)`);
  const standbyCount = options.standbys ?? 1;
  if (!Number.isInteger(standbyCount) || standbyCount < 0 || standbyCount > 8)
    throw new Error(`standbys must be an integer from 0 to 8 (got ${standbyCount})`);
  const fromVersion = options.fromVersion ?? 16;
  const tools = readPostgresTools();
  postgresBinDir(tools, fromVersion);
  const withPooler = options.pooler ?? true;
  if (withPooler && !tools.pgbouncer)
    throw new Error(
      'PgBouncer is not installed: run `npm run tools` (it installs Debian pgbouncer), or create the cluster with pooler: false.',
    );
  const ids = runningAsRoot() ? await userIds(tools.osUser) : undefined;
  const previous = readRecord(stateDir, cluster);
  const superuserPassword = previous?.superuserPassword ?? randomBytes(12).toString('hex');
  if (options.s3Endpoint && options.backupBucket) await ensureBucket(options.s3Endpoint, options.backupBucket);

  // The clusters' OS user must be able to reach its data inside the (possibly private) state dir.
  mkdirSync(join(stateDir, 'instances'), { recursive: true });
  if (ids) for (const dir of [stateDir, join(stateDir, 'instances')]) chmodSync(dir, 0o711);

  const taken = new Set<number>();
  const recordedPorts = (instanceId: string) => previous?.members.find((m) => m.instanceId === instanceId);
  async function ports(instanceId: string, live?: number): Promise<{ port: number; stagingPort: number }> {
    const recorded = recordedPorts(instanceId);
    const port = live ?? (await distinctFreePort(taken, recorded?.port));
    taken.add(port);
    const stagingPort = await distinctFreePort(taken, recorded?.stagingPort);
    taken.add(stagingPort);
    return { port, stagingPort };
  }

  // The primary: reused when it still holds the seeded source cluster, else rebuilt from scratch.
  const primaryId = localInstanceId(cluster, 1);
  const probe = serverMember(stateDir, primaryId, 'primary', fromVersion, { port: 0, stagingPort: 0 });
  const reusePrimary = primaryLooksReusable(probe, fromVersion);
  if (!reusePrimary) {
    await stopServersUnder(probe.dataRoot);
    rmSync(probe.dataRoot, { recursive: true, force: true });
  }
  const primary = serverMember(
    stateDir,
    primaryId,
    'primary',
    fromVersion,
    await ports(primaryId, runningServer(probe.sourceDataDir)?.port),
  );
  prepareHost(primary, ids, superuserPassword, (targetConf) =>
    envFileText(primary, tools, cluster, serverEnvLines(primary, primary, options.s3Endpoint, targetConf)),
  );
  let primaryFresh = !reusePrimary;
  if (reusePrimary) {
    await startIfStopped(tools, primary, fromVersion, ids);
    // Left read-only by an interrupted upgrade, or from before logical replication was on: start over.
    const settings = (
      await psqlOnServer(
        tools,
        primary,
        'postgres',
        "SELECT current_setting('default_transaction_read_only') || ' ' || current_setting('wal_level')",
      )
    ).trim();
    primaryFresh = settings !== 'off logical';
    if (primaryFresh) {
      await stopServersUnder(primary.dataRoot);
      rmSync(primary.dataRoot, { recursive: true, force: true });
    }
  }
  if (primaryFresh) await buildPrimary(tools, primary, fromVersion, ids, superuserPassword, options.seedScale ?? 1);

  const standbys: LocalServerMember[] = [];
  for (let n = 0; n < standbyCount; n++) {
    const instanceId = localInstanceId(cluster, 2 + n);
    const standbyProbe = serverMember(stateDir, instanceId, 'standby', fromVersion, { port: 0, stagingPort: 0 });
    const reuse = !primaryFresh && standbyLooksReusable(standbyProbe, fromVersion);
    if (!reuse) {
      await stopServersUnder(standbyProbe.dataRoot);
      rmSync(standbyProbe.dataRoot, { recursive: true, force: true });
    }
    const standby = serverMember(
      stateDir,
      instanceId,
      'standby',
      fromVersion,
      await ports(instanceId, runningServer(standbyProbe.sourceDataDir)?.port),
    );
    prepareHost(standby, ids, superuserPassword, (targetConf) =>
      envFileText(standby, tools, cluster, serverEnvLines(standby, primary, options.s3Endpoint, targetConf)),
    );
    if (reuse) await startIfStopped(tools, standby, fromVersion, ids);
    else await buildStandby(tools, standby, primary, fromVersion, ids);
    standbys.push(standby);
  }
  // A standby that is not streaming (its slot was lost, say) is rebuilt once.
  for (const standby of standbys) {
    try {
      await waitForStreaming(tools, standby, 15_000);
    } catch {
      await stopServersUnder(standby.dataRoot);
      rmSync(standby.dataRoot, { recursive: true, force: true });
      await buildStandby(tools, standby, primary, fromVersion, ids);
      await waitForStreaming(tools, standby);
    }
  }

  let pooler: LocalMember | undefined;
  if (withPooler && tools.pgbouncer) {
    const instanceId = localInstanceId(cluster, 2 + standbyCount);
    const port = await distinctFreePort(taken, recordedPorts(instanceId)?.port);
    taken.add(port);
    pooler = memberBase(stateDir, instanceId, 'pooler', port);
    const poolerDir = join(pooler.sandboxDir, 'pgbouncer');
    const member = pooler;
    prepareHost(member, ids, superuserPassword, () =>
      envFileText(member, tools, cluster, [
        `PGBOUNCER_PORT=${port}`,
        `PGBOUNCER_DIR=${shellQuote(poolerDir)}`,
        `PG_PRIMARY_HOST=127.0.0.1`,
        `PG_PRIMARY_PORT=${primary.port}`,
        `PG_PRIMARY_STAGING_PORT=${primary.stagingPort}`,
      ]),
    );
    ownedDir(poolerDir, ids);
    // A PgBouncer left from an earlier cluster of this name may listen elsewhere: start afresh.
    await stopPgbouncer({ dir: poolerDir });
    await startPgbouncer({
      binary: tools.pgbouncer.path,
      osUser: tools.osUser,
      ids,
      superuser: LOCAL_SUPERUSER,
      password: superuserPassword,
      layout: { dir: poolerDir, socketDir: member.socketDir, port, primaryPort: primary.port },
    });
  }

  const members: LocalMember[] = [primary, ...standbys, ...(pooler ? [pooler] : [])];
  const record: ClusterRecord = {
    cluster,
    fromVersion,
    superuserPassword,
    members: members.map((m) => ({
      instanceId: m.instanceId,
      role: m.role,
      port: m.port,
      ...('stagingPort' in m ? { stagingPort: (m as LocalServerMember).stagingPort } : {}),
    })),
  };
  mkdirSync(join(stateDir, 'postgres-clusters'), { recursive: true });
  writeFileSync(recordPath(stateDir, cluster), JSON.stringify(record, null, 2) + '\n', { mode: 0o600 });

  return {
    cluster,
    fromVersion,
    stateDir,
    osUser: tools.osUser,
    superuserPassword,
    instances: members.map((m) => ({ id: m.instanceId, tags: { Cluster: cluster, Role: m.role } })),
    members,
    primary,
    standbys,
    ...(pooler ? { pooler } : {}),
    clientPort: pooler?.port ?? primary.port,
    runbookParameters: { cluster, fromVersion, scriptsDir: LOCAL_SCRIPTS_DIR, envFile: LOCAL_ENV_FILE },
    stop: () => stopLocalPostgresCluster({ stateDir, cluster }),
  };
}

/** Stops every server (source and any target an upgrade started) and the PgBouncer of a local cluster. */
export async function stopLocalPostgresCluster(options: { stateDir: string; cluster: string }): Promise<void> {
  const record = readRecord(options.stateDir, options.cluster);
  if (!record) return;
  await Promise.all(
    record.members.map((m) => {
      const sandbox = join(options.stateDir, 'instances', m.instanceId);
      return m.role === 'pooler' ? stopPgbouncer({ dir: join(sandbox, 'pgbouncer') }) : stopServersUnder(join(sandbox, 'pgdata'));
    }),
  );
}

/** Stops a local cluster and deletes its sandboxes and record. */
export async function removeLocalPostgresCluster(options: { stateDir: string; cluster: string }): Promise<void> {
  const record = readRecord(options.stateDir, options.cluster);
  if (!record) return;
  await stopLocalPostgresCluster(options);
  for (const m of record.members) rmSync(join(options.stateDir, 'instances', m.instanceId), { recursive: true, force: true });
  rmSync(recordPath(options.stateDir, options.cluster), { force: true });
}

/** Turns the test-only failure switch of one step on or off for every member of a cluster. */
export function setInjectedFailure(cluster: Pick<LocalPostgresCluster, 'members'>, step: string, fail: boolean): void {
  if (!/^[a-z-]+$/.test(step)) throw new Error(`not a step script name: ${step}`);
  for (const member of cluster.members) {
    const file = join(member.failDir, `fail-${step}`);
    if (fail) writeFileSync(file, 'injected by setInjectedFailure\n');
    else rmSync(file, { force: true });
  }
}
