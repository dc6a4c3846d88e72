// The runbook run workflow on the real Temporal dev server, with scripted (mocked) SSM activities.
import type { Client, WorkflowHandle } from '@temporalio/client';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { OperatorActionRejected, runControls, startRun } from '../client/runs.js';
import type { NormalizedRunbook } from '../runbook/types.js';
import type { RunState, RunStatus } from '../workflows/run-state.js';
import type { runbookRun } from '../workflows/runbook-run.js';
import { gatedRunbook, runbookFromYaml, windowedRunbook } from './harness/runbook-fixtures.js';
import { scriptedSsm, type ScriptedOutcome, type ScriptedSsm } from './harness/scripted-ssm.js';
import { connectTestStack, recordHistoryIfAsked, uniqueId, type TestStack } from './harness/stack.js';
import { eventuallyTrue } from './harness/eventually.js';
import { waitForRunState, waitForRunStatus } from './harness/run-waits.js';

/** Five run steps; s3 has no rollback, so it must never appear among the rollbacks. */
function fiveSteps(onFailure: string): NormalizedRunbook {
  const step = (n: number) =>
    `  - id: s${n}\n    run: echo step ${n} {{ version }}\n${n === 3 ? '' : `    rollback: { run: echo undo ${n} }\n`}`;
  return runbookFromYaml(`apiVersion: ssmflow/v1
name: five
parameters:
  cluster: { type: string, default: c1 }
  version: { type: integer, default: 1 }
targets: { tags: { Cluster: '{{ cluster }}' } }
defaults: { onFailure: ${onFailure} }
steps:
${[1, 2, 3, 4, 5].map(step).join('')}`);
}

const rollbacksOf = (ssm: ScriptedSsm) =>
  ssm
    .order()
    .filter((d) => d.endsWith('(rollback)'))
    .map((d) => d.replace(/^five\/(s\d) \(rollback\)$/, '$1'));
