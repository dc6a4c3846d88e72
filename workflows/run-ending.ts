// How a run ended, and the audit entry that says so. One place decides the final status and its
// words, so the record matches what happened (e.g. a rollback skipped during a cancel).
import type { RollbackOutcome } from './rollback.js';
import type { RunStatus } from './run-state.js';
import type { LockBlocker } from './target-lock-table.js';

export type RunEnding =
  /** Every step ran; `failedSteps` failed under onFailure: continue. */
  | { kind: 'completed'; failedSteps: string[] }
  /** A step's policy (by undefined) or the operator aborted. */
  | { kind: 'aborted'; by?: string }
  /** A failure policy or the operator asked for a rollback. */
  | { kind: 'rolled-back'; rollback: RollbackOutcome }
  /** The workflow was cancelled; past the point of no return nothing is rolled back. */
  | { kind: 'cancelled'; rollback: RollbackOutcome | { kind: 'past-point-of-no-return'; stepId: string } }
  /** Another run held some of the targets and the run was not to wait: it sent nothing. */
  | { kind: 'lock-refused'; blockers: LockBlocker[] };

export interface EndingEntry {
  status: RunStatus;
  by: string;
  detail?: string;
}

export function endingEntry(ending: RunEnding, initiator: string): EndingEntry {
  switch (ending.kind) {
    case 'completed':
      return {
        status: 'succeeded',
        by: initiator,
        ...(ending.failedSteps.length ? { detail: `continued past failed steps ${ending.failedSteps.join(', ')}` } : {}),
      };
    case 'aborted':
      return { status: 'failed', by: ending.by ?? initiator, detail: `aborted by ${ending.by ?? 'its failure policy'}` };
    case 'rolled-back': {
      const rollback = ending.rollback;
      if (rollback.kind === 'undone') return { status: 'rolled-back', by: initiator };
      return { status: 'failed', by: rollback.kind === 'aborted' ? rollback.by : initiator, detail: notUndone(rollback) };
    }
    case 'cancelled': {
      const rollback = ending.rollback;
      const detail =
        rollback.kind === 'past-point-of-no-return'
          ? `run cancelled past the point of no return (step ${rollback.stepId}): nothing rolled back`
          : rollback.kind === 'undone'
            ? 'run cancelled; completed steps rolled back'
            : `run cancelled; ${notUndone(rollback)}`;
      return { status: 'cancelled', by: initiator, detail };
    }
    case 'lock-refused':
      return { status: 'lock-refused', by: initiator, detail: lockRefusedDetail(ending.blockers, initiator) };
  }
}

/** Why a run did not start, naming the holders; a scheduled run records it as a skipped start. */
export function lockRefusedDetail(blockers: readonly LockBlocker[], initiator: string): string {
  const holders = blockers
    .map(
      (b) => `${b.holder}${b.waiting ? ' (queued before it)' : ''} on ${b.overlap.join(', ')}${b.runbook ? ` (runbook ${b.runbook})` : ''}`,
    )
    .join('; ');
  const what = initiator.startsWith('schedule:') ? 'skipped start' : 'not started';
  return `${what}: targets locked by run ${holders}; nothing was sent (fix: wait for that run to end, or start with --wait-for-lock to queue)`;
}

function notUndone(rollback: Exclude<RollbackOutcome, { kind: 'undone' }>): string {
  if (rollback.kind === 'aborted')
    return `rollback aborted by ${rollback.by} at step ${rollback.stepId}: ${rollback.stepId} and the steps before it were not undone`;
  const skipped = rollback.skipped.map((s) => `rollback of ${s.stepId} skipped by ${s.by}`).join('; ');
  return `${skipped}: the other steps were rolled back`;
}
