// Local PostgreSQL clusters for the postgres-major-upgrade runbook: each member is a local fleet
// instance (sandbox <stateDir>/instances/<id>/, as fleet/agent.ts lays it out) laid out like a
// provisioned host, with the sandbox standing in for its root file system:
//   opt/ssmflow/postgres/      the runbook's scripts (runbooks/postgres/*.sh, copied)
//   etc/ssmflow/postgres.env   the scripts' host configuration
//   pgdata/<major>/main        data directories, owned by the clusters' OS user
//   run/                       the Unix socket directory
// Commands sent through the fleet start in the sandbox, so the runbook's `scriptsDir` and
// `envFile` parameters are the relative paths in `runbookParameters`.
import { createHash, randomBytes } from 'node:crypto';
import { chmodSync, chownSync, copyFileSync, existsSync, mkdirSync, readFileSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { BucketAlreadyExists, BucketAlreadyOwnedByYou, CreateBucketCommand, S3Client } from '@aws-sdk/client-s3';
import { freePort } from './free-port.js';
import { preferredPort } from './port-available.js';
import { projectRoot } from './project-root.js';
import { runAsUser, runCommand, runningAsRoot } from './postgres-exec.js';
import { seedAppSql, seedGlobalsSql, seedReportingSql } from './postgres-seed.js';
import { type PostgresTools, postgresBinDir, readPostgresTools } from './postgres-tools.js';

export const LOCAL_SCRIPTS_DIR = 'opt/ssmflow/postgres';
export const LOCAL_ENV_FILE = 'etc/ssmflow/postgres.env';
/** The database superuser of local clusters. */
export const LOCAL_SUPERUSER = 'postgres';
const SEEDED_MARKER = 'ssmflow-local-seeded';
const SCRIPTS_SOURCE = join(projectRoot, 'runbooks', 'postgres');
// Unix socket paths are limited to 107 bytes; deep state dirs get a socket dir under /tmp.
const MAX_SOCKET_DIR_LENGTH = 80;

export interface LocalPostgresClusterOptions {
  /** Cluster name: the `Cluster` tag of its instances and the runbook's `cluster` parameter. */
  cluster: string;
  /** The local fleet's state dir; sandboxes are `<stateDir>/instances/<id>/`. */
  stateDir: string;
  /** Fleet instances, each running its own server: the first is the primary, the others replicas. Default 1. */
  instances?: number;
  /** Major version the clusters start on. Default 15. */
  fromVersion?: number;
  /** S3 emulator for the backup step (unsigned curl uploads). Without it the scripts use the aws CLI. */
  s3Endpoint?: string;
  /** Bucket to create on `s3Endpoint` for backups. */
  backupBucket?: string;
  /** Multiplies the seeded row counts (1 ≈ 45,000 rows). Default 1. */
  seedScale?: number;
}

/** One fleet instance of a local cluster. */
export interface LocalPostgresMember {
  instanceId: string;
  role: 'primary' | 'replica';
  sandboxDir: string;
  envFile: string;
  dataRoot: string;
  /** Data directory of the source-major cluster. */
  sourceDataDir: string;
  socketDir: string;
  /** The service port (127.0.0.1). */
  port: number;
  /** Where migrate starts the target cluster before cutover. */
  stagingPort: number;
  /** Where the test-only failure switch looks for `fail-<step>` files. */
  failDir: string;
}

/** A fleet config `instances:` entry. */
export interface LocalFleetInstance {
  id: string;
  tags: { Cluster: string; Role: 'primary' | 'replica' };
}

export interface LocalPostgresCluster {
  cluster: string;
  fromVersion: number;
  stateDir: string;
  osUser: string;
  /** Password of the `postgres` superuser for TCP connections to 127.0.0.1:<port>. */
  superuserPassword: string;
  /** Entries for the fleet config's `instances:`. */
  instances: LocalFleetInstance[];
  members: LocalPostgresMember[];
  /** Runbook parameters that point the scripts at this layout. */
  runbookParameters: { cluster: string; fromVersion: number; scriptsDir: string; envFile: string };
  /** Stops every PostgreSQL server of the cluster (source and any target the runbook started). */
  stop(): Promise<void>;
}

interface ClusterRecord {
  cluster: string;
  fromVersion: number;
  superuserPassword: string;
  members: Array<{ instanceId: string; port: number; stagingPort: number }>;
}

/** Deterministic instance id (`i-` + 17 hex digits) for member `index` of a cluster. */
export function localInstanceId(cluster: string, index: number): string {
  const hash = createHash('sha256').update(cluster).digest('hex').slice(0, 13);
  return `i-${hash}${index.toString(16).padStart(4, '0')}`;
}

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

function shellQuote(value: string): string {
  return `'${value.replace(/'/g, `'\\''`)}'`;
}

async function userIds(osUser: string): Promise<{ uid: number; gid: number }> {
  const uid = Number((await runCommand('id', ['-u', osUser])).trim());
  const gid = Number((await runCommand('id', ['-g', osUser])).trim());
  return { uid, gid };
}

/** A directory owned by the OS user, mode 0700 (PostgreSQL insists on it for data dirs). */
function ownedDir(path: string, ids: { uid: number; gid: number } | undefined): void {
  mkdirSync(path, { recursive: true });
  if (ids) chownSync(path, ids.uid, ids.gid);
  chmodSync(path, 0o700);
}

function ownedFile(path: string, text: string, ids: { uid: number; gid: number } | undefined, mode = 0o600): void {
  writeFileSync(path, text);
  if (ids) chownSync(path, ids.uid, ids.gid);
  chmodSync(path, mode);
}

/** The postmaster pid and port of a data dir, when its postmaster.pid names a live process. */
function runningServer(dataDir: string): { pid: number; port: number } | undefined {
  let lines: string[];
  try {
    lines = readFileSync(join(dataDir, 'postmaster.pid'), 'utf8').split('\n');
  } catch {
    return undefined;
  }
  const pid = Number(lines[0]);
  const port = Number(lines[3]);
  if (!Number.isInteger(pid) || pid <= 0) return undefined;
  try {
    process.kill(pid, 0);
  } catch {
    return undefined;
  }
  return { pid, port };
}

/** Every data dir under a member's data root (`<major>/main`). */
function dataDirs(dataRoot: string): string[] {
  if (!existsSync(dataRoot)) return [];
  return readdirSync(dataRoot)
    .filter((entry) => /^\d+$/.test(entry))
    .map((major) => join(dataRoot, major, 'main'))
    .filter((dir) => existsSync(join(dir, 'PG_VERSION')));
}

/** Fast shutdown (SIGINT, as `pg_ctl stop -m fast`) of every server under a data root; waits until each is gone. */
async function stopServersUnder(dataRoot: string): Promise<void> {
  const pids = dataDirs(dataRoot)
    .map(runningServer)
    .filter((server): server is { pid: number; port: number } => server !== undefined)
    .map((server) => server.pid);
  for (const pid of pids) {
    try {
      process.kill(pid, 'SIGINT');
    } catch {
      // already gone
    }
  }
  const deadline = Date.now() + 60_000;
  for (const pid of pids) {
    for (;;) {
      try {
        process.kill(pid, 0);
      } catch {
        break;
      }
      if (Date.now() > deadline) {
        process.kill(pid, 'SIGKILL');
        break;
      }
      await new Promise((r) => setTimeout(r, 50));
    }
  }
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

function memberLayout(stateDir: string, instanceId: string, role: 'primary' | 'replica', fromVersion: number, ports: { port: number; stagingPort: number }): LocalPostgresMember {
  const sandboxDir = join(stateDir, 'instances', instanceId);
  const dataRoot = join(sandboxDir, 'pgdata');
  let socketDir = join(sandboxDir, 'run');
  if (socketDir.length > MAX_SOCKET_DIR_LENGTH) {
    socketDir = join('/tmp', `ssmflow-pg-${createHash('sha256').update(sandboxDir).digest('hex').slice(0, 12)}`);
  }
  return {
    instanceId,
    role,
    sandboxDir,
    envFile: join(sandboxDir, LOCAL_ENV_FILE),
    dataRoot,
    sourceDataDir: join(dataRoot, String(fromVersion), 'main'),
    socketDir,
    port: ports.port,
    stagingPort: ports.stagingPort,
    failDir: sandboxDir,
  };
}

function envFileText(member: LocalPostgresMember, tools: PostgresTools, cluster: string, s3Endpoint: string | undefined, targetConf: string): string {
  const lines = [
    `# Host configuration for ssmflow's postgres-major-upgrade scripts (runbooks/postgres/README.md).`,
    `# Local cluster ${cluster}, instance ${member.instanceId}; written by local/postgres-cluster.ts.`,
    `PG_OS_USER=${shellQuote(tools.osUser)}`,
    `PG_SUPERUSER=${LOCAL_SUPERUSER}`,
    `PG_PORT=${member.port}`,
    `PG_STAGING_PORT=${member.stagingPort}`,
    `PG_LISTEN_ADDRESSES=127.0.0.1`,
    `PG_SOCKET_DIR=${shellQuote(member.socketDir)}`,
    `PG_DATA_ROOT=${shellQuote(member.dataRoot)}`,
    ...Object.entries(tools.majors).map(([major, entry]) => `PG_BIN_${major}=${shellQuote(entry.binDir)}`),
    `PG_CLIENT_BIN=${shellQuote(join(tools.client.psql, '..'))}`,
    `PG_TARGET_CONF=${shellQuote(targetConf)}`,
    ...(s3Endpoint ? [`S3_UPLOAD=curl`, `S3_ENDPOINT=${shellQuote(s3Endpoint)}`] : []),
    `# Test-only: a file fail-<step> in this directory makes that step fail (local clusters only).`,
    `SSMFLOW_TEST_FAIL_DIR=${shellQuote(member.failDir)}`,
  ];
  return lines.join('\n') + '\n';
}

