// bench/postgres-upgrade: how long writes are unavailable while the postgres-major-upgrade runbook
// upgrades a cluster (a PostgreSQL 16 primary, a streaming standby, PgBouncer in front) to 17, by
// strategy (dump, link, online) and data size. Per case: a fresh local cluster, bulk data loaded
// into the primary until its databases hold about the target size, the standby caught up; then,
// for the whole run, a client writes through PgBouncer every --interval-ms (local/write-probe.ts)
// and --clients connections run short read-write transactions through PgBouncer as background
// load, while the runbook runs through an in-process worker, approvals given at once. For online,
// the replication lag on the old primary is sampled every 500 ms until the cut-over is approved.
// Prints figures per case and one table at the end, never a pass/fail; JSON goes to bench/results/.
//
//   npx tsx bench/postgres-upgrade.ts [--sizes 1,5] [--strategies dump,link,online] [--interval-ms 50]
//                                     [--clients 4] [--load-tps 200] [--keep]
//
// Everything (Temporal dev server, S3 emulator, fleet, clusters) lives in a temp dir removed at
// the end; each case's cluster is deleted before the next one to keep disk use down.
import { chmodSync, mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { cpus, hostname, tmpdir, totalmem, userInfo } from 'node:os';
import { join } from 'node:path';
import { parseArgs } from 'node:util';
import { Client, Connection } from '@temporalio/client';
import { DefaultLogger, NativeConnection, Runtime } from '@temporalio/worker';
import pg from 'pg';
import { createS3Client, createSsmClient } from '../aws/clients.js';
import { formatColumns } from '../client/output/table.js';
import { OperatorActionRejected, runControls, startRun } from '../client/runs.js';
import type { ExecutionRecord } from '../fleet/journal.js';
import { startFleet } from '../fleet/server.js';
import { localAwsEnvironment } from '../local/local-aws-env.js';
import { startLocalStack } from '../local/local-stack.js';
import { createLocalPostgresCluster, removeLocalPostgresCluster, type LocalPostgresCluster } from '../local/postgres-cluster.js';
import { projectRoot } from '../local/project-root.js';
import { startWriteProbe, type WriteProbeReport } from '../local/write-probe.js';
import { loadRunbookFile } from '../runbook/load-file.js';
import { createSsmflowWorker } from '../worker/create-worker.js';
import type { RunState } from '../workflows/run-state.js';

const USAGE = `usage: npx tsx bench/postgres-upgrade.ts [options]

  --sizes 1,5            data sizes in GiB (pg_database_size summed over the cluster's databases)
  --strategies dump,link,online
                         runbook strategies to measure, in this order per size
  --interval-ms 50       the write probe's interval between INSERTs through PgBouncer
  --clients 4            background load: connections through PgBouncer, each running one short
                         transaction after another (UPDATE a random row, INSERT a row)
  --load-tps 200         background load: transactions per second over all clients (paced; 0: as
                         fast as they go)
  --keep                 leave the stack, fleet and every case's cluster up at the end (Ctrl-C
                         stops and deletes them; at 5 GiB each cluster holds over 10 GiB of disk)
  --help                 this text
`;

const { values: args } = parseArgs({
  options: {
    sizes: { type: 'string', default: '1,5' },
    strategies: { type: 'string', default: 'dump,link,online' },
    'interval-ms': { type: 'string', default: '50' },
    clients: { type: 'string', default: '4' },
    'load-tps': { type: 'string', default: '200' },
    keep: { type: 'boolean', default: false },
    help: { type: 'boolean', default: false },
  },
});
if (args.help) {
  process.stdout.write(USAGE);
  process.exit(0);
}
const sizes = args.sizes.split(',').map(Number);
const strategies = args.strategies.split(',').map((s) => s.trim());
const intervalMs = Number(args['interval-ms']);
const loadClients = Number(args.clients);
const loadTps = Number(args['load-tps']);
if (
  sizes.some((s) => !(s > 0)) ||
  strategies.some((s) => !['dump', 'link', 'online'].includes(s)) ||
  !(intervalMs > 0) ||
  !(Number.isInteger(loadClients) && loadClients >= 0) ||
  !(loadTps >= 0)
) {
  process.stderr.write(`bad arguments\n${USAGE}`);
  process.exit(2);
}

const GIB = 2 ** 30;
const FROM = 16;
const TO = 17;
const BACKUP_BUCKET = 'bench-pg-backups';
/** The payload column: 15 × 32 hex characters, stored inline (below the TOAST threshold). */
const PAYLOAD_REPEAT = 15;
/** Steps whose durations the table shows. */
const KEY_STEPS = [
  'backup',
  'stop-writes',
  'migrate',
  'verify',
  'cutover',
  'pause-writes',
  'stop-primary',
  'pg-upgrade',
  'approve-start',
  'approve-cutover',
  'start-new-primary',
  'resume-writes',
  'create-target',
  'subscribe',
  'wait-initial-sync',
  'wait-catch-up',
  'verify-online',
  'approve-cutover-online',
  'cutover-online',
  'postcheck-online',
  'approve-retire',
  'cleanup-replication',
  'retire-old',
  'rebuild-standby',
  'analyze',
];
/**
 * First and last step of the window in which the runbook keeps writes from going through. Online
 * pauses twice, inside verify-online (for the snapshots) and inside cutover-online; the window is
 * the cut-over step, and both scripts report their own pause (VERIFY/CUTOVER pauseMs).
 */
const WRITE_WINDOW: Record<string, [string, string]> = {
  link: ['pause-writes', 'resume-writes'],
  dump: ['stop-writes', 'resume-after-cutover'],
  online: ['cutover-online', 'cutover-online'],
};
/** The online strategy's logical replication slots on the old primary (lib-online.sh). */
const FORWARD_SLOT_LAG_SQL =
  "SELECT coalesce(max(pg_wal_lsn_diff(pg_current_wal_lsn(), confirmed_flush_lsn)), 0)::bigint AS lag FROM pg_replication_slots WHERE slot_name LIKE 'ssmflow\\_upgrade\\_%'";
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

const benchStarted = Date.now();
const clock = () => `${((Date.now() - benchStarted) / 1000).toFixed(0).padStart(5)}s`;
const say = (text: string) => console.log(`${clock()}  ${text}`);
const seconds = (ms: number | undefined) => (ms === undefined ? '—' : `${(ms / 1000).toFixed(ms < 10_000 ? 2 : 1)} s`);
const gib = (bytes: number) => `${(bytes / GIB).toFixed(2)} GiB`;
const bytesText = (bytes: number | undefined) =>
  bytes === undefined
    ? '—'
    : bytes >= 2 ** 20
      ? `${(bytes / 2 ** 20).toFixed(1)} MiB`
      : bytes >= 1024
        ? `${(bytes / 1024).toFixed(0)} KiB`
        : `${bytes} B`;
/** Cluster names allow [a-z0-9-] only: 0.5 GiB becomes 0p5g. */
const clusterName = (strategy: string, sizeGiB: number) => `bench-${strategy}-${String(sizeGiB).replace('.', 'p')}g`;

interface StepFigure {
  id: string;
  status: string;
  attempts: number;
  startedAt?: string;
  endedAt?: string;
  ms?: number;
  /** Wall time of the step's command processes on the fleet (first start to last end, per command, summed over attempts). */
  scriptMs?: number;
}

interface CaseResult {
  cluster: string;
  strategy: string;
  targetGiB: number;
  sizeBytes: number;
  loadedRows: number;
  loadMs: number;
  clusterSetupMs: number;
  standbyCatchUpMs: number;
  runId: string;
  status: string;
  runWallMs: number;
  probe: WriteProbeReport & { intervalMs: number };
  /** Steps running while the longest gap between acknowledged writes lasted. */
  longestGapSteps: string[];
  /** From the start of the runbook's first write-stopping step to the end of its last one (step times). */
  writeWindowBySteps?: { from: string; to: string; ms: number; scriptMs: number };
  /** Approvals the run refused as sent too early (the bench sends them again 50 ms later). */
  approvalRefusals: number;
  load: LoadReport;
  /** online: how the new cluster caught up with the old one. */
  online?: OnlineFigures;
  /** Port of the new primary at the end (online: the old primary's staging port). */
  newPrimaryPort: number;
  /** Logical replication slots on the new primary at the end (names; none expected). */
  logicalSlotsLeft: string[];
  standbyWalReceiver: string;
  standbyStreaming: boolean;
  steps: StepFigure[];
  failure?: string;
}

type PgOptions = { port: number; password: string; database?: string };
async function withPg<T>(options: PgOptions, use: (client: pg.Client) => Promise<T>): Promise<T> {
  const client = new pg.Client({
    host: '127.0.0.1',
    port: options.port,
    user: 'postgres',
    password: options.password,
    database: options.database ?? 'postgres',
  });
  client.on('error', () => undefined);
  await client.connect();
  try {
    return await use(client);
  } finally {
    await client.end().catch(() => undefined);
  }
}

const clusterSize = (client: pg.Client) =>
  client
    .query<{ bytes: string }>('SELECT sum(pg_database_size(datname))::bigint AS bytes FROM pg_database')
    .then((r) => Number(r.rows[0]?.bytes ?? 0));

/** Fills app.bench_bulk until the cluster's databases hold `targetBytes`; returns rows written and the size reached. */
async function loadBulk(cluster: LocalPostgresCluster, targetBytes: number): Promise<{ rows: number; sizeBytes: number }> {
  return withPg({ port: cluster.primary.port, password: cluster.superuserPassword, database: 'app' }, async (client) => {
    await client.query('CREATE TABLE bench_bulk (id bigint PRIMARY KEY, payload text NOT NULL)');
    let size = await clusterSize(client);
    let rows = 0;
    let batch = 200_000;
    while (size < targetBytes * 0.99) {
      const before = size;
      await client.query(
        `INSERT INTO bench_bulk SELECT g, repeat(md5(g::text), ${PAYLOAD_REPEAT}) FROM generate_series($1::bigint, $2::bigint) AS g`,
        [rows + 1, rows + batch],
      );
      rows += batch;
      size = await clusterSize(client);
      const perRow = Math.max(1, (size - before) / batch);
      batch = Math.max(10_000, Math.min(2_000_000, Math.ceil((targetBytes - size) / perRow)));
      process.stdout.write(`\r${clock()}    loaded ${rows.toLocaleString('en-US')} rows, ${gib(size)}   `);
    }
    process.stdout.write('\n');
    await client.query('CHECKPOINT');
    return { rows, sizeBytes: await clusterSize(client) };
  });
}

/** Waits until the standby has replayed everything the primary has written so far. */
async function waitForReplay(cluster: LocalPostgresCluster): Promise<void> {
  const standby = cluster.standbys[0];
  if (!standby) return;
  const lsn = await withPg(
    { port: cluster.primary.port, password: cluster.superuserPassword },
    async (c) => (await c.query<{ lsn: string }>('SELECT pg_current_wal_lsn()::text AS lsn')).rows[0]?.lsn,
  );
  await withPg({ port: standby.port, password: cluster.superuserPassword }, async (c) => {
    for (;;) {
      const caughtUp = (await c.query<{ ok: boolean }>('SELECT coalesce(pg_last_wal_replay_lsn() >= $1::pg_lsn, false) AS ok', [lsn]))
        .rows[0]?.ok;
      if (caughtUp) return;
      await new Promise((r) => setTimeout(r, 500));
    }
  });
}

async function standbyWalReceiver(cluster: LocalPostgresCluster): Promise<string> {
  const standby = cluster.standbys[0];
  if (!standby) return 'no standby';
  return withPg(
    { port: standby.port, password: cluster.superuserPassword },
    async (c) => (await c.query<{ status: string }>('SELECT status FROM pg_stat_wal_receiver')).rows[0]?.status ?? 'none',
  ).catch((err: unknown) => `error: ${(err as Error).message}`);
}

interface LoadReport {
  clients: number;
  /** Paced rate over all clients; 0 when unpaced. */
  targetTps: number;
  committed: number;
  errors: number;
  /** Error messages (digits replaced by #) and how often each came. */
  errorKinds: Record<string, number>;
  /** Between the run's start and its end as the bench saw them. */
  duringRun: { committed: number; errors: number; ms: number; tps: number };
  /** The longest time without a commit from any client. */
  longestGapMs: number;
  longestGapAtMs: number;
  /** Committed INSERTs (ids returned before a successful COMMIT) missing afterwards: must be 0. */
  lost: number;
  durationMs: number;
}

interface OnlineFigures {
  initialSyncMs?: number;
  catchUpMs?: number;
  /** The last `LAG <bytes>` that wait-catch-up printed (its passing check). */
  catchUpLastLagBytes?: number;
  /** Forward slots' lag on the old primary, every 500 ms from the run's start until the cut-over approval. */
  lagSamples: number;
  lagSampleErrors: number;
  maxLagBytes?: number;
  maxLagAtMs?: number;
  /** The last sample before approve-cutover-online was approved. */
  lagAtApprovalBytes?: number;
  /** `VERIFY {json}` of verify-online and `CUTOVER {json}` of cutover-online, from their output tails. */
  verify?: Record<string, unknown>;
  cutover?: Record<string, unknown>;
  lag: { atMs: number; bytes: number }[];
}

/** The small table the background load inserts into; made before the run, so online copies it. */
async function prepareLoadTable(cluster: LocalPostgresCluster): Promise<{ customers: { min: number; max: number } }> {
  return withPg({ port: cluster.primary.port, password: cluster.superuserPassword, database: 'app' }, async (client) => {
    await client.query(
      'CREATE TABLE bench_load (id bigserial PRIMARY KEY, client integer NOT NULL, touched text NOT NULL, at timestamptz NOT NULL DEFAULT now())',
    );
    const range = (await client.query<{ min: string; max: string }>('SELECT min(id) AS min, max(id) AS max FROM customers')).rows[0];
    return { customers: { min: Number(range?.min ?? 1), max: Number(range?.max ?? 1) } };
  });
}

/**
 * Background load, pgbench-style: each client, one transaction after another through PgBouncer in
 * `app`: UPDATE a random row of bench_bulk or customers, INSERT into bench_load, COMMIT. Paced to
 * `tps` over all clients (no catching up after a stall). A failed transaction is rolled back (or
 * its connection dropped) and counted; nothing is retried.
 */
function startWriteLoad(options: {
  port: number;
  password: string;
  clients: number;
  tps: number;
  bulkRows: number;
  customers: { min: number; max: number };
}) {
  const started = Date.now();
  const intervalMs = options.tps > 0 ? (options.clients * 1000) / options.tps : 0;
  const acked: number[] = [];
  const errorKinds = new Map<string, number>();
  let committed = 0;
  let errors = 0;
  let lastCommit = started;
  let longestGapMs = 0;
  let longestGapAtMs = 0;
  let stopping = false;
  const randomId = (min: number, max: number) => min + Math.floor(Math.random() * (max - min + 1));
  const connect = async () => {
    const client = new pg.Client({
      host: '127.0.0.1',
      port: options.port,
      user: 'postgres',
      password: options.password,
      database: 'app',
      connectionTimeoutMillis: 5_000,
      query_timeout: 180_000,
    });
    client.on('error', () => undefined);
    await client.connect();
    return client;
  };
  const worker = async (n: number) => {
    let client: pg.Client | undefined;
    let next = Date.now() + (n * intervalMs) / Math.max(1, options.clients);
    while (!stopping) {
      if (intervalMs > 0) {
        const wait = next - Date.now();
        if (wait > 0) await sleep(wait);
        if (stopping) break;
      }
      try {
        client ??= await connect();
        await client.query('BEGIN');
        const bulk = Math.random() < 0.5;
        const id = bulk ? randomId(1, options.bulkRows) : randomId(options.customers.min, options.customers.max);
        if (bulk) await client.query(`UPDATE bench_bulk SET payload = repeat(md5(random()::text), ${PAYLOAD_REPEAT}) WHERE id = $1`, [id]);
        else await client.query('UPDATE customers SET vip = NOT vip WHERE id = $1', [id]);
        const inserted = await client.query<{ id: string }>('INSERT INTO bench_load (client, touched) VALUES ($1, $2) RETURNING id', [
          n,
          `${bulk ? 'bench_bulk' : 'customers'} ${id}`,
        ]);
        await client.query('COMMIT');
        acked.push(Number(inserted.rows[0]?.id));
        committed += 1;
        const now = Date.now();
        if (now - lastCommit > longestGapMs) {
          longestGapMs = now - lastCommit;
          longestGapAtMs = lastCommit - started;
        }
        lastCommit = now;
      } catch (err) {
        errors += 1;
        const kind = ((err as Error).message || String(err)).replace(/\d+/g, '#').slice(0, 120);
        errorKinds.set(kind, (errorKinds.get(kind) ?? 0) + 1);
        const current = client;
        const rolledBack = current
          ? await current.query('ROLLBACK').then(
              () => true,
              () => false,
            )
          : false;
        if (!rolledBack) {
          client = undefined;
          await current?.end().catch(() => undefined);
        }
        if (intervalMs === 0) await sleep(10);
      }
      next = Math.max(next + intervalMs, Date.now());
    }
    await client?.end().catch(() => undefined);
  };
  const loops = Array.from({ length: options.clients }, (_, n) => worker(n));
  let mark: { at: number; committed: number; errors: number } | undefined;
  return {
    counts: () => ({ at: Date.now(), committed, errors }),
    /** From now on, count towards `duringRun`. */
    markRunStart: () => {
      mark = { at: Date.now(), committed, errors };
    },
    markRunEnd: () => {
      const from = mark ?? { at: started, committed: 0, errors: 0 };
      const ms = Date.now() - from.at;
      return {
        committed: committed - from.committed,
        errors: errors - from.errors,
        ms,
        tps: ms > 0 ? ((committed - from.committed) * 1000) / ms : 0,
      };
    },
    async stop(duringRun: LoadReport['duringRun']): Promise<LoadReport> {
      stopping = true;
      await Promise.all(loops);
      const durationMs = Date.now() - started;
      let lost = 0;
      if (acked.length) {
        const present = await withPg({ port: options.port, password: options.password, database: 'app' }, (c) =>
          c.query<{ id: string }>('SELECT id FROM bench_load'),
        );
        const have = new Set(present.rows.map((r) => Number(r.id)));
        lost = acked.filter((id) => !have.has(id)).length;
      }
      return {
        clients: options.clients,
        targetTps: options.tps,
        committed,
        errors,
        errorKinds: Object.fromEntries(errorKinds),
        duringRun,
        longestGapMs,
        longestGapAtMs,
        lost,
        durationMs,
      };
    },
  };
}

/** Every `everyMs`, the online strategy's forward lag on the old primary, over one direct connection. */
function startLagSampler(options: { port: number; password: string; everyMs: number }) {
  const started = Date.now();
  const samples: { atMs: number; bytes: number }[] = [];
  let errors = 0;
  let stopping = false;
  let wake: (() => void) | undefined;
  const loop = (async () => {
    let client: pg.Client | undefined;
    while (!stopping) {
      const tick = Date.now();
      try {
        if (!client) {
          const c = new pg.Client({
            host: '127.0.0.1',
            port: options.port,
            user: 'postgres',
            password: options.password,
            database: 'postgres',
            connectionTimeoutMillis: 2_000,
            query_timeout: 5_000,
          });
          c.on('error', () => undefined);
          await c.connect();
          client = c;
        }
        const lag = (await client.query<{ lag: string }>(FORWARD_SLOT_LAG_SQL)).rows[0]?.lag;
        samples.push({ atMs: tick - started, bytes: Number(lag ?? 0) });
      } catch {
        errors += 1;
        const broken = client;
        client = undefined;
        await broken?.end().catch(() => undefined);
      }
      const wait = options.everyMs - (Date.now() - tick);
      if (wait > 0 && !stopping) {
        await new Promise<void>((r) => {
          wake = r;
          setTimeout(r, wait);
        });
      }
    }
    // Closed before the run goes on: retire-old refuses while client sessions are on the old cluster.
    await client?.end().catch(() => undefined);
  })();
  return {
    latest: () => samples.at(-1),
    async stop() {
      stopping = true;
      wake?.();
      await loop;
      return { samples, errors, startedAt: started };
    },
  };
}

/** The last `TAG {json}` line in a step's output tail. */
function taggedJson(state: RunState, stepId: string, tag: string): Record<string, unknown> | undefined {
  const tail = state.steps.find((s) => s.id === stepId)?.instances[0]?.outputTail ?? '';
  const line = tail
    .split('\n')
    .filter((l) => l.startsWith(`${tag} {`))
    .at(-1);
  if (!line) return undefined;
  try {
    return JSON.parse(line.slice(tag.length + 1)) as Record<string, unknown>;
  } catch {
    return { unparsed: line };
  }
}

async function logicalSlots(port: number, password: string): Promise<string[]> {
  return withPg({ port, password }, async (c) =>
    (await c.query<{ slot_name: string }>("SELECT slot_name FROM pg_replication_slots WHERE slot_type = 'logical' ORDER BY 1")).rows.map(
      (r) => r.slot_name,
    ),
  ).catch((err: unknown) => [`error: ${(err as Error).message}`]);
}

/** Per command: first process start to last process end on the fleet. */
function commandSpans(executions: readonly ExecutionRecord[]): Map<string, number> {
  const bounds = new Map<string, { from: number; to: number }>();
  for (const e of executions) {
    if (!e.endedAt) continue;
    const b = bounds.get(e.commandId) ?? { from: Infinity, to: -Infinity };
    bounds.set(e.commandId, { from: Math.min(b.from, Date.parse(e.startedAt)), to: Math.max(b.to, Date.parse(e.endedAt)) });
  }
  return new Map([...bounds].map(([id, b]) => [id, b.to - b.from]));
}

function stepFigures(state: RunState, spans: Map<string, number>): StepFigure[] {
  return state.steps
    .filter((s) => s.status !== 'skipped')
    .map((s) => ({
      id: s.id,
      status: s.status,
      attempts: s.attempts,
      ...(s.startedAt ? { startedAt: s.startedAt } : {}),
      ...(s.endedAt ? { endedAt: s.endedAt } : {}),
      ...(s.startedAt && s.endedAt ? { ms: Date.parse(s.endedAt) - Date.parse(s.startedAt) } : {}),
      ...(s.commandIds.length ? { scriptMs: s.commandIds.reduce((sum, id) => sum + (spans.get(id) ?? 0), 0) } : {}),
    }));
}

async function runCase(
  ctx: {
    client: Client;
    taskQueue: string;
    fleetDir: string;
    s3Endpoint: string;
    outputBucket: string;
    registerInstances: (c: LocalPostgresCluster) => void;
    executions: () => readonly ExecutionRecord[];
    runbook: Parameters<typeof startRun>[1]['runbook'];
  },
  strategy: string,
  targetGiB: number,
): Promise<CaseResult> {
  const name = clusterName(strategy, targetGiB);
  say(`── ${name}: PostgreSQL ${FROM} → ${TO} by ${strategy}, ~${targetGiB} GiB`);
  let t = Date.now();
  const cluster = await createLocalPostgresCluster({
    cluster: name,
    stateDir: ctx.fleetDir,
    standbys: 1,
    fromVersion: FROM,
    s3Endpoint: ctx.s3Endpoint,
    backupBucket: BACKUP_BUCKET,
  });
  const clusterSetupMs = Date.now() - t;
  say(
    `   cluster up in ${seconds(clusterSetupMs)}: primary :${cluster.primary.port}, standby :${cluster.standbys[0]?.port}, PgBouncer :${cluster.clientPort}`,
  );
  t = Date.now();
  const loaded = await loadBulk(cluster, targetGiB * GIB);
  const loadMs = Date.now() - t;
  say(
    `   loaded ${loaded.rows.toLocaleString('en-US')} rows in ${seconds(loadMs)}: databases hold ${gib(loaded.sizeBytes)} (${(loaded.sizeBytes / GIB / (loadMs / 1000)).toFixed(3)} GiB/s)`,
  );
  t = Date.now();
  await waitForReplay(cluster);
  const standbyCatchUpMs = Date.now() - t;
  say(`   standby replayed up to the primary's WAL position ${seconds(standbyCatchUpMs)} after the load`);
  ctx.registerInstances(cluster);

  // Everything the writers need exists before the run starts: online copies the databases and
  // tables there are when create-target runs, and a database created later (the probe's own) makes
  // wait-catch-up give up.
  const loadSetup = await prepareLoadTable(cluster);
  const probe = await startWriteProbe({ port: cluster.clientPort, password: cluster.superuserPassword, intervalMs });
  const probeStarted = Date.now();
  const load = startWriteLoad({
    port: cluster.clientPort,
    password: cluster.superuserPassword,
    clients: loadClients,
    tps: loadTps,
    bulkRows: loaded.rows,
    customers: loadSetup.customers,
  });
  const lagSampler =
    strategy === 'online' ? startLagSampler({ port: cluster.primary.port, password: cluster.superuserPassword, everyMs: 500 }) : undefined;
  let lagSamplerResult: Awaited<ReturnType<NonNullable<typeof lagSampler>['stop']>> | undefined;
  let lagAtApprovalBytes: number | undefined;
  const initiator = `${userInfo().username}@${hostname()} (bench/postgres-upgrade)`;
  try {
    return await runAndMeasure();
  } catch (err) {
    // Leave nothing writing into the next case.
    await Promise.all([load.stop(load.markRunEnd()).catch(() => undefined), probe.stop().catch(() => undefined), lagSampler?.stop()]);
    throw err;
  }

  async function runAndMeasure(): Promise<CaseResult> {
    const handle = await startRun(ctx.client, {
      runbook: ctx.runbook,
      parameters: { ...cluster.runbookParameters, strategy, toVersion: TO, backupBucket: BACKUP_BUCKET },
      initiator,
      reason: `bench: ${strategy} at ${targetGiB} GiB`,
      taskQueue: ctx.taskQueue,
      output: { bucket: ctx.outputBucket, keyPrefix: 'ssmflow/runs' },
    });
    const runId = handle.workflowId;
    load.markRunStart();
    say(
      `   run ${runId} started; a client writes through PgBouncer every ${intervalMs} ms, ${loadClients} more run transactions (${loadTps > 0 ? `${loadTps} tx/s in all` : 'unpaced'})`,
    );
    const controls = runControls(ctx.client, runId);
    const seen = new Map<string, string>();
    let state: RunState;
    let approvalRefusals = 0;
    for (;;) {
      state = await controls.state();
      for (const step of state.steps) {
        if (seen.get(step.id) === step.status || step.status === 'pending' || step.status === 'skipped') continue;
        seen.set(step.id, step.status);
        const took = step.startedAt && step.endedAt ? ` ${seconds(Date.parse(step.endedAt) - Date.parse(step.startedAt))}` : '';
        say(`     ${step.status.padEnd(16)} ${step.id}${took}${step.status === 'failed' && step.message ? `: ${step.message}` : ''}`);
      }
      if (state.status === 'waiting-approval' && state.waitingFor) {
        const approving = state.waitingFor.stepId;
        const lagBefore = lagSampler?.latest();
        // A run that has only just reached the approval may refuse it ("try approve again in a moment").
        const approved = await controls.approve({ by: 'bench-approver', reason: 'approved at once by bench/postgres-upgrade' }).then(
          () => true,
          (err: unknown) => {
            if (!(err instanceof OperatorActionRejected)) throw err;
            approvalRefusals += 1;
            return false;
          },
        );
        if (!approved) {
          await new Promise((r) => setTimeout(r, 50));
          continue;
        }
        if (approving === 'approve-cutover-online' && lagSampler) {
          // After the cut-over the forward slot is stopped and the old cluster takes the reverse
          // changes, so its "lag" means nothing; and retire-old refuses while a client is connected.
          lagAtApprovalBytes = lagBefore?.bytes;
          lagSamplerResult = await lagSampler.stop();
          say(`     lag sampling stopped at the cut-over approval: ${lagAtApprovalBytes ?? '—'} bytes then`);
        }
      }
      if (['succeeded', 'failed', 'rolled-back', 'cancelled', 'paused-on-failure'].includes(state.status)) break;
      await new Promise((r) => setTimeout(r, 200));
    }
    const duringRun = load.markRunEnd();
    lagSamplerResult ??= await lagSampler?.stop();
    if (state.status === 'paused-on-failure')
      await handle.terminate('bench/postgres-upgrade moves on to the next case').catch(() => undefined);
    // The load stops before the checks: the probe's and the load's own count of what is missing.
    const loadReport = await load.stop(duringRun);
    const writes = await probe.stop();
    const walReceiver = await standbyWalReceiver(cluster);
    const newPrimaryPort = strategy === 'online' ? cluster.primary.stagingPort : cluster.primary.port;
    const slotsLeft = await logicalSlots(newPrimaryPort, cluster.superuserPassword);

    const steps = stepFigures(state, commandSpans(ctx.executions()));
    const gapFrom = probeStarted + writes.longestGapAtMs;
    const gapTo = gapFrom + writes.longestGapMs;
    const longestGapSteps = steps
      .filter((s) => s.startedAt && s.endedAt && Date.parse(s.startedAt) < gapTo && Date.parse(s.endedAt) > gapFrom)
      .map((s) => s.id);
    const [fromStep, toStep] = WRITE_WINDOW[strategy] ?? ['', ''];
    const windowFrom = steps.find((s) => s.id === fromStep)?.startedAt;
    const windowTo = steps.find((s) => s.id === toStep)?.endedAt;
    const windowSteps = steps.slice(
      steps.findIndex((s) => s.id === fromStep),
      steps.findIndex((s) => s.id === toStep) + 1,
    );
    const windowScriptMs = windowSteps.reduce((sum, s) => sum + (s.scriptMs ?? 0), 0);
    let online: OnlineFigures | undefined;
    if (strategy === 'online') {
      const lag = (lagSamplerResult?.samples ?? []).map((x) => ({
        atMs: x.atMs + (lagSamplerResult?.startedAt ?? probeStarted) - probeStarted,
        bytes: x.bytes,
      }));
      const max = lag.reduce<{ atMs: number; bytes: number } | undefined>((m, x) => (!m || x.bytes > m.bytes ? x : m), undefined);
      const lastLag = /LAG (\d+) bytes/g;
      const catchUpTail = state.steps.find((s) => s.id === 'wait-catch-up')?.instances[0]?.outputTail ?? '';
      const lagLines = [...catchUpTail.matchAll(lastLag)];
      const verify = taggedJson(state, 'verify-online', 'VERIFY');
      const cutover = taggedJson(state, 'cutover-online', 'CUTOVER');
      online = {
        ...(steps.find((s) => s.id === 'wait-initial-sync')?.ms !== undefined
          ? { initialSyncMs: steps.find((s) => s.id === 'wait-initial-sync')?.ms }
          : {}),
        ...(steps.find((s) => s.id === 'wait-catch-up')?.ms !== undefined
          ? { catchUpMs: steps.find((s) => s.id === 'wait-catch-up')?.ms }
          : {}),
        ...(lagLines.length ? { catchUpLastLagBytes: Number(lagLines.at(-1)?.[1]) } : {}),
        lagSamples: lag.length,
        lagSampleErrors: lagSamplerResult?.errors ?? 0,
        ...(max ? { maxLagBytes: max.bytes, maxLagAtMs: max.atMs } : {}),
        ...(lagAtApprovalBytes !== undefined ? { lagAtApprovalBytes } : {}),
        ...(verify ? { verify } : {}),
        ...(cutover ? { cutover } : {}),
        lag,
      };
    }
    const result: CaseResult = {
      cluster: name,
      strategy,
      targetGiB,
      sizeBytes: loaded.sizeBytes,
      loadedRows: loaded.rows,
      loadMs,
      clusterSetupMs,
      standbyCatchUpMs,
      runId,
      status: state.status,
      runWallMs: Date.parse(state.endedAt ?? new Date().toISOString()) - Date.parse(state.startedAt),
      probe: { ...writes, intervalMs },
      longestGapSteps,
      ...(windowFrom && windowTo
        ? {
            writeWindowBySteps: { from: fromStep, to: toStep, ms: Date.parse(windowTo) - Date.parse(windowFrom), scriptMs: windowScriptMs },
          }
        : {}),
      approvalRefusals,
      load: loadReport,
      ...(online ? { online } : {}),
      newPrimaryPort,
      logicalSlotsLeft: slotsLeft,
      standbyWalReceiver: walReceiver,
      standbyStreaming: walReceiver === 'streaming',
      steps,
      ...(state.failure ? { failure: `${state.failure.stepId}: ${state.failure.message}` } : {}),
    };
    say(
      `   ${state.status} in ${seconds(result.runWallMs)}; writes: ${writes.acknowledged} acknowledged, ${writes.failed} refused, ${writes.lost} lost`,
    );
    say(
      `   longest gap ${seconds(writes.longestGapMs)} (during ${longestGapSteps.join(', ') || '—'}), unavailable ${seconds(writes.unavailableMs)} in all; standby WAL receiver: ${walReceiver}`,
    );
    say(
      `   background load: ${loadReport.committed} committed, ${loadReport.errors} errors, ${loadReport.lost} lost; ${duringRun.tps.toFixed(1)} tx/s during the run; longest gap between commits ${seconds(loadReport.longestGapMs)}`,
    );
    for (const [kind, n] of Object.entries(loadReport.errorKinds)) say(`     ${n} × ${kind}`);
    if (online) {
      say(
        `   online: initial sync ${seconds(online.initialSyncMs)}, catch-up ${seconds(online.catchUpMs)}; lag max ${bytesText(online.maxLagBytes)}, at approval ${bytesText(online.lagAtApprovalBytes)} (${online.lagSamples} samples, ${online.lagSampleErrors} errors)`,
      );
      say(`   VERIFY ${JSON.stringify(online.verify ?? null)}; CUTOVER ${JSON.stringify(online.cutover ?? null)}`);
    }
    say(`   logical slots on the new primary (:${newPrimaryPort}): ${slotsLeft.join(', ') || 'none'}`);
    return result;
  }
}

function printTable(results: CaseResult[]): void {
  const step = (r: CaseResult, id: string) => r.steps.find((s) => s.id === id)?.ms;
  const scriptOf = (r: CaseResult, id: string) => r.steps.find((s) => s.id === id)?.scriptMs;
  const rows: string[][] = [
    ['', ...results.map((r) => `${r.strategy} ${r.targetGiB} GiB`)],
    ['size (measured)', ...results.map((r) => gib(r.sizeBytes))],
    ['run status', ...results.map((r) => r.status)],
    ['run wall time', ...results.map((r) => seconds(r.runWallMs))],
    ['longest gap between writes', ...results.map((r) => seconds(r.probe.longestGapMs))],
    ['writes unavailable (sum of gaps)', ...results.map((r) => seconds(r.probe.unavailableMs))],
    ['write window by step times', ...results.map((r) => seconds(r.writeWindowBySteps?.ms))],
    ['· of which step scripts ran', ...results.map((r) => seconds(r.writeWindowBySteps?.scriptMs))],
    ['writes acknowledged / refused / lost', ...results.map((r) => `${r.probe.acknowledged} / ${r.probe.failed} / ${r.probe.lost}`)],
    ['background tx committed / errors / lost', ...results.map((r) => `${r.load.committed} / ${r.load.errors} / ${r.load.lost}`)],
    ['background tx/s during the run', ...results.map((r) => r.load.duringRun.tps.toFixed(1))],
    ['background longest gap between commits', ...results.map((r) => seconds(r.load.longestGapMs))],
    [
      'initial sync / catch-up (wait steps)',
      ...results.map((r) => (r.online ? `${seconds(r.online.initialSyncMs)} / ${seconds(r.online.catchUpMs)}` : '—')),
    ],
    [
      'replication lag max / at approval',
      ...results.map((r) => (r.online ? `${bytesText(r.online.maxLagBytes)} / ${bytesText(r.online.lagAtApprovalBytes)}` : '—')),
    ],
    [
      'verify-online / cutover-online pauseMs',
      ...results.map((r) => (r.online ? `${String(r.online.verify?.pauseMs ?? '—')} / ${String(r.online.cutover?.pauseMs ?? '—')}` : '—')),
    ],
    ['standby streaming at end', ...results.map((r) => (r.standbyStreaming ? 'yes' : `no (${r.standbyWalReceiver})`))],
    ['logical slots left on new primary', ...results.map((r) => (r.logicalSlotsLeft.length ? r.logicalSlotsLeft.join(', ') : 'none'))],
  ];
  for (const id of KEY_STEPS) {
    if (results.some((r) => step(r, id) !== undefined))
      rows.push([
        `step ${id} (its script)`,
        ...results.map((r) => (step(r, id) === undefined ? '—' : `${seconds(step(r, id))} (${seconds(scriptOf(r, id))})`)),
      ]);
  }
  console.log('');
  for (const line of formatColumns(rows, '  ')) console.log(line);
}

async function main(): Promise<void> {
  Runtime.install({ logger: new DefaultLogger('WARN') });
  const scratch = mkdtempSync(join(tmpdir(), 'bench-pg-upgrade-'));
  // The clusters' OS user must traverse it to reach their data directories.
  chmodSync(scratch, 0o711);
  const fleetDir = join(scratch, 'fleet');
  const cleanups: (() => Promise<void>)[] = [async () => rmSync(scratch, { recursive: true, force: true })];
  const results: CaseResult[] = [];
  const matrix = sizes.flatMap((size) => strategies.map((strategy) => ({ size, strategy })));
  say(
    `bench/postgres-upgrade: ${matrix.map((m) => `${m.strategy} ${m.size} GiB`).join(', ')}; probe every ${intervalMs} ms; load ${loadClients} clients, ${loadTps || 'unpaced'} tx/s; scratch ${scratch}`,
  );
  try {
    const stack = await startLocalStack({ stateDir: join(scratch, 'stack'), temporalPort: 0, uiPort: 0, s3Port: 0 });
    cleanups.unshift(() => stack.stop());
    Object.assign(process.env, stack.env);
    const fleet = await startFleet({ stateDir: fleetDir, config: { instances: [], s3Endpoint: stack.s3.endpoint } });
    cleanups.unshift(() => fleet.stop());
    Object.assign(process.env, localAwsEnvironment({ ssm: fleet.endpoint, s3: stack.s3.endpoint }));
    say(`Temporal ${stack.temporal.address}, S3 emulator ${stack.s3.endpoint}, fleet ${fleet.endpoint}`);

    const nativeConnection = await NativeConnection.connect({ address: stack.temporal.address });
    const connection = await Connection.connect({ address: stack.temporal.address });
    cleanups.unshift(async () => {
      await connection.close();
      await nativeConnection.close();
    });
    const client = new Client({ connection, namespace: stack.temporal.namespace });
    const taskQueue = `bench-pg-upgrade-${Date.now()}`;
    const worker = await createSsmflowWorker({
      connection: nativeConnection,
      namespace: stack.temporal.namespace,
      taskQueue,
      dependencies: { s3: createS3Client(), ssm: createSsmClient() },
    });
    const loaded = await loadRunbookFile(join(projectRoot, 'runbooks', 'postgres-major-upgrade.yaml'));
    if ('errors' in loaded) throw new Error(`the shipped runbook does not validate: ${loaded.errors.map((e) => e.message).join('; ')}`);
    const ctx = {
      client,
      taskQueue,
      fleetDir,
      s3Endpoint: stack.s3.endpoint,
      outputBucket: stack.outputBucket,
      runbook: loaded.normalized,
      registerInstances: (c: LocalPostgresCluster) => void fleet.registerInstances(c.instances),
      executions: () => fleet.executions(),
    };

    await worker.runUntil(async () => {
      for (const { size, strategy } of matrix) {
        const name = clusterName(strategy, size);
        try {
          results.push(await runCase(ctx, strategy, size));
        } catch (err) {
          say(`   case ${name} failed: ${(err as Error).stack ?? String(err)}`);
        } finally {
          if (!args.keep) {
            const t = Date.now();
            await removeLocalPostgresCluster({ stateDir: fleetDir, cluster: name });
            say(`   cluster ${name} stopped and deleted (${seconds(Date.now() - t)})`);
          }
        }
      }
    });

    printTable(results);
    const totalMs = Date.now() - benchStarted;
    console.log(`\n  bench wall time ${seconds(totalMs)} (${(totalMs / 60_000).toFixed(1)} min)`);
    const resultsDir = join(projectRoot, 'bench', 'results');
    mkdirSync(resultsDir, { recursive: true });
    const file = join(resultsDir, `postgres-upgrade-${new Date().toISOString().replace(/[:.]/g, '-')}.json`);
    const machine = { cpus: cpus().length, cpuModel: cpus()[0]?.model, totalMemGiB: Math.round(totalmem() / GIB), node: process.version };
    writeFileSync(
      file,
      JSON.stringify(
        {
          startedAt: new Date(benchStarted).toISOString(),
          totalMs,
          machine,
          args: { sizes, strategies, intervalMs, loadClients, loadTps },
          payloadRepeat: PAYLOAD_REPEAT,
          cases: results,
        },
        null,
        2,
      ) + '\n',
    );
    console.log(`  results: ${file}`);
    if (args.keep) {
      console.log(`\n--keep: Temporal ${stack.temporal.address}, fleet ${fleet.endpoint}, state in ${scratch}; Ctrl-C stops everything.`);
      await new Promise<void>((resolveStop) => process.once('SIGINT', () => resolveStop()));
    }
  } finally {
    if (args.keep)
      for (const m of matrix)
        await removeLocalPostgresCluster({ stateDir: fleetDir, cluster: clusterName(m.strategy, m.size) }).catch(() => undefined);
    for (const cleanup of cleanups) await cleanup().catch((err: unknown) => console.error(`cleanup: ${(err as Error).message}`));
  }
}

main().then(
  () => process.exit(0),
  (err: unknown) => {
    console.error(`bench failed: ${err instanceof Error ? (err.stack ?? err.message) : String(err)}`);
    process.exit(1);
  },
);
