// `npm run demo`: the main job on the local default stack. A PostgreSQL 16 cluster laid out as
// production runs it (a primary, a streaming standby, a PgBouncer in front; each a local SSM fleet
// instance) is upgraded to PostgreSQL 17 online, by logical replication into a new cluster, by the
// shipped postgres-major-upgrade runbook, through a worker, while a client writes through the
// pooler every 50 ms; live progress, then what the client saw and a per-table comparison.
//   npm run demo -- --strategy link   # or dump: the other strategies
//
//   npm run demo              # set up (idempotently), migrate, summarize, stop everything
//   npm run demo -- --keep    # leave the stack up afterwards (Temporal UI, fleet, PostgreSQL)
import { userInfo, hostname } from 'node:os';
import { join } from 'node:path';
import { CreateBucketCommand } from '@aws-sdk/client-s3';
import { Client, Connection } from '@temporalio/client';
import { DefaultLogger, NativeConnection, Runtime } from '@temporalio/worker';
import { createS3Client, createSsmClient } from '../aws/clients.js';
import { localAwsEnvironment } from '../local/local-aws-env.js';
import { createLocalPostgresCluster } from '../local/postgres-cluster.js';
import { postgresReachableDir } from '../local/postgres-reachable-dir.js';
import { readPostgresTools } from '../local/postgres-tools.js';
import { startLagSampler, type LagSample } from '../local/replication-lag.js';
import { tableChecksums } from '../local/table-checksums.js';
import { startWriteProbe, type WriteProbeReport } from '../local/write-probe.js';
import { projectRoot } from '../local/project-root.js';
import { preferredPort } from '../local/port-available.js';
import { startLocalStack } from '../local/local-stack.js';
import { colours as c } from '../client/output/style.js';
import { formatColumns } from '../client/output/table.js';
import { formatDuration } from '../client/output/time.js';
import { runControls, startRun } from '../client/runs.js';
import { startFleet } from '../fleet/server.js';
import { loadRunbookFile } from '../runbook/load-file.js';
import { createSsmflowWorker } from '../worker/create-worker.js';
import { nextActionCommands } from '../client/output/next-actions.js';
import type { RunState, StepState } from '../workflows/run-state.js';

const keepRunning = process.argv.includes('--keep');
const strategyArg = process.argv.indexOf('--strategy');
const STRATEGY = strategyArg > 0 ? (process.argv[strategyArg + 1] ?? '') : 'online';
if (!['online', 'link', 'dump'].includes(STRATEGY)) {
  console.error(`demo: --strategy must be online, link or dump (got "${STRATEGY}")`);
  process.exit(2);
}
const started = Date.now();
const clock = () => c.dim(`${((Date.now() - started) / 1000).toFixed(1).padStart(6)}s`);
const say = (text: string) => console.log(`${clock()}  ${text}`);

const CLUSTER = 'pg-demo';
const FROM = 16;
const TO = 17;
const BACKUP_BUCKET = 'ssmflow-pg-backups';
const stateDir = join(projectRoot, '.ssmflow');