// Settings for small, disposable local clusters: also given to the target through PG_TARGET_CONF.
const LOCAL_SERVER_SETTINGS = `# Local development clusters only: small and fast, not durable.
shared_buffers = 32MB
max_connections = 30
fsync = off
synchronous_commit = off
full_page_writes = off
`;

// Same file and include line as write_server_conf in runbooks/postgres/lib.sh.
function serverConfText(member: LocalPostgresMember, port: number): string {
  return `# Written by ssmflow's postgres-major-upgrade scripts.\nport = ${port}\nlisten_addresses = '127.0.0.1'\nunix_socket_directories = '${member.socketDir}'\n`;
}

function installScripts(member: LocalPostgresMember): void {
  const target = join(member.sandboxDir, LOCAL_SCRIPTS_DIR);
  mkdirSync(target, { recursive: true });
  for (const file of readdirSync(SCRIPTS_SOURCE).filter((name) => name.endsWith('.sh'))) {
    copyFileSync(join(SCRIPTS_SOURCE, file), join(target, file));
    chmodSync(join(target, file), 0o755);
  }
}

async function psqlAsUser(tools: PostgresTools, member: LocalPostgresMember, database: string, sql: string): Promise<string> {
  return runAsUser(tools.osUser, tools.client.psql, ['-X', '-q', '-At', '-v', 'ON_ERROR_STOP=1', '-h', member.socketDir, '-p', String(member.port), '-U', LOCAL_SUPERUSER, '-d', database, '-f', '-'], { input: sql });
}

