// An abort while a step runs. The run's code carries it out, not the Update handler: replay hands
// an Update over before the activity results of the same workflow task, so a handler that cancelled
// "the current step" could cancel a step that, in the history being replayed, had already
// succeeded. That is what happened after a worker restart: a worker is SIGKILLed while step
// `prepare` runs; its command completes while the dead worker's sticky queue holds the next task;
// the operator's status query falls back to the live worker and runs the workflow ahead of history
// (prepare succeeded, `cutover` sent); the abort sent on that answer is accepted in that task and
// cancels cutover. Replay, with the abort first, cancelled prepare's finished activity
// ([TMPRL1100] "Activity machine does not handle this event").
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { runControls, startRun } from '../client/runs.js';
import { parseRunbook } from '../runbook/load.js';
import { completeWhileQueryRunsAhead, replayHistory, startParkingWorker, upsertedStatuses } from './harness/parking-worker.js';
import { scriptedSsm } from './harness/scripted-ssm.js';
import { waitForRunState } from './harness/run-waits.js';
import { connectTestStack, recordHistoryIfAsked, uniqueId, type TestStack } from './harness/stack.js';

function twoStepRunbook() {
  // readOnly: the parking worker registers only the command activities, so the run takes no target lock.
  const parsed = parseRunbook(
    `apiVersion: ssmflow/v1
name: two-steps
readOnly: true
targets: { instanceIds: [i-0123456789abcdef0] }
steps:
  - id: prepare
    run: echo prepare
  - id: cutover
    run: echo cutover
`,
    'two-steps.yaml',
  );
  if ('errors' in parsed) throw new Error(parsed.errors.map((e) => e.message).join('\n'));
  return parsed.normalized;
}

describe('abort while a step runs', () => {
  let stack: TestStack;
  beforeAll(async () => {
    stack = await connectTestStack();
  });
  afterAll(async () => stack?.close());

  it('cancels the running command, ends the run aborted, and the history replays', async () => {
    const taskQueue = uniqueId('tq-abort');
    const ssm = scriptedSsm((description) => (description.endsWith('/prepare') ? 'block' : 'success'));
    const { worker } = await stack.createWorker({ taskQueue, activityOverrides: ssm.activities });
    const handle = await startRun(stack.client, {
      runbook: twoStepRunbook(),
      parameters: {},
      initiator: 'test@example.com',
      taskQueue,
      workflowId: uniqueId('abort-running'),
    });
    const controls = runControls(stack.client, handle.workflowId);
    const summary = await worker.runUntil(async () => {
      await waitForRunState(controls, (s) => s.steps[0]?.status === 'running' && ssm.order().length === 1, 'prepare to run');
      await controls.abort({ by: 'oncall', reason: 'wrong cluster' });
      return handle.result();
    });
    expect(summary.status).toBe('failed');
    expect(summary.steps.map((s) => [s.id, s.status, s.message])).toEqual([
      ['prepare', 'failed', 'aborted by oncall'],
      ['cutover', 'pending', undefined],
    ]);
    // The blocked command was cancelled (its activity heartbeats until cancelled), and cutover never sent.
    expect(ssm.order()).toEqual(['two-steps/prepare']);
    const history = await handle.fetchHistory();
    expect((history.events ?? []).some((e) => e.activityTaskCancelRequestedEventAttributes)).toBe(true);
    await replayHistory(history, handle.workflowId);
  });

  it('lands in the step the worker was at, even when it ran ahead of history after a restart; the history replays', async () => {
    const taskQueue = uniqueId('tq-abort-restart');
    const first = await startParkingWorker(taskQueue);
    const handle = await startRun(stack.client, {
      runbook: twoStepRunbook(),
      parameters: {},
      initiator: 'test@example.com',
      taskQueue,
      workflowId: uniqueId('abort-restart'),
    });
    const parked = await first.parked();
    await first.kill();

    const ssm = scriptedSsm(() => 'block');
    const { worker } = await stack.createWorker({ taskQueue, activityOverrides: ssm.activities });
    const controls = runControls(stack.client, handle.workflowId);
    const summary = await worker.runUntil(async () => {
      const state = await completeWhileQueryRunsAhead(stack.client, controls, parked);
      // The answer came from a task no worker has completed: prepare done, cutover under way.
      expect(state.steps.map((s) => s.status)).toEqual(['succeeded', 'running']);
      await controls.abort({ by: 'oncall', reason: 'abort the moment it moved on' });
      return handle.result();
    });
    expect(summary.status).toBe('failed');
    expect(summary.steps.map((s) => [s.id, s.status])).toEqual([
      ['prepare', 'succeeded'],
      ['cutover', 'failed'],
    ]);
    expect(summary.steps[1]?.message).toBe('aborted by oncall');
    // cutover was cancelled before it reached SSM.
    expect(ssm.order()).toEqual([]);
    const history = await handle.fetchHistory();
    expect(upsertedStatuses(history)).toEqual(['failed']);
    await replayHistory(history, handle.workflowId);
    await recordHistoryIfAsked(handle, 'runbook-run-aborted-after-worker-kill');
  });
});