async function demo(): Promise<void> {
  Runtime.install({ logger: new DefaultLogger('WARN') });
  say('starting the local stack: Temporal dev server + UI (state in .ssmflow/temporal.db), S3 emulator');
  const stack = await startLocalStack({ stateDir });
  Object.assign(process.env, stack.env);
  const cleanups: (() => Promise<void>)[] = [() => stack.stop()];
  try {
    const fleetDir = await postgresReachableDir(join(stateDir, 'fleet'), readPostgresTools().osUser);
    if (fleetDir !== join(stateDir, 'fleet'))
      say(`the fleet's instances live in ${fleetDir}: the PostgreSQL user cannot reach ${projectRoot}`);
    say(`preparing cluster ${CLUSTER}: a PostgreSQL ${FROM} primary (seeded), a streaming standby, a PgBouncer in front`);
    const cluster = await createLocalPostgresCluster({
      cluster: CLUSTER,
      stateDir: fleetDir,
      standbys: 1,
      fromVersion: FROM,
      s3Endpoint: stack.s3.endpoint,
      backupBucket: BACKUP_BUCKET,
    });
    cleanups.unshift(() => cluster.stop());
    const fleet = await startFleet({
      stateDir: fleetDir,
      port: await preferredPort(4580),
      config: { instances: cluster.instances, s3Endpoint: stack.s3.endpoint },
    });
    cleanups.unshift(() => fleet.stop());
    Object.assign(process.env, localAwsEnvironment({ ssm: fleet.endpoint }));
    const s3 = createS3Client();
    await s3.send(new CreateBucketCommand({ Bucket: stack.outputBucket })).catch(() => undefined);
    say(
      `local SSM fleet at ${fleet.endpoint}: ${cluster.members.map((m) => `${m.instanceId} (${m.role}, PostgreSQL on 127.0.0.1:${m.port})`).join(', ')}`,
    );

    say('bundling workflows and starting a worker');
    const taskQueue = 'ssmflow-demo';
    const nativeConnection = await NativeConnection.connect({ address: stack.temporal.address });
    const connection = await Connection.connect({ address: stack.temporal.address });
    cleanups.unshift(async () => {
      await connection.close();
      await nativeConnection.close();
    });
    const client = new Client({ connection, namespace: stack.temporal.namespace });
    const worker = await createSsmflowWorker({
      connection: nativeConnection,
      namespace: stack.temporal.namespace,
      taskQueue,
      dependencies: { s3, ssm: createSsmClient() },
    });

    const loaded = await loadRunbookFile(join(projectRoot, 'runbooks', 'postgres-major-upgrade.yaml'));
    if ('errors' in loaded) throw new Error(`the shipped runbook does not validate: ${loaded.errors.map((e) => e.message).join('; ')}`);
    const initiator = `${userInfo().username}@${hostname()} (npm run demo)`;
    // The client starts writing before the run: the online strategy copies the databases that exist when it starts.
    const before = await tableChecksums({ port: cluster.clientPort, password: cluster.superuserPassword });
    const probe = await startWriteProbe({ port: cluster.clientPort, password: cluster.superuserPassword });
    say(`a client writes through PgBouncer (127.0.0.1:${cluster.clientPort}) every 50 ms for the whole run`);
    const handle = await startRun(client, {
      runbook: loaded.normalized,
      parameters: { ...cluster.runbookParameters, strategy: STRATEGY, toVersion: TO, backupBucket: BACKUP_BUCKET },
      initiator,
      reason: 'demo: upgrade the local cluster',
      taskQueue,
      output: { bucket: stack.outputBucket, keyPrefix: 'ssmflow/runs' },
    });
    const runId = handle.workflowId;
    say(`run ${c.bold(runId)} started: runbook postgres-major-upgrade, PostgreSQL ${FROM} → ${TO}, strategy ${STRATEGY}`);
    const lag = startLagSampler({ port: cluster.primary.port, password: cluster.superuserPassword });

    const controls = runControls(client, runId);
    // A second person: the runbook's approvals keep the default four-eyes policy.
    const demoApprover = 'demo-approver';
    const state = await worker.runUntil(async () => {
      const seen = new Map<string, string>();
      for (;;) {
        const current = await controls.state();
        for (const step of current.steps) {
          if (seen.get(step.id) === step.status) continue;
          seen.set(step.id, step.status);
          reportStep(step);
        }
        if (current.status === 'waiting-approval' && current.waitingFor) {
          const approved = await controls.approve({ by: demoApprover, reason: 'approved automatically by npm run demo' }).then(
            () => true,
            // The wait opens one workflow task after the status shows it: ask again on the next round.
            (err: Error) => {
              if (/about to wait/.test(err.message)) return false;
              throw err;
            },
          );
          if (approved)
            say(
              `${c.yellow('?')} ${(current.waitingFor.message ?? '').split('\n').join('\n          ')}\n          — approved by ${demoApprover} (four eyes: whoever starts a run may not approve it)`,
            );
        }
        if (['succeeded', 'failed', 'rolled-back', 'cancelled'].includes(current.status)) return current;
        if (current.status === 'paused-on-failure') return current;
        await new Promise((r) => setTimeout(r, 250));
      }
    });
    const writes = await probe.stop();
    const lagSamples = await lag.stop();
    const after =
      state.status === 'succeeded' ? await tableChecksums({ port: cluster.clientPort, password: cluster.superuserPassword }) : undefined;
    const standbyCopy =
      state.status === 'succeeded' && cluster.standbys[0]
        ? await tableChecksums({ port: cluster.standbys[0].port, password: cluster.superuserPassword })
        : undefined;
    printSummary(state, stack.temporal.uiUrl ?? '', stack.outputBucket, writes, { before, after, standbyCopy }, lagSamples);
    if (writes.lost > 0) process.exitCode = 1;
    if (state.status !== 'succeeded') process.exitCode = 1;
    if (keepRunning) {
      console.log(`\n--keep: Temporal UI ${stack.temporal.uiUrl}, fleet ${fleet.endpoint}; Ctrl-C stops everything.`);
      console.log(
        `   in another shell: export TEMPORAL_ADDRESS=${stack.temporal.address} AWS_ENDPOINT_URL_SSM=${fleet.endpoint} AWS_ENDPOINT_URL_RESOURCE_GROUPS_TAGGING_API=${fleet.endpoint} AWS_ENDPOINT_URL_S3=${stack.s3.endpoint}`,
      );
      await new Promise<void>((resolveStop) => process.once('SIGINT', () => resolveStop()));
    }
  } finally {
    for (const cleanup of cleanups) await cleanup().catch((err: unknown) => console.error(`cleanup: ${(err as Error).message}`));
  }
}

