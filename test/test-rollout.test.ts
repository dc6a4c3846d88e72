// The rollout workflow on the real dev server: child runs per cluster with scripted SSM activities.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { Context } from '@temporalio/activity';
import { WorkflowFailedError, type Client, type WorkflowUpdateFailedError } from '@temporalio/client';
import type { ClusterDiscoveryRequest, ClusterDiscoveryResult } from '../aws/cluster-discovery.js';
import type { RunCommandInput } from '../aws/ssm/types.js';
import { parseRunbook } from '../runbook/load.js';
import { approveWaveUpdate, pauseRolloutUpdate, resumeRolloutUpdate, rolloutStateQuery } from '../workflows/rollout-messages.js';
import type { RolloutInput, RolloutState, RolloutStatus } from '../workflows/rollout-state.js';
import { runbookRollout } from '../workflows/index.js';
import { commandResult, scriptedTargetInstances } from './harness/scripted-ssm.js';
import { connectTestStack, recordHistoryIfAsked, uniqueId, type TestStack } from './harness/stack.js';
import { eventually, holdsWithin } from './harness/eventually.js';

const runbook = (() => {
  const parsed = parseRunbook(
    `apiVersion: ssmflow/v1
name: patch
parameters:
  cluster: { type: string, pattern: '^[a-z0-9-]+$' }
targets: { tags: { Cluster: '{{ cluster }}' } }
defaults: { onFailure: abort }
steps:
  - id: drain
    run: echo drain
  - id: patch
    run: echo patch
`,
    'patch.yaml',
  );
  if ('errors' in parsed) throw new Error(JSON.stringify(parsed.errors));
  return parsed.normalized;
})();

interface ClusterEvent {
  cluster: string;
  phase: 'start' | 'end';
  at: number;
}

/**
 * Fake SSM: each command takes ~100 ms; clusters in `failing` fail their first step; a cluster in
 * `gated` waits for `release(cluster)` before its first command.
 */
function fleetOfClusters(failing: string[] = [], gated: string[] = []) {
  const events: ClusterEvent[] = [];
  const gates = new Map(
    gated.map((cluster) => {
      let open = () => {};
      const opened = new Promise<void>((resolve) => (open = resolve));
      return [cluster, { opened, open }];
    }),
  );
  let running = 0;
  let maxRunning = 0;
  const clusterOf = (input: RunCommandInput) => /--([a-z0-9-]+)\//.exec(input.idempotencyKey)?.[1] ?? '?';
  return {
    events,
    maxConcurrentCommands: () => maxRunning,
    release: (cluster: string) => gates.get(cluster)?.open(),
    activities: {
      resolveTargetInstances: scriptedTargetInstances,
      async runCommand(input: RunCommandInput) {
        const cluster = clusterOf(input);
        await gates.get(cluster)?.opened;
        running += 1;
        maxRunning = Math.max(maxRunning, running);
        events.push({ cluster, phase: 'start', at: Date.now() });
        await Context.current().sleep(100);
        running -= 1;
        events.push({ cluster, phase: 'end', at: Date.now() });
        return commandResult(input, !(failing.includes(cluster) && input.description.endsWith('/drain')));
      },
    },
  };
}

const clusters = (n: number) => Array.from({ length: n }, (_, i) => `c${i + 1}`);

