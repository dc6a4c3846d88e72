// The online strategy of postgres-major-upgrade through the engine on a primary + standby +
// PgBouncer cluster (real PostgreSQL 16 → 17 by logical replication), with a client writing
// through PgBouncer every 50 ms: no acknowledged write may be lost, whatever happens.
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, beforeEach, describe, expect, inject, it } from 'vitest';
import { stepCommentOf } from '../aws/ssm/idempotency-comment.js';
import { runControls, startRun } from '../client/runs.js';
import { fleetClient, startTestFleet, type TestFleet } from '../fleet/test-support.js';
import {
  createLocalPostgresCluster,
  setInjectedFailure,
  type LocalPostgresCluster,
  type LocalPostgresClusterOptions,
} from '../local/postgres-cluster.js';
import { startWriteProbe, type WriteProbe } from '../local/write-probe.js';
import { loadRunbookFile } from '../runbook/load-file.js';
import type { NormalizedRunbook } from '../runbook/types.js';
import type { RunState, RunStatus } from '../workflows/run-state.js';
import type { RunSummary } from '../workflows/runbook-run.js';
import { expectSourceServesIntact, expectStandbysStreaming, snapshot, sql } from './harness/postgres-data.js';
import { connectTestStack, uniqueId, type TestStack } from './harness/stack.js';
import { spawnWorkerProcess } from './harness/worker-process.js';
import { eventuallyTrue } from './harness/eventually.js';

const CLUSTER = 'pg-online';
const BACKUP_BUCKET = 'pg-online-backups';
const FROM = 16;
const TO = 17;
const terminal: RunStatus[] = ['succeeded', 'failed', 'rolled-back', 'cancelled'];

