// The flagship end to end: the shipped postgres-major-upgrade runbook run by the engine (client API
// → worker → local fleet → real PostgreSQL 16 → 17 on a primary + streaming standby + PgBouncer),
// both strategies, with a failure injected at every step before the point of no return.
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, beforeEach, describe, expect, inject, it } from 'vitest';
import {
  createLocalPostgresCluster,
  setInjectedFailure,
  type LocalPostgresCluster,
  type LocalPostgresClusterOptions,
} from '../local/postgres-cluster.js';
import { OperatorActionRejected, runControls, startRun } from '../client/runs.js';
import { fleetClient, startTestFleet, type TestFleet } from '../fleet/test-support.js';
import { loadRunbookFile } from '../runbook/load-file.js';
import type { NormalizedRunbook } from '../runbook/types.js';
import type { RunState, RunStatus } from '../workflows/run-state.js';
import type { RunSummary } from '../workflows/runbook-run.js';
import { expectSourceServesIntact, expectStandbysStreaming, snapshot, sql } from './harness/postgres-data.js';
import { connectTestStack, uniqueId, type TestStack } from './harness/stack.js';
import { spawnWorkerProcess } from './harness/worker-process.js';
import { stepCommentOf } from '../aws/ssm/idempotency-comment.js';
import { eventuallyTrue } from './harness/eventually.js';

const CLUSTER = 'pg-e2e';
const BACKUP_BUCKET = 'pg-e2e-backups';
const FROM = 16;
const TO = 17;
const terminal: RunStatus[] = ['succeeded', 'failed', 'rolled-back', 'cancelled'];
type Strategy = 'link' | 'dump';

