// The flagship end to end: the shipped postgres-major-upgrade runbook run by the engine (client API
// → worker → local fleet → real PostgreSQL 15 → 17), with every failure path.
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, beforeEach, describe, expect, inject, it } from 'vitest';
import { createLocalPostgresCluster, setInjectedFailure, type LocalPostgresCluster, type LocalPostgresClusterOptions } from '../local/postgres-cluster.js';
import { runControls, startRun } from '../client/runs.js';
import { fleetClient, startTestFleet, type TestFleet } from '../fleet/test-support.js';
import { loadRunbookFile } from '../runbook/load-file.js';
import type { NormalizedRunbook, OnFailure } from '../runbook/types.js';
import type { RunState, RunStatus } from '../workflows/run-state.js';
import type { RunSummary } from '../workflows/runbook-run.js';
import { expectSourceServesIntact, snapshot, sql } from './harness/postgres-data.js';
import { connectTestStack, uniqueId, type TestStack } from './harness/stack.js';
import { spawnWorkerProcess } from './harness/worker-process.js';
import { stepCommentOf } from '../activities/ssm/idempotency-comment.js';

const CLUSTER = 'pg-e2e';
const BACKUP_BUCKET = 'pg-e2e-backups';
const FROM = 15;
const TO = 17;
const terminal: RunStatus[] = ['succeeded', 'failed', 'rolled-back', 'cancelled'];