describe('postgres-major-upgrade strategy online (logical replication) through the engine', () => {
  let stack: TestStack;
  let stateDir: string;
  let clusterOptions: LocalPostgresClusterOptions;
  let cluster: LocalPostgresCluster;
  let testFleet: TestFleet;
  let runbook: NormalizedRunbook;
  let original: Map<string, string>;
  let probe: WriteProbe | undefined;

  beforeAll(async () => {
    stack = await connectTestStack();
    stateDir = mkdtempSync(join(tmpdir(), 'pg-online-'));
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
    await probe?.stop().catch(() => undefined);
    await cluster?.stop();
    await testFleet?.fleet.stop();
    await stack?.close();
    rmSync(stateDir, { recursive: true, force: true });
  });
  beforeEach(async () => {
    cluster = await createLocalPostgresCluster(clusterOptions);
    // The writing client starts before each run, as an application would be running already.
    probe = await startWriteProbe({ port: cluster.clientPort, password: cluster.superuserPassword });
  });

  async function stopProbe() {
    const report = await probe!.stop();
    probe = undefined;
    return report;
  }

  const parameters = (extra: Record<string, string | number> = {}) => ({
    ...cluster.runbookParameters,
    strategy: 'online',
    toVersion: TO,
    backupBucket: BACKUP_BUCKET,
    switchoverTimeout: 30,
    ...extra,
  });

  interface Decisions {
    reject?: string;
    /** Acts on an approval before the driver approves it; true when it answered (or rolled back) itself. */
    onApproval?: (state: RunState) => Promise<boolean>;
    onPaused?: (state: RunState) => Promise<void>;
  }

  async function driveRun(runId: string, decisions: Decisions = {}): Promise<RunSummary> {
    const controls = runControls(stack.client, runId);
    for (;;) {
      const state = await controls.state();
      if (terminal.includes(state.status)) return controls.handle.result();
      if (state.status === 'waiting-approval') {
        if (await decisions.onApproval?.(state)) continue;
        await controls
          .approve({ by: 'dba-lead@example.com', reason: 'checked', reject: state.currentStepId === decisions.reject })
          .catch((err: Error) => {
            // The wait opens one workflow task after the status shows it: ask again.
            if (!/about to wait/.test(err.message)) throw err;
          });
      }
      if (state.status === 'paused-on-failure') {
        if (!decisions.onPaused) throw new Error(`run paused unexpectedly at ${state.currentStepId}: ${state.failure?.message}`);
        await decisions.onPaused(state);
      }
      await new Promise((r) => setTimeout(r, 250));
    }
  }

  async function upgrade(decisions: Decisions = {}, extra: Record<string, string | number> = {}) {
    const { worker, taskQueue } = await stack.createWorker({
      dependencies: { s3: stack.s3, ssm: fleetClient(testFleet.fleet.endpoint, 3) },
    });
    const handle = await startRun(stack.client, {
      runbook,
      parameters: parameters(extra),
      initiator: 'dba@example.com',
      taskQueue,
      workflowId: uniqueId('pg-online'),
    });
    return worker.runUntil(async () => {
      const summary = await driveRun(handle.workflowId, decisions);
      return { summary, state: await runControls(stack.client, handle.workflowId).state(), runId: handle.workflowId };
    });
  }

  const logicalSlots = (port: number) =>
    sql(cluster, port, 'postgres', "SELECT coalesce(string_agg(slot_name, ','), '') FROM pg_replication_slots WHERE slot_type = 'logical'");

  it(`upgrades ${FROM} → ${TO} while a client writes: 0 lost, tables equal, sequences ahead, no slot left, the standby streaming`, async () => {
    const sequencesBefore = await sql(
      cluster,
      cluster.primary.port,
      'app',
      "SELECT string_agg(format('%I.%I', schemaname, sequencename) || '=' || coalesce(last_value, 0), ',' ORDER BY 1) FROM pg_sequences",
    );
    const { summary, state } = await upgrade();
    const writes = await stopProbe();
    expect(summary.status).toBe('succeeded');
    expect(writes.lost).toBe(0);
    expect(writes.acknowledged).toBeGreaterThan(0);
    expect(await sql(cluster, cluster.clientPort, 'postgres', 'SHOW server_version')).toMatch(new RegExp(`^${TO}\\.`));
    expect(await snapshot(cluster, cluster.clientPort)).toEqual(original);
    // Every sequence carries on from where the old cluster was.
    for (const entry of sequencesBefore.split(',')) {
      const [name, value] = entry.split('=');
      expect(Number(await sql(cluster, cluster.clientPort, 'app', `SELECT last_value FROM ${name}`))).toBeGreaterThanOrEqual(Number(value));
    }
    expect(
      await sql(
        cluster,
        cluster.clientPort,
        'app',
        "INSERT INTO customers (name, email, created_at) VALUES ('Ødegård', 'new@example.test', now()) RETURNING id",
      ),
    ).toBe('8001');
    expect(await logicalSlots(cluster.primary.stagingPort)).toBe('');
    await expectStandbysStreaming({ ...cluster, primary: { ...cluster.primary, port: cluster.primary.stagingPort } }, TO);
    const approval = state.audit.find((e) => e.type === 'operator' && e.stepId === 'approve-cutover-online');
    expect(approval).toBeDefined();
    const asked = state.steps.find((s) => s.id === 'verify-online')?.instances[0]?.outputTail ?? '';
    expect(asked).toMatch(/VERIFY \{"ok":true/);
    expect(state.steps.find((s) => s.id === 'cutover-online')?.instances[0]?.outputTail).toMatch(/CUTOVER \{"ok":true,"pauseMs":\d+/);
    expect(state.pastPointOfNoReturn?.stepId).toBe('cleanup-replication');
  });

  it('a rollback after the cut-over goes back to PostgreSQL 16 with every write made on 17: 0 lost', async () => {
    const { summary, state } = await upgrade({
      onApproval: async (waiting) => {
        if (waiting.currentStepId !== 'approve-retire') return false;
        // Clients write on 17 for a while; then the operator decides to go back.
        const written = (await sql(cluster, cluster.clientPort, 'ssmflow_probe', 'SELECT count(*) FROM write_probe')).trim();
        await new Promise((r) => setTimeout(r, 1_500));
        expect(Number(await sql(cluster, cluster.clientPort, 'ssmflow_probe', 'SELECT count(*) FROM write_probe'))).toBeGreaterThan(
          Number(written),
        );
        await runControls(stack.client, waiting.runId).rollback({ by: 'dba@example.com', reason: 'application errors on 17' });
        return true;
      },
    });
    const writes = await stopProbe();
    expect(summary.status).toBe('rolled-back');
    expect(state.steps.find((s) => s.id === 'cutover-online')?.status).toBe('rolled-back');
    expect(writes.lost).toBe(0);
    await expectSourceServesIntact(cluster, FROM, original);
    expect(await logicalSlots(cluster.primary.port)).toBe('');
  });

  it('the switchover timeout passing in the middle of the cut-over puts everything back: PostgreSQL 16 serves, writable, 0 lost', async () => {
    let stalled = false;
    const { summary, state } = await upgrade(
      {
        onApproval: async (waiting) => {
          if (waiting.currentStepId !== 'approve-cutover-online' || stalled) return false;
          // Replication stops behind the scripts' back, so the cut-over can never see lag 0.
          stalled = true;
          const dbs = (
            await sql(
              cluster,
              cluster.primary.stagingPort,
              'postgres',
              "SELECT string_agg(datname, ',') FROM pg_database WHERE datallowconn AND NOT datistemplate",
            )
          ).split(',');
          for (const db of dbs) {
            await sql(
              cluster,
              cluster.primary.stagingPort,
              db,
              "DO $$ DECLARE s text; BEGIN FOR s IN SELECT subname FROM pg_subscription WHERE subdbid = (SELECT oid FROM pg_database WHERE datname = current_database()) LOOP EXECUTE format('ALTER SUBSCRIPTION %I DISABLE', s); END LOOP; END $$",
            );
          }
          return false;
        },
        onPaused: async (paused) => {
          expect(paused.currentStepId).toBe('cutover-online');
          expect(paused.failure?.message).toMatch(
            /switchover timed out after 5s during 'wait for lag 0': nothing changed, writes resumed on the old cluster/,
          );
          expect(await sql(cluster, cluster.clientPort, 'postgres', 'SHOW server_version')).toMatch(new RegExp(`^${FROM}\\.`));
          await runControls(stack.client, paused.runId).rollback({ by: 'dba@example.com', reason: 'try another night' });
        },
      },
      { switchoverTimeout: 5 },
    );
    const writes = await stopProbe();
    expect(summary.status).toBe('rolled-back');
    expect(state.steps.find((s) => s.id === 'cutover-online')?.status).not.toBe('succeeded');
    expect(writes.lost).toBe(0);
    await expectSourceServesIntact(cluster, FROM, original);
  });

  const failures: { step: string; failSwitch?: string; how?: 'reject' }[] = [
    { step: 'create-target' },
    { step: 'subscribe' },
    { step: 'wait-initial-sync', failSwitch: 'check-sync' },
    { step: 'wait-catch-up', failSwitch: 'check-lag' },
    { step: 'verify-online' },
    { step: 'approve-cutover-online', how: 'reject' },
  ];
  it.each(failures)(
    'a failure at $step rolls back with the application writing through the pooler throughout, 0 lost',
    async ({ step, failSwitch, how }) => {
      const switchName = failSwitch ?? step;
      if (!how) setInjectedFailure(cluster, switchName, true);
      try {
        const { summary, state } = await upgrade(how === 'reject' ? { reject: step } : {});
        expect(summary.status).toBe('rolled-back');
        if (!how) expect(JSON.stringify(state.steps.find((s) => s.id === step)?.history)).toContain('injected test failure');
      } finally {
        setInjectedFailure(cluster, switchName, false);
      }
      const writes = await stopProbe();
      expect(writes.lost).toBe(0);
      expect(writes.failed).toBe(0);
      await expectSourceServesIntact(cluster, FROM, original);
      expect(await logicalSlots(cluster.primary.port)).toBe('');
    },
  );

  it.each([
    {
      fixture: 'a table without a primary key',
      setup: 'CREATE TABLE public.no_key (v int); INSERT INTO public.no_key VALUES (1)',
      message: /table\(s\) public\.no_key have no primary key and no REPLICA IDENTITY/,
    },
    { fixture: 'a large object', setup: "SELECT lo_from_bytea(0, 'blob')", message: /database app holds 1 large object\(s\)/ },
    {
      fixture: 'too little slot capacity',
      setup: "SELECT pg_create_physical_replication_slot('filler_' || g) FROM generate_series(1, 16) AS g",
      message: /only \d+ replication slots are free on the old cluster; \d+ are needed \(\d+ databases \+ 2 table copies\)/,
    },
  ])('a guardrail stops the run before any change: $fixture', async ({ setup, message }) => {
    await sql(cluster, cluster.primary.port, 'app', setup);
    try {
      const { summary, state } = await upgrade();
      expect(summary.status).toBe('failed');
      expect(state.failure?.stepId).toBe('precheck');
      expect(state.failure?.message).toMatch(message);
      expect(state.steps.filter((s) => s.status !== 'pending').map((s) => s.id)).toEqual(['precheck']);
    } finally {
      await sql(
        cluster,
        cluster.primary.port,
        'app',
        "DROP TABLE IF EXISTS public.no_key; SELECT lo_unlink(oid) FROM pg_largeobject_metadata; SELECT pg_drop_replication_slot(slot_name) FROM pg_replication_slots WHERE slot_name LIKE 'filler\\_%'",
      );
    }
    const writes = await stopProbe();
    expect(writes.lost).toBe(0);
  });

  it('a worker SIGKILLed during the catch-up wait: the run completes and CREATE SUBSCRIPTION was sent once', async () => {
    const taskQueue = uniqueId('tq-pg-online-kill');
    const env = { AWS_ENDPOINT_URL_SSM: testFleet.fleet.endpoint, AWS_ENDPOINT_URL_S3: inject('s3Endpoint') };
    const first = await spawnWorkerProcess({ taskQueue, env });
    const handle = await startRun(stack.client, {
      runbook,
      parameters: parameters(),
      initiator: 'dba@example.com',
      taskQueue,
      workflowId: uniqueId('pg-online-kill'),
      options: { heartbeatTimeoutSeconds: 3 },
    });
    await eventuallyTrue(
      () => testFleet.fleet.executions().some((e) => stepCommentOf(e.comment).startsWith(`ssmflow:${handle.workflowId}/wait-`)),
      {
        timeoutMs: 120_000,
        description: 'the catch-up wait to start',
      },
    );
    await first.kill('SIGKILL');
    const killedAt = Date.now();
    const successor = await spawnWorkerProcess({ taskQueue, env });
    try {
      expect((await driveRun(handle.workflowId)).status).toBe('succeeded');
    } finally {
      await successor.kill('SIGTERM');
    }
    const subscribes = testFleet.fleet
      .executions()
      .filter((e) => stepCommentOf(e.comment).startsWith(`ssmflow:${handle.workflowId}/subscribe/`));
    expect(subscribes).toHaveLength(1);
    // The kill landed inside the wait: a check of it was sent before the kill, and more after it.
    const checks = testFleet.fleet.executions().filter((e) => stepCommentOf(e.comment).startsWith(`ssmflow:${handle.workflowId}/wait-`));
    expect(checks.some((e) => Date.parse(e.startedAt) < killedAt)).toBe(true);
    expect(checks.some((e) => Date.parse(e.startedAt) > killedAt) || checks.some((e) => Date.parse(e.endedAt ?? '') > killedAt)).toBe(true);
    expect((await stopProbe()).lost).toBe(0);
    expect(await snapshot(cluster, cluster.clientPort)).toEqual(original);
  });
});
