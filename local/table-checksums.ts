// Every table's row count and checksum (md5 over the sorted md5s of the rows' text form) in the
// seeded databases, as a client sees them: computed here, independently of the runbook's verify.
import pg from 'pg';

export const seededDatabases = ['app', 'postgres', 'reporting'];

export async function tableChecksums(options: { port: number; password: string; databases?: string[] }): Promise<Map<string, string>> {
  const result = new Map<string, string>();
  for (const database of options.databases ?? seededDatabases) {
    const client = new pg.Client({ host: '127.0.0.1', port: options.port, user: 'postgres', password: options.password, database });
    await client.connect();
    try {
      const tables = await client.query<{ name: string }>(
        "SELECT format('%I.%I', schemaname, tablename) AS name FROM pg_tables WHERE schemaname NOT IN ('pg_catalog', 'information_schema') ORDER BY 1",
      );
      for (const { name } of tables.rows) {
        const sum = await client.query<{ v: string }>(
          `SELECT count(*) || ' ' || coalesce(md5(string_agg(md5(t::text), '' ORDER BY md5(t::text))), '-') AS v FROM ${name} AS t`,
        );
        result.set(`${database}/${name}`, sum.rows[0]?.v ?? '');
      }
    } finally {
      await client.end();
    }
  }
  return result;
}