describe('rollouts across clusters', () => {
  let stack: TestStack;
  beforeAll(async () => {
    stack = await connectTestStack();
  });
  afterAll(async () => stack?.close());

  async function startRollout(fake: ReturnType<typeof fleetOfClusters>, input: Partial<RolloutInput>) {
    const { worker, taskQueue } = await stack.createWorker({ activityOverrides: fake.activities });
    const handle = await stack.client.workflow.start(runbookRollout, {
      taskQueue,
      workflowId: uniqueId('rollout'),
      args: [
        {
          runbook,
          clusters: clusters(6),
          parameters: {},
          waves: ['1', '50%', '100%'],
          maxInFlight: 2,
          errorBudget: '0',
          approvalBetweenWaves: false,
          initiator: 'platform@example.com',
          ...input,
        },
      ],
    });
    return { worker, handle };
  }

  it('runs the canary first, then each wave, never more clusters at once than the cap', async () => {
    const fake = fleetOfClusters();
    const { worker, handle } = await startRollout(fake, {});
    const summary = await worker.runUntil(handle.result());
    expect(summary.status).toBe('succeeded');
    expect(summary.succeeded.sort()).toEqual(clusters(6));
    const lastEnd = (c: string) => Math.max(...fake.events.filter((e) => e.cluster === c && e.phase === 'end').map((e) => e.at));
    const firstStart = (c: string) => Math.min(...fake.events.filter((e) => e.cluster === c && e.phase === 'start').map((e) => e.at));
    // Wave 1 = c1 (canary); wave 2 = c2, c3; wave 3 = c4..c6.
    for (const c of ['c2', 'c3', 'c4', 'c5', 'c6']) expect(firstStart(c)).toBeGreaterThanOrEqual(lastEnd('c1'));
    for (const c of ['c4', 'c5', 'c6']) expect(firstStart(c)).toBeGreaterThanOrEqual(Math.max(lastEnd('c2'), lastEnd('c3')));
    expect(fake.maxConcurrentCommands()).toBeLessThanOrEqual(2);
  });

  it('halts when the error budget is spent, refuses a resume that would halt again, and resumes with a larger budget', async () => {
    const fake = fleetOfClusters(['c2', 'c3']);
    const { worker, handle } = await startRollout(fake, { waves: ['1', '100%'], maxInFlight: 1, errorBudget: '1' });
    const summary = await worker.runUntil(async () => {
      const halted = await waitForRolloutStatus(stack.client, handle.workflowId, 'halted');
      expect(halted.errorBudget).toEqual({ spec: '1', allowedFailures: 1, failedClusters: 2 });
      expect(halted.clusters.filter((c) => c.status === 'pending').map((c) => c.cluster)).toEqual(['c4', 'c5', 'c6']);
      expect(halted.waitingFor?.message).toMatch(/2 failed clusters exceed the error budget "1"/);
      await expect(handle.executeUpdate(resumeRolloutUpdate, { args: [{ by: 'oncall' }] })).rejects.toThrow();
      await handle.executeUpdate(resumeRolloutUpdate, { args: [{ by: 'oncall', reason: 'c2/c3 are known-bad hosts', errorBudget: '2' }] });
      return handle.result();
    });
    expect(summary.status).toBe('failed');
    expect(summary.failed.map((f) => [f.cluster, f.runStatus])).toEqual([
      ['c2', 'failed'],
      ['c3', 'failed'],
    ]);
    expect(summary.succeeded.sort()).toEqual(['c1', 'c4', 'c5', 'c6']);
  });

  it('waits for approval between waves', async () => {
    const fake = fleetOfClusters();
    const { worker, handle } = await startRollout(fake, { waves: ['1', '100%'], approvalBetweenWaves: true });
    const summary = await worker.runUntil(async () => {
      const waiting = await waitForRolloutStatus(stack.client, handle.workflowId, 'waiting-approval');
      expect(waiting.clusters.filter((c) => c.status === 'succeeded').map((c) => c.cluster)).toEqual(['c1']);
      expect(new Set(fake.events.map((e) => e.cluster))).toEqual(new Set(['c1']));
      await handle.executeUpdate(approveWaveUpdate, { args: [{ by: 'lead@example.com', reason: 'canary healthy' }] });
      return handle.result();
    });
    expect(summary.status).toBe('succeeded');
    expect(summary.succeeded.sort()).toEqual(clusters(6));
    await recordHistoryIfAsked(handle, 'rollout-approved-between-waves');
  });

  it('continues as new to keep its history bounded, carrying progress across generations', async () => {
    const fake = fleetOfClusters(['c5']);
    const { worker, handle } = await startRollout(fake, { waves: ['100%'], errorBudget: '1', historyEventLimit: 25 });
    const summary = await worker.runUntil(handle.result());
    expect(summary.generation).toBeGreaterThanOrEqual(1);
    expect(summary.succeeded.sort()).toEqual(['c1', 'c2', 'c3', 'c4', 'c6']);
    expect(summary.failed.map((f) => f.cluster)).toEqual(['c5']);
    // Each cluster ran exactly once across the generations.
    const starts = fake.events.filter((e) => e.phase === 'start');
    expect(starts.filter((e) => e.cluster === 'c1')).toHaveLength(2);
    expect(starts.filter((e) => e.cluster === 'c5')).toHaveLength(1);
    const firstRun = await stack.client.workflow.getHandle(handle.workflowId, handle.firstExecutionRunId).describe();
    expect(firstRun.status.name).toBe('CONTINUED_AS_NEW');
    expect(firstRun.historyLength).toBeLessThan(60);
    await recordHistoryIfAsked(
      stack.client.workflow.getHandle(handle.workflowId, handle.firstExecutionRunId),
      'rollout-continued-as-new-first-generation',
    );
    await recordHistoryIfAsked(handle, 'rollout-continued-as-new-last-generation');
  });

  it('pause starts no new cluster, lets the running one finish, and carries over continue-as-new with its audit', async () => {
    const fake = fleetOfClusters([], ['c1']);
    // A small history limit: the rollout continues as new while it is paused.
    const { worker, handle } = await startRollout(fake, { clusters: clusters(3), waves: ['100%'], maxInFlight: 1, historyEventLimit: 12 });
    const refusal = (update: Promise<unknown>) =>
      update.then(
        () => 'accepted',
        (err: WorkflowUpdateFailedError) => (err.cause as Error).message,
      );
    const [summary, audit] = await worker.runUntil(async () => {
      try {
        await eventually(() => handle.query(rolloutStateQuery), {
          until: (state) => state.clusters[0]?.status === 'running',
          description: 'c1 to start',
        });
        expect(await refusal(handle.executeUpdate(pauseRolloutUpdate, { args: [{ by: 'oncall' }] }))).toBe(
          'pauseRollout needs a reason (recorded in the audit trail with who paused)',
        );
        await handle.executeUpdate(pauseRolloutUpdate, { args: [{ by: 'oncall', reason: 'canary under watch' }] });
      } finally {
        // The worker cannot stop while c1's command waits.
        fake.release('c1');
      }
      const paused = await eventually(() => handle.query(rolloutStateQuery), {
        until: (state) => state.status === 'paused' && state.generation >= 1,
        description: 'the rollout paused in a later generation',
        timeoutMs: 30_000,
        intervalMs: 100,
      });
      expect(paused.clusters.map((c) => c.status)).toEqual(['succeeded', 'pending', 'pending']);
      expect(paused.pause).toMatchObject({ by: 'oncall', reason: 'canary under watch' });
      expect(paused.audit.map((e) => e.event)).toEqual(expect.arrayContaining(['paused', 'continued-as-new']));
      const started = await holdsWithin(() => fake.events.some((e) => e.cluster !== 'c1'), { timeoutMs: 2_000, intervalMs: 50 });
      expect(started).toBe(false);
      expect(await refusal(handle.executeUpdate(resumeRolloutUpdate, { args: [{ by: 'oncall' }] }))).toMatch(
        /^rollout \S+ was paused by oncall: resuming it needs a reason/,
      );
      await handle.executeUpdate(resumeRolloutUpdate, { args: [{ by: 'lead', reason: 'canary fine' }] });
      return [await handle.result(), (await handle.query(rolloutStateQuery)).audit] as const;
    });
    expect(summary.status).toBe('succeeded');
    expect(summary.succeeded.sort()).toEqual(clusters(3));
    expect(audit.filter((e) => e.event === 'paused' || e.event === 'resumed')).toEqual([
      expect.objectContaining({ event: 'paused', by: 'oncall', detail: 'canary under watch' }),
      expect.objectContaining({ event: 'resumed', by: 'lead', detail: 'canary fine' }),
    ]);
  });

  it('discovers its clusters once, keeps them across continue-as-new, and refuses an empty discovery', async () => {
    const fake = fleetOfClusters();
    let discoveries = 0;
    const discovered =
      (names: string[]) =>
      async (request: ClusterDiscoveryRequest): Promise<ClusterDiscoveryResult> => {
        discoveries += 1;
        return {
          tagKey: request.tagKey,
          clusters: names.map((name) => ({ name, instances: 11 })),
          instances: names.length * 11,
          emptyValueInstances: 0,
        };
      };
    const { worker, taskQueue } = await stack.createWorker({
      activityOverrides: { ...fake.activities, discoverClusters: discovered(['c3', 'c1', 'c2', 'c4']) },
    });
    const base = {
      runbook,
      parameters: {},
      maxInFlight: 2,
      errorBudget: '0',
      approvalBetweenWaves: false,
      initiator: 'platform@example.com',
    };
    const handle = await stack.client.workflow.start(runbookRollout, {
      taskQueue,
      workflowId: uniqueId('rollout-discover'),
      args: [{ ...base, discover: { tagKey: 'Cluster' }, waves: ['1', '100%'], historyEventLimit: 25 }],
    });
    const [summary, state] = await worker.runUntil(async () => [await handle.result(), await handle.query(rolloutStateQuery)] as const);
    expect(summary.status).toBe('succeeded');
    expect(summary.generation).toBeGreaterThanOrEqual(1);
    expect(discoveries).toBe(1);
    // The discovery's order is the rollout's: c3 is the canary.
    expect(fake.events[0]?.cluster).toBe('c3');
    expect(summary.succeeded.sort()).toEqual(['c1', 'c2', 'c3', 'c4']);
    expect(state.discovery).toMatchObject({ tagKey: 'Cluster', clusters: 4, instances: 44 });

    const empty = await stack.createWorker({ activityOverrides: { ...fake.activities, discoverClusters: discovered([]) } });
    const emptyHandle = await stack.client.workflow.start(runbookRollout, {
      taskQueue: empty.taskQueue,
      workflowId: uniqueId('rollout-discover-empty'),
      args: [{ ...base, discover: { tagKey: 'Clustr', tagFilters: [{ key: 'Env', values: ['prod'] }] }, waves: ['100%'] }],
    });
    const failure = await empty.worker.runUntil(
      emptyHandle.result().then(
        () => undefined,
        (err: unknown) => err as WorkflowFailedError,
      ),
    );
    expect(failure).toBeInstanceOf(WorkflowFailedError);
    expect((failure?.cause as Error).message).toMatch(/no instance carries the tag Clustr, Env=prod: nothing to roll out/);
  });
});

function waitForRolloutStatus(client: Client, rolloutId: string, status: RolloutStatus): Promise<RolloutState> {
  const handle = client.workflow.getHandle(rolloutId);
  return eventually(() => handle.query(rolloutStateQuery), {
    until: (state) => state.status === status,
    timeoutMs: 60_000,
    intervalMs: 100,
    description: `rollout ${rolloutId} to be ${status}`,
  });
}
