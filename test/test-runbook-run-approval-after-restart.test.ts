// An approval answered the moment the run reaches it, right after a worker restart. A worker is
// SIGKILLed while a step's command runs; the command then completes while the dead worker's sticky
// queue still holds the run's next workflow task. The operator's status query meanwhile falls back
// to the live worker as a legacy query, which runs the workflow ahead of history (the step's
// result applied, the approval reached) from a task no worker has completed. An approve sent on
// that answer reaches the live worker with the delayed task. Before the fix it was accepted there,
// after the commands reaching the approval; replay delivers the Update first, so the history no
// longer replayed ([TMPRL1100] at the 'waiting-approval' upsert). Now the wait opens one task later.
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { Worker } from '@temporalio/worker';
import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import { OperatorActionRejected, runControls, startRun } from '../client/runs.js';
import { projectRoot } from '../local/project-root.js';
import { parseRunbook } from '../runbook/load.js';
import type { RunState } from '../workflows/run-state.js';
import { completeWhileQueryRunsAhead, replayHistory, startParkingWorker, upsertedStatuses } from './harness/parking-worker.js';
import { scriptedSsm } from './harness/scripted-ssm.js';
import { waitForRunState, waitForRunStatus } from './harness/run-waits.js';
import { connectTestStack, recordHistoryIfAsked, uniqueId, type TestStack } from './harness/stack.js';

function gatedRunbook() {
  // readOnly: the parking worker registers only the command activities, so the run takes no target lock.
  const parsed = parseRunbook(
    `apiVersion: ssmflow/v1
name: gated
readOnly: true
targets: { instanceIds: [i-0123456789abcdef0] }
steps:
  - id: prepare
    run: echo prepare
  - id: approve-cutover
    approval: { message: 'Cut over now?' }
  - id: cutover
    run: echo cutover
`,
    'gated.yaml',
  );
  if ('errors' in parsed) throw new Error(parsed.errors.map((e) => e.message).join('\n'));
  return parsed.normalized;
}

describe('approval answered in the task that reaches it, after a worker restart', () => {
  let stack: TestStack;
  beforeAll(async () => {
    stack = await connectTestStack();
  });
  afterAll(async () => stack?.close());

  it('refuses the approve sent on a query answered ahead of history, takes the next one, and the history replays', async () => {
    const taskQueue = uniqueId('tq-approval-restart');
    const first = await startParkingWorker(taskQueue);
    const handle = await startRun(stack.client, {
      runbook: gatedRunbook(),
      parameters: {},
      initiator: 'test@example.com',
      taskQueue,
      workflowId: uniqueId('gated'),
    });
    const parked = await first.parked();
    await first.kill();

    const ssm = scriptedSsm(() => 'success');
    const { worker } = await stack.createWorker({ taskQueue, activityOverrides: ssm.activities });
    const controls = runControls(stack.client, handle.workflowId);
    let early: unknown;
    await worker.runUntil(async () => {
      let state: RunState = await completeWhileQueryRunsAhead(stack.client, controls, parked);
      if (state.currentStepId !== 'approve-cutover')
        state = await waitForRunState(controls, (s) => s.currentStepId === 'approve-cutover', 'to reach approve-cutover', {
          intervalMs: 50,
        });

      // The answer came from a task no worker has completed: history does not show the approval yet.
      expect(upsertedStatuses(await handle.fetchHistory())).not.toContain('waiting-approval');
      // The operator approves at once. It reaches the live worker with that task and is refused
      // there (before the fix it was accepted, and the history below failed to replay).
      early = await controls.approve({ by: 'oncall', reason: 'approved the moment it asked' }).catch((err: unknown) => err);
      if (early instanceof OperatorActionRejected) {
        expect(early.message).toBe(
          `run ${handle.workflowId} is about to wait for the operator at step approve-cutover: try approve again in a moment`,
        );
        // One task later the wait is open: status says so, and the same approve goes through.
        if (state.status !== 'waiting-approval') state = await waitForRunStatus(controls, 'waiting-approval', { intervalMs: 50 });
        expect(state.waitingFor).toMatchObject({ reason: 'approval', stepId: 'approve-cutover' });
        await controls.approve({ by: 'oncall', reason: 'approved the moment it asked' });
      }
      const summary = await handle.result();
      expect(summary.status).toBe('succeeded');
      expect(summary.audit.filter((e) => e.type === 'operator')).toMatchObject([
        { action: 'approve', by: 'oncall', stepId: 'approve-cutover' },
      ]);
      expect(ssm.order()).toEqual(['gated/cutover']);
    });

    const history = await handle.fetchHistory();
    expect(upsertedStatuses(history)).toEqual(['waiting-approval', 'running', 'succeeded']);
    await replayHistory(history, handle.workflowId);
    await recordHistoryIfAsked(handle, 'runbook-run-approval-answered-after-worker-kill');
    expect(early).toBeInstanceOf(OperatorActionRejected);
  });
});

