// The operator actions a run takes now, rendered as the CLI commands that take them.
import { failedOnlyRetryProblem, instancesToRetry, type FailedOnlyState } from '../../workflows/failed-only-retry.js';
import { allowedActions } from '../../workflows/operator-actions.js';
import type { OperatorAction, RunState } from '../../workflows/run-state.js';

type ActionSource = Pick<RunState, 'runId' | 'status' | 'failure' | 'pastPointOfNoReturn'>;

/**
 * The actions the run offers: those its failure recorded, or, for a run without one (or recorded
 * by a worker from before allowedActions), those its status allows.
 */
export function runAllowedActions(run: ActionSource): OperatorAction[] {
  const recorded = (run.failure as { allowedActions?: OperatorAction[] } | undefined)?.allowedActions;
  if (recorded?.length) return recorded;
  return allowedActions(run.status, run.failure?.phase ?? 'step', !run.pastPointOfNoReturn);
}

/**
 * `ssmflow <action> <run>` lines with a short comment each, as `status` and errors print them.
 * With the run's steps, a retry of only the failed instances is offered where it applies.
 */
export function nextActionCommands(run: ActionSource & Partial<Pick<FailedOnlyState, 'steps'>>): string[] {
  const phase = run.failure?.phase ?? 'step';
  const lines = runAllowedActions(run).flatMap((action) => {
    const line = commandFor(action, run.runId, phase);
    if (action !== 'retry' || !run.steps || failedOnlyRetryProblem({ ...run, steps: run.steps })) return [line];
    const count = instancesToRetry(run.steps.find((s) => s.id === run.failure?.stepId)?.instances ?? []).length;
    const failedOnly: typeof line = [
      `ssmflow retry ${run.runId} --failed-only`,
      `only on the ${count} instance${count === 1 ? '' : 's'} that did not succeed`,
    ];
    return [line, failedOnly];
  });
  const width = Math.max(...lines.map(([command]) => command.length));
  return lines.map(([command, comment]) => (comment ? `${command.padEnd(width)}    # ${comment}` : command));
}

function commandFor(action: OperatorAction, runId: string, phase: 'step' | 'rollback'): [command: string, comment: string] {
  const waitingOnApproval = { approve: 'go on', reject: 'refuse: the step fails by its policy' };
  switch (action) {
    case 'approve':
      return [`ssmflow approve ${runId}`, waitingOnApproval.approve];
    case 'reject':
      return [`ssmflow approve ${runId} --reject`, waitingOnApproval.reject];
    case 'retry':
      return phase === 'rollback'
        ? [`ssmflow retry ${runId}`, 'run the failed rollback again']
        : [`ssmflow retry ${runId} [-p name=value]`, 'run the failed step again'];
    case 'skip':
      return phase === 'rollback'
        ? [`ssmflow skip ${runId}`, 'leave it and roll back the rest']
        : [`ssmflow skip ${runId}`, 'leave it failed, go on'];
    case 'rollback':
      return [`ssmflow rollback ${runId}`, 'undo completed steps, newest first'];
    case 'abort':
      return [`ssmflow abort ${runId}`, phase === 'rollback' ? 'stop here' : 'stop without rolling back'];
    case 'pause':
      return [`ssmflow pause ${runId} --reason TEXT`, 'hold before the next step'];
    case 'resume':
      return [`ssmflow resume ${runId} --reason TEXT`, 'go on with the next step'];
  }
}
