// Where a failed step decides what happens next: its onFailure policy (continue, abort, roll back)
// or, for `pause`, the operator's decision (retry, possibly of the failed instances only, skip,
// roll back, abort).
import type { RenderedStep } from '../runbook/types.js';
import { allowedActions } from './operator-actions.js';
import type { OperatorControls } from './operator-controls.js';
import { failedInstances } from './run-audit.js';
import type { RunRecord } from './run-record.js';
import type { StepState } from './run-state.js';
import type { StepOutcome } from './step-runners.js';

export type AfterFailure = 'retry' | 'retry-failed-only' | 'next' | 'rollback' | 'abort';

/** The policy that applies: past the point of no return a rollback would break what was kept, so the operator decides. */
export function effectivePolicy(step: RenderedStep, pastPointOfNoReturn: boolean): 'pause' | 'continue' | 'abort' | 'rollback' {
  if (step.kind === 'sleep') return 'pause';
  if (pastPointOfNoReturn && step.onFailure === 'rollback') return 'pause';
  return step.onFailure;
}

export async function decideAfterFailure(
  step: RenderedStep,
  stepState: StepState,
  outcome: Extract<StepOutcome, { ok: false }>,
  record: RunRecord,
  controls: OperatorControls,
): Promise<AfterFailure> {
  const state = record.state;
  const canRollBack = !state.pastPointOfNoReturn;
  state.failure = {
    stepId: step.id,
    phase: 'step',
    message: outcome.message,
    instances: failedInstances(outcome.result),
    allowedActions: [],
  };
  const policy = effectivePolicy(step, !canRollBack);
  if (policy !== 'pause') return policy === 'continue' ? 'next' : policy;
  state.failure.allowedActions = allowedActions('paused-on-failure', 'step', canRollBack);
  const made = await controls.waitForDecision({ reason: 'operator', stepId: step.id, since: record.now(), message: outcome.message });
  if (made.action === 'abort') return 'abort';
  record.setStatus('running');
  if (made.action === 'skip') {
    stepState.status = 'skipped';
    return 'next';
  }
  if (made.action === 'rollback') return 'rollback';
  return made.request.failedOnly ? 'retry-failed-only' : 'retry';
}
