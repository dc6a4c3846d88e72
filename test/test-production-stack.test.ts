// The production topology, run for real (`ssmflow stack`'s startProductionStack): the Temporal
// server built from its Go module on PostgreSQL, two ssmflow worker processes with the payload
// codec on, the codec server, S3 and the local fleet. The same flows as on the dev server, then
// faults of the server, its database and a worker, with the fleet's journal as the proof that each
// (step, instance) ran exactly once. The stack starts once for the whole file.
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { tsToMs } from '@temporalio/common/lib/time.js';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { connectToTemporal, type Connected } from '../client/connection.js';
import { startRun } from '../client/runs.js';
import { startProductionStack, type ProductionStack } from '../local/production-stack.js';
import { portIsFree } from '../local/port-available.js';
import { TEMPORAL_DB_NAMES } from '../local/temporal-database.js';
import { loadRunbookFile } from '../runbook/load-file.js';
import { normalizeRunbook } from '../runbook/normalize.js';
import type { NormalizedRunbook } from '../runbook/types.js';
import { runbookRollout } from '../workflows/rollout.js';
import { rolloutStateQuery } from '../workflows/rollout-messages.js';
import type { RunSummary } from '../workflows/run-record.js';
import { parseFleetConfig } from '../fleet/config.js';
import { expectExit, runCli } from './harness/cli.js';
import { eventually } from './harness/eventually.js';
import { uniqueId } from './harness/stack.js';

const instance = (prefix: string, n: number) => `i-0${prefix}${String(n).padStart(15, '0')}`;
const clusters = {
  flow: [1, 2].map((n) => instance('f', n)),
  faults: [1, 2, 3].map((n) => instance('e', n)),
  rollout: [1, 2, 3, 4, 5, 6].map((n) => instance('r', n)),
  codec: [instance('c', 1)],
};
const rolloutClusters = clusters.rollout.map((_, i) => `roll-${i + 1}`);

const runbookHeader = (name: string) => `apiVersion: ssmflow/v1
name: ${name}
parameters:
  cluster: { type: string, pattern: '^[a-z0-9-]+$', required: true }
`;

// Fails on an instance whose sandbox holds a file named "blocker"; an approval; then the last step.
const flowYaml = `${runbookHeader('stack-flow')}targets: { tags: { Cluster: '{{ cluster }}' } }
steps:
  - id: gate
    run: |
      if [ -f blocker ]; then echo "blocked on $AWS_SSM_INSTANCE_ID" >&2; exit 4; fi
      echo open
  - id: go-ahead
    approval: { message: 'finish {{ cluster }}?' }
  - id: finish
    run: echo finished
`;

// "hold" runs until the test drops the release file into each sandbox: the window for a fault.
const holdYaml = `${runbookHeader('stack-hold')}  releaseFile: { type: string, pattern: '^[a-z0-9-]+$', required: true }
  ticket: { type: string, pattern: '^[A-Za-z0-9-]+$', required: true }
targets: { tags: { Cluster: '{{ cluster }}' } }
defaults: { rateControl: { maxConcurrency: '3', maxErrors: '0' } }
steps:
  - id: prepare
    run: echo 'prepare {{ ticket }}'
  - id: hold
    run: while [ ! -f {{ releaseFile }} ]; do sleep 0.1; done; echo released
  - id: finish
    run: echo 'finish {{ ticket }}'
`;

const quickYaml = `${runbookHeader('stack-quick')}targets: { tags: { Cluster: '{{ cluster }}' } }
steps:
  - id: mark
    run: echo marked
`;

