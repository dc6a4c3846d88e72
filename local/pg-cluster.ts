// `ssmflow local pg-cluster create|list|stop|remove` (defined in pg-cluster-command.ts).
import { chmodSync, statSync } from 'node:fs';
import { join, relative } from 'node:path';
import { CliInputError } from '../client/cli-errors.js';
import { registerFleetInstances } from '../fleet/register-client.js';
import {
  createLocalPostgresCluster,
  localClusterNames,
  removeLocalPostgresCluster,
  stopLocalPostgresCluster,
  type LocalPostgresCluster,
} from './postgres-cluster.js';
import { runningAsRoot } from './postgres-exec.js';
import { readPostgresTools } from './postgres-tools.js';
import type { CreateOptions, StateDirOption } from './pg-cluster-command.js';
import { readRunningLocalStack, type RunningLocalStack } from './running-stack.js';

const BACKUP_BUCKET = 'ssmflow-pg-backups';

/** The running dev stack whose fleet keeps its sandboxes in a state dir we can write to. */
function localFleet(stateDir: string): RunningLocalStack & { fleet: { stateDir: string } } {
  const stack = readRunningLocalStack(stateDir);
  if (stack.fleet.stateDir === null) {
    throw new CliInputError(
      `ssmflow dev uses an external fleet (${stack.fleet.endpoint}); local clusters need dev's own fleet`,
      'restart ssmflow dev without AWS_ENDPOINT_URL_SSM',
    );
  }
  return stack as RunningLocalStack & { fleet: { stateDir: string } };
}

function describeCluster(cluster: LocalPostgresCluster, stack: RunningLocalStack): string {
  const from = (path: string) => (relative(process.cwd(), path).startsWith('..') ? path : relative(process.cwd(), path));
  const params = cluster.runbookParameters;
  return [
    `cluster ${cluster.cluster}: PostgreSQL ${cluster.fromVersion}, registered with the fleet at ${stack.fleet.endpoint}`,
    ...cluster.members.map((m) => `  ${m.role.padEnd(8)} ${m.instanceId}  127.0.0.1:${m.port}  ${from(m.sandboxDir)}`),
    '',
    `clients connect through PgBouncer: postgresql://postgres:${cluster.superuserPassword}@127.0.0.1:${cluster.clientPort}/app`,
    '',
    'try the upgrade (in a shell with the exports `ssmflow dev` printed):',
    `  ssmflow plan runbooks/postgres-major-upgrade.yaml -p cluster=${cluster.cluster} -p backupBucket=${BACKUP_BUCKET} \\`,
    `      -p scriptsDir=${params.scriptsDir} -p envFile=${params.envFile} -p fromVersion=${cluster.fromVersion}`,
    `  ssmflow run runbooks/postgres-major-upgrade.yaml -p cluster=${cluster.cluster} -p backupBucket=${BACKUP_BUCKET} \\`,
    `      -p scriptsDir=${params.scriptsDir} -p envFile=${params.envFile} -p fromVersion=${cluster.fromVersion} --wait`,
  ].join('\n');
}

export async function createPgCluster(name: string, opts: CreateOptions): Promise<void> {
  const stack = localFleet(opts.stateDir);
  const tools = readPostgresTools();
  if (!tools.majors[String(opts.version)]) {
    throw new CliInputError(
      `--version ${opts.version}: PostgreSQL ${opts.version} is not installed (installed: ${Object.keys(tools.majors).join(', ')})`,
      'pick an installed major, or add it to "ssmflow": { "postgresMajors" } in package.json and run `npm run tools`',
    );
  }
  // The clusters' OS user must reach the sandboxes inside dev's (private, when made by mkdtemp or umask 077) state dir.
  if (runningAsRoot()) chmodSync(opts.stateDir, statSync(opts.stateDir).mode | 0o111);
  process.stderr.write(
    `creating ${name}: PostgreSQL ${opts.version} primary, ${opts.standbys} standby(s)${opts.pooler ? ', PgBouncer' : ''} …\n`,
  );
  const cluster = await createLocalPostgresCluster({
    cluster: name,
    stateDir: stack.fleet.stateDir,
    standbys: opts.standbys,
    pooler: opts.pooler,
    fromVersion: opts.version,
    s3Endpoint: stack.s3.endpoint,
    backupBucket: BACKUP_BUCKET,
    seedScale: opts.scale,
  });
  await registerFleetInstances(stack.fleet.endpoint, cluster.instances);
  console.log(describeCluster(cluster, stack));
}

export function listPgClusters(opts: StateDirOption): void {
  const names = localClusterNames(join(opts.stateDir, 'fleet'));
  console.log(
    names.length
      ? names.join('\n')
      : `no local clusters in ${join(opts.stateDir, 'fleet')} (create one: ssmflow local pg-cluster create NAME)`,
  );
}

export async function stopPgCluster(name: string, opts: StateDirOption): Promise<void> {
  await stopLocalPostgresCluster({ stateDir: join(opts.stateDir, 'fleet'), cluster: name });
  console.log(`stopped ${name}`);
}

export async function removePgCluster(name: string, opts: StateDirOption): Promise<void> {
  const stateDir = join(opts.stateDir, 'fleet');
  if (!localClusterNames(stateDir).includes(name))
    throw new CliInputError(`no local cluster ${name} in ${stateDir}`, 'see the names with `ssmflow local pg-cluster list`');
  await removeLocalPostgresCluster({ stateDir, cluster: name });
  console.log(`removed ${name}`);
}