const stepsRun = (ssm: ScriptedSsm) =>
  ssm
    .order()
    .filter((d) => !d.endsWith('(rollback)'))
    .map((d) => d.replace(/^five\//, ''));

describe('runbook run workflow', () => {
  let stack: TestStack;
  beforeAll(async () => {
    stack = await connectTestStack();
  });
  afterAll(async () => stack?.close());

  async function withRun<T>(
    runbook: NormalizedRunbook,
    script: (description: string, seen: number) => ScriptedOutcome,
    scenario: (handle: WorkflowHandle<typeof runbookRun>, ssm: ScriptedSsm, controls: ReturnType<typeof runControls>) => Promise<T>,
    parameters: Record<string, string | number | boolean> = {},
  ): Promise<T> {
    const ssm = scriptedSsm(script);
    const { worker, taskQueue } = await stack.createWorker({ activityOverrides: ssm.activities });
    const handle = await startRun(stack.client, {
      runbook,
      parameters,
      initiator: 'test@example.com',
      taskQueue,
      workflowId: uniqueId(runbook.name),
    });
    return worker.runUntil(scenario(handle, ssm, runControls(stack.client, handle.workflowId)));
  }

  describe.each(['rollback', 'abort', 'continue', 'pause'] as const)('a failure at each step under onFailure: %s', (policy) => {
    it.each([1, 2, 3, 4, 5])(`failure at s%i`, async (k) => {
      await withRun(
        fiveSteps(policy),
        (d) => (d === `five/s${k}` ? 'fail' : 'success'),
        async (handle, ssm, controls) => {
          if (policy === 'pause') {
            const paused = await waitForStatus(stack.client, handle.workflowId, 'paused-on-failure');
            expect(paused.currentStepId).toBe(`s${k}`);
            expect(paused.failure).toMatchObject({
              stepId: `s${k}`,
              phase: 'step',
              instances: [{ instanceId: 'i-0123456789abcdef0', exitCode: 2 }],
            });
            expect(paused.failure?.message).toContain('something broke');
            expect(paused.failure?.allowedActions).toEqual(['retry', 'skip', 'rollback', 'abort']);
            await controls.rollback({ by: 'oncall@example.com', reason: 'bad step' });
          }
          const summary = await handle.result();
          const undone = [k, k - 1, k - 2, k - 3, k - 4].filter((n) => n >= 1 && n !== 3).map((n) => `s${n}`);
          switch (policy) {
            case 'rollback':
            case 'pause':
              expect(stepsRun(ssm)).toEqual([1, 2, 3, 4, 5].slice(0, k).map((n) => `s${n}`));
              expect(rollbacksOf(ssm)).toEqual(undone);
              expect(summary.status).toBe('rolled-back');
              expect(summary.steps.filter((s) => s.status === 'rolled-back').map((s) => s.id)).toEqual([...undone].reverse());
              break;
            case 'abort':
              expect(stepsRun(ssm)).toEqual([1, 2, 3, 4, 5].slice(0, k).map((n) => `s${n}`));
              expect(rollbacksOf(ssm)).toEqual([]);
              expect(summary.status).toBe('failed');
              expect(summary.steps[k - 1]?.status).toBe('failed');
              break;
            case 'continue':
              expect(stepsRun(ssm)).toEqual(['s1', 's2', 's3', 's4', 's5']);
              expect(rollbacksOf(ssm)).toEqual([]);
              expect(summary.status).toBe('succeeded');
              expect(summary.steps.map((s) => s.status)).toEqual([1, 2, 3, 4, 5].map((n) => (n === k ? 'failed' : 'succeeded')));
              break;
          }
          if (policy === 'rollback' && k === 4) await recordHistoryIfAsked(handle, 'runbook-run-rollback-at-step-4');
        },
      );
    });
  });

  it.each([1, 2, 3, 4, 5])('cancelling the run while s%i runs rolls back that step and every earlier one, newest first', async (k) => {
    await withRun(
      fiveSteps('pause'),
      (d) => (d === `five/s${k}` ? 'block' : 'success'),
      async (handle, ssm) => {
        await waitUntil(() => ssm.order().includes(`five/s${k}`), `s${k} to start`);
        await handle.cancel();
        await expect(handle.result()).rejects.toThrow();
        expect(rollbacksOf(ssm)).toEqual([k, k - 1, k - 2, k - 3, k - 4].filter((n) => n >= 1 && n !== 3).map((n) => `s${n}`));
        const state = await runControls(stack.client, handle.workflowId).state();
        expect(state.status).toBe('cancelled');
        expect((await handle.describe()).status.name).toBe('CANCELLED');
        if (k === 4) await recordHistoryIfAsked(handle, 'runbook-run-cancelled-at-step-4');
      },
    );
  });

  it('cancelling a run whose rollback fails and is skipped says what was and was not undone', async () => {
    await withRun(
      fiveSteps('pause'),
      (d) => (d === 'five/s4' ? 'block' : d === 'five/s2 (rollback)' ? 'fail' : 'success'),
      async (handle, ssm, controls) => {
        await waitUntil(() => ssm.order().includes('five/s4'), 's4 to start');
        await handle.cancel();
        const paused = await waitForStatus(stack.client, handle.workflowId, 'paused-on-failure');
        expect(paused.failure).toMatchObject({ stepId: 's2', phase: 'rollback' });
        await controls.skip({ by: 'oncall@example.com', reason: 'undo s2 by hand' });
        await expect(handle.result()).rejects.toThrow();
        await recordHistoryIfAsked(handle, 'runbook-run-cancelled-rollback-skipped');
        expect(rollbacksOf(ssm)).toEqual(['s4', 's2', 's1']);
        const state = await controls.state();
        expect(state.status).toBe('cancelled');
        expect(state.steps.map((s) => s.status)).toEqual(['rolled-back', 'rollback-failed', 'succeeded', 'rolled-back', 'pending']);
        expect(state.steps[1]?.rollback?.status).toBe('skipped');
        const finished = state.audit.filter((e) => e.type === 'run' && e.event === 'finished');
        expect(finished).toHaveLength(1);
        expect(finished[0]).toMatchObject({ status: 'cancelled' });
        const detail = finished[0]?.type === 'run' ? (finished[0].detail ?? '') : '';
        expect(detail).not.toMatch(/completed steps rolled back/);
        expect(detail).toMatch(/rollback of s2 skipped by oncall@example.com/);
        expect(state.failure).toMatchObject({ stepId: 's2', phase: 'rollback' });
      },
    );
  });

  it('pause → retry, then an operator rollback at a later failure undoes every completed step', async () => {
    await withRun(
      fiveSteps('pause'),
      (d, seen) => ((d === 'five/s2' && seen === 1) || d === 'five/s4' ? 'fail' : 'success'),
      async (handle, ssm, controls) => {
        await waitForStatus(stack.client, handle.workflowId, 'paused-on-failure');
        await controls.retry({ by: 'oncall@example.com', reason: 'disk cleaned' });
        const paused = await waitForStatus(stack.client, handle.workflowId, 'paused-on-failure');
        expect(paused.currentStepId).toBe('s4');
        await controls.rollback({ by: 'oncall@example.com', reason: 's4 keeps failing' });
        const summary = await handle.result();
        expect(summary.status).toBe('rolled-back');
        expect(stepsRun(ssm)).toEqual(['s1', 's2', 's2', 's3', 's4']);
        expect(rollbacksOf(ssm)).toEqual(['s4', 's2', 's1']);
        expect(summary.steps.map((s) => s.status)).toEqual(['rolled-back', 'rolled-back', 'succeeded', 'rolled-back', 'pending']);
        await recordHistoryIfAsked(handle, 'runbook-run-paused-retried-then-rolled-back');
      },
    );
  });

  it('pause → retry succeeds, keeping every attempt with its own idempotency key', async () => {
    await withRun(
      fiveSteps('pause'),
      (d, seen) => (d === 'five/s2' && seen === 1 ? 'fail' : 'success'),
      async (handle, ssm, controls) => {
        await waitForStatus(stack.client, handle.workflowId, 'paused-on-failure');
        const after = await controls.retry({ by: 'oncall@example.com', reason: 'disk cleaned' });
        expect(after.audit.at(-1)).toMatchObject({
          type: 'operator',
          action: 'retry',
          by: 'oncall@example.com',
          reason: 'disk cleaned',
          stepId: 's2',
        });
        const summary = await handle.result();
        expect(summary.status).toBe('succeeded');
        expect(summary.steps[1]).toMatchObject({ id: 's2', status: 'succeeded', attempts: 2 });
        const keys = ssm.calls.filter((c) => c.description === 'five/s2').map((c) => c.key);
        // The Temporal run id ends each key: a later run under the same workflow id never matches them.
        const { runId } = await handle.describe();
        expect(keys).toEqual([`${handle.workflowId}/s2/1@${runId}`, `${handle.workflowId}/s2/2@${runId}`]);
        await recordHistoryIfAsked(handle, 'runbook-run-pause-then-retry');
      },
    );
  });

  it('pause → retry with changed parameters renders the rest of the run with them', async () => {
    await withRun(
      fiveSteps('pause'),
      (d, seen) => (d === 'five/s3' && seen === 1 ? 'fail' : 'success'),
      async (handle, ssm, controls) => {
        await waitForStatus(stack.client, handle.workflowId, 'paused-on-failure');
        await expect(controls.retry({ by: 'oncall', parameters: { version: 'two' } })).rejects.toThrow(/parameter version/);
        await expect(controls.retry({ by: 'oncall', parameters: { nope: 1 } })).rejects.toThrow(/nope/);
        const after = await controls.retry({ by: 'oncall', parameters: { version: 2 } });
        expect(after.parameters.version).toBe(2);
        expect((await handle.result()).status).toBe('succeeded');
        const commandsOf = (step: string) => ssm.calls.filter((c) => c.description === `five/${step}`).map((c) => c.commands.join(';'));
        expect(commandsOf('s3')).toEqual(["echo step 3 '1'", "echo step 3 '2'"]);
        expect(commandsOf('s4')).toEqual(["echo step 4 '2'"]);
      },
      { version: 1 },
    );
  });

  it('pause → skip leaves the step failed-and-skipped and goes on', async () => {
    await withRun(
      fiveSteps('pause'),
      (d) => (d === 'five/s2' ? 'fail' : 'success'),
      async (handle, ssm, controls) => {
        await waitForStatus(stack.client, handle.workflowId, 'paused-on-failure');
        await controls.skip({ by: 'oncall', reason: 'known flake' });
        const summary = await handle.result();
        expect(summary.status).toBe('succeeded');
        expect(summary.steps.map((s) => s.status)).toEqual(['succeeded', 'skipped', 'succeeded', 'succeeded', 'succeeded']);
        expect(stepsRun(ssm)).toEqual(['s1', 's2', 's3', 's4', 's5']);
      },
    );
  });

  it('a failing rollback pauses the run for the operator instead of hiding it; retrying it finishes the rollback', async () => {
    await withRun(
      fiveSteps('rollback'),
      (d, seen) => (d === 'five/s4' || (d === 'five/s2 (rollback)' && seen === 1) ? 'fail' : 'success'),
      async (handle, ssm, controls) => {
        const paused = await waitForStatus(stack.client, handle.workflowId, 'paused-on-failure');
        expect(paused.failure).toMatchObject({ stepId: 's2', phase: 'rollback' });
        expect(paused.steps[1]?.status).toBe('rollback-failed');
        await expect(controls.rollback({ by: 'oncall' })).rejects.toThrow(/already rolling back/);
        await controls.retry({ by: 'oncall', reason: 'fixed permissions' });
        const summary = await handle.result();
        expect(summary.status).toBe('rolled-back');
        expect(rollbacksOf(ssm)).toEqual(['s4', 's2', 's2', 's1']);
      },
    );
  });

  describe('approval', () => {
    it('approved: the run goes on, and the approver is in the audit', async () => {
      await withRun(
        gatedRunbook(),
        () => 'success',
        async (handle, ssm, controls) => {
          const waiting = await waitForStatus(stack.client, handle.workflowId, 'waiting-approval');
          expect(waiting.waitingFor).toMatchObject({ reason: 'approval', stepId: 'approve-cutover', message: 'Cut over now?' });
          await expect(controls.retry({ by: 'x' })).rejects.toThrow(
            /is waiting-approval at step approve-cutover: retry applies only while the run is paused-on-failure/,
          );
          await controls.approve({ by: 'lead@example.com', reason: 'change CHG-42' });
          const summary = await handle.result();
          expect(summary.status).toBe('succeeded');
          expect(ssm.order()).toEqual(['gated/prepare', 'gated/cutover']);
          const state = await runControls(stack.client, handle.workflowId).state();
          expect(state.audit.find((e) => e.type === 'operator')).toMatchObject({
            action: 'approve',
            by: 'lead@example.com',
            reason: 'change CHG-42',
          });
          await recordHistoryIfAsked(handle, 'runbook-run-approved');
        },
      );
    });

    it('rejected: the step fails and its policy (rollback) undoes what ran', async () => {
      await withRun(
        gatedRunbook(),
        () => 'success',
        async (handle, ssm, controls) => {
          await waitForStatus(stack.client, handle.workflowId, 'waiting-approval');
          await controls.approve({ by: 'lead', reject: true, reason: 'not tonight' });
          const summary = await handle.result();
          expect(summary.status).toBe('rolled-back');
          expect(ssm.order()).toEqual(['gated/prepare', 'gated/prepare (rollback)']);
          expect(summary.failure).toBeUndefined();
          const state = await runControls(stack.client, handle.workflowId).state();
          expect(state.steps[1]).toMatchObject({ status: 'failed', message: 'rejected by lead: not tonight' });
        },
      );
    });

    it('aborted while waiting: the run ends failed at once, nothing rolled back, no rejection recorded', async () => {
      await withRun(
        gatedRunbook(),
        () => 'success',
        async (handle, ssm, controls) => {
          await waitForStatus(stack.client, handle.workflowId, 'waiting-approval');
          await controls.abort({ by: 'oncall', reason: 'wrong maintenance night' });
          const summary = await handle.result();
          expect(summary.status).toBe('failed');
          expect(ssm.order()).toEqual(['gated/prepare']);
          expect(summary.steps[1]).toMatchObject({ status: 'failed', message: 'aborted by oncall' });
          expect(summary.audit.filter((e) => e.type === 'operator').map((e) => (e.type === 'operator' ? e.action : ''))).toEqual(['abort']);
        },
      );
    });

    it('timed out: the step fails with the reason', async () => {
      await withRun(
        gatedRunbook('2s'),
        () => 'success',
        async (handle, ssm) => {
          const summary = await handle.result();
          expect(summary.status).toBe('rolled-back');
          expect(ssm.order()).toEqual(['gated/prepare', 'gated/prepare (rollback)']);
          const state = await runControls(stack.client, handle.workflowId).state();
          expect(state.steps[1]?.message).toMatch(/approval timed out/);
        },
      );
    });
  });

  it('runs each step kind: run, document, waitUntil, approval and sleep', async () => {
    const runbook = runbookFromYaml(`apiVersion: ssmflow/v1
name: kinds
targets: { instanceIds: [i-0123456789abcdef0] }
steps:
  - id: shell
    run: [echo one, echo two]
  - id: doc
    document: { name: Team-Restart, parameters: { service: nginx } }
  - id: until-ready
    waitUntil: { run: test -f /tmp/ready, interval: 1s, timeout: 1m }
  - id: gate
    approval: { message: go? }
  - id: pause-a-bit
    sleep: 1s
`);
    await withRun(
      runbook,
      () => 'success',
      async (handle, ssm, controls) => {
        await waitForStatus(stack.client, handle.workflowId, 'waiting-approval');
        await controls.approve({ by: 'lead' });
        const summary = await handle.result();
        expect(summary.status).toBe('succeeded');
        expect(summary.steps.map((s) => [s.id, s.status])).toEqual([
          ['shell', 'succeeded'],
          ['doc', 'succeeded'],
          ['until-ready', 'succeeded'],
          ['gate', 'succeeded'],
          ['pause-a-bit', 'succeeded'],
        ]);
        expect(ssm.calls.map((c) => [c.description, c.commands])).toEqual([
          ['kinds/shell', ['echo one', 'echo two']],
          ['kinds/doc', []],
          ['kinds/until-ready', ['test -f /tmp/ready']],
        ]);
        const state = await runControls(stack.client, handle.workflowId).state();
        expect(
          state.audit.filter((e) => e.type === 'command').map((e) => (e.type === 'command' ? [e.stepId, e.phase, e.document] : [])),
        ).toEqual([
          ['shell', 'step', 'AWS-RunShellScript'],
          ['doc', 'step', 'Team-Restart'],
          ['until-ready', 'check', 'AWS-RunShellScript'],
        ]);
      },
    );
  });

  describe('maintenance window', () => {
    it('a disruptive step waits, pending, while the window is closed; status says until when', async () => {
      // A one-hour window that opens twelve hours from now: certainly closed while the test runs.
      const opensAtHour = (new Date().getUTCHours() + 12) % 24;
      await withRun(
        windowedRunbook(`0 ${opensAtHour} * * *`),
        () => 'success',
        async (handle, ssm, controls) => {
          const waiting = await waitFor(stack.client, handle.workflowId, (s) => s.waitingFor?.reason === 'maintenance-window');
          expect(waiting.status).toBe('running');
          expect(waiting.waitingFor?.stepId).toBe('restart');
          expect(waiting.waitingFor?.until).toMatch(new RegExp(`T${String(opensAtHour).padStart(2, '0')}:00:00\\.000Z$`));
          expect(waiting.steps.map((st) => st.status)).toEqual(['succeeded', 'pending']);
          expect(ssm.order()).toEqual(['windowed/prepare']);
          await controls.abort({ by: 'oncall', reason: 'not this year' });
          expect((await handle.result()).status).toBe('failed');
          expect(ssm.order()).toEqual(['windowed/prepare']);
        },
      );
    });

    it('a disruptive step runs at once inside an open window', async () => {
      await withRun(
        windowedRunbook('* * * * *'),
        () => 'success',
        async (handle, ssm) => {
          expect((await handle.result()).status).toBe('succeeded');
          expect(ssm.order()).toEqual(['windowed/prepare', 'windowed/restart']);
        },
      );
    });
  });

  it('a waitUntil whose condition never holds fails the step with the checks it made', async () => {
    const runbook = runbookFromYaml(`apiVersion: ssmflow/v1
name: waits
targets: { instanceIds: [i-0123456789abcdef0] }
steps:
  - id: until-ready
    waitUntil: { run: test -f /tmp/ready, interval: 1s, timeout: 1m }
    onFailure: abort
`);
    await withRun(
      runbook,
      () => 'fail',
      async (handle) => {
        const summary = await handle.result();
        expect(summary.status).toBe('failed');
        expect(summary.failure?.message).toMatch(/condition not met after 5 checks/);
      },
    );
  });

  it('rejects operator actions that make no sense now, with a message that says why', async () => {
    await withRun(
      fiveSteps('pause'),
      (d) => (d === 'five/s1' ? 'block' : 'success'),
      async (handle, ssm, controls) => {
        await waitUntil(() => ssm.order().includes('five/s1'), 's1 to start');
        const rejected = await controls.retry({ by: 'oncall' }).catch((err: unknown) => err);
        expect(rejected).toBeInstanceOf(OperatorActionRejected);
        expect((rejected as OperatorActionRejected).message).toBe(
          `run ${handle.workflowId} is running at step s1: retry applies only while the run is paused-on-failure`,
        );
        await expect(controls.approve({ by: 'oncall' })).rejects.toThrow(/approve applies only while the run is waiting-approval/);
        await expect(controls.skip({ by: ' ' })).rejects.toThrow(/needs "by"/);
        // Abort is valid while running: the step's command is cancelled and the run ends failed, not rolled back.
        await controls.abort({ by: 'oncall', reason: 'wrong cluster' });
        const summary = await handle.result();
        expect(summary.status).toBe('failed');
        expect(rollbacksOf(ssm)).toEqual([]);
        await expect(controls.abort({ by: 'oncall' })).rejects.toThrow(/has ended \(failed\)/);
      },
    );
  });

  /** Two strategies in one runbook; s3 of the link strategy is the point of no return. */
  const strategies = runbookFromYaml(`apiVersion: ssmflow/v1
name: five
parameters:
  cluster: { type: string, default: c1 }
  strategy: { type: enum, values: [dump, link], default: dump }
targets: { tags: { Cluster: '{{ cluster }}' } }
defaults: { onFailure: rollback }
steps:
  - { id: s1, run: echo prepare, rollback: { run: echo undo 1 } }
  - { id: dump-copy, run: echo dump, when: { strategy: dump }, rollback: { run: echo undo dump } }
  - { id: s2, run: echo link, when: { strategy: link }, rollback: { run: echo undo 2 } }
  - { id: s3, run: echo start new, when: { strategy: link }, pointOfNoReturn: true, onFailure: pause }
  - { id: s4, run: echo after, onFailure: pause, when: { strategy: [link] } }
  - { id: s5, run: echo finish, onFailure: pause }
`);

  it('when: runs only the steps its parameters choose, and refuses to change them mid-run', async () => {
    await withRun(
      strategies,
      (d, seen) => (d === 'five/s5' && seen === 1 ? 'fail' : 'success'),
      async (handle, ssm, controls) => {
        const paused = await waitForStatus(stack.client, handle.workflowId, 'paused-on-failure');
        expect(paused.steps.map((s) => s.id)).toEqual(['s1', 'dump-copy', 's5']);
        await expect(controls.retry({ by: 'oncall', parameters: { strategy: 'link' } })).rejects.toThrow(/strategy chose this run's steps/);
        await controls.retry({ by: 'oncall' });
        expect((await handle.result()).status).toBe('succeeded');
        expect(stepsRun(ssm)).toEqual(['s1', 'dump-copy', 's5', 's5']);
      },
      { strategy: 'dump' },
    );
  });

  it('past the point of no return a failure pauses instead of rolling back, and rollback is refused with the reason', async () => {
    await withRun(
      strategies,
      (d, seen) => (d === 'five/s4' && seen === 1 ? 'fail' : 'success'),
      async (handle, ssm, controls) => {
        const paused = await waitForStatus(stack.client, handle.workflowId, 'paused-on-failure');
        expect(paused.pastPointOfNoReturn?.stepId).toBe('s3');
        expect(paused.audit.some((e) => e.type === 'run' && e.event === 'point-of-no-return')).toBe(true);
        expect(paused.failure?.allowedActions).toEqual(['retry', 'skip', 'abort']);
        const refused = await controls.rollback({ by: 'oncall' }).catch((err: unknown) => err);
        expect(refused).toBeInstanceOf(OperatorActionRejected);
        expect((refused as Error).message).toMatch(/past its point of no return: step s3 started .* Fix forward: retry or skip/);
        await controls.retry({ by: 'oncall' });
        const summary = await handle.result();
        expect(summary.status).toBe('succeeded');
        expect(rollbacksOf(ssm)).toEqual([]);
      },
      { strategy: 'link' },
    );
  });

  it('before the point of no return the same run still rolls back every completed step', async () => {
    await withRun(
      strategies,
      (d) => (d === 'five/s2' ? 'fail' : 'success'),
      async (handle, ssm) => {
        const summary = await handle.result();
        expect(summary.status).toBe('rolled-back');
        expect(rollbacksOf(ssm)).toEqual(['s2', 's1']);
        expect(stepsRun(ssm)).not.toContain('s3');
      },
      { strategy: 'link' },
    );
  });

  it('a run cancelled past the point of no return is not rolled back, and says so', async () => {
    await withRun(
      strategies,
      (d) => (d === 'five/s4' ? 'block' : 'success'),
      async (handle, ssm) => {
        await waitUntil(() => ssm.order().includes('five/s4'), 's4 to start');
        await handle.cancel();
        await expect(handle.result()).rejects.toThrow();
        expect(rollbacksOf(ssm)).toEqual([]);
        const state = await runControls(stack.client, handle.workflowId).state();
        expect(state.status).toBe('cancelled');
        expect(state.audit.at(-1)).toMatchObject({
          type: 'run',
          event: 'finished',
          detail: 'run cancelled past the point of no return (step s3): nothing rolled back',
        });
      },
      { strategy: 'link' },
    );
  });

  it('keeps a 20-step run far below the history limits', async () => {
    const steps = Array.from(
      { length: 20 },
      (_, i) => `  - id: step-${i + 1}\n    run: echo ${i + 1}\n    rollback: { run: echo undo }\n`,
    ).join('');
    const runbook = runbookFromYaml(
      `apiVersion: ssmflow/v1\nname: twenty\ntargets: { instanceIds: [i-0123456789abcdef0] }\nsteps:\n${steps}`,
    );
    await withRun(
      runbook,
      () => 'success',
      async (handle) => {
        expect((await handle.result()).status).toBe('succeeded');
        const events = (await handle.fetchHistory()).events?.length ?? 0;
        console.log(`20-step run: ${events} history events`);
        expect(events).toBeLessThan(1_000);
      },
    );
  });
});

const waitForStatus = (client: Client, runId: string, status: RunStatus): Promise<RunState> =>
  waitForRunStatus(runControls(client, runId), status);

const waitFor = (client: Client, runId: string, predicate: (state: RunState) => boolean): Promise<RunState> =>
  waitForRunState(runControls(client, runId), predicate, 'to reach the expected state');

const waitUntil = (condition: () => boolean, what: string): Promise<void> =>
  eventuallyTrue(condition, { description: what, timeoutMs: 30_000 });
