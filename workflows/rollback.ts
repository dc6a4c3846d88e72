// Undoing a run: every step that ran, newest first. A failing rollback pauses for the operator
// (retry, skip, abort) instead of being hidden, and the outcome says exactly what was undone.
import { isCancellation } from '@temporalio/workflow';
import type { CommandResult } from '../aws/ssm/types.js';
import type { RenderedStep } from '../runbook/types.js';
import { allowedActions } from './operator-actions.js';
import type { OperatorControls } from './operator-controls.js';
import { failedInstances, failureMessage, summarizeCommandFailure } from './run-audit.js';
import type { RunPlan } from './run-plan.js';
import type { RunRecord } from './run-record.js';
import { stepActivities } from './step-activities.js';
import { rollbackCommandInput, type CommandContext } from './step-command-input.js';

export type RollbackOutcome =
  | { kind: 'undone' }
  /** The operator skipped these failed rollbacks; the rest was undone. */
  | { kind: 'partly-undone'; skipped: { stepId: string; by: string }[] }
  /** The operator aborted during a failed rollback: later steps are undone, this one and earlier ones are not. */
  | { kind: 'aborted'; stepId: string; by: string };

export interface RollbackParts {
  plan: RunPlan;
  record: RunRecord;
  controls: OperatorControls;
  commands: CommandContext;
}

/**
 * Undoes every step that ran, newest first: the step that failed or was interrupted (it may have
 * done part of its work) and each completed one. Skipped steps are left as they are.
 */
export async function rollbackCompletedSteps({ plan, record, controls, commands }: RollbackParts): Promise<RollbackOutcome> {
  const state = record.state;
  record.setStatus('rolling-back');
  const skipped: { stepId: string; by: string }[] = [];
  const toUndo = state.steps
    .map((s, i) => ({ s, i }))
    .filter(({ s }) => s.status === 'succeeded' || s.status === 'failed' || s.status === 'running');
  for (const { s: stepState, i } of toUndo.reverse()) {
    const step = plan.step(i) as RenderedStep;
    if (step.kind === 'approval' || step.kind === 'sleep' || !step.rollback) continue;
    state.currentStepId = step.id;
    stepState.rollback = { status: 'running', commandIds: [] };
    for (let attempt = 1; ; attempt += 1) {
      const commandInput = rollbackCommandInput(step, step.rollback, attempt, commands);
      let message: string | undefined;
      let result: CommandResult | undefined;
      try {
        result = await stepActivities(step, commands.options?.heartbeatTimeoutSeconds).runCommand(commandInput);
        record.recordCommand(stepState, 'rollback', attempt, commandInput, result);
        if (result.status !== 'Success') message = summarizeCommandFailure(result);
      } catch (err) {
        if (isCancellation(err)) throw err;
        record.recordDuplicateSend(stepState, 'rollback', attempt, commandInput, err);
        message = failureMessage(err);
      }
      if (message === undefined) {
        stepState.rollback.status = 'succeeded';
        stepState.status = 'rolled-back';
        break;
      }
      stepState.rollback = { ...stepState.rollback, status: 'failed', message };
      stepState.status = 'rollback-failed';
      state.failure = {
        stepId: step.id,
        phase: 'rollback',
        message: `rollback of ${step.id} failed: ${message}`,
        instances: failedInstances(result),
        allowedActions: allowedActions('paused-on-failure', 'rollback'),
      };
      const made = await controls.waitForDecision({
        reason: 'operator',
        stepId: step.id,
        since: record.now(),
        message: state.failure.message,
      });
      if (made.action === 'abort') return { kind: 'aborted', stepId: step.id, by: made.request.by };
      record.setStatus('rolling-back');
      if (made.action === 'skip') {
        stepState.rollback.status = 'skipped';
        skipped.push({ stepId: step.id, by: made.request.by });
        break;
      }
    }
  }
  if (skipped.length) return { kind: 'partly-undone', skipped };
  state.failure = undefined;
  return { kind: 'undone' };
}