describe('postgres-major-upgrade through the engine on a primary + standby + PgBouncer', () => {
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
    clusterOptions = {
      cluster: CLUSTER,
      stateDir,
      standbys: 1,
      fromVersion: FROM,
      s3Endpoint: inject('s3Endpoint'),
      backupBucket: BACKUP_BUCKET,
      seedScale: 1,
    };
    cluster = await createLocalPostgresCluster(clusterOptions);
    testFleet = await startTestFleet(
      { instances: cluster.instances, s3Endpoint: inject('s3Endpoint'), invocationVisibilityDelayMs: 50 },
      { stateDir },
    );
    const loaded = await loadRunbookFile(new URL('../runbooks/postgres-major-upgrade.yaml', import.meta.url).pathname);
    if ('errors' in loaded) throw new Error(loaded.errors.map((e) => e.message).join('\n'));
    runbook = loaded.normalized;
    original = await snapshot(cluster, cluster.clientPort);
  });
  afterAll(async () => {
    await cluster?.stop();
    await testFleet?.fleet.stop();
    await stack?.close();
    rmSync(stateDir, { recursive: true, force: true });
  });
  beforeEach(async () => {
    // Each scenario starts from a seeded, writable PostgreSQL 16 cluster (rebuilt after an upgrade).
    cluster = await createLocalPostgresCluster(clusterOptions);
  });

  const parameters = (strategy: Strategy) => ({ ...cluster.runbookParameters, strategy, toVersion: TO, backupBucket: BACKUP_BUCKET });

  interface Decisions {
    /** The approval step to reject (the others are approved). */
    reject?: string;
    onPaused?: (state: RunState) => Promise<void>;
  }

  /** Drives a run to its end: answers approvals and lets `onPaused` act as the operator. */
  async function driveRun(runId: string, decisions: Decisions = {}): Promise<RunSummary> {
    const controls = runControls(stack.client, runId);
    for (;;) {
      const state = await controls.state();
      if (terminal.includes(state.status)) return controls.handle.result();
      if (state.status === 'waiting-approval') {
        await controls.approve({ by: 'dba-lead@example.com', reason: 'checked', reject: state.currentStepId === decisions.reject });
      }
      if (state.status === 'paused-on-failure') {
        if (!decisions.onPaused) throw new Error(`run paused unexpectedly at ${state.currentStepId}: ${state.failure?.message}`);
        await decisions.onPaused(state);
      }
      await new Promise((r) => setTimeout(r, 250));
    }
  }

  async function upgrade(strategy: Strategy, decisions: Decisions = {}) {
    const { worker, taskQueue } = await stack.createWorker({
      dependencies: { s3: stack.s3, ssm: fleetClient(testFleet.fleet.endpoint, 3) },
    });
    const handle = await startRun(stack.client, {
      runbook,
      parameters: parameters(strategy),
      initiator: 'dba@example.com',
      taskQueue,
      workflowId: uniqueId(`pg-${strategy}`),
    });
    return worker.runUntil(async () => {
      const summary = await driveRun(handle.workflowId, decisions);
      return { summary, state: await runControls(stack.client, handle.workflowId).state() };
    });
  }

  /** The cluster after a successful upgrade: new major behind the pooler, data equal, standby streaming. */
  async function expectUpgraded(): Promise<void> {
    expect(await sql(cluster, cluster.clientPort, 'postgres', 'SHOW server_version')).toMatch(new RegExp(`^${TO}\\.`));
    expect(await snapshot(cluster, cluster.clientPort)).toEqual(original);
    // The identity column and the standalone sequence carry on where they were.
    expect(
      await sql(
        cluster,
        cluster.clientPort,
        'app',
        "INSERT INTO customers (name, email, created_at) VALUES ('Ødegård', 'new@example.test', now()) RETURNING id",
      ),
    ).toBe('8001');
    expect(await sql(cluster, cluster.clientPort, 'app', "SELECT nextval('order_number_seq')")).toBe('175000');
    await expectStandbysStreaming(cluster, TO);
    expect(await snapshot(cluster, cluster.standbys[0]!.port)).toEqual(await snapshot(cluster, cluster.primary.port));
  }

  // `failSwitch` is the script that fails (pooler steps share pooler.sh).
  const failureCases: {
    strategy: Strategy;
    step: string;
    failSwitch?: string;
    expected: RunStatus;
    how?: 'reject' | 'paused-then-rollback';
  }[] = [
    { strategy: 'link', step: 'precheck', expected: 'failed' }, // onFailure: abort, nothing changed yet
    { strategy: 'link', step: 'backup', expected: 'rolled-back' },
    { strategy: 'link', step: 'prepare-target', expected: 'rolled-back' },
    { strategy: 'link', step: 'upgrade-check', expected: 'rolled-back' },
    { strategy: 'link', step: 'pause-writes', failSwitch: 'pooler-pause', expected: 'rolled-back' },
    { strategy: 'link', step: 'stop-primary', expected: 'rolled-back' },
    { strategy: 'link', step: 'pg-upgrade', expected: 'rolled-back' },
    { strategy: 'link', step: 'approve-start', expected: 'rolled-back', how: 'reject' },
    { strategy: 'dump', step: 'stop-writes', expected: 'rolled-back' },
    { strategy: 'dump', step: 'migrate', expected: 'rolled-back' },
    { strategy: 'dump', step: 'verify', expected: 'rolled-back' },
    { strategy: 'dump', step: 'approve-cutover', expected: 'rolled-back', how: 'reject' },
    { strategy: 'dump', step: 'pause-for-cutover', failSwitch: 'pooler-pause', expected: 'rolled-back' },
    { strategy: 'dump', step: 'cutover', expected: 'rolled-back' },
    { strategy: 'dump', step: 'postcheck', expected: 'rolled-back' },
    { strategy: 'dump', step: 'cleanup', expected: 'rolled-back', how: 'paused-then-rollback' }, // irreversible: pauses
  ];

  it.each(failureCases)(
    '$strategy: a failure at $step leaves PostgreSQL 16 serving through the pooler, writable, every row intact',
    async ({ strategy, step, failSwitch, expected, how }) => {
      const switchName = failSwitch ?? step;
      if (how !== 'reject') setInjectedFailure(cluster, switchName, true);
      try {
        const { summary, state } = await upgrade(strategy, {
          ...(how === 'reject' ? { reject: step } : {}),
          onPaused: async (paused) => {
            expect(paused.currentStepId).toBe(step);
            await runControls(stack.client, paused.runId).rollback({ by: 'dba@example.com', reason: 'go back to 16' });
          },
        });
        expect(summary.status).toBe(expected);
        const failedStep = state.steps.find((s) => s.id === step);
        expect(failedStep?.status === 'failed' || failedStep?.status === 'rolled-back').toBe(true);
        if (!how) expect(JSON.stringify(failedStep?.history)).toContain('injected test failure');
        expect(state.pastPointOfNoReturn).toBeUndefined();
      } finally {
        setInjectedFailure(cluster, switchName, false);
      }
      await expectSourceServesIntact(cluster, FROM, original);
    },
  );

  it(`link: upgrades ${FROM} → ${TO} with pg_upgrade --link; data equal per table, the standby rebuilt and streaming`, async () => {
    const { summary, state } = await upgrade('link');
    expect(summary.status).toBe('succeeded');
    await expectUpgraded();
    expect(state.pastPointOfNoReturn?.stepId).toBe('start-new-primary');
    const commandSteps = state.audit.filter((e) => e.type === 'command').map((e) => (e.type === 'command' ? e.stepId : ''));
    expect(commandSteps).toEqual([
      'precheck',
      'backup',
      'prepare-target',
      'upgrade-check',
      'pause-writes',
      'stop-primary',
      'pg-upgrade',
      'start-new-primary',
      'resume-writes',
      'postcheck',
      'cleanup',
      'rebuild-standby',
      'analyze',
    ]);
    const approval = state.audit.find((e) => e.type === 'operator');
    expect(approval).toMatchObject({ action: 'approve', stepId: 'approve-start' });
    expect(state.steps.find((s) => s.id === 'analyze')?.instances[0]?.outputTail).toMatch(/ANALYZE \{"amcheck":"passed"/);
  });

  it(`dump: upgrades ${FROM} → ${TO} by dump and restore; verified, the standby rebuilt and streaming`, async () => {
    const { summary, state } = await upgrade('dump');
    expect(summary.status).toBe('succeeded');
    await expectUpgraded();
    const verify = state.steps.find((s) => s.id === 'verify');
    for (const instance of verify?.instances ?? []) expect(instance.outputTail).toMatch(/VERIFY \{"ok":true/);
  });

  it('link: past the point of no return a failure pauses, rollback is refused with the reason, and retry finishes the upgrade', async () => {
    setInjectedFailure(cluster, 'analyze', true);
    let refusal = '';
    const { summary } = await upgrade('link', {
      onPaused: async (paused) => {
        expect(paused.currentStepId).toBe('analyze');
        const controls = runControls(stack.client, paused.runId);
        const refused = await controls.rollback({ by: 'dba@example.com' }).catch((err: unknown) => err);
        expect(refused).toBeInstanceOf(OperatorActionRejected);
        refusal = (refused as Error).message;
        setInjectedFailure(cluster, 'analyze', false);
        await controls.retry({ by: 'dba@example.com', reason: 'fixed' });
      },
    });
    expect(refusal).toMatch(/past its point of no return: step start-new-primary started/);
    expect(summary.status).toBe('succeeded');
    await expectUpgraded();
  });

  it('link: the worker SIGKILLed during pg_upgrade; a new worker completes the run and no step ran twice on any instance', async () => {
    const taskQueue = uniqueId('tq-pg-kill');
    const env = { AWS_ENDPOINT_URL_SSM: testFleet.fleet.endpoint, AWS_ENDPOINT_URL_S3: inject('s3Endpoint') };
    const first = await spawnWorkerProcess({ taskQueue, env });
    const handle = await startRun(stack.client, {
      runbook,
      parameters: parameters('link'),
      initiator: 'dba@example.com',
      taskQueue,
      workflowId: uniqueId('pg-link-kill'),
      options: { heartbeatTimeoutSeconds: 3 },
    });
    await eventuallyTrue(
      () => testFleet.fleet.executions().some((e) => stepCommentOf(e.comment) === `ssmflow:${handle.workflowId}/pg-upgrade/1`),
      {
        timeoutMs: 120_000,
        description: 'pg-upgrade to start',
      },
    );
    await first.kill('SIGKILL');
    const killedAt = Date.now();
    const successor = await spawnWorkerProcess({ taskQueue, env });
    try {
      const summary = await driveRun(handle.workflowId);
      expect(summary.status).toBe('succeeded');
    } finally {
      await successor.kill('SIGTERM');
    }
    const executions = testFleet.fleet.executions().filter((e) => e.comment.startsWith(`ssmflow:${handle.workflowId}/`));
    const perStepAndInstance = new Map<string, number>();
    for (const e of executions)
      perStepAndInstance.set(
        `${stepCommentOf(e.comment)}@${e.instanceId}`,
        (perStepAndInstance.get(`${stepCommentOf(e.comment)}@${e.instanceId}`) ?? 0) + 1,
      );
    expect([...perStepAndInstance.entries()].filter(([, n]) => n !== 1)).toEqual([]);
    const upgrades = executions.filter((e) => stepCommentOf(e.comment).includes('/pg-upgrade/'));
    expect(upgrades).toHaveLength(1);
    // The kill landed while pg_upgrade ran: its one process outlived the worker that sent it.
    expect(Date.parse(upgrades[0]!.endedAt ?? '')).toBeGreaterThan(killedAt);
    await expectUpgraded();
  });
});
