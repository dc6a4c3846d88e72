// A write probe: what an application sees during an upgrade. Through the address clients use
// (the PgBouncer), it inserts one row every `intervalMs`, one at a time, each with an id; a row
// counts as acknowledged when the INSERT returns. A paused pooler makes an INSERT wait, a
// read-only or stopped server makes it fail; either way the gap between acknowledgements grows.
// Afterwards every acknowledged id must still be there.
import pg from 'pg';

export interface WriteProbeOptions {
  port: number;
  password: string;
  user?: string;
  /** Created if missing; kept apart from the seeded databases so their checks stay exact. */
  database?: string;
  intervalMs?: number;
}

export interface WriteProbeReport {
  acknowledged: number;
  /** INSERTs that failed (errors are expected while writes are stopped; they were never acknowledged). */
  failed: number;
  /** The longest time between two acknowledged writes. */
  longestGapMs: number;
  /** Time without acknowledgements beyond the probe's own interval, summed over gaps of more than three intervals. */
  unavailableMs: number;
  /** Acknowledged ids missing from the table afterwards: must be 0. */
  lost: number;
  /** When the longest gap started, ms after the probe started. */
  longestGapAtMs: number;
  durationMs: number;
}

export interface WriteProbe {
  stop(): Promise<WriteProbeReport>;
}

function connect(options: WriteProbeOptions, database: string): Promise<pg.Client> {
  const client = new pg.Client({
    host: '127.0.0.1',
    port: options.port,
    user: options.user ?? 'postgres',
    password: options.password,
    database,
    connectionTimeoutMillis: 5_000,
  });
  // A dropped connection is reported on the next query; without a listener it would crash the process.
  client.on('error', () => undefined);
  return client.connect().then(() => client);
}

/** Creates the probe database and table, then writes until stopped. */
export async function startWriteProbe(options: WriteProbeOptions): Promise<WriteProbe> {
  const database = options.database ?? 'ssmflow_probe';
  const intervalMs = options.intervalMs ?? 50;
  const admin = await connect(options, 'postgres');
  try {
    const exists = await admin.query('SELECT 1 FROM pg_database WHERE datname = $1', [database]);
    if (exists.rowCount === 0) await admin.query(`CREATE DATABASE ${database}`);
  } finally {
    await admin.end();
  }
  const setup = await connect(options, database);
  await setup.query('CREATE TABLE IF NOT EXISTS write_probe (id bigint PRIMARY KEY, acked_by_client boolean NOT NULL DEFAULT true)');
  const firstId = Number(
    (await setup.query<{ next: string }>('SELECT coalesce(max(id), 0) + 1 AS next FROM write_probe')).rows[0]?.next ?? 1,
  );
  await setup.end();

  const started = Date.now();
  const acked: number[] = [];
  const ackTimes: number[] = [];
  let failed = 0;
  let stopping = false;
  let client: pg.Client | undefined;

  const loop = (async () => {
    let id = firstId;
    while (!stopping) {
      const tickStarted = Date.now();
      try {
        client ??= await connect(options, database);
        await client.query('INSERT INTO write_probe (id) VALUES ($1)', [id]);
        acked.push(id);
        ackTimes.push(Date.now());
      } catch {
        failed += 1;
        const broken = client;
        client = undefined;
        await broken?.end().catch(() => undefined);
      }
      id += 1;
      const wait = intervalMs - (Date.now() - tickStarted);
      if (wait > 0) await new Promise((r) => setTimeout(r, wait));
    }
  })();

  return {
    async stop(): Promise<WriteProbeReport> {
      stopping = true;
      await loop;
      await client?.end().catch(() => undefined);
      const durationMs = Date.now() - started;
      let longestGapMs = 0;
      let longestGapAtMs = 0;
      let unavailableMs = 0;
      const times = [started, ...ackTimes];
      for (let i = 1; i < times.length; i++) {
        const gap = (times[i] ?? 0) - (times[i - 1] ?? 0);
        if (gap > longestGapMs) {
          longestGapMs = gap;
          longestGapAtMs = (times[i - 1] ?? 0) - started;
        }
        if (gap > 3 * intervalMs) unavailableMs += gap - intervalMs;
      }
      const lost = await countMissing(options, database, firstId, acked);
      return { acknowledged: acked.length, failed, longestGapMs, unavailableMs, lost, longestGapAtMs, durationMs };
    },
  };
}

/** Acknowledged ids that are not in the table. */
async function countMissing(options: WriteProbeOptions, database: string, firstId: number, acked: number[]): Promise<number> {
  const check = await connect(options, database);
  try {
    const present = await check.query<{ id: string }>('SELECT id FROM write_probe WHERE id >= $1', [firstId]);
    const have = new Set(present.rows.map((r) => Number(r.id)));
    return acked.filter((id) => !have.has(id)).length;
  } finally {
    await check.end();
  }
}