describe('the production topology: Temporal server on PostgreSQL, two workers, codec on', () => {
  let stack: ProductionStack;
  let temporal: Connected;
  let scratch: string;
  const files: Record<string, string> = {};
  const runbooks: Record<string, NormalizedRunbook> = {};

  beforeAll(async () => {
    scratch = mkdtempSync(join(tmpdir(), 'ssmflow-prod-stack-'));
    stack = await startProductionStack({
      stateDir: join(scratch, 'stack'),
      fleet: {
        config: parseFleetConfig({
          instances: [
            ...clusters.flow.map((id) => ({ id, tags: { Cluster: 'flow' } })),
            ...clusters.faults.map((id) => ({ id, tags: { Cluster: 'faults' } })),
            ...clusters.codec.map((id) => ({ id, tags: { Cluster: 'codec' } })),
            ...clusters.rollout.map((id, i) => ({ id, tags: { Cluster: rolloutClusters[i] ?? '' } })),
          ],
        }),
      },
      workerEnv: { SSMFLOW_SHUTDOWN_GRACE_TIME: '1s', SSMFLOW_SHUTDOWN_FORCE_TIME: '10s' },
    });
    // The typed client reads the codec keys as the CLI does: from the environment.
    process.env.SSMFLOW_ENCRYPTION_KEYS_FILE = stack.env.SSMFLOW_ENCRYPTION_KEYS_FILE;
    temporal = await connectToTemporal({ address: stack.temporal.address, namespace: stack.temporal.namespace });
    for (const [name, yaml] of Object.entries({ flow: flowYaml, hold: holdYaml, quick: quickYaml })) {
      const file = join(scratch, `${name}.yaml`);
      writeFileSync(file, yaml);
      files[name] = file;
      const parsed = await loadRunbookFile(file);
      if ('errors' in parsed) throw new Error(`${name}: ${JSON.stringify(parsed.errors)}`);
      runbooks[name] = normalizeRunbook(parsed.runbook);
    }
  }, 240_000);

  afterAll(async () => {
    await temporal?.close();
    await stack?.stop();
    delete process.env.SSMFLOW_ENCRYPTION_KEYS_FILE;
    if (scratch) rmSync(scratch, { recursive: true, force: true });
  }, 120_000);

  const cli = (...args: string[]) => runCli(args, stack.env);
  const fleet = () => {
    if (!stack.fleet) throw new Error('the stack runs no fleet');
    return stack.fleet;
  };
  const sandbox = (instanceId: string) => join(fleet().stateDir, 'instances', instanceId);
  const putFile = (instanceId: string, name: string) => {
    mkdirSync(sandbox(instanceId), { recursive: true });
    writeFileSync(join(sandbox(instanceId), name), `${name}\n`);
  };

  /** The journal's executions of one run, as `step instance` → how many processes ran. */
  const executionsByStep = (runId: string) => {
    const counts: Record<string, number> = {};
    for (const e of fleet().executions()) {
      const match = new RegExp(`^ssmflow:${runId}/([^/]+)/`).exec(e.comment);
      if (!match) continue;
      const key = `${match[1]} ${e.instanceId}`;
      counts[key] = (counts[key] ?? 0) + 1;
    }
    return counts;
  };
  const onceEach = (steps: string[], instances: string[]) =>
    Object.fromEntries(steps.flatMap((s) => instances.map((i) => [`${s} ${i}`, 1])));

  /** Starts a hold run on the "faults" cluster and waits until its hold command runs on every instance. */
  async function holdRunInCommand(label: string) {
    const runId = uniqueId(label);
    const releaseFile = uniqueId('release').toLowerCase();
    const handle = await startRun(temporal.client, {
      runbook: runbooks.hold as NormalizedRunbook,
      parameters: { cluster: 'faults', releaseFile, ticket: 'CHG-1' },
      initiator: 'sre@example.com',
      taskQueue: stack.taskQueue,
      workflowId: runId,
      // A worker silent this long is presumed dead: its command's wait moves to the other worker.
      options: { heartbeatTimeoutSeconds: 5 },
    });
    await eventually(
      () => {
        const running = fleet()
          .executions()
          .filter((e) => e.comment.startsWith(`ssmflow:${runId}/hold/`) && e.status === 'running');
        return running.length === clusters.faults.length ? running : undefined;
      },
      { timeoutMs: 60_000, description: `${runId}'s hold command to run on every instance` },
    );
    const release = () => clusters.faults.forEach((id) => putFile(id, releaseFile));
    return { runId, handle, release };
  }

  /** When each instance's hold command of the run ended (fleet journal), once all have. */
  const holdEndedOnEveryInstance = (runId: string) =>
    eventually(
      () => {
        const ended = fleet()
          .executions()
          .filter((e) => e.comment.startsWith(`ssmflow:${runId}/hold/`) && e.endedAt)
          .map((e) => Date.parse(e.endedAt ?? ''));
        return ended.length === clusters.faults.length ? ended : undefined;
      },
      { timeoutMs: 30_000, description: `${runId}'s hold command to end on every instance` },
    );

  /** The hold step's runCommand activity (the run's second) as the history recorded it. */
  async function holdActivity(runId: string): Promise<{ attempt: number; identity: string; completedMs: number }> {
    const events = (await temporal.client.workflow.getHandle(runId).fetchHistory()).events ?? [];
    const scheduled = events.filter((e) => e.activityTaskScheduledEventAttributes?.activityType?.name === 'runCommand')[1];
    const id = Number(scheduled?.eventId);
    const started = events.find((e) => Number(e.activityTaskStartedEventAttributes?.scheduledEventId) === id);
    const completed = events.find((e) => Number(e.activityTaskCompletedEventAttributes?.scheduledEventId) === id);
    if (!started || !completed) throw new Error(`${runId}: no completed hold activity in its history`);
    return {
      attempt: started.activityTaskStartedEventAttributes?.attempt ?? 0,
      identity: started.activityTaskStartedEventAttributes?.identity ?? '',
      completedMs: tsToMs(completed.eventTime),
    };
  }

  it('runs a step that pauses on a failure, is retried, waits for approval and succeeds', async () => {
    const blocked = clusters.flow[1] ?? '';
    putFile(blocked, 'blocker');
    const started = await cli('run', files.flow ?? '', '-p', 'cluster=flow', '--wait', '--json', '--as', 'alice@example.com');
    expectExit(started, 1);
    const paused = started.json<{ runId: string; status: string }>();
    expect(paused.status).toBe('paused-on-failure');

    rmSync(join(sandbox(blocked), 'blocker'));
    const retried = await cli('retry', paused.runId, '--as', 'bob@example.com', '--reason', 'blocker removed', '--wait', '--json');
    expectExit(retried, 0);
    expect(retried.json<{ run: { status: string } }>().run.status).toBe('waiting-approval');
    const approved = await cli('approve', paused.runId, '--as', 'carol@example.com', '--reason', 'green', '--wait', '--json');
    expectExit(approved, 0);
    expect(approved.json<{ run: { status: string } }>().run.status).toBe('succeeded');
    // The failed attempt ran on both instances, the retry on both again, the last step once each.
    expect(executionsByStep(paused.runId)).toEqual({
      ...onceEach(['finish'], clusters.flow),
      ...Object.fromEntries(clusters.flow.map((id) => [`gate ${id}`, 2])),
    });
  });

  it('lists runs by search attributes on SQL visibility: status, runbook, cluster and initiator', async () => {
    const runIds: string[] = [];
    for (const initiator of ['dana@example.com', 'erin@example.com']) {
      const run = await cli('run', files.quick ?? '', '-p', 'cluster=flow', '--wait', '--json', '--as', initiator);
      expectExit(run, 0);
      runIds.push(run.json<{ runId: string }>().runId);
    }
    const listed = await eventually(
      async () => {
        const list = await cli(
          'list',
          '--runbook',
          'stack-quick',
          '--cluster',
          'flow',
          '--status',
          'succeeded',
          '--initiator',
          'erin@example.com',
          '--json',
        );
        expectExit(list, 0);
        const rows = list.json<{ runId: string; initiator: string; status: string }[]>();
        return rows.some((r) => r.runId === runIds[1]) ? rows : undefined;
      },
      { timeoutMs: 30_000, description: "erin's run in the filtered list" },
    );
    expect(listed.map((r) => r.runId)).toEqual([runIds[1]]);
    expect(listed[0]).toMatchObject({ initiator: 'erin@example.com', status: 'succeeded' });
    const none = await cli('list', '--runbook', 'stack-quick', '--status', 'paused-on-failure', '--json');
    expectExit(none, 0);
    expect(none.json<unknown[]>()).toEqual([]);
  });

  it('rolls out across six clusters, continuing as new on the way, each cluster once', async () => {
    const rolloutId = uniqueId('stack-rollout');
    const handle = await temporal.client.workflow.start(runbookRollout, {
      taskQueue: stack.taskQueue,
      workflowId: rolloutId,
      args: [
        {
          runbook: runbooks.quick as NormalizedRunbook,
          clusters: rolloutClusters,
          clusterParameter: 'cluster',
          parameters: {},
          waves: ['1', '100%'],
          maxInFlight: 2,
          errorBudget: '0',
          approvalBetweenWaves: false,
          initiator: 'platform@example.com',
          // Small, so the rollout continues as new several times on the real server.
          historyEventLimit: 20,
        },
      ],
    });
    const summary = await handle.result();
    expect(summary.status).toBe('succeeded');
    expect([...summary.succeeded].sort()).toEqual([...rolloutClusters].sort());
    const state = await handle.query(rolloutStateQuery);
    expect(state.generation).toBeGreaterThanOrEqual(1);
    expect(state.audit.map((e) => e.event)).toContain('continued-as-new');
    const first = await temporal.client.workflow.getHandle(rolloutId, handle.firstExecutionRunId).describe();
    expect(first.status.name).toBe('CONTINUED_AS_NEW');
    // Each cluster's one instance ran the step once.
    const marks = fleet()
      .executions()
      .filter((e) => clusters.rollout.includes(e.instanceId) && /\/mark\//.test(e.comment));
    expect(marks.map((e) => e.instanceId).sort()).toEqual([...clusters.rollout].sort());
  });

  it('fires a schedule, which starts a run as schedule:<id>', async () => {
    const scheduleId = uniqueId('stack-schedule');
    const created = await cli(
      'schedule',
      'create',
      scheduleId,
      files.quick ?? '',
      '-p',
      'cluster=flow',
      '--every',
      '10s',
      '--reason',
      'CHG-9',
    );
    expectExit(created, 0);
    try {
      const fired = await eventually(
        async () => {
          const list = await cli('list', '--initiator', `schedule:${scheduleId}`, '--status', 'succeeded', '--json');
          expectExit(list, 0);
          const rows = list.json<{ runId: string; initiator: string }[]>();
          return rows.length > 0 ? rows : undefined;
        },
        { timeoutMs: 60_000, intervalMs: 1_000, description: `a run started by schedule ${scheduleId}` },
      );
      expect(fired[0]?.runId.startsWith(scheduleId)).toBe(true);
    } finally {
      expectExit(await cli('schedule', 'delete', scheduleId), 0);
    }
  });

  it('keeps no plaintext parameter in the history tables of PostgreSQL (payload codec on)', async () => {
    const ticket = `PLAIN-${uniqueId('t').slice(2)}`;
    const releaseFile = uniqueId('release').toLowerCase();
    clusters.codec.forEach((id) => putFile(id, releaseFile));
    const run = await cli(
      'run',
      files.hold ?? '',
      '-p',
      'cluster=codec',
      '-p',
      `releaseFile=${releaseFile}`,
      '-p',
      `ticket=${ticket}`,
      '--wait',
      '--json',
    );
    expectExit(run, 0);
    const { runId } = run.json<{ runId: string }>();
    const hex = (text: string) => Buffer.from(text).toString('hex');
    const rowsHolding = async (database: string, table: string, column: string, text: string) =>
      Number(await stack.db.query(database, `SELECT count(*) FROM ${table} WHERE position('\\x${hex(text)}'::bytea in ${column}) > 0`));
    const { persistence, visibility } = TEMPORAL_DB_NAMES;
    // The query finds what is stored in plain: the task queue name is not a payload.
    expect(await rowsHolding(persistence, 'history_node', 'data', stack.taskQueue)).toBeGreaterThan(0);
    // The commands ran with the ticket, so it was in the run's input and the steps' commands.
    expect(executionsByStep(runId)).toEqual(onceEach(['prepare', 'hold', 'finish'], clusters.codec));
    expect(await rowsHolding(persistence, 'history_node', 'data', ticket)).toBe(0);
    expect(await rowsHolding(persistence, 'executions', 'data', ticket)).toBe(0);
    expect(await rowsHolding(visibility, 'executions_visibility', 'memo', ticket)).toBe(0);
  });

  it('survives a SIGKILL of the Temporal server in the middle of a command: the run completes, each step once per instance', async () => {
    const { runId, handle, release } = await holdRunInCommand('server-kill');
    const killedPid = stack.temporal.pid;
    expect(await stack.temporal.kill()).toBe('SIGKILL');
    const downAt = Date.now();
    // Down: nothing listens on the frontend's port.
    expect(await portIsFree(Number(stack.temporal.address.split(':')[1]))).toBe(true);
    release();
    // The commands end while the server is down: only after its restart can the run learn of it.
    const ended = await holdEndedOnEveryInstance(runId);
    const restartAt = Date.now();
    await stack.temporal.start();
    expect(stack.temporal.pid).not.toBe(killedPid);
    const result: RunSummary = await handle.result();
    expect(result.status).toBe('succeeded');
    for (const endedAt of ended) expect(endedAt).toBeGreaterThan(downAt);
    expect(Math.max(...ended)).toBeLessThan(restartAt);
    expect((await holdActivity(runId)).completedMs).toBeGreaterThanOrEqual(restartAt);
    expect(executionsByStep(runId)).toEqual(onceEach(['prepare', 'hold', 'finish'], clusters.faults));
  }, 240_000);

  it("survives Temporal's PostgreSQL stopped for 20 s: the run completes, nothing lost or run twice", async () => {
    const { runId, handle, release } = await holdRunInCommand('db-stop');
    await stack.db.stop();
    const downAt = Date.now();
    // Down: the database refuses connections.
    await expect(stack.db.query('postgres', 'SELECT 1')).rejects.toThrow();
    release();
    const ended = await holdEndedOnEveryInstance(runId);
    await new Promise((r) => setTimeout(r, Math.max(0, downAt + 20_000 - Date.now())));
    const restartAt = Date.now();
    await stack.db.start();
    const result: RunSummary = await handle.result();
    expect(result.status).toBe('succeeded');
    expect(result.steps.map((s) => [s.id, s.status])).toEqual([
      ['prepare', 'succeeded'],
      ['hold', 'succeeded'],
      ['finish', 'succeeded'],
    ]);
    // The commands ended during the outage; their step's completion was written once it was over.
    for (const endedAt of ended) expect(endedAt).toBeGreaterThan(downAt);
    expect(Math.max(...ended)).toBeLessThan(restartAt);
    expect((await holdActivity(runId)).completedMs).toBeGreaterThanOrEqual(restartAt);
    expect(executionsByStep(runId)).toEqual(onceEach(['prepare', 'hold', 'finish'], clusters.faults));
  }, 240_000);

  it('finishes the run on the other worker when the one waiting on the command is SIGKILLed', async () => {
    const { runId, handle, release } = await holdRunInCommand('worker-kill');
    const pending = await eventually(
      async () => {
        const activity = (await temporal.client.workflow.getHandle(runId).describe()).raw.pendingActivities?.[0];
        return activity?.lastWorkerIdentity ? activity : undefined;
      },
      { timeoutMs: 30_000, description: 'the worker running the hold activity' },
    );
    expect(pending.activityType?.name).toBe('runCommand');
    const identity = pending.lastWorkerIdentity ?? '';
    const holder = stack.workers.find((w) => w.pid !== undefined && identity.startsWith(`${w.pid}@`));
    const other = stack.workers.find((w) => w !== holder);
    if (!holder || !other) throw new Error(`no stack worker has the identity ${identity}`);
    expect(await holder.kill('SIGKILL')).toBe('SIGKILL');
    release();
    const result: RunSummary = await handle.result();
    expect(result.status).toBe('succeeded');
    expect(executionsByStep(runId)).toEqual(onceEach(['prepare', 'hold', 'finish'], clusters.faults));
    // The hold step's activity was retried and completed by the survivor, without a second send.
    const hold = await holdActivity(runId);
    expect(hold.attempt).toBeGreaterThanOrEqual(2);
    expect(hold.identity.startsWith(`${other.pid}@`)).toBe(true);
    await holder.start();
  }, 240_000);
});
