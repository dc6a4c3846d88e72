// How a run words its failures and its ending, and which operator actions it offers: pure functions
// shared by the workflow (which records them) and the clients (which render them).
import { describe, expect, it } from 'vitest';
import type { CommandResult, InvocationResult } from '../aws/ssm/types.js';
import { nextActionCommands } from '../client/output/next-actions.js';
import { allowedActions } from '../workflows/operator-actions.js';
import { countInstanceOutcomes, summarizeCommandFailure } from '../workflows/run-audit.js';
import { endingEntry } from '../workflows/run-ending.js';

const invocation = (instanceId: string, statusDetails: string, exitCode: number, outputTail = ''): InvocationResult => ({
  instanceId,
  status: statusDetails === 'Success' ? 'Success' : statusDetails === 'Terminated' ? 'Terminated' : 'Failed',
  statusDetails,
  exitCode,
  outputTail,
  outputTruncated: false,
});

const result = (invocations: InvocationResult[]): CommandResult =>
  ({ commandId: 'cmd-1', status: 'Failed', statusDetails: 'Failed', invocations }) as CommandResult;

describe('failure summary', () => {
  it('counts instances that never ran (MaxErrors reached) apart from those that failed', () => {
    const summary = summarizeCommandFailure(
      result([invocation('i-ok', 'Success', 0), invocation('i-never', 'Terminated', -1), invocation('i-bad', 'Failed', 2, 'disk full\n')]),
    );
    expect(summary).toBe(
      '1 failed, 1 not run (MaxErrors reached), of 3 instances (command cmd-1): i-bad Failed exit 2: disk full; i-never Terminated',
    );
  });

  it('keeps the short form when every unsuccessful instance failed', () => {
    expect(countInstanceOutcomes([invocation('a', 'Failed', 1), invocation('b', 'Success', 0)])).toBe('1 of 2 instances failed');
    expect(countInstanceOutcomes([invocation('a', 'Failed', 1), invocation('b', 'Cancelled', -1)])).toBe(
      '1 failed, 1 cancelled, of 2 instances',
    );
  });
});

describe('allowed operator actions', () => {
  it('offers retry, skip, rollback and abort on a failed step, without rollback past the point of no return', () => {
    expect(allowedActions('paused-on-failure', 'step')).toEqual(['retry', 'skip', 'rollback', 'abort']);
    expect(allowedActions('paused-on-failure', 'step', false)).toEqual(['retry', 'skip', 'abort']);
  });

  it('offers no second rollback of a failed rollback, and nothing while rolling back or ended', () => {
    expect(allowedActions('paused-on-failure', 'rollback')).toEqual(['retry', 'skip', 'abort']);
    expect(allowedActions('rolling-back')).toEqual([]);
    expect(allowedActions('succeeded')).toEqual([]);
  });

  it('renders them as the CLI commands that take them, from recorded data or from the status', () => {
    const paused = {
      runId: 'r-1',
      status: 'paused-on-failure' as const,
      failure: {
        stepId: 's2',
        phase: 'rollback' as const,
        message: 'm',
        instances: [],
        allowedActions: allowedActions('paused-on-failure', 'rollback'),
      },
    };
    expect(nextActionCommands(paused)).toEqual([
      'ssmflow retry r-1    # run the failed rollback again',
      'ssmflow skip r-1     # leave it and roll back the rest',
      'ssmflow abort r-1    # stop here',
    ]);
    expect(nextActionCommands({ runId: 'r-2', status: 'waiting-approval' })[0]).toMatch(/^ssmflow approve r-2 +# go on$/);
    expect(nextActionCommands({ runId: 'r-3', status: 'succeeded' })).toEqual([]);
  });
});

describe("the run's last audit entry", () => {
  it('says which rollback was skipped during a cancel instead of claiming everything was undone', () => {
    const entry = endingEntry(
      { kind: 'cancelled', rollback: { kind: 'partly-undone', skipped: [{ stepId: 's2', by: 'oncall' }] } },
      'alice',
    );
    expect(entry).toEqual({
      status: 'cancelled',
      by: 'alice',
      detail: 'run cancelled; rollback of s2 skipped by oncall: the other steps were rolled back',
    });
    expect(endingEntry({ kind: 'cancelled', rollback: { kind: 'undone' } }, 'alice').detail).toBe(
      'run cancelled; completed steps rolled back',
    );
  });

  it('names who aborted a rollback and what stayed as it was', () => {
    expect(endingEntry({ kind: 'rolled-back', rollback: { kind: 'aborted', stepId: 's3', by: 'bob' } }, 'alice')).toEqual({
      status: 'failed',
      by: 'bob',
      detail: 'rollback aborted by bob at step s3: s3 and the steps before it were not undone',
    });
    expect(endingEntry({ kind: 'cancelled', rollback: { kind: 'past-point-of-no-return', stepId: 's4' } }, 'alice').detail).toBe(
      'run cancelled past the point of no return (step s4): nothing rolled back',
    );
  });

  it('ends a run that continued past failures as succeeded, saying so', () => {
    expect(endingEntry({ kind: 'completed', failedSteps: ['s2'] }, 'alice')).toEqual({
      status: 'succeeded',
      by: 'alice',
      detail: 'continued past failed steps s2',
    });
    expect(endingEntry({ kind: 'aborted' }, 'alice')).toEqual({ status: 'failed', by: 'alice', detail: 'aborted by its failure policy' });
  });
});
