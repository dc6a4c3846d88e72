// Target locks end to end, through the CLI as on-call types it: the real bin/ssmflow.mjs against
// the local stack, a worker running real SSM activities against the local fleet, whose journal
// shows what each run sent. A run holds its lock while it waits for approval (so nothing else
// moves); each test uses its own cluster, so the tests do not contend with each other.
import { rmSync } from 'node:fs';
import type { Worker } from '@temporalio/worker';
import { afterAll, beforeAll, describe, expect, it, inject } from 'vitest';
import { fleetClient, startTestFleet, type TestFleet } from '../fleet/test-support.js';
import { runControls, startRun } from '../client/runs.js';
import type { RunSummary } from '../workflows/run-record.js';
import type { RunState } from '../workflows/run-state.js';
import { runCli, type CliResult } from './harness/cli.js';
import { eventually } from './harness/eventually.js';
import { runbookFromYaml } from './harness/runbook-fixtures.js';
import { writeScratchFile } from './harness/scratch-file.js';
import { connectTestStack, uniqueId, type TestStack } from './harness/stack.js';
import { spawnWorkerProcess } from './harness/worker-process.js';

const clusters = {
  alpha: ['i-0a1000000000000a1', 'i-0a1000000000000a2', 'i-0a1000000000000a3'],
  beta: ['i-0b1000000000000b1', 'i-0b1000000000000b2'],
  gamma: ['i-0c1000000000000c1', 'i-0c1000000000000c2'],
  delta: ['i-0d1000000000000d1', 'i-0d1000000000000d2'],
};

const holdRunbook = `apiVersion: ssmflow/v1
name: lock-hold
parameters:
  cluster: { type: string, pattern: '^[a-z0-9-]+$', required: true }
targets: { tags: { Cluster: '{{ cluster }}' } }
defaults: { rateControl: { maxConcurrency: '3', maxErrors: '0' } }
steps:
  - id: hold
    approval: { message: 'Go on with {{ cluster }}?' }
  - id: touch
    run: echo touched on $AWS_SSM_INSTANCE_ID
`;

const readOnlyRunbook = `apiVersion: ssmflow/v1
name: lock-check
readOnly: true
parameters:
  cluster: { type: string, pattern: '^[a-z0-9-]+$', required: true }
targets: { tags: { Cluster: '{{ cluster }}' } }
steps:
  - id: look
    run: echo looked
`;

interface LocksJson {
  holders: { holder: string; runStatus: string; instanceIds: string[] }[];
  waiters: { holder: string; runStatus: string; position: number; instanceIds: string[] }[];
  events: { event: string; holder: string; by?: string; reason?: string }[];
}

