// Samples how far an online upgrade's new cluster is behind the old one while it runs: the largest
// pg_wal_lsn_diff(pg_current_wal_lsn(), confirmed_flush_lsn) over the upgrade's slots.
import pg from 'pg';

export interface LagSample {
  atMs: number;
  bytes: number;
}

export interface LagSampler {
  stop(): Promise<LagSample[]>;
}

export function startLagSampler(options: { port: number; password: string; everyMs?: number }): LagSampler {
  const samples: LagSample[] = [];
  const started = Date.now();
  let stopping = false;
  const loop = (async () => {
    while (!stopping) {
      const client = new pg.Client({
        host: '127.0.0.1',
        port: options.port,
        user: 'postgres',
        password: options.password,
        database: 'postgres',
        connectionTimeoutMillis: 2_000,
      });
      client.on('error', () => undefined);
      try {
        await client.connect();
        const row = await client.query<{ lag: string | null }>(
          "SELECT max(pg_wal_lsn_diff(pg_current_wal_lsn(), confirmed_flush_lsn))::bigint AS lag FROM pg_replication_slots WHERE slot_name LIKE 'ssmflow\\_upgrade\\_%'",
        );
        const lag = row.rows[0]?.lag;
        if (lag !== null && lag !== undefined) samples.push({ atMs: Date.now() - started, bytes: Number(lag) });
      } catch {
        // The old cluster restarts or is retired: nothing to sample then.
      } finally {
        await client.end().catch(() => undefined);
      }
      await new Promise((r) => setTimeout(r, options.everyMs ?? 500));
    }
  })();
  return {
    async stop() {
      stopping = true;
      await loop;
      return samples;
    },
  };
}
