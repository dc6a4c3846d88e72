import type { OperatorAction, RunState, RunStatus } from './run-state.js';
import { terminalRunStatuses } from './run-state.js';

const validWhile: Record<OperatorAction, readonly RunStatus[]> = {
  approve: ['waiting-approval'],
  reject: ['waiting-approval'],
  retry: ['paused-on-failure'],
  skip: ['paused-on-failure'],
  rollback: ['paused-on-failure', 'waiting-approval', 'paused'],
  // A rollback in progress is not interrupted; if it fails, the pause offers abort.
  abort: ['running', 'waiting-approval', 'paused-on-failure', 'waiting-lock', 'paused'],
  // Takes hold before the next step, so it is taken wherever a next step may follow.
  pause: ['running', 'waiting-approval', 'paused-on-failure'],
  resume: ['paused'],
};

type ActionState = Pick<RunState, 'runId' | 'status' | 'currentStepId' | 'failure' | 'pastPointOfNoReturn' | 'pauseRequest'>;

/** Why `action` cannot be taken on the run now, or undefined when it can. */
export function operatorActionProblem(state: ActionState, action: OperatorAction): string | undefined {
  if (action === 'rollback' && state.pastPointOfNoReturn && !terminalRunStatuses.includes(state.status)) {
    return (
      `run ${state.runId} is past its point of no return: step ${state.pastPointOfNoReturn.stepId} started at ${state.pastPointOfNoReturn.at}, ` +
      `so what came before can no longer be undone. Fix forward: retry or skip the failed step, or abort and repair by hand`
    );
  }
  const asked = state.pauseRequest;
  if (action === 'pause' && asked && !terminalRunStatuses.includes(state.status)) {
    return state.status === 'paused'
      ? `run ${state.runId} is already paused (by ${asked.by}: ${asked.reason}); resume it with \`ssmflow resume ${state.runId} --reason ...\``
      : `run ${state.runId} is already pausing (asked by ${asked.by} at ${asked.at}): it holds before its next step`;
  }
  // Resume also withdraws a pause that has not taken hold yet.
  if (action === 'resume' && asked && validWhile.pause.includes(state.status)) return undefined;
  if (validWhile[action].includes(state.status)) {
    if (action === 'rollback' && state.failure?.phase === 'rollback')
      return `run ${state.runId} is already rolling back; retry, skip or abort the failed rollback`;
    return undefined;
  }
  const where = state.currentStepId ? ` at step ${state.currentStepId}` : '';
  if (terminalRunStatuses.includes(state.status)) {
    return `run ${state.runId} has ended (${state.status}); ${action} applies only to a run in progress`;
  }
  const when = validWhile[action].join(' or ');
  return `run ${state.runId} is ${state.status}${where}: ${action} applies only while the run is ${when}`;
}

// Pause is not offered as a next action: a run that needs a person is already waiting.
const actionOrder: readonly OperatorAction[] = ['approve', 'reject', 'retry', 'skip', 'resume', 'rollback', 'abort'];

/**
 * The operator actions a run in this status takes, as data: clients (CLI, API) render them.
 * A failed rollback is retried, skipped or aborted, not rolled back again; past the point of no
 * return nothing rolls back.
 */
export function allowedActions(status: RunStatus, phase: 'step' | 'rollback' = 'step', canRollBack = true): OperatorAction[] {
  return actionOrder.filter(
    (action) => validWhile[action].includes(status) && (action !== 'rollback' || (phase === 'step' && canRollBack)),
  );
}