async function startSource(tools: PostgresTools, member: LocalPostgresMember, fromVersion: number): Promise<void> {
  const binDir = postgresBinDir(tools, fromVersion);
  await runAsUser(tools.osUser, join(binDir, 'pg_ctl'), ['start', '-D', member.sourceDataDir, '-w', '-t', '120', '-s', '-l', join(member.sourceDataDir, 'ssmflow-server.log')]).catch((err: Error) => {
    let log = '';
    try {
      log = readFileSync(join(member.sourceDataDir, 'ssmflow-server.log'), 'utf8').trim().split('\n').slice(-5).join('\n');
    } catch {
      // no log yet
    }
    throw new Error(`PostgreSQL ${fromVersion} of ${member.instanceId} did not start: ${err.message}\n${log}`);
  });
}

/** On disk, a member holds only its seeded source cluster (no target built, not cleaned up). */
function looksReusable(member: LocalPostgresMember, fromVersion: number): boolean {
  if (!existsSync(join(member.dataRoot, SEEDED_MARKER))) return false;
  let version: string;
  try {
    version = readFileSync(join(member.sourceDataDir, 'PG_VERSION'), 'utf8').trim();
  } catch {
    return false;
  }
  return version === String(fromVersion) && dataDirs(member.dataRoot).length === 1;
}

