// bench/postgres-upgrade: how long writes are unavailable while the postgres-major-upgrade runbook
// upgrades a cluster (a PostgreSQL 16 primary, a streaming standby, PgBouncer in front) to 17, by
// strategy (dump, link) and data size. Per case: a fresh local cluster, bulk data loaded into the
// primary until its databases hold about the target size, the standby caught up; then a client
// writes through PgBouncer every --interval-ms for the whole run (local/write-probe.ts) while the
// runbook runs through an in-process worker, approvals given at once. Prints figures per case and
// one table at the end, never a pass/fail; JSON goes to bench/results/.
//
//   npx tsx bench/postgres-upgrade.ts [--sizes 1,5] [--strategies dump,link] [--interval-ms 50] [--keep]
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
import { createS3Client, createSsmClient } from '../activities/aws-clients.js';
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
  --strategies dump,link runbook strategies to measure, in this order per size
  --interval-ms 50       the write probe's interval between INSERTs through PgBouncer
  --keep                 leave the stack, fleet and every case's cluster up at the end (Ctrl-C
                         stops and deletes them; at 5 GiB each cluster holds over 10 GiB of disk)
  --help                 this text
`;

const { values: args } = parseArgs({
  options: {
    sizes: { type: 'string', default: '1,5' },
    strategies: { type: 'string', default: 'dump,link' },
    'interval-ms': { type: 'string', default: '50' },
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
if (sizes.some((s) => !(s > 0)) || strategies.some((s) => s !== 'dump' && s !== 'link') || !(intervalMs > 0)) {
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
const KEY_STEPS = ['backup', 'stop-writes', 'migrate', 'verify', 'cutover', 'pause-writes', 'stop-primary', 'pg-upgrade', 'approve-start', 'approve-cutover', 'start-new-primary', 'resume-writes', 'rebuild-standby', 'analyze'];
/** First and last step of the window in which the runbook keeps writes from going through. */
const WRITE_WINDOW: Record<string, [string, string]> = { link: ['pause-writes', 'resume-writes'], dump: ['stop-writes', 'resume-after-cutover'] };

const benchStarted = Date.now();
const clock = () => `${((Date.now() - benchStarted) / 1000).toFixed(0).padStart(5)}s`;
const say = (text: string) => console.log(`${clock()}  ${text}`);
const seconds = (ms: number | undefined) => (ms === undefined ? '—' : `${(ms / 1000).toFixed(ms < 10_000 ? 2 : 1)} s`);
const gib = (bytes: number) => `${(bytes / GIB).toFixed(2)} GiB`;
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
  standbyWalReceiver: string;
  standbyStreaming: boolean;
  steps: StepFigure[];
  failure?: string;
}

type PgOptions = { port: number; password: string; database?: string };
async function withPg<T>(options: PgOptions, use: (client: pg.Client) => Promise<T>): Promise<T> {
  const client = new pg.Client({ host: '127.0.0.1', port: options.port, user: 'postgres', password: options.password, database: options.database ?? 'postgres' });
  client.on('error', () => undefined);
  await client.connect();
  try {
    return await use(client);
  } finally {
    await client.end().catch(() => undefined);
  }
}

const clusterSize = (client: pg.Client) =>
  client.query<{ bytes: string }>('SELECT sum(pg_database_size(datname))::bigint AS bytes FROM pg_database').then((r) => Number(r.rows[0]?.bytes ?? 0));

/** Fills app.bench_bulk until the cluster's databases hold `targetBytes`; returns rows written and the size reached. */
async function loadBulk(cluster: LocalPostgresCluster, targetBytes: number): Promise<{ rows: number; sizeBytes: number }> {
  return withPg({ port: cluster.primary.port, password: cluster.superuserPassword, database: 'app' }, async (client) => {
    await client.query('CREATE TABLE bench_bulk (id bigint PRIMARY KEY, payload text NOT NULL)');
    let size = await clusterSize(client);
    let rows = 0;
    let batch = 200_000;
    while (size < targetBytes * 0.99) {
      const before = size;
      await client.query(`INSERT INTO bench_bulk SELECT g, repeat(md5(g::text), ${PAYLOAD_REPEAT}) FROM generate_series($1::bigint, $2::bigint) AS g`, [rows + 1, rows + batch]);
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
  const lsn = await withPg({ port: cluster.primary.port, password: cluster.superuserPassword }, async (c) => (await c.query<{ lsn: string }>('SELECT pg_current_wal_lsn()::text AS lsn')).rows[0]?.lsn);
  await withPg({ port: standby.port, password: cluster.superuserPassword }, async (c) => {
    for (;;) {
      const caughtUp = (await c.query<{ ok: boolean }>('SELECT coalesce(pg_last_wal_replay_lsn() >= $1::pg_lsn, false) AS ok', [lsn])).rows[0]?.ok;
      if (caughtUp) return;
      await new Promise((r) => setTimeout(r, 500));
    }
  });
}

async function standbyWalReceiver(cluster: LocalPostgresCluster): Promise<string> {
  const standby = cluster.standbys[0];
  if (!standby) return 'no standby';
  return withPg({ port: standby.port, password: cluster.superuserPassword }, async (c) => (await c.query<{ status: string }>('SELECT status FROM pg_stat_wal_receiver')).rows[0]?.status ?? 'none').catch(
    (err: unknown) => `error: ${(err as Error).message}`,
  );
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
  ctx: { client: Client; taskQueue: string; fleetDir: string; s3Endpoint: string; outputBucket: string; registerInstances: (c: LocalPostgresCluster) => void; executions: () => readonly ExecutionRecord[]; runbook: Parameters<typeof startRun>[1]['runbook'] },
  strategy: string,
  targetGiB: number,
): Promise<CaseResult> {
  const name = clusterName(strategy, targetGiB);
  say(`── ${name}: PostgreSQL ${FROM} → ${TO} by ${strategy}, ~${targetGiB} GiB`);
  let t = Date.now();
  const cluster = await createLocalPostgresCluster({ cluster: name, stateDir: ctx.fleetDir, standbys: 1, fromVersion: FROM, s3Endpoint: ctx.s3Endpoint, backupBucket: BACKUP_BUCKET });
  const clusterSetupMs = Date.now() - t;
  say(`   cluster up in ${seconds(clusterSetupMs)}: primary :${cluster.primary.port}, standby :${cluster.standbys[0]?.port}, PgBouncer :${cluster.clientPort}`);
  t = Date.now();
  const loaded = await loadBulk(cluster, targetGiB * GIB);
  const loadMs = Date.now() - t;
  say(`   loaded ${loaded.rows.toLocaleString('en-US')} rows in ${seconds(loadMs)}: databases hold ${gib(loaded.sizeBytes)} (${(loaded.sizeBytes / GIB / (loadMs / 1000)).toFixed(3)} GiB/s)`);
  t = Date.now();
  await waitForReplay(cluster);
  const standbyCatchUpMs = Date.now() - t;
  say(`   standby replayed up to the primary's WAL position ${seconds(standbyCatchUpMs)} after the load`);
  ctx.registerInstances(cluster);

  const probe = await startWriteProbe({ port: cluster.clientPort, password: cluster.superuserPassword, intervalMs });
  const probeStarted = Date.now();
  const initiator = `${userInfo().username}@${hostname()} (bench/postgres-upgrade)`;
  const handle = await startRun(ctx.client, {
    runbook: ctx.runbook,
    parameters: { ...cluster.runbookParameters, strategy, toVersion: TO, backupBucket: BACKUP_BUCKET },
    initiator,
    reason: `bench: ${strategy} at ${targetGiB} GiB`,
    taskQueue: ctx.taskQueue,
    output: { bucket: ctx.outputBucket, keyPrefix: 'ssmflow/runs' },
  });
  const runId = handle.workflowId;
  say(`   run ${runId} started; a client writes through PgBouncer every ${intervalMs} ms`);
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
      // A run that has only just reached the approval may refuse it ("try approve again in a moment").
      const approved = await controls.approve({ by: initiator, reason: 'approved at once by bench/postgres-upgrade' }).then(
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
    }
    if (['succeeded', 'failed', 'rolled-back', 'cancelled', 'paused-on-failure'].includes(state.status)) break;
    await new Promise((r) => setTimeout(r, 200));
  }
  if (state.status === 'paused-on-failure') await handle.terminate('bench/postgres-upgrade moves on to the next case').catch(() => undefined);
  const writes = await probe.stop();
  const walReceiver = await standbyWalReceiver(cluster);

  const steps = stepFigures(state, commandSpans(ctx.executions()));
  const gapFrom = probeStarted + writes.longestGapAtMs;
  const gapTo = gapFrom + writes.longestGapMs;
  const longestGapSteps = steps.filter((s) => s.startedAt && s.endedAt && Date.parse(s.startedAt) < gapTo && Date.parse(s.endedAt) > gapFrom).map((s) => s.id);
  const [fromStep, toStep] = WRITE_WINDOW[strategy] ?? ['', ''];
  const windowFrom = steps.find((s) => s.id === fromStep)?.startedAt;
  const windowTo = steps.find((s) => s.id === toStep)?.endedAt;
  const windowSteps = steps.slice(steps.findIndex((s) => s.id === fromStep), steps.findIndex((s) => s.id === toStep) + 1);
  const windowScriptMs = windowSteps.reduce((sum, s) => sum + (s.scriptMs ?? 0), 0);
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
    ...(windowFrom && windowTo ? { writeWindowBySteps: { from: fromStep, to: toStep, ms: Date.parse(windowTo) - Date.parse(windowFrom), scriptMs: windowScriptMs } } : {}),
    approvalRefusals,
    standbyWalReceiver: walReceiver,
    standbyStreaming: walReceiver === 'streaming',
    steps,
    ...(state.failure ? { failure: `${state.failure.stepId}: ${state.failure.message}` } : {}),
  };
  say(`   ${state.status} in ${seconds(result.runWallMs)}; writes: ${writes.acknowledged} acknowledged, ${writes.failed} refused, ${writes.lost} lost`);
  say(`   longest gap ${seconds(writes.longestGapMs)} (during ${longestGapSteps.join(', ') || '—'}), unavailable ${seconds(writes.unavailableMs)} in all; standby WAL receiver: ${walReceiver}`);
  return result;
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
    ['standby streaming at end', ...results.map((r) => (r.standbyStreaming ? 'yes' : `no (${r.standbyWalReceiver})`))],
  ];
  for (const id of KEY_STEPS) {
    if (results.some((r) => step(r, id) !== undefined)) rows.push([`step ${id} (its script)`, ...results.map((r) => (step(r, id) === undefined ? '—' : `${seconds(step(r, id))} (${seconds(scriptOf(r, id))})`))]);
  }
  console.log('');
  for (const line of formatColumns(rows, '  ')) console.log(line);
}

