// The pure pieces of `retry --failed-only` and of pause/resume: which instances a failed-only
// attempt goes to, when it is refused, how attempts add up per instance, the command it sends
// (rate control over the retried set, its own idempotency key), and when pause and resume apply.
import { describe, expect, it } from 'vitest';
import type { InvocationResult } from '../aws/ssm/types.js';
import { nextActionCommands } from '../client/output/next-actions.js';
import { renderStep } from '../runbook/render.js';
import type { RenderedCommandStep } from '../runbook/types.js';
import {
  everyInstanceSucceeded,
  failedOnlyRetryProblem,
  instancesToRetry,
  resultsAfterAttempt,
  successesByAttempt,
  type FailedOnlyState,
} from '../workflows/failed-only-retry.js';
import { allowedActions, operatorActionProblem } from '../workflows/operator-actions.js';
import type { RunFailure, RunState } from '../workflows/run-state.js';
import { stepCommandInput, type CommandContext } from '../workflows/step-command-input.js';
import { runbookFromYaml } from './harness/runbook-fixtures.js';

const ids = ['i-0f0000000000000a1', 'i-0f0000000000000a2', 'i-0f0000000000000a3', 'i-0f0000000000000a4'] as const;
const [a1, a2, a3, a4] = ids;

function invocation(instanceId: string, statusDetails: string, exitCode = statusDetails === 'Success' ? 0 : 1): InvocationResult {
  const status =
    statusDetails === 'ExecutionTimedOut' || statusDetails === 'DeliveryTimedOut'
      ? 'TimedOut'
      : ['Terminated', 'Undeliverable'].includes(statusDetails)
        ? 'Failed'
        : statusDetails;
  return { instanceId, status, statusDetails, exitCode, outputTail: '', outputTruncated: false };
}

const stepFailure = (stepId: string, failed: string[]): RunFailure => ({
  stepId,
  phase: 'step',
  message: `${failed.length} instances failed`,
  instances: failed.map((instanceId) => ({ instanceId, statusDetails: 'Failed', exitCode: 1 })),
  allowedActions: allowedActions('paused-on-failure'),
});

describe('retry --failed-only: which instances the attempt goes to', () => {
  it('picks every instance whose latest result is not a success, MaxErrors’ never-run ones included, in step order', () => {
    const latest = [
      invocation(a1, 'Success'),
      invocation(a2, 'Failed', 4),
      invocation(a3, 'Terminated', -1),
      invocation(a4, 'ExecutionTimedOut', 137),
      invocation('i-0f0000000000000a5', 'Undeliverable', -1),
      invocation('i-0f0000000000000a6', 'Cancelled', -1),
      invocation('i-0f0000000000000a7', 'DeliveryTimedOut', -1),
    ];
    expect(instancesToRetry(latest)).toEqual([a2, a3, a4, 'i-0f0000000000000a5', 'i-0f0000000000000a6', 'i-0f0000000000000a7']);
    expect(everyInstanceSucceeded(latest)).toBe(false);
    expect(everyInstanceSucceeded([invocation(a1, 'Success')])).toBe(true);
    // A step with no results has not succeeded anywhere.
    expect(everyInstanceSucceeded([])).toBe(false);
  });

  it('adds up attempts: a failed-only attempt replaces only the instances it ran on; a full attempt replaces all', () => {
    const first = resultsAfterAttempt(
      { instances: [] },
      1,
      [invocation(a1, 'Success'), invocation(a2, 'Failed'), invocation(a3, 'Terminated', -1)],
      false,
    );
    expect(first.succeededInAttempt).toEqual({ [a1]: 1 });

    const second = resultsAfterAttempt(first, 2, [invocation(a2, 'Success'), invocation(a3, 'Failed')], true);
    expect(second.instances.map((i) => [i.instanceId, i.status])).toEqual([
      [a1, 'Success'],
      [a2, 'Success'],
      [a3, 'Failed'],
    ]);
    expect(second.succeededInAttempt).toEqual({ [a1]: 1, [a2]: 2 });
    expect(instancesToRetry(second.instances)).toEqual([a3]);

    const third = resultsAfterAttempt(second, 3, [invocation(a3, 'Success')], true);
    expect(everyInstanceSucceeded(third.instances)).toBe(true);
    expect(successesByAttempt(third.succeededInAttempt)).toEqual([
      { attempt: 1, instanceIds: [a1] },
      { attempt: 2, instanceIds: [a2] },
      { attempt: 3, instanceIds: [a3] },
    ]);

    // A full retry runs everywhere again: what it finds is the step's result, earlier successes included.
    const full = resultsAfterAttempt(third, 4, [invocation(a1, 'Failed'), invocation(a2, 'Success'), invocation(a3, 'Success')], false);
    expect(full.succeededInAttempt).toEqual({ [a2]: 4, [a3]: 4 });
    expect(instancesToRetry(full.instances)).toEqual([a1]);
  });
});