/**
 * The recorded run with the workflow task that only opened the wait taken out, renumbered: the
 * timer that opens the wait fires in the same task that accepts the approve. That is the history a
 * worker produces when a query ran it ahead of history across the opening (the open issues no
 * command, the approve is accepted in the next activation); replay hands the Update over first.
 */
function approvedInTheTaskThatOpens(history: { events: Record<string, unknown>[] }): { events: Record<string, unknown>[] } {
  const events = structuredClone(history.events);
  const fired = events.findIndex((e) => e.eventType === 'EVENT_TYPE_TIMER_FIRED');
  const openingTask = events.slice(fired + 1, fired + 4);
  expect(openingTask.map((e) => e.eventType)).toEqual([
    'EVENT_TYPE_WORKFLOW_TASK_SCHEDULED',
    'EVENT_TYPE_WORKFLOW_TASK_STARTED',
    'EVENT_TYPE_WORKFLOW_TASK_COMPLETED',
  ]);
  const kept = events.filter((e) => !openingTask.includes(e));
  const ids = new Map(kept.map((e, i) => [e.eventId as string, String(i + 1)]));
  const renumber = (node: unknown): void => {
    if (Array.isArray(node)) return node.forEach(renumber);
    if (!node || typeof node !== 'object') return;
    for (const [key, value] of Object.entries(node)) {
      if (key.endsWith('EventId') && typeof value === 'string') {
        const id = ids.get(value);
        if (!id) throw new Error(`${key} ${value} refers to a removed event`);
        (node as Record<string, unknown>)[key] = id;
      } else renumber(value);
    }
  };
  for (const event of kept) {
    event.eventId = ids.get(event.eventId as string);
    renumber(event);
  }
  return { ...history, events: kept };
}

describe('approval accepted in the task that opens the wait', () => {
  it('replays: the task that opens a wait issues no command, so the Update may come first', async () => {
    const recorded = JSON.parse(
      readFileSync(join(projectRoot, 'test', 'histories', 'runbook-run-approval-answered-after-worker-kill.json'), 'utf8'),
    ) as { events: Record<string, unknown>[] };
    const history = approvedInTheTaskThatOpens(recorded);
    const types = history.events.map((e) => e.eventType);
    const fired = types.indexOf('EVENT_TYPE_TIMER_FIRED');
    expect(types.slice(fired, fired + 5)).toEqual([
      'EVENT_TYPE_TIMER_FIRED',
      'EVENT_TYPE_WORKFLOW_TASK_SCHEDULED',
      'EVENT_TYPE_WORKFLOW_TASK_STARTED',
      'EVENT_TYPE_WORKFLOW_TASK_COMPLETED',
      'EVENT_TYPE_WORKFLOW_EXECUTION_UPDATE_ACCEPTED',
    ]);
    await Worker.runReplayHistory(
      { workflowBundle: { codePath: inject('workflowBundlePath') } },
      history,
      'approved-in-the-task-that-opens',
    );
  });
});
