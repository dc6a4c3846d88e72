// Approval policies as runs enforce them, on the real dev server (SSM scripted): four eyes,
// approvers by group and by name, several distinct approvals, a rejection ending the wait, and the
// same rules for a rollout's wave approvals. The API and the CLI both go through these validators.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { rolloutControls } from '../client/rollouts.js';
import { OperatorActionRejected, runControls, startRun } from '../client/runs.js';
import { approveWaveUpdate, rolloutStateQuery } from '../workflows/rollout-messages.js';
import { runbookRollout } from '../workflows/index.js';
import type { RunState } from '../workflows/run-state.js';
import { runbookFromYaml } from './harness/runbook-fixtures.js';
import { waitForRunState, waitForRunStatus } from './harness/run-waits.js';
import { scriptedSsm } from './harness/scripted-ssm.js';
import { connectTestStack, uniqueId, type TestStack } from './harness/stack.js';
import { eventually } from './harness/eventually.js';

const gated = (policy: string) =>
  runbookFromYaml(`apiVersion: ssmflow/v1
name: gated
parameters:
  cluster: { type: string, default: c1 }
targets: { tags: { Cluster: '{{ cluster }}' } }
${policy}
steps:
  - id: prepare
    run: echo prepare
    rollback: { run: echo unprepare }
  - id: approve-cutover
    approval: { message: 'Cut over now?' }
    onFailure: rollback
  - id: cutover
    run: echo cutover
`);

const refusal = (err: unknown) => (err instanceof OperatorActionRejected ? err.message : String(err));