describe('target locks', () => {
  let stack: TestStack;
  let testFleet: TestFleet;
  let worker: Worker;
  let workerRun: Promise<void>;
  let env: Record<string, string>;
  let holdFile: string;
  let readOnlyFile: string;

  beforeAll(async () => {
    stack = await connectTestStack();
    testFleet = await startTestFleet({
      s3Endpoint: stack.s3Endpoint,
      instances: Object.entries(clusters).flatMap(([cluster, ids]) => ids.map((id) => ({ id, tags: { Cluster: cluster } }))),
    });
    const created = await stack.createWorker({ dependencies: { s3: stack.s3, ssm: fleetClient(testFleet.fleet.endpoint, 3) } });
    worker = created.worker;
    workerRun = worker.run();
    holdFile = writeScratchFile('ssmflow-locks-', 'lock-hold.yaml', holdRunbook);
    readOnlyFile = writeScratchFile('ssmflow-locks-', 'lock-check.yaml', readOnlyRunbook);
    env = {
      TEMPORAL_ADDRESS: stack.temporalAddress,
      SSMFLOW_TASK_QUEUE: created.taskQueue,
      AWS_ENDPOINT_URL_SSM: testFleet.fleet.endpoint,
      AWS_ENDPOINT_URL_S3: stack.s3Endpoint,
    };
  });
  afterAll(async () => {
    worker?.shutdown();
    await workerRun;
    await testFleet?.dispose();
    await stack?.close();
    for (const file of [holdFile, readOnlyFile]) if (file) rmSync(file, { force: true });
  });

  const cli = (...args: string[]) => runCli(args, env);
  function expectExit(result: CliResult, code: number): void {
    expect(result.code, `exit code of ssmflow\nstdout: ${result.stdout}\nstderr: ${result.stderr}`).toBe(code);
  }
  /** What the fleet ran for a run (its journal: every command any instance executed). */
  const executionsOf = (runId: string) => testFleet.fleet.executions().filter((e) => e.comment.startsWith(`ssmflow:${runId}/`));
  const statusOf = async (runId: string, cliEnv = env) => (await runCli(['status', runId, '--json'], cliEnv)).json<RunState>();
  const locksOf = async (cliEnv = env) => {
    const listed = await runCli(['locks', '--json'], cliEnv);
    expectExit(listed, 0);
    return listed.json<LocksJson>();
  };
  /** The holders and waiters on one cluster's instances (the other tests' clusters are theirs). */
  const on = (cluster: keyof typeof clusters, locks: LocksJson): LocksJson => {
    const touches = (entry: { instanceIds: string[] }) => entry.instanceIds.some((id) => clusters[cluster].includes(id));
    return { ...locks, holders: locks.holders.filter(touches), waiters: locks.waiters.filter(touches) };
  };
  const waitForStatus = (runId: string, status: string, cliEnv = env) =>
    eventually(() => statusOf(runId, cliEnv), {
      until: (s) => s.status === status,
      description: `run ${runId} to be ${status}`,
      timeoutMs: 60_000,
    });

  /** Starts a run of the hold runbook through the CLI; it holds its cluster's lock while waiting for approval. */
  async function holdingRun(cluster: string, cliEnv = env): Promise<string> {
    const runId = uniqueId(`hold-${cluster}`);
    expectExit(await runCli(['run', holdFile, '-p', `cluster=${cluster}`, '--id', runId, '--as', 'alice@example.com'], cliEnv), 0);
    await waitForStatus(runId, 'waiting-approval', cliEnv);
    return runId;
  }

  it('refuses an overlapping run before starting it, naming the holder, its status and --wait-for-lock; a read-only run goes beside it', async () => {
    const holder = await holdingRun('alpha');
    const held = await statusOf(holder);
    expect(held.locks).toMatchObject({ status: 'held', instanceIds: clusters.alpha });
    const shown = await cli('status', holder);
    expect(shown.stdout).toContain(`holds 3 instances`);

    const second = uniqueId('second-alpha');
    const refused = await cli('run', holdFile, '-p', 'cluster=alpha', '--id', second, '--as', 'bob@example.com');
    expectExit(refused, 1);
    expect(refused.stderr).toContain(`run ${holder} (waiting-approval, runbook lock-hold`);
    expect(refused.stderr).toContain('holds i-0a1000000000000a1, i-0a1000000000000a2, i-0a1000000000000a3');
    expect(refused.stderr).toContain('--wait-for-lock');
    // Nothing was started for it, so nothing could be sent.
    const lookup = await cli('status', second);
    expectExit(lookup, 2);
    expect(executionsOf(second)).toEqual([]);

    const locks = await locksOf();
    expect(on('alpha', locks).holders).toEqual([
      expect.objectContaining({ holder, runStatus: 'waiting-approval', instanceIds: clusters.alpha }),
    ]);
    expect(locks.events).toContainEqual(expect.objectContaining({ event: 'refused', holder: second }));

    const check = uniqueId('check-alpha');
    expectExit(await cli('run', readOnlyFile, '-p', 'cluster=alpha', '--id', check, '--wait'), 0);
    expect(executionsOf(check)).toHaveLength(3);
    expect((await statusOf(check)).locks).toBeUndefined();

    expectExit(await cli('abort', holder, '--reason', 'test done', '--as', 'alice@example.com'), 0);
    await eventually(locksOf, { until: (l) => on('alpha', l).holders.length === 0, description: 'the alpha lock to be released' });
  });

  it('--wait-for-lock queues the run (waiting-lock in status and list) and starts it when the holder ends', async () => {
    const holder = await holdingRun('alpha');
    const queued = uniqueId('queued-alpha');
    const started = await cli('run', holdFile, '-p', 'cluster=alpha', '--id', queued, '--wait-for-lock', '--json');
    expectExit(started, 0);
    expect(started.json()).toMatchObject({ runId: queued, status: 'waiting-lock', waitingFor: [holder] });
    const waiting = await waitForStatus(queued, 'waiting-lock');
    expect(waiting.locks).toMatchObject({ status: 'waiting', blockers: [expect.objectContaining({ holder, waiting: false })] });
    expect((await cli('status', queued)).stdout).toContain(`waiting for the target lock on 3 instances`);
    await eventually(async () => (await cli('list', '--status', 'waiting-lock', '--json')).json<{ runId: string }[]>(), {
      until: (runs) => runs.some((r) => r.runId === queued),
      description: 'list --status waiting-lock to show the queued run',
    });
    expect(on('alpha', await locksOf()).waiters).toEqual([
      expect.objectContaining({ holder: queued, runStatus: 'waiting-lock', position: 1 }),
    ]);
    expect(executionsOf(queued)).toEqual([]);

    expectExit(await cli('approve', holder, '--as', 'lead@example.com'), 0);
    const granted = await waitForStatus(queued, 'waiting-approval');
    expect(granted.locks).toMatchObject({ status: 'held', instanceIds: clusters.alpha });
    expect((await statusOf(holder)).status).toBe('succeeded');
    const audit = (await runControls(stack.client, queued).state()).audit;
    expect(audit.map((e) => (e.type === 'run' ? e.event : e.type))).toEqual(['started', 'lock-waiting', 'lock-granted']);

    expectExit(await cli('approve', queued, '--as', 'bob@example.com'), 0);
    await waitForStatus(queued, 'succeeded');
    // Both ran their step on every instance, the queued one only after the holder had finished.
    const holderEnd = Math.max(...executionsOf(holder).map((e) => Date.parse(e.endedAt ?? '')));
    const queuedStart = Math.min(...executionsOf(queued).map((e) => Date.parse(e.startedAt)));
    expect(executionsOf(holder)).toHaveLength(3);
    expect(executionsOf(queued)).toHaveLength(3);
    expect(queuedStart).toBeGreaterThanOrEqual(holderEnd);
    await eventually(locksOf, {
      until: (l) => on('alpha', l).holders.length === 0 && on('alpha', l).waiters.length === 0,
      description: 'alpha to be free',
    });
  });

  it('a schedule firing while the targets are held records a skipped start naming the holder, and sends nothing', async () => {
    const holder = await holdingRun('alpha');
    const scheduleId = uniqueId('weekly-alpha');
    expectExit(
      await cli('schedule', 'create', scheduleId, holdFile, '-p', 'cluster=alpha', '--cron', '0 2 * * SUN', '--as', 'sre@example.com'),
      0,
    );
    try {
      const triggered = await cli('schedule', 'trigger', scheduleId, '--json');
      expectExit(triggered, 0);
      const { runId } = triggered.json<{ runId: string }>();
      const skipped = await waitForStatus(runId, 'lock-refused');
      expect(skipped.locks).toMatchObject({ status: 'refused', blockers: [expect.objectContaining({ holder })] });
      const summary: RunSummary = await stack.client.workflow.getHandle(runId).result();
      const finished = summary.audit.at(-1);
      expect(finished).toMatchObject({ type: 'run', event: 'finished', status: 'lock-refused', by: `schedule:${scheduleId}` });
      expect(finished?.type === 'run' && finished.detail).toContain(`skipped start: targets locked by run ${holder}`);
      const shown = await cli('status', runId);
      expectExit(shown, 1);
      expect(shown.stdout).toContain(`not started: 3 instances locked, held by ${holder}`);
      expect(executionsOf(runId)).toEqual([]);
    } finally {
      await cli('schedule', 'delete', scheduleId);
      await cli('abort', holder, '--reason', 'test done');
    }
    await eventually(locksOf, { until: (l) => on('alpha', l).holders.length === 0, description: 'alpha to be free' });
  });

  it('20 runs started at once on the same cluster: exactly one wins, the other 19 end lock-refused having sent nothing', async () => {
    const runbook = runbookFromYaml(holdRunbook);
    const handles = await Promise.all(
      Array.from({ length: 20 }, (_, i) =>
        startRun(stack.client, {
          runbook,
          parameters: { cluster: 'beta' },
          initiator: 'race@example.com',
          taskQueue: env.SSMFLOW_TASK_QUEUE ?? '',
          workflowId: uniqueId(`race-${i}`),
        }),
      ),
    );
    const settled = await Promise.all(
      handles.map((h) =>
        eventually(() => runControls(stack.client, h.workflowId).state(), {
          until: (s) => s.status === 'waiting-approval' || s.status === 'lock-refused',
          description: `run ${h.workflowId} to win or be refused`,
          timeoutMs: 90_000,
          intervalMs: 200,
        }),
      ),
    );
    const winners = settled.filter((s) => s.status === 'waiting-approval');
    expect(winners).toHaveLength(1);
    expect(settled.filter((s) => s.status === 'lock-refused')).toHaveLength(19);
    const winner = winners[0]?.runId ?? '';
    for (const loser of settled.filter((s) => s.runId !== winner)) {
      const summary: RunSummary = await stack.client.workflow.getHandle(loser.runId).result();
      expect(summary.audit.at(-1)).toMatchObject({ status: 'lock-refused' });
      expect(executionsOf(loser.runId)).toEqual([]);
    }
    expect(on('beta', await locksOf()).holders).toEqual([expect.objectContaining({ holder: winner, instanceIds: clusters.beta })]);
    expectExit(await cli('approve', winner, '--as', 'lead@example.com'), 0);
    await waitForStatus(winner, 'succeeded');
    expect(executionsOf(winner)).toHaveLength(2);
    await eventually(locksOf, { until: (l) => on('beta', l).holders.length === 0, description: 'beta to be free' });
  });

  it('a terminated holder never releases; the next contested start finds it gone, frees it with a record, and wins', async () => {
    const holder = await holdingRun('gamma');
    await stack.client.workflow.getHandle(holder).terminate('test: a holder that never runs its own release');
    const next = uniqueId('after-terminate');
    expectExit(await cli('run', holdFile, '-p', 'cluster=gamma', '--id', next), 0);
    await waitForStatus(next, 'waiting-approval');
    const locks = await locksOf();
    expect(on('gamma', locks).holders).toEqual([expect.objectContaining({ holder: next, instanceIds: clusters.gamma })]);
    expect(locks.events).toContainEqual(
      expect.objectContaining({
        event: 'freed-gone',
        holder,
        by: 'ssmflow-target-locks',
        reason: `run ${holder} has ended (TERMINATED) without releasing its lock`,
      }),
    );
    const listed = await cli('locks');
    expect(listed.stdout).toContain(`freed-gone     ${holder} by ssmflow-target-locks`);

    // A forced release needs a reason, names a holder, and is recorded with who and why.
    expectExit(await cli('locks', 'release', next), 2);
    expectExit(await cli('locks', 'release', 'i-0fffffffffffffff0', '--reason', 'nothing holds it'), 2);
    const forced = await cli('locks', 'release', clusters.gamma[0] ?? '', '--reason', 'INC-42 test', '--as', 'carol@example.com', '--json');
    expectExit(forced, 0);
    expect(forced.json()).toMatchObject({ holder: next, released: clusters.gamma });
    expect((await locksOf()).events.at(-1)).toMatchObject({
      event: 'force-released',
      holder: next,
      by: 'carol@example.com',
      reason: 'INC-42 test',
    });
    expectExit(await cli('abort', next, '--reason', 'test done'), 0);
  });

  it('a worker SIGKILLed while a run holds its lock: a new worker finishes the run and the lock is released', async () => {
    const taskQueue = uniqueId('tq-locks-kill');
    const killEnv = { ...env, SSMFLOW_TASK_QUEUE: taskQueue };
    const workerEnv = { AWS_ENDPOINT_URL_SSM: testFleet.fleet.endpoint, AWS_ENDPOINT_URL_S3: inject('s3Endpoint') };
    const first = await spawnWorkerProcess({ taskQueue, env: workerEnv });
    let runId: string;
    try {
      runId = await holdingRun('delta', killEnv);
    } finally {
      await first.kill('SIGKILL');
    }
    const successor = await spawnWorkerProcess({ taskQueue, env: workerEnv });
    try {
      expect((await locksOf(killEnv)).holders).toEqual([expect.objectContaining({ holder: runId, instanceIds: clusters.delta })]);
      expectExit(await runCli(['approve', runId, '--as', 'lead@example.com'], killEnv), 0);
      await waitForStatus(runId, 'succeeded', killEnv);
      const locks = await eventually(() => locksOf(killEnv), { until: (l) => l.holders.length === 0, description: 'delta to be free' });
      expect(locks.events.at(-1)).toMatchObject({ event: 'released', holder: runId, instanceIds: clusters.delta });
      expect((await statusOf(runId, killEnv)).locks).toMatchObject({ status: 'released' });
      expect(executionsOf(runId)).toHaveLength(2);
    } finally {
      await successor.kill('SIGTERM');
    }
  });
});