/** A member can be reused when it holds only a seeded source cluster that still accepts writes. */
async function reusable(tools: PostgresTools, member: LocalPostgresMember, fromVersion: number): Promise<boolean> {
  if (!looksReusable(member, fromVersion)) return false;
  if (!runningServer(member.sourceDataDir)) await startSource(tools, member, fromVersion);
  return (await psqlAsUser(tools, member, 'postgres', 'SHOW default_transaction_read_only')).trim() === 'off';
}

async function buildSource(tools: PostgresTools, member: LocalPostgresMember, fromVersion: number, ids: { uid: number; gid: number } | undefined, password: string, seedScale: number, targetConf: string): Promise<void> {
  ownedDir(member.dataRoot, ids);
  ownedDir(join(member.dataRoot, String(fromVersion)), ids);
  ownedDir(member.socketDir, ids);
  await runAsUser(tools.osUser, 'test', ['-w', member.dataRoot]).catch(() => {
    throw new Error(`${tools.osUser} cannot write ${member.dataRoot}: every directory above it must be traversable by other users (chmod o+x).`);
  });
  const binDir = postgresBinDir(tools, fromVersion);
  await runAsUser(tools.osUser, join(binDir, 'initdb'), ['-D', member.sourceDataDir, '-U', LOCAL_SUPERUSER, '-E', 'UTF8', '--locale=C', '--auth-local=peer', '--auth-host=scram-sha-256']);
  // The OS user connects over the socket as the postgres role (peer with a map), as `sudo -u
  // postgres psql` does on a packaged host; TCP on loopback needs the superuser's password.
  ownedFile(join(member.sourceDataDir, 'pg_hba.conf'), ['local all all peer map=ssmflow', 'host all all 127.0.0.1/32 scram-sha-256', 'host all all ::1/128 scram-sha-256', ''].join('\n'), ids);
  ownedFile(join(member.sourceDataDir, 'pg_ident.conf'), `ssmflow ${tools.osUser} ${LOCAL_SUPERUSER}\nssmflow ${tools.osUser} ${tools.osUser}\n`, ids);
  const conf = join(member.sourceDataDir, 'postgresql.conf');
  writeFileSync(conf, readFileSync(conf, 'utf8') + `\ninclude '${targetConf}'\n\ninclude_if_exists = 'ssmflow.conf'\n`);
  ownedFile(join(member.sourceDataDir, 'ssmflow.conf'), serverConfText(member, member.port), ids);
  await startSource(tools, member, fromVersion);
  await psqlAsUser(tools, member, 'postgres', seedGlobalsSql);
  await psqlAsUser(tools, member, 'app', seedAppSql(seedScale));
  await psqlAsUser(tools, member, 'reporting', seedReportingSql);
  await psqlAsUser(tools, member, 'postgres', `ALTER ROLE ${LOCAL_SUPERUSER} PASSWORD '${password}';\nCHECKPOINT;`);
  ownedFile(join(member.dataRoot, SEEDED_MARKER), `seeded ${new Date().toISOString()}\n`, ids);
}