describe('approval policies', () => {
  let stack: TestStack;
  beforeAll(async () => {
    stack = await connectTestStack();
  });
  afterAll(async () => stack?.close());

  async function withWaitingRun<T>(policy: string, scenario: (controls: ReturnType<typeof runControls>) => Promise<T>): Promise<T> {
    const ssm = scriptedSsm(() => 'success');
    const { worker, taskQueue } = await stack.createWorker({ activityOverrides: ssm.activities });
    const handle = await startRun(stack.client, {
      runbook: gated(policy),
      parameters: {},
      initiator: 'alice@example.com',
      taskQueue,
      workflowId: uniqueId('gated'),
    });
    const controls = runControls(stack.client, handle.workflowId);
    return worker.runUntil(async () => {
      await waitForRunState(
        controls,
        (s) => s.status === 'waiting-approval' && s.waitingFor?.approval !== undefined,
        'to wait for approval',
      );
      return scenario(controls);
    });
  }

  it('four eyes by default: the initiator cannot approve their own run; someone else can', async () => {
    const end = await withWaitingRun('', async (controls) => {
      const waiting = await controls.state();
      expect(waiting.waitingFor?.approval).toEqual({ minApprovals: 1, allowSelfApproval: false, given: [] });
      const refused = await controls.approve({ by: 'alice@example.com', reason: 'mine' }).catch(refusal);
      expect(refused).toMatch(
        /four eyes: alice@example.com may not approve step approve-cutover of run gated-\w+, which they started; another person must/,
      );
      expect((await controls.state()).status).toBe('waiting-approval');
      await controls.approve({ by: 'bob@example.com', reason: 'looks right' });
      return waitForRunStatus(controls, 'succeeded');
    });
    const approvals = end.audit.filter((e) => e.type === 'operator');
    expect(approvals).toEqual([expect.objectContaining({ action: 'approve', by: 'bob@example.com', stepId: 'approve-cutover' })]);
  });

  it('minApprovals 2 from a group: one approval leaves the run waiting, the same person twice counts once, two distinct continue it', async () => {
    const end = await withWaitingRun('approvalPolicy: { approvers: [dba-leads], minApprovals: 2 }', async (controls) => {
      expect(await controls.approve({ by: 'eve@example.com', groups: ['sre'] }).catch(refusal)).toMatch(
        /eve@example.com \(groups: sre\) is not an approver of step approve-cutover .*: approvers are dba-leads/,
      );
      const afterOne = await controls.approve({ by: 'bob@example.com', groups: ['dba-leads'], reason: 'lag 0' });
      expect(afterOne.status).toBe('waiting-approval');
      expect(afterOne.waitingFor?.approval?.given).toEqual([expect.objectContaining({ by: 'bob@example.com', reason: 'lag 0' })]);
      expect(await controls.approve({ by: 'BOB@example.com', groups: ['dba-leads'] }).catch(refusal)).toMatch(
        /BOB@example.com has already approved step approve-cutover .* \(1 of 2\); 1 more from another approver needed/,
      );
      // Still waiting: nothing the refusals did moved the run.
      const still: RunState = await controls.state();
      expect(still.status).toBe('waiting-approval');
      expect(still.steps.find((s) => s.id === 'cutover')?.status).toBe('pending');
      await controls.approve({ by: 'carol@example.com', groups: ['dba-leads'], reason: 'verified' });
      return waitForRunStatus(controls, 'succeeded');
    });
    expect(end.audit.filter((e) => e.type === 'operator')).toEqual([
      expect.objectContaining({ action: 'approve', by: 'bob@example.com', approvals: { given: 1, needed: 2 } }),
      expect.objectContaining({ action: 'approve', by: 'carol@example.com', approvals: { given: 2, needed: 2 } }),
    ]);
  });

  it('one rejection ends the wait, even after an approval; the initiator may withdraw their own run', async () => {
    const rejectedByApprover = await withWaitingRun('approvalPolicy: { approvers: [dba-leads], minApprovals: 2 }', async (controls) => {
      await controls.approve({ by: 'bob@example.com', groups: ['dba-leads'] });
      expect(await controls.approve({ by: 'eve@example.com', reject: true }).catch(refusal)).toMatch(
        /eve@example.com \(no groups\) may not reject/,
      );
      await controls.approve({ by: 'carol@example.com', groups: ['dba-leads'], reject: true, reason: 'peak traffic' });
      return waitForRunStatus(controls, 'rolled-back');
    });
    expect(rejectedByApprover.steps.find((s) => s.id === 'approve-cutover')?.message).toBe('rejected by carol@example.com: peak traffic');
    const withdrawn = await withWaitingRun('approvalPolicy: { approvers: [dba-leads] }', async (controls) => {
      await controls.approve({ by: 'alice@example.com', reject: true, reason: 'wrong cluster' });
      return waitForRunStatus(controls, 'rolled-back');
    });
    expect(withdrawn.steps.find((s) => s.id === 'approve-cutover')?.message).toBe('rejected by alice@example.com: wrong cluster');
  });

  it('allowSelfApproval: true lets the initiator approve, by name in approvers', async () => {
    const end = await withWaitingRun(
      'approvalPolicy: { approvers: ["user:alice@example.com"], allowSelfApproval: true }',
      async (controls) => {
        await controls.approve({ by: 'alice@example.com' });
        return waitForRunStatus(controls, 'succeeded');
      },
    );
    expect(end.status).toBe('succeeded');
  });

  it("a rollout's wave approvals follow the runbook's policy: not its initiator, and minApprovals distinct approvers", async () => {
    const ssm = scriptedSsm(() => 'success');
    const { worker, taskQueue } = await stack.createWorker({ activityOverrides: ssm.activities });
    const runbook = runbookFromYaml(`apiVersion: ssmflow/v1
name: patch
parameters:
  cluster: { type: string }
targets: { tags: { Cluster: '{{ cluster }}' } }
approvalPolicy: { approvers: [sre], minApprovals: 2 }
steps:
  - id: patch
    run: echo patch
`);
    const handle = await stack.client.workflow.start(runbookRollout, {
      taskQueue,
      workflowId: uniqueId('rollout-policy'),
      args: [
        {
          runbook,
          clusters: ['c1', 'c2'],
          parameters: {},
          waves: ['1', '100%'],
          maxInFlight: 1,
          errorBudget: '0',
          approvalBetweenWaves: true,
          initiator: 'alice@example.com',
        },
      ],
    });
    const controls = rolloutControls(stack.client, handle.workflowId);
    const summary = await worker.runUntil(async () => {
      const waiting = await eventually(async () => {
        const state = await handle.query(rolloutStateQuery);
        return state.status === 'waiting-approval' ? state : undefined;
      });
      expect(waiting.waitingFor?.approval).toMatchObject({ approvers: ['sre'], minApprovals: 2, allowSelfApproval: false, given: [] });
      await expect(controls.approveWave({ by: 'alice@example.com', groups: ['sre'] })).rejects.toThrow(
        /four eyes: alice@example.com may not approve wave 2 of rollout rollout-policy-\w+, which they started/,
      );
      const afterOne = await handle.executeUpdate(approveWaveUpdate, { args: [{ by: 'bob@example.com', groups: ['sre'] }] });
      expect(afterOne.status).toBe('waiting-approval');
      expect(afterOne.waitingFor?.approval?.given.map((g) => g.by)).toEqual(['bob@example.com']);
      await expect(controls.approveWave({ by: 'bob@example.com', groups: ['sre'] })).rejects.toThrow(
        /bob@example.com has already approved wave 2 of rollout .* \(1 of 2\)/,
      );
      const afterTwo = await handle.executeUpdate(approveWaveUpdate, {
        args: [{ by: 'carol@example.com', groups: ['sre'], reason: 'canary fine' }],
      });
      expect(afterTwo.audit.filter((a) => a.event === 'wave-approved').map((a) => [a.by, a.detail])).toEqual([
        ['bob@example.com', 'approval 1 of 2'],
        ['carol@example.com', 'canary fine; approval 2 of 2'],
      ]);
      return handle.result();
    });
    expect(summary.status).toBe('succeeded');
    expect(summary.succeeded.sort()).toEqual(['c1', 'c2']);
  });
});