function reportStep(step: StepState): void {
  const took = step.startedAt && step.endedAt ? c.dim(` ${formatDuration(Date.parse(step.endedAt) - Date.parse(step.startedAt))}`) : '';
  const instances = step.instances.length
    ? c.dim(` (${step.instances.filter((i) => i.status === 'Success').length}/${step.instances.length} instances ok)`)
    : '';
  switch (step.status) {
    case 'running':
      say(`${c.cyan('▶')} ${step.id}${step.description ? c.dim(` — ${step.description}`) : ''}`);
      break;
    case 'succeeded':
      say(`${c.green('✓')} ${step.id}${took}${instances}`);
      break;
    case 'failed':
      say(`${c.red('✗')} ${step.id}${took}${instances}: ${step.message ?? ''}`);
      break;
    case 'rolled-back':
      say(`${c.yellow('↶')} ${step.id} rolled back`);
      break;
    case 'rollback-failed':
      say(`${c.red('✗')} ${step.id} rollback failed: ${step.rollback?.message ?? ''}`);
      break;
    default:
      break;
  }
}

/** Tables whose row count or checksum differ between two snapshots. */
function differingTables(a: Map<string, string>, b: Map<string, string>): string[] {
  return [...new Set([...a.keys(), ...b.keys()])].filter((table) => a.get(table) !== b.get(table));
}

function printSummary(
  state: RunState,
  uiUrl: string,
  outputBucket: string,
  writes: WriteProbeReport,
  tables: { before: Map<string, string>; after?: Map<string, string> | undefined; standbyCopy?: Map<string, string> | undefined },
  lagSamples: LagSample[],
): void {
  const ok = state.status === 'succeeded';
  console.log('');
  console.log(c.bold(`Run ${state.runId}: ${ok ? c.green(state.status) : c.red(state.status)}`));
  const rows = state.steps.map((s) => [
    s.id,
    s.status,
    s.startedAt && s.endedAt ? formatDuration(Date.parse(s.endedAt) - Date.parse(s.startedAt)) : '',
    s.attempts ? String(s.attempts) : '',
    s.commandIds.at(-1) ?? '',
  ]);
  for (const line of formatColumns([['step', 'status', 'time', 'attempts', 'last SSM command'], ...rows], '  ')) console.log(line);
  console.log('');
  console.log(c.bold('What the client writing through PgBouncer saw'));
  console.log(
    `  ${writes.acknowledged} writes acknowledged, ${writes.failed} refused, ${writes.lost === 0 ? c.green('0 lost') : c.red(`${writes.lost} LOST`)}`,
  );
  const seconds = (ms: number) => `${(ms / 1000).toFixed(2)} s`;
  console.log(`  longest wait for a write ${seconds(writes.longestGapMs)} (writes unavailable ${seconds(writes.unavailableMs)} in all)`);
  const pauses = ['verify-online', 'cutover-online']
    .map((id) => [id, /"pauseMs":(\d+)/.exec(state.steps.find((s) => s.id === id)?.instances[0]?.outputTail ?? '')?.[1]] as const)
    .filter((entry): entry is readonly [string, string] => entry[1] !== undefined);
  if (pauses.length) console.log(`  PgBouncer held writes: ${pauses.map(([id, ms]) => `${id} ${seconds(Number(ms))}`).join(', ')}`);
  if (lagSamples.length) {
    const peak = lagSamples.reduce((a, b) => (b.bytes > a.bytes ? b : a));
    console.log(
      `  replication lag (old → new), sampled every 0.5 s: peak ${peak.bytes} bytes at ${(peak.atMs / 1000).toFixed(1)} s into the run`,
    );
  }
  console.log('');
  if (tables.after) {
    const changed = differingTables(tables.before, tables.after);
    const onStandby = tables.standbyCopy ? differingTables(tables.after, tables.standbyCopy) : [];
    console.log(c.bold('Data (per table: row count and checksum, as a client sees it)'));
    console.log(
      `  before vs after the upgrade: ${changed.length === 0 ? c.green(`${tables.before.size} tables equal`) : c.red(`differ: ${changed.join(', ')}`)}`,
    );
    if (tables.standbyCopy)
      console.log(
        `  new primary vs rebuilt standby: ${onStandby.length === 0 ? c.green(`${tables.after.size} tables equal`) : c.red(`differ: ${onStandby.join(', ')}`)}`,
      );
    console.log('');
  }
  if (state.failure) {
    console.log(c.red(`Stopped at ${state.failure.stepId}: ${state.failure.message}`));
    for (const action of nextActionCommands(state)) console.log(`  ${action}`);
    console.log('');
  }
  const wall = Date.parse(state.endedAt ?? new Date().toISOString()) - Date.parse(state.startedAt);
  console.log(c.bold('Where things are'));
  console.log(`  audit record    npx ssmflow audit ${state.runId}   (also: --format json)`);
  console.log(`  command output  s3://${outputBucket}/ssmflow/runs/${state.runId}/  (local S3 emulator)`);
  console.log(`  backups         s3://${BACKUP_BUCKET}/postgres-upgrades/${CLUSTER}/`);
  console.log(`  Temporal UI     ${uiUrl}/namespaces/default/workflows/${state.runId}`);
  console.log(`  run time        ${formatDuration(wall)}; demo wall time ${formatDuration(Date.now() - started)}`);
}

demo().then(
  () => process.exit(process.exitCode ?? 0),
  (err: unknown) => {
    console.error(`demo failed: ${err instanceof Error ? (err.stack ?? err.message) : String(err)}`);
    process.exit(1);
  },
);