async function main(): Promise<void> {
  process.env.AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED ??= 'true';
  Runtime.install({ logger: new DefaultLogger('WARN') });
  const scratch = mkdtempSync(join(tmpdir(), 'bench-pg-upgrade-'));
  // The clusters' OS user must traverse it to reach their data directories.
  chmodSync(scratch, 0o711);
  const fleetDir = join(scratch, 'fleet');
  const cleanups: (() => Promise<void>)[] = [async () => rmSync(scratch, { recursive: true, force: true })];
  const results: CaseResult[] = [];
  const matrix = sizes.flatMap((size) => strategies.map((strategy) => ({ size, strategy })));
  say(`bench/postgres-upgrade: ${matrix.map((m) => `${m.strategy} ${m.size} GiB`).join(', ')}; probe every ${intervalMs} ms; scratch ${scratch}`);
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
    const worker = await createSsmflowWorker({ connection: nativeConnection, namespace: stack.temporal.namespace, taskQueue, dependencies: { s3: createS3Client(), ssm: createSsmClient() } });
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
    writeFileSync(file, JSON.stringify({ startedAt: new Date(benchStarted).toISOString(), totalMs, machine, args: { sizes, strategies, intervalMs }, payloadRepeat: PAYLOAD_REPEAT, cases: results }, null, 2) + '\n');
    console.log(`  results: ${file}`);
    if (args.keep) {
      console.log(`\n--keep: Temporal ${stack.temporal.address}, fleet ${fleet.endpoint}, state in ${scratch}; Ctrl-C stops everything.`);
      await new Promise<void>((resolveStop) => process.once('SIGINT', () => resolveStop()));
    }
  } finally {
    if (args.keep) for (const m of matrix) await removeLocalPostgresCluster({ stateDir: fleetDir, cluster: clusterName(m.strategy, m.size) }).catch(() => undefined);
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
