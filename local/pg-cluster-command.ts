// `ssmflow local pg-cluster create|list|stop|remove`: a PostgreSQL cluster laid out as production
// runs it (primary, streaming standbys, PgBouncer), on the fleet of a running `ssmflow dev`, so
// the postgres-major-upgrade runbook can be tried by hand.
import { chmodSync, statSync } from 'node:fs';
import { join, relative } from 'node:path';
import { type Command, InvalidArgumentError } from 'commander';
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
import { readRunningLocalStack, type RunningLocalStack } from './running-stack.js';

const BACKUP_BUCKET = 'ssmflow-pg-backups';

function integerIn(min: number, max: number): (value: string) => number {
  return (value) => {
    const n = Number(value);
    if (!Number.isInteger(n) || n < min || n > max) throw new InvalidArgumentError(`give a whole number from ${min} to ${max}`);
    return n;
  };
}

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

export function registerPgClusterCommand(local: Command): void {
  const pg = local
    .command('pg-cluster')
    .summary('local PostgreSQL clusters (primary, streaming standbys, PgBouncer) on the dev fleet')
    .description(
      'A PostgreSQL cluster laid out as production runs it, on the fleet of a running `ssmflow dev`:\n' +
        'a seeded primary, streaming standbys (pg_basebackup -R, one replication slot each) and a PgBouncer\n' +
        'in front. Each part is a fleet instance tagged Cluster=<name> and Role=primary|standby|pooler, with\n' +
        "the postgres-major-upgrade runbook's scripts installed, so the runbook runs on it as on real hosts.",
    );

  pg.command('create')
    .argument('<name>', 'cluster name: the Cluster tag and the runbook parameter cluster (a-z, 0-9, -)')
    .description('create (or bring back) a cluster and register its instances with the dev fleet')
    .option('--version <major>', 'PostgreSQL major to start on (installed by npm run tools)', integerIn(10, 99), 16)
    .option('--standbys <n>', 'streaming standbys (0 for none)', integerIn(0, 8), 1)
    .option('--no-pooler', 'no PgBouncer in front (clients connect to the primary)')
    .option('--scale <n>', 'seed data multiplier (1 is about 45,000 rows)', integerIn(1, 1000), 1)
    .option('--state-dir <dir>', 'the state dir of the running `ssmflow dev`', '.ssmflow')
    .addHelpText(
      'after',
      '\nExample:\n  ssmflow dev                              # in one shell\n  ssmflow local pg-cluster create pg-a     # in another; prints how to run the upgrade on it',
    )
    .action(async (name: string, opts: { version: number; standbys: number; pooler: boolean; scale: number; stateDir: string }) => {
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
    });

  pg.command('list')
    .description('the local clusters in the dev fleet state dir')
    .option('--state-dir <dir>', 'the state dir of `ssmflow dev`', '.ssmflow')
    .action((opts: { stateDir: string }) => {
      const names = localClusterNames(join(opts.stateDir, 'fleet'));
      console.log(
        names.length
          ? names.join('\n')
          : `no local clusters in ${join(opts.stateDir, 'fleet')} (create one: ssmflow local pg-cluster create NAME)`,
      );
    });

  pg.command('stop')
    .argument('<name>', 'cluster name')
    .description('stop its servers and PgBouncer (data stays; `create` brings it back)')
    .option('--state-dir <dir>', 'the state dir of `ssmflow dev`', '.ssmflow')
    .action(async (name: string, opts: { stateDir: string }) => {
      await stopLocalPostgresCluster({ stateDir: join(opts.stateDir, 'fleet'), cluster: name });
      console.log(`stopped ${name}`);
    });

  pg.command('remove')
    .argument('<name>', 'cluster name')
    .description('stop it and delete its sandboxes and data')
    .option('--state-dir <dir>', 'the state dir of `ssmflow dev`', '.ssmflow')
    .action(async (name: string, opts: { stateDir: string }) => {
      const stateDir = join(opts.stateDir, 'fleet');
      if (!localClusterNames(stateDir).includes(name))
        throw new CliInputError(`no local cluster ${name} in ${stateDir}`, 'see the names with `ssmflow local pg-cluster list`');
      await removeLocalPostgresCluster({ stateDir, cluster: name });
      console.log(`removed ${name}`);
    });
}
