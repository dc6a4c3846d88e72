// Independent views of a local PostgreSQL cluster's data for tests: what a client sees through the
// pooler (or a server's own port), computed here rather than by the runbook's own scripts.
import { expect } from 'vitest';
import type { LocalPostgresCluster } from '../../local/postgres-cluster.js';
import { runCommand } from '../../local/postgres-exec.js';
import { readPostgresTools } from '../../local/postgres-tools.js';
import { tableChecksums } from '../../local/table-checksums.js';
import { eventually } from './eventually.js';

/** psql over TCP as the superuser, exactly as a client would connect. */
export async function sql(
  cluster: Pick<LocalPostgresCluster, 'superuserPassword'>,
  port: number,
  database: string,
  query: string,
): Promise<string> {
  const psql = readPostgresTools().client.psql;
  const args = [
    '-X',
    '-q',
    '-At',
    '-v',
    'ON_ERROR_STOP=1',
    `postgresql://postgres:${cluster.superuserPassword}@127.0.0.1:${port}/${database}`,
    '-c',
    query,
  ];
  return (await runCommand(psql, args)).trim();
}

/** Every seeded table's row count and checksum, as a client of `port` sees it. */
export function snapshot(cluster: Pick<LocalPostgresCluster, 'superuserPassword'>, port: number): Promise<Map<string, string>> {
  return tableChecksums({ port, password: cluster.superuserPassword });
}

/** Each standby streams from the primary and has replayed everything the primary has written. */
export async function expectStandbysStreaming(cluster: LocalPostgresCluster, version: number): Promise<void> {
  // The insert position, not the write position: with synchronous_commit off (the local clusters'
  // setting) a committed row may still sit in WAL buffers, before pg_current_wal_lsn().
  const primaryLsn = await sql(cluster, cluster.primary.port, 'postgres', 'SELECT pg_current_wal_insert_lsn()');
  for (const standby of cluster.standbys) {
    expect(await sql(cluster, standby.port, 'postgres', 'SHOW server_version')).toMatch(new RegExp(`^${version}\\.`));
    expect(await sql(cluster, standby.port, 'postgres', 'SELECT pg_is_in_recovery()')).toBe('t');
    await eventually(
      async () =>
        (await sql(cluster, standby.port, 'postgres', 'SELECT status FROM pg_stat_wal_receiver')) === 'streaming' ? true : undefined,
      { timeoutMs: 30_000, description: `standby ${standby.instanceId} streaming` },
    );
    await eventually(
      async () =>
        (await sql(cluster, standby.port, 'postgres', `SELECT pg_last_wal_replay_lsn() >= '${primaryLsn}'::pg_lsn`)) === 't'
          ? true
          : undefined,
      { timeoutMs: 30_000, description: `standby ${standby.instanceId} caught up` },
    );
  }
}

/**
 * The cluster is as before the upgrade: clients of the pooler reach the old major, writable, with
 * exactly `original`; the standbys stream it.
 */
export async function expectSourceServesIntact(
  cluster: LocalPostgresCluster,
  fromVersion: number,
  original: Map<string, string>,
): Promise<void> {
  const port = cluster.clientPort;
  expect(await sql(cluster, port, 'postgres', 'SHOW server_version')).toMatch(new RegExp(`^${fromVersion}\\.`));
  expect(await sql(cluster, port, 'postgres', 'SHOW default_transaction_read_only')).toBe('off');
  // A write in a real (rolled-back) transaction: a read-only server refuses the INSERT itself.
  await sql(cluster, port, 'reporting', "BEGIN; INSERT INTO daily_totals VALUES (date '1999-01-01', 1, 'probe'); ROLLBACK;");
  expect(await snapshot(cluster, port)).toEqual(original);
  await expectStandbysStreaming(cluster, fromVersion);
}