describe('retry --failed-only: when it is refused, and what to do instead', () => {
  const steps: FailedOnlyState['steps'] = [
    { id: 'gate', kind: 'run', instances: [invocation(a1, 'Success'), invocation(a2, 'Failed')] },
    { id: 'ask', kind: 'approval', instances: [] },
    { id: 'wait-lag', kind: 'waitUntil', instances: [invocation(a1, 'Failed')] },
    { id: 'unsent', kind: 'run', instances: [] },
  ];
  const state = (failure: RunFailure | undefined, stepList = steps): FailedOnlyState => ({
    runId: 'r-1',
    ...(failure ? { failure } : {}),
    steps: stepList,
  });

  it('takes a run or document step that failed on some instances', () => {
    expect(failedOnlyRetryProblem(state(stepFailure('gate', [a2])))).toBeUndefined();
  });

  it('refuses steps without instances, waitUntil checks, rollbacks and failures without per-instance results', () => {
    expect(failedOnlyRetryProblem(state(stepFailure('ask', [])))).toBe(
      'step ask is an approval step: it runs on no instances (fix: retry without --failed-only)',
    );
    expect(failedOnlyRetryProblem(state(stepFailure('wait-lag', [a1])))).toMatch(
      /^step wait-lag is a waitUntil step: its condition must hold on every instance at once.*\(fix: retry without --failed-only/,
    );
    expect(failedOnlyRetryProblem(state({ ...stepFailure('gate', [a2]), phase: 'rollback' }))).toMatch(
      /paused on the failed rollback of step gate: --failed-only applies to a failed step, not a rollback \(fix: retry without --failed-only, which sends the rollback/,
    );
    expect(failedOnlyRetryProblem(state({ ...stepFailure('unsent', []), message: 'InvalidInstanceId: i-x' }))).toBe(
      'step unsent failed without a per-instance result (InvalidInstanceId: i-x): there are no failed instances to pick ' +
        '(fix: retry without --failed-only, which sends the step to all its targets again)',
    );
  });

  it('refuses more failed instances than SSM takes by id in one command', () => {
    const many = Array.from({ length: 51 }, (_, i) => invocation(`i-0f${String(i).padStart(15, '0')}`, 'Failed'));
    const problem = failedOnlyRetryProblem(
      state(stepFailure('gate', [many[0]?.instanceId ?? '']), [{ id: 'gate', kind: 'run', instances: many }]),
    );
    expect(problem).toMatch(/^51 instances of step gate did not succeed, and SSM takes at most 50 instance ids in one command/);
  });

  it('is offered among the next actions only where it applies', () => {
    const paused = { ...state(stepFailure('gate', [a2])), status: 'paused-on-failure' as const };
    expect(nextActionCommands(paused)).toContainEqual(
      expect.stringMatching(/^ssmflow retry r-1 --failed-only +# only on the 1 instance that did not succeed$/),
    );
    const approval = { ...state(stepFailure('ask', [])), status: 'paused-on-failure' as const };
    expect(nextActionCommands(approval).join('\n')).not.toContain('--failed-only');
  });
});

describe('the command of a failed-only attempt', () => {
  const runbook = runbookFromYaml(`apiVersion: ssmflow/v1
name: gate-book
parameters:
  cluster: { type: string, required: true }
targets: { tags: { Cluster: '{{ cluster }}' } }
steps:
  - id: gate
    run: ./gate.sh
    rateControl: { maxConcurrency: '50%', maxErrors: '10%' }
`);
  const step = renderStep(runbook.steps[0]!, { cluster: 'alpha' }) as RenderedCommandStep;
  const ctx: CommandContext = { runId: 'run-1', temporalRunId: 'tr-1', runbook: 'gate-book', output: undefined, options: undefined };

  it('targets the retried instances by id with the step’s rate control, so SSM takes its percentages of them', () => {
    const full = stepCommandInput(step, 1, ctx);
    const retried = stepCommandInput(step, 2, ctx, [a2, a3]);
    expect(full.targets).toEqual({ tags: { Cluster: ['alpha'] } });
    expect(retried.targets).toEqual({ instanceIds: [a2, a3] });
    expect(retried.rateControl).toEqual({ maxConcurrency: '50%', maxErrors: '10%' });
    expect(retried.rateControl).toEqual(full.rateControl);
    expect(retried.document).toEqual(full.document);
  });

  it('is a new attempt with its own idempotency key, so exactly-once send holds per attempt', () => {
    expect(stepCommandInput(step, 1, ctx).idempotencyKey).toBe('run-1/gate/1@tr-1');
    expect(stepCommandInput(step, 2, ctx, [a2]).idempotencyKey).toBe('run-1/gate/2@tr-1');
  });
});

describe('pause and resume: when they apply', () => {
  const run = (status: RunState['status'], pauseRequest?: RunState['pauseRequest']) => ({
    runId: 'r-1',
    status,
    currentStepId: 'gate',
    ...(pauseRequest ? { pauseRequest } : {}),
  });
  const asked = { by: 'alice', reason: 'lag alarm', at: '2026-01-01T00:00:00.000Z' };

  it('pauses a run that may still start a step, once', () => {
    for (const status of ['running', 'waiting-approval', 'paused-on-failure'] as const)
      expect(operatorActionProblem(run(status), 'pause')).toBeUndefined();
    expect(operatorActionProblem(run('running', asked), 'pause')).toBe(
      'run r-1 is already pausing (asked by alice at 2026-01-01T00:00:00.000Z): it holds before its next step',
    );
    expect(operatorActionProblem(run('paused', asked), 'pause')).toBe(
      'run r-1 is already paused (by alice: lag alarm); resume it with `ssmflow resume r-1 --reason ...`',
    );
    expect(operatorActionProblem(run('succeeded'), 'pause')).toBe('run r-1 has ended (succeeded); pause applies only to a run in progress');
    expect(operatorActionProblem(run('rolling-back'), 'pause')).toMatch(/^run r-1 is rolling-back at step gate: pause applies only while/);
  });

  it('resumes a paused run, or withdraws a pause not yet in effect; abort and rollback still apply while paused', () => {
    expect(operatorActionProblem(run('paused', asked), 'resume')).toBeUndefined();
    expect(operatorActionProblem(run('running', asked), 'resume')).toBeUndefined();
    expect(operatorActionProblem(run('running'), 'resume')).toBe(
      'run r-1 is running at step gate: resume applies only while the run is paused',
    );
    expect(operatorActionProblem(run('paused', asked), 'abort')).toBeUndefined();
    expect(operatorActionProblem(run('paused', asked), 'rollback')).toBeUndefined();
    expect(operatorActionProblem(run('paused', asked), 'retry')).toMatch(/retry applies only while the run is paused-on-failure$/);
    expect(allowedActions('paused')).toEqual(['resume', 'rollback', 'abort']);
  });
});
