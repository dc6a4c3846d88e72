// Independent views of a local PostgreSQL cluster's data for tests: what a client of the service
// port sees, computed here rather than by the runbook's own verify script.
import { expect } from 'vitest';
import type { LocalPostgresCluster } from '../../local/postgres-cluster.js';
import { runCommand } from '../../local/postgres-exec.js';
import { readPostgresTools } from '../../local/postgres-tools.js';

export const seededDatabases = ['app', 'postgres', 'reporting'];

/** psql over TCP as the superuser, exactly as a client of the service port would connect. */
export async function sql(cluster: LocalPostgresCluster, port: number, database: string, query: string): Promise<string> {
  const psql = readPostgresTools().client.psql;
  const args = ['-X', '-q', '-At', '-v', 'ON_ERROR_STOP=1', `postgresql://postgres:${cluster.superuserPassword}@127.0.0.1:${port}/${database}`, '-c', query];
  return (await runCommand(psql, args)).trim();
}

/** Every table's row count and checksum: md5 over the sorted md5s of the rows' text form. */
export async function snapshot(cluster: LocalPostgresCluster, port: number): Promise<Map<string, string>> {
  const result = new Map<string, string>();
  for (const database of seededDatabases) {
    const tables = await sql(cluster, port, database, "SELECT format('%I.%I', schemaname, tablename) FROM pg_tables WHERE schemaname NOT IN ('pg_catalog', 'information_schema') ORDER BY 1");
    for (const table of tables.split('\n').filter(Boolean)) {
      result.set(`${database}/${table}`, await sql(cluster, port, database, `SELECT count(*) || ' ' || coalesce(md5(string_agg(md5(t::text), '' ORDER BY md5(t::text))), '-') FROM ${table} AS t`));
    }
  }
  return result;
}

/** The source cluster serves on its old major, accepts writes, and holds exactly `original`. */
export async function expectSourceServesIntact(cluster: LocalPostgresCluster, fromVersion: number, original: Map<string, string>): Promise<void> {
  for (const member of cluster.members) {
    expect(await sql(cluster, member.port, 'postgres', 'SHOW server_version')).toMatch(new RegExp(`^${fromVersion}\\.`));
    expect(await sql(cluster, member.port, 'postgres', 'SHOW default_transaction_read_only')).toBe('off');
    // A write in a real (rolled-back) transaction: a read-only server refuses the INSERT itself.
    await sql(cluster, member.port, 'reporting', "BEGIN; INSERT INTO daily_totals VALUES (date '1999-01-01', 1, 'probe'); ROLLBACK;");
    expect(await snapshot(cluster, member.port)).toEqual(original);
  }
}
