// Undoing real runs: cancelling one mid-command, and a rollback that fails on an instance until
// the operator fixes it. Real activities against the local fleet; the fleet's journal shows what
// ran where, and in what order.
import { existsSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { ListCommandsCommand } from '@aws-sdk/client-ssm';
import { CancelledFailure, WorkflowFailedError } from '@temporalio/client';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { runControls, startRun } from '../client/runs.js';
import { stepCommentOf } from '../aws/ssm/idempotency-comment.js';
import type { ExecutionRecord } from '../fleet/journal.js';
import { fleetClient, startTestFleet, type TestFleet } from '../fleet/test-support.js';
import { parseRunbook } from '../runbook/load.js';
import type { NormalizedRunbook } from '../runbook/types.js';
import type { RunState, RunStatus } from '../workflows/run-state.js';
import { connectTestStack, uniqueId, type TestStack } from './harness/stack.js';
import { eventually } from './harness/eventually.js';
import { waitForRunStatus } from './harness/run-waits.js';

const ids = ['i-0d0e000000000000a', 'i-0d0e000000000000b'];

function runbookFrom(text: string): NormalizedRunbook {
  const parsed = parseRunbook(text, 'undo.yaml');
  if ('errors' in parsed) throw new Error(JSON.stringify(parsed.errors));
  return parsed.normalized;
}

const waitForStatus = (controls: ReturnType<typeof runControls>, status: RunStatus): Promise<RunState> =>
  waitForRunStatus(controls, status, { timeoutMs: 90_000, intervalMs: 150 });

describe('undoing real runs', () => {
  let stack: TestStack;
  let testFleet: TestFleet;
  beforeAll(async () => {
    stack = await connectTestStack();
    testFleet = await startTestFleet({ instances: ids.map((id) => ({ id, tags: { Cluster: 'undo' } })) });
  });
  afterAll(async () => {
    await testFleet?.dispose();
    await stack?.close();
  });

  async function start(runbook: NormalizedRunbook) {
    const { worker, taskQueue } = await stack.createWorker({
      dependencies: { s3: stack.s3, ssm: fleetClient(testFleet.fleet.endpoint, 3) },
    });
    const handle = await startRun(stack.client, {
      runbook,
      parameters: { cluster: 'undo' },
      initiator: 'oncall@example.com',
      taskQueue,
      workflowId: uniqueId('undo'),
    });
    return { worker, handle, controls: runControls(stack.client, handle.workflowId) };
  }

  /** The run's journal lines, command by command (in the order they started), each by instance id. */
  const journalOf = (workflowId: string): ExecutionRecord[] => {
    const lines = testFleet.fleet.executions().filter((e) => e.comment.startsWith(`ssmflow:${workflowId}/`));
    const firstStart = new Map<string, string>();
    for (const e of lines)
      if (!firstStart.has(e.commandId) || e.startedAt < (firstStart.get(e.commandId) ?? '')) firstStart.set(e.commandId, e.startedAt);
    const commandStart = (e: ExecutionRecord) => firstStart.get(e.commandId) ?? '';
    return lines.sort((a, b) => commandStart(a).localeCompare(commandStart(b)) || a.instanceId.localeCompare(b.instanceId));
  };
  const keyOf = (workflowId: string, e: ExecutionRecord) => stepCommentOf(e.comment).slice(`ssmflow:${workflowId}/`.length);

  it('cancelling a run mid-command cancels the SSM command on every instance, undoes the interrupted and the completed step, and ends cancelled', async () => {
    const runbook = runbookFrom(`apiVersion: ssmflow/v1
name: cancel-me
parameters:
  cluster: { type: string }
targets: { tags: { Cluster: '{{ cluster }}' } }
defaults: { rateControl: { maxConcurrency: '100%', maxErrors: '0' } }
steps:
  - id: prepare
    run: echo ready > "$FLEET_INSTANCE_DIR/prepared" && echo prepared
    rollback: { run: rm "$FLEET_INSTANCE_DIR/prepared" && echo unprepared }
  - id: upgrade
    run: sleep 30; echo done > "$FLEET_INSTANCE_DIR/upgraded"
    rollback: { run: rm -f "$FLEET_INSTANCE_DIR/upgraded" && echo downgraded }
  - id: finish
    run: echo finished
`);
    const { worker, handle, controls } = await start(runbook);
    const wid = handle.workflowId;
    await worker.runUntil(async () => {
      await eventually(
        () => (journalOf(wid).filter((e) => keyOf(wid, e) === 'upgrade/1' && e.status === 'running').length === 2 ? true : undefined),
        { timeoutMs: 30_000, description: 'upgrade running on both instances' },
      );
      await handle.cancel();
      const failure = await handle.result().then(
        () => undefined,
        (err: unknown) => err,
      );
      // The run ends as the product defines a cancel: the workflow CANCELLED, its state 'cancelled'.
      expect(failure).toBeInstanceOf(WorkflowFailedError);
      expect((failure as WorkflowFailedError).cause).toBeInstanceOf(CancelledFailure);
      expect((await handle.describe()).status.name).toBe('CANCELLED');
      const state = await controls.state();
      expect(state.status).toBe('cancelled');
      expect(state.steps.map((s) => `${s.id} ${s.status}`)).toEqual(['prepare rolled-back', 'upgrade rolled-back', 'finish pending']);
      expect(state.audit.at(-1)).toMatchObject({
        type: 'run',
        event: 'finished',
        status: 'cancelled',
        detail: 'run cancelled; completed steps rolled back',
      });

      // What the instances went through. (Soft assertions: one run shows every way it went wrong.)
      const upgradeCommandId = journalOf(wid).find((e) => keyOf(wid, e) === 'upgrade/1')?.commandId ?? '';
      await eventually(() => (journalOf(wid).every((e) => e.status !== 'running') ? true : undefined), {
        timeoutMs: 40_000,
        description: 'every process of the run to end',
      });
      const journal = journalOf(wid);
      // The in-flight command was cancelled in SSM: its processes were killed (137), not left to finish.
      expect
        .soft(journal.filter((e) => keyOf(wid, e) === 'upgrade/1').map((e) => `${e.instanceId} ${e.status} ${e.exitCode}`))
        .toEqual(ids.map((id) => `${id} Cancelled 137`));
      const command = (await testFleet.ssm.send(new ListCommandsCommand({ CommandId: upgradeCommandId }))).Commands?.[0];
      expect.soft(command?.Status).toBe('Cancelled');
      // Rollbacks: the interrupted step, then the completed one; the last step never ran.
      expect
        .soft(journal.map((e) => `${keyOf(wid, e)} ${e.instanceId} ${e.status}`))
        .toEqual([
          ...ids.map((id) => `prepare/1 ${id} Success`),
          ...ids.map((id) => `upgrade/1 ${id} Cancelled`),
          ...ids.map((id) => `upgrade/rollback-1 ${id} Success`),
          ...ids.map((id) => `prepare/rollback-1 ${id} Success`),
        ]);
      // Each undo starts only once what it undoes has stopped: upgrade's rollback after the
      // upgrade processes were killed, prepare's after upgrade's rollback.
      const ended = (step: string) => Math.max(...journal.filter((e) => keyOf(wid, e) === step).map((e) => Date.parse(e.endedAt ?? '')));
      const started = (step: string) => Math.min(...journal.filter((e) => keyOf(wid, e) === step).map((e) => Date.parse(e.startedAt)));
      expect.soft(started('upgrade/rollback-1')).toBeGreaterThanOrEqual(ended('upgrade/1'));
      expect.soft(started('prepare/rollback-1')).toBeGreaterThanOrEqual(ended('upgrade/rollback-1'));
      // And the sandboxes are as before the run.
      for (const id of ids) {
        expect.soft(existsSync(join(testFleet.stateDir, 'instances', id, 'upgraded')), `${id}: upgraded`).toBe(false);
        expect.soft(existsSync(join(testFleet.stateDir, 'instances', id, 'prepared')), `${id}: prepared`).toBe(false);
      }
    });
  });

  it('a rollback that fails on one instance pauses the run naming the step and instance; after the fix an operator retry finishes the rollback', async () => {
    const runbook = runbookFrom(`apiVersion: ssmflow/v1
name: undo-fails
parameters:
  cluster: { type: string }
targets: { tags: { Cluster: '{{ cluster }}' } }
defaults: { rateControl: { maxConcurrency: '100%', maxErrors: '0' } }
steps:
  - id: configure
    run: echo configured
    rollback: { run: echo unconfigured }
  - id: migrate
    run: echo migrated
    rollback:
      run: |
        test -f "$FLEET_INSTANCE_DIR/backup" || { echo "no backup to restore from" >&2; exit 3; }
        echo restored
  - id: verify
    run: echo "verification failed" >&2; exit 1
    onFailure: rollback
`);
    const [healthy, broken] = ids as [string, string];
    // One instance has the backup its rollback needs; the other does not, yet.
    writeFileSync(join(testFleet.stateDir, 'instances', healthy, 'backup'), 'snapshot\n');
    const { worker, handle, controls } = await start(runbook);
    const wid = handle.workflowId;
    await worker.runUntil(async () => {
      const paused = await waitForStatus(controls, 'paused-on-failure');
      expect(paused.currentStepId).toBe('migrate');
      expect(paused.failure).toMatchObject({
        stepId: 'migrate',
        phase: 'rollback',
        instances: [{ instanceId: broken, statusDetails: 'Failed', exitCode: 3 }],
      });
      expect(paused.failure?.message).toMatch(
        new RegExp(`^rollback of migrate failed: 1 of 2 instances failed .*${broken} Failed exit 3: no backup to restore from`),
      );
      expect(paused.failure?.message).not.toContain(healthy);
      expect(paused.failure?.allowedActions).toEqual(['retry', 'skip', 'abort']);
      expect(paused.steps.find((s) => s.id === 'migrate')).toMatchObject({ status: 'rollback-failed', rollback: { status: 'failed' } });
      // The rest of the rollback waits for the operator: configure's has not run.
      expect(journalOf(wid).map((e) => keyOf(wid, e))).not.toContain('configure/rollback-1');

      writeFileSync(join(testFleet.stateDir, 'instances', broken, 'backup'), 'snapshot\n');
      const retried = await controls.retry({ by: 'oncall@example.com', reason: 'backup restored on the instance' });
      expect(retried.audit.at(-1)).toMatchObject({ type: 'operator', action: 'retry', by: 'oncall@example.com', stepId: 'migrate' });
      const summary = await handle.result();
      expect(summary.status).toBe('rolled-back');
      expect(summary.failure).toBeUndefined();
      expect(summary.steps.map((s) => `${s.id} ${s.status}`)).toEqual(['configure rolled-back', 'migrate rolled-back', 'verify failed']);
    });

    // Each rollback ran as expected, newest step first: migrate's failed once on the broken
    // instance, its retry ran everywhere, and only then was configure undone.
    const journal = journalOf(wid);
    expect(journal.map((e) => `${keyOf(wid, e)} ${e.instanceId} ${e.status} ${e.exitCode}`)).toEqual([
      ...ids.map((id) => `configure/1 ${id} Success 0`),
      ...ids.map((id) => `migrate/1 ${id} Success 0`),
      ...ids.map((id) => `verify/1 ${id} Failed 1`),
      `migrate/rollback-1 ${healthy} Success 0`,
      `migrate/rollback-1 ${broken} Failed 3`,
      ...ids.map((id) => `migrate/rollback-2 ${id} Success 0`),
      ...ids.map((id) => `configure/rollback-1 ${id} Success 0`),
    ]);
  });
});
