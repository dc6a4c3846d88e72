// `npm run demo`: the main job on the local default stack. A PostgreSQL cluster of two instances
// (real PostgreSQL 15 servers behind the local SSM fleet) is upgraded to PostgreSQL 17 by the
// shipped postgres-major-upgrade runbook, through a worker, with live progress and a summary.
//
//   npm run demo              # set up (idempotently), migrate, summarize, stop everything
//   npm run demo -- --keep    # leave the stack up afterwards (Temporal UI, fleet, PostgreSQL)
import { userInfo, hostname } from 'node:os';
import { join } from 'node:path';
import { CreateBucketCommand } from '@aws-sdk/client-s3';
import { Client, Connection } from '@temporalio/client';
import { DefaultLogger, NativeConnection, Runtime } from '@temporalio/worker';
import { createS3Client, createSsmClient } from '../activities/aws-clients.js';
import { localAwsEnvironment } from '../local/local-aws-env.js';
import { createLocalPostgresCluster } from '../local/postgres-cluster.js';
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
import type { RunState, StepState } from '../workflows/run-state.js';

const keepRunning = process.argv.includes('--keep');
const started = Date.now();
const clock = () => c.dim(`${((Date.now() - started) / 1000).toFixed(1).padStart(6)}s`);
const say = (text: string) => console.log(`${clock()}  ${text}`);

const CLUSTER = 'pg-demo';
const FROM = 15;
const TO = 17;
const BACKUP_BUCKET = 'ssmflow-pg-backups';
const stateDir = join(projectRoot, '.ssmflow');
const fleetDir = join(stateDir, 'fleet');

async function demo(): Promise<void> {
  // The SDK's "releases after January 2027 need Node 22" notice is noise in a demo on Node 20.
  process.env.AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED ??= 'true';
  Runtime.install({ logger: new DefaultLogger('WARN') });
  say('starting the local stack: Temporal dev server + UI (state in .ssmflow/temporal.db), S3 emulator');
  const stack = await startLocalStack({ stateDir });
  Object.assign(process.env, stack.env);
  const cleanups: (() => Promise<void>)[] = [() => stack.stop()];
  try {
    say(`preparing cluster ${CLUSTER}: 2 instances, each a real PostgreSQL ${FROM} server run by a non-root user, seeded with data`);
    const cluster = await createLocalPostgresCluster({ cluster: CLUSTER, stateDir: fleetDir, instances: 2, fromVersion: FROM, s3Endpoint: stack.s3.endpoint, backupBucket: BACKUP_BUCKET });
    cleanups.unshift(() => cluster.stop());
    const fleet = await startFleet({ stateDir: fleetDir, port: await preferredPort(4580), config: { instances: cluster.instances, s3Endpoint: stack.s3.endpoint } });
    cleanups.unshift(() => fleet.stop());
    Object.assign(process.env, localAwsEnvironment({ ssm: fleet.endpoint }));
    const s3 = createS3Client();
    await s3.send(new CreateBucketCommand({ Bucket: stack.outputBucket })).catch(() => undefined);
    say(`local SSM fleet at ${fleet.endpoint}: ${cluster.members.map((m) => `${m.instanceId} (${m.role}, PostgreSQL on 127.0.0.1:${m.port})`).join(', ')}`);

    say('bundling workflows and starting a worker');
    const taskQueue = 'ssmflow-demo';
    const nativeConnection = await NativeConnection.connect({ address: stack.temporal.address });
    const connection = await Connection.connect({ address: stack.temporal.address });
    cleanups.unshift(async () => {
      await connection.close();
      await nativeConnection.close();
    });
    const client = new Client({ connection, namespace: stack.temporal.namespace });
    const worker = await createSsmflowWorker({ connection: nativeConnection, namespace: stack.temporal.namespace, taskQueue, dependencies: { s3, ssm: createSsmClient() } });

    const loaded = await loadRunbookFile(join(projectRoot, 'runbooks', 'postgres-major-upgrade.yaml'));
    if ('errors' in loaded) throw new Error(`the shipped runbook does not validate: ${loaded.errors.map((e) => e.message).join('; ')}`);
    const initiator = `${userInfo().username}@${hostname()} (npm run demo)`;
    const handle = await startRun(client, {
      runbook: loaded.normalized,
      parameters: { ...cluster.runbookParameters, toVersion: TO, backupBucket: BACKUP_BUCKET },
      initiator,
      reason: 'demo: upgrade the local cluster',
      taskQueue,
      output: { bucket: stack.outputBucket, keyPrefix: 'ssmflow/runs' },
    });
    const runId = handle.workflowId;
    say(`run ${c.bold(runId)} started: runbook postgres-major-upgrade, PostgreSQL ${FROM} → ${TO}`);

    const controls = runControls(client, runId);
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
          say(`${c.yellow('?')} ${current.waitingFor.message} — approving as the demo operator`);
          await controls.approve({ by: initiator, reason: 'approved automatically by npm run demo after verify passed' });
        }
        if (['succeeded', 'failed', 'rolled-back', 'cancelled'].includes(current.status)) return current;
        if (current.status === 'paused-on-failure') return current;
        await new Promise((r) => setTimeout(r, 250));
      }
    });
    printSummary(state, stack.temporal.uiUrl ?? '', stack.outputBucket);
    if (state.status !== 'succeeded') process.exitCode = 1;
    if (keepRunning) {
      console.log(`\n--keep: Temporal UI ${stack.temporal.uiUrl}, fleet ${fleet.endpoint}; Ctrl-C stops everything.`);
      console.log(`   in another shell: export TEMPORAL_ADDRESS=${stack.temporal.address} AWS_ENDPOINT_URL_SSM=${fleet.endpoint} AWS_ENDPOINT_URL_RESOURCE_GROUPS_TAGGING_API=${fleet.endpoint} AWS_ENDPOINT_URL_S3=${stack.s3.endpoint}`);
      await new Promise<void>((resolveStop) => process.once('SIGINT', () => resolveStop()));
    }
  } finally {
    for (const cleanup of cleanups) await cleanup().catch((err: unknown) => console.error(`cleanup: ${(err as Error).message}`));
  }
}

