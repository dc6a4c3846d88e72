// `ssmflow local pg-cluster create|list|stop|remove`: a PostgreSQL cluster laid out as production
// runs it (primary, streaming standbys, PgBouncer), on the fleet of a running `ssmflow dev`, so
// the postgres-major-upgrade runbook can be tried by hand.
// This module defines the commands; local/pg-cluster.ts does the work when one runs.
import { type Command, InvalidArgumentError } from 'commander';

export interface CreateOptions {
  version: number;
  standbys: number;
  pooler: boolean;
  scale: number;
  stateDir: string;
}

export interface StateDirOption {
  stateDir: string;
}

function integerIn(min: number, max: number): (value: string) => number {
  return (value) => {
    const n = Number(value);
    if (!Number.isInteger(n) || n < min || n > max) throw new InvalidArgumentError(`give a whole number from ${min} to ${max}`);
    return n;
  };
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
    .action(async (name: string, opts: CreateOptions) => {
      const { createPgCluster } = await import('./pg-cluster.js');
      await createPgCluster(name, opts);
    });

  pg.command('list')
    .description('the local clusters in the dev fleet state dir')
    .option('--state-dir <dir>', 'the state dir of `ssmflow dev`', '.ssmflow')
    .action(async (opts: StateDirOption) => {
      const { listPgClusters } = await import('./pg-cluster.js');
      listPgClusters(opts);
    });

  pg.command('stop')
    .argument('<name>', 'cluster name')
    .description('stop its servers and PgBouncer (data stays; `create` brings it back)')
    .option('--state-dir <dir>', 'the state dir of `ssmflow dev`', '.ssmflow')
    .action(async (name: string, opts: StateDirOption) => {
      const { stopPgCluster } = await import('./pg-cluster.js');
      await stopPgCluster(name, opts);
    });

  pg.command('remove')
    .argument('<name>', 'cluster name')
    .description('stop it and delete its sandboxes and data')
    .option('--state-dir <dir>', 'the state dir of `ssmflow dev`', '.ssmflow')
    .action(async (name: string, opts: StateDirOption) => {
      const { removePgCluster } = await import('./pg-cluster.js');
      await removePgCluster(name, opts);
    });
}