describe('postgres-major-upgrade through the engine on real PostgreSQL', () => {
  let stack: TestStack;
  let stateDir: string;
  let clusterOptions: LocalPostgresClusterOptions;
  let cluster: LocalPostgresCluster;
  let testFleet: TestFleet;
  let runbook: NormalizedRunbook;
  let original: Map<string, string>;

  beforeAll(async () => {
    stack = await connectTestStack();
    stateDir = mkdtempSync(join(tmpdir(), 'pg-e2e-'));
    clusterOptions = { cluster: CLUSTER, stateDir, instances: 2, fromVersion: FROM, s3Endpoint: inject('s3Endpoint'), backupBucket: BACKUP_BUCKET, seedScale: 1 };
    cluster = await createLocalPostgresCluster(clusterOptions);
    testFleet = await startTestFleet({ instances: cluster.instances, s3Endpoint: inject('s3Endpoint'), invocationVisibilityDelayMs: 50 }, { stateDir });
    const loaded = await loadRunbookFile(new URL('../runbooks/postgres-major-upgrade.yaml', import.meta.url).pathname);
    if ('errors' in loaded) throw new Error(loaded.errors.map((e) => e.message).join('\n'));
    runbook = loaded.normalized;
    original = await snapshot(cluster, cluster.members[0]?.port ?? 0);
  });
  afterAll(async () => {
    await cluster?.stop();
    await testFleet?.fleet.stop();
    await stack?.close();
    rmSync(stateDir, { recursive: true, force: true });
  });
  beforeEach(async () => {
    // Each scenario starts from a seeded, writable PostgreSQL 15 cluster (rebuilt after an upgrade).
    cluster = await createLocalPostgresCluster(clusterOptions);
  });

  const parameters = () => ({ ...cluster.runbookParameters, toVersion: TO, backupBucket: BACKUP_BUCKET });

  /** Drives a run to its end: approves the cutover (or rejects it), and lets `onPaused` act as the operator. */
  async function driveRun(runId: string, decisions: { rejectCutover?: boolean; onPaused?: (state: RunState) => Promise<void> } = {}): Promise<RunSummary> {
    const controls = runControls(stack.client, runId);
    for (;;) {
      const state = await controls.state();
      if (terminal.includes(state.status)) return controls.handle.result();
      if (state.status === 'waiting-approval') await controls.approve({ by: 'dba@example.com', reason: 'verify passed', reject: decisions.rejectCutover ?? false });
      if (state.status === 'paused-on-failure') {
        if (!decisions.onPaused) throw new Error(`run paused unexpectedly: ${state.failure?.message}`);
        await decisions.onPaused(state);
      }
      await new Promise((r) => setTimeout(r, 250));
    }
  }

  async function migrate(options: { onFailure?: OnFailure; rejectCutover?: boolean; onPaused?: (state: RunState) => Promise<void> } = {}) {
    const { worker, taskQueue } = await stack.createWorker({ dependencies: { s3: stack.s3, ssm: fleetClient(testFleet.fleet.endpoint, 3) } });
    const handle = await startRun(stack.client, {
      runbook,
      parameters: parameters(),
      initiator: 'dba@example.com',
      taskQueue,
      workflowId: uniqueId('pg-upgrade'),
      ...(options.onFailure ? { onFailure: options.onFailure } : {}),
    });
    return worker.runUntil(async () => {
      const summary = await driveRun(handle.workflowId, options);
      return { summary, state: await runControls(stack.client, handle.workflowId).state() };
    });
  }

  const failureCases: { step: string; expected: RunStatus; how?: 'reject' | 'paused-then-rollback' }[] = [
    { step: 'precheck', expected: 'failed' }, // onFailure: abort, nothing changed yet
    { step: 'backup', expected: 'rolled-back' },
    { step: 'stop-writes', expected: 'rolled-back' },
    { step: 'migrate', expected: 'rolled-back' },
    { step: 'verify', expected: 'rolled-back' },
    { step: 'approve-cutover', expected: 'rolled-back', how: 'reject' },
    { step: 'cutover', expected: 'rolled-back' },
    { step: 'postcheck', expected: 'rolled-back' },
    { step: 'cleanup', expected: 'rolled-back', how: 'paused-then-rollback' }, // irreversible: pauses
  ];

  it.each(failureCases)('a failure at $step leaves the source serving PostgreSQL 15, writable, every row intact', async ({ step, expected, how }) => {
    if (how !== 'reject') setInjectedFailure(cluster, step, true);
    try {
      const { summary, state } = await migrate({
        rejectCutover: how === 'reject',
        onPaused: async (paused) => {
          expect(paused.currentStepId).toBe(step);
          await runControls(stack.client, paused.runId).rollback({ by: 'dba@example.com', reason: 'cleanup failed; go back to 15' });
        },
      });
      expect(summary.status).toBe(expected);
      const failedStep = state.steps.find((s) => s.id === step);
      expect(failedStep?.status === 'failed' || failedStep?.status === 'rolled-back').toBe(true);
      if (!how) expect(JSON.stringify(state.steps.find((s) => s.id === step)?.history)).toContain('injected test failure');
    } finally {
      setInjectedFailure(cluster, step, false);
    }
    await expectSourceServesIntact(cluster, FROM, original);
  });

  it('pause on failure → the operator fixes the cause → retry → the upgrade completes', async () => {
    setInjectedFailure(cluster, 'migrate', true);
    const { summary } = await migrate({
      onFailure: 'pause',
      onPaused: async (paused) => {
        expect(paused.currentStepId).toBe('migrate');
        expect(paused.failure?.message).toContain('injected test failure');
        setInjectedFailure(cluster, 'migrate', false);
        await runControls(stack.client, paused.runId).retry({ by: 'dba@example.com', reason: 'freed disk space' });
      },
    });
    expect(summary.status).toBe('succeeded');
    expect(summary.steps.find((s) => s.id === 'migrate')?.attempts).toBe(2);
    for (const member of cluster.members) expect(await sql(cluster, member.port, 'postgres', 'SHOW server_version')).toMatch(new RegExp(`^${TO}\\.`));
  });

  it('upgrades 15 → 17 with every table verified, the audit trail complete', async () => {
    const { summary, state } = await migrate();
    expect(summary.status).toBe('succeeded');
    for (const member of cluster.members) {
      expect(await sql(cluster, member.port, 'postgres', 'SHOW server_version')).toMatch(new RegExp(`^${TO}\\.`));
      expect(await snapshot(cluster, member.port)).toEqual(original);
    }
    const verify = state.steps.find((s) => s.id === 'verify');
    for (const instance of verify?.instances ?? []) expect(instance.outputTail).toMatch(/VERIFY \{"ok":true/);
    const commandSteps = state.audit.filter((e) => e.type === 'command').map((e) => (e.type === 'command' ? e.stepId : ''));
    expect(commandSteps).toEqual(['precheck', 'backup', 'stop-writes', 'migrate', 'verify', 'cutover', 'postcheck', 'cleanup']);
    expect(state.audit.find((e) => e.type === 'operator')).toMatchObject({ action: 'approve', by: 'dba@example.com' });
  });

  it('the worker SIGKILLed mid-migration: a new worker completes the run and no step ran twice on an instance', async () => {
    const taskQueue = uniqueId('tq-pg-kill');
    const env = { AWS_ENDPOINT_URL_SSM: testFleet.fleet.endpoint, AWS_ENDPOINT_URL_S3: inject('s3Endpoint') };
    const first = await spawnWorkerProcess({ taskQueue, env });
    const handle = await startRun(stack.client, {
      runbook,
      parameters: parameters(),
      initiator: 'dba@example.com',
      taskQueue,
      workflowId: uniqueId('pg-upgrade-kill'),
      options: { heartbeatTimeoutSeconds: 3 },
    });
    const deadline = Date.now() + 120_000;
    while (!testFleet.fleet.executions().some((e) => stepCommentOf(e.comment) === `ssmflow:${handle.workflowId}/migrate/1`)) {
      if (Date.now() > deadline) throw new Error('migrate did not start');
      await new Promise((r) => setTimeout(r, 50));
    }
    await first.kill('SIGKILL');
    const successor = await spawnWorkerProcess({ taskQueue, env });
    try {
      const summary = await driveRun(handle.workflowId);
      expect(summary.status).toBe('succeeded');
    } finally {
      await successor.kill('SIGTERM');
    }
    const executions = testFleet.fleet.executions().filter((e) => e.comment.startsWith(`ssmflow:${handle.workflowId}/`));
    const perStepAndInstance = new Map<string, number>();
    for (const e of executions) perStepAndInstance.set(`${e.comment}@${e.instanceId}`, (perStepAndInstance.get(`${e.comment}@${e.instanceId}`) ?? 0) + 1);
    expect([...perStepAndInstance.entries()].filter(([, n]) => n !== 1)).toEqual([]);
    expect(perStepAndInstance.size).toBe(8 * cluster.members.length);
    for (const member of cluster.members) expect(await snapshot(cluster, member.port)).toEqual(original);
  });
});