function reportStep(step: StepState): void {
  const took = step.startedAt && step.endedAt ? c.dim(` ${formatDuration(Date.parse(step.endedAt) - Date.parse(step.startedAt))}`) : '';
  const instances = step.instances.length ? c.dim(` (${step.instances.filter((i) => i.status === 'Success').length}/${step.instances.length} instances ok)`) : '';
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

/** The verify step prints one `VERIFY {json}` line per instance. */
function verification(state: RunState): { instanceId: string; ok: boolean; tables: number; rows: number; mismatches: number }[] {
  const verify = state.steps.find((s) => s.id === 'verify');
  return (verify?.instances ?? []).flatMap((i) => {
    const line = i.outputTail.split('\n').find((l) => l.startsWith('VERIFY '));
    if (!line) return [];
    const parsed = JSON.parse(line.slice('VERIFY '.length)) as { ok: boolean; tables: number; rows: number; mismatchCount: number };
    return [{ instanceId: i.instanceId, ok: parsed.ok, tables: parsed.tables, rows: parsed.rows, mismatches: parsed.mismatchCount }];
  });
}

function printSummary(state: RunState, uiUrl: string, outputBucket: string): void {
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
  const verified = verification(state);
  if (verified.length) {
    console.log(c.bold('Verification (source vs target, per table: row count and checksum)'));
    for (const v of verified) console.log(`  ${v.instanceId}  ${v.ok ? c.green('ok') : c.red('MISMATCH')}  ${v.tables} tables, ${v.rows} rows, ${v.mismatches} mismatches`);
    console.log('');
  }
  if (state.failure) {
    console.log(c.red(`Stopped at ${state.failure.stepId}: ${state.failure.message}`));
    for (const action of state.failure.nextActions) console.log(`  ${action}`);
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