async function ensureBucket(endpoint: string, bucket: string): Promise<void> {
  const s3 = new S3Client({
    endpoint,
    region: process.env.AWS_REGION ?? 'us-east-1',
    forcePathStyle: true,
    credentials: { accessKeyId: process.env.AWS_ACCESS_KEY_ID ?? 'ssmflow-local', secretAccessKey: process.env.AWS_SECRET_ACCESS_KEY ?? 'ssmflow-local' },
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
 * Prepares the fleet sandboxes of a local PostgreSQL cluster: scripts and env file installed, a
 * seeded source-major server running on a free loopback port in each. Idempotent: a member that
 * still holds its seeded, writable source cluster is reused (started if stopped); one left in any
 * other state by an earlier upgrade (target built, cut over, read-only, cleaned up) is rebuilt.
 */
export async function createLocalPostgresCluster(options: LocalPostgresClusterOptions): Promise<LocalPostgresCluster> {
  const { cluster, stateDir } = options;
  if (!/^[a-z0-9-]+$/.test(cluster)) throw new Error(`cluster name ${JSON.stringify(cluster)} must match ^[a-z0-9-]+$`);
  const count = options.instances ?? 1;
  if (!Number.isInteger(count) || count < 1 || count > 50) throw new Error('instances must be an integer from 1 to 50');
  const fromVersion = options.fromVersion ?? 15;
  const tools = readPostgresTools();
  postgresBinDir(tools, fromVersion);
  const ids = runningAsRoot() ? await userIds(tools.osUser) : undefined;
  const previous = readRecord(stateDir, cluster);
  const superuserPassword = previous?.superuserPassword ?? randomBytes(12).toString('hex');
  if (options.s3Endpoint && options.backupBucket) await ensureBucket(options.s3Endpoint, options.backupBucket);

  // The clusters' OS user must be able to reach its data inside the (possibly private) state dir.
  mkdirSync(join(stateDir, 'instances'), { recursive: true });
  if (ids) for (const dir of [stateDir, join(stateDir, 'instances')]) chmodSync(dir, 0o711);

  const members: LocalPostgresMember[] = [];
  const taken = new Set<number>();
  for (let index = 0; index < count; index++) {
    const instanceId = localInstanceId(cluster, index + 1);
    const role = index === 0 ? 'primary' : 'replica';
    const recorded = previous?.members.find((m) => m.instanceId === instanceId);
    const probe = memberLayout(stateDir, instanceId, role, fromVersion, { port: 0, stagingPort: 0 });
    if (!looksReusable(probe, fromVersion)) {
      // Left by an upgrade (or never built): start over, freeing its ports first.
      await stopServersUnder(probe.dataRoot);
      rmSync(probe.dataRoot, { recursive: true, force: true });
    }
    const live = runningServer(probe.sourceDataDir);
    const port = live?.port ?? (await distinctFreePort(taken, recorded?.port));
    taken.add(port);
    const stagingPort = await distinctFreePort(taken, recorded?.stagingPort);
    taken.add(stagingPort);
    const member = memberLayout(stateDir, instanceId, role, fromVersion, { port, stagingPort });

    mkdirSync(member.sandboxDir, { recursive: true });
    if (ids) chmodSync(member.sandboxDir, 0o711);
    installScripts(member);
    const etcDir = join(member.sandboxDir, 'etc', 'ssmflow');
    mkdirSync(etcDir, { recursive: true });
    chmodSync(etcDir, 0o755);
    const targetConf = join(etcDir, 'postgresql-local.conf');
    writeFileSync(targetConf, LOCAL_SERVER_SETTINGS, { mode: 0o644 });
    writeFileSync(member.envFile, envFileText(member, tools, cluster, options.s3Endpoint, targetConf), { mode: 0o644 });

    if (!live && existsSync(join(member.sourceDataDir, 'PG_VERSION'))) {
      // Stopped: the recorded ports may have been taken meanwhile, so write the current ones first.
      ownedDir(member.socketDir, ids);
      ownedFile(join(member.sourceDataDir, 'ssmflow.conf'), serverConfText(member, member.port), ids);
    }
    if (!(await reusable(tools, member, fromVersion))) {
      await stopServersUnder(member.dataRoot);
      rmSync(member.dataRoot, { recursive: true, force: true });
      await buildSource(tools, member, fromVersion, ids, superuserPassword, options.seedScale ?? 1, targetConf);
    }
    members.push(member);
  }

  const record: ClusterRecord = { cluster, fromVersion, superuserPassword, members: members.map(({ instanceId, port, stagingPort }) => ({ instanceId, port, stagingPort })) };
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
    runbookParameters: { cluster, fromVersion, scriptsDir: LOCAL_SCRIPTS_DIR, envFile: LOCAL_ENV_FILE },
    stop: () => stopLocalPostgresCluster({ stateDir, cluster }),
  };
}

/**
 * Stops every PostgreSQL server of a local cluster (the source and any target an upgrade
 * started), found from what createLocalPostgresCluster recorded in the state dir.
 */
export async function stopLocalPostgresCluster(options: { stateDir: string; cluster: string }): Promise<void> {
  const record = readRecord(options.stateDir, options.cluster);
  if (!record) return;
  await Promise.all(record.members.map((m) => stopServersUnder(join(options.stateDir, 'instances', m.instanceId, 'pgdata'))));
}

/** Turns the test-only failure switch of one step on or off for every member of a cluster. */
export function setInjectedFailure(cluster: LocalPostgresCluster, step: string, fail: boolean): void {
  if (!/^[a-z-]+$/.test(step)) throw new Error(`not a step script name: ${step}`);
  for (const member of cluster.members) {
    const file = join(member.failDir, `fail-${step}`);
    if (fail) writeFileSync(file, 'injected by setInjectedFailure\n');
    else rmSync(file, { force: true });
  }
}
