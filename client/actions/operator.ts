// The operator actions (approve, retry, skip, rollback, abort, pause, resume; defined through
// operator-command.ts): ask the run, send the action, and with --wait follow the run until it ends
// or needs a person again.
import { operatorActionProblem } from '../../workflows/operator-actions.js';
import type { OperatorAction } from '../../workflows/run-state.js';
import { withTemporal, type Connected } from '../connection.js';
import { exitCodeForRun } from '../exit-status.js';
import { actingGroups, actingIdentity } from '../identity.js';
import type { OperatorCommandSpec, OperatorFlags } from '../operator-command.js';
import { printJson } from '../output/json.js';
import { liveMode, watchRun } from '../output/live-status.js';
import { statusJson } from '../output/status-json.js';
import { colours as c } from '../output/style.js';
import { isAtRest, isTerminal, readRun, viewFromState, type RunView } from '../run-view.js';
import { OperatorActionRejected, runControls, type RunState } from '../runs.js';

/** Whether `after` is a new reason to stop that is not the pause the operator just answered. */
function stopsAgain(before: RunView, after: RunView): boolean {
  if (isTerminal(after.status)) return true;
  if (!isAtRest(after) || !after.waitingFor) return false;
  return after.waitingFor.stepId !== before.waitingFor?.stepId || after.waitingFor.since !== before.waitingFor?.since;
}

/** `<action> --json`: what was asked, by whom, and the run as it stands after. */
export function operatorActionJson(answer: { action: string; runId: string; by: string; reason?: string; run: RunView }) {
  const { action, runId, by, reason, run } = answer;
  return { action, runId, by, ...(reason ? { reason } : {}), accepted: true, run: statusJson(run) };
}

/**
 * Sends one operator action to a run (after refusing it for an ended run, in the workflow's own
 * words); returns the run before and as the action left it.
 */
export async function sendOperatorAction(
  connected: Connected,
  runId: string,
  action: OperatorAction,
  send: (controls: ReturnType<typeof runControls>, before: RunView) => Promise<RunState>,
): Promise<{ before: RunView; after: RunView; state: RunState }> {
  const before = await readRun(connected, runId);
  // An ended run cannot answer its validator; say why here, in the workflow's own words.
  if (isTerminal(before.status)) {
    throw new OperatorActionRejected(runId, action, operatorActionProblem(before, action) ?? `run ${runId} has ended (${before.status})`);
  }
  const state = await send(runControls(connected.client, runId), before);
  return { before, after: viewFromState(state, before.taskQueue), state };
}

async function performAction<F extends OperatorFlags>(
  spec: OperatorCommandSpec<F>,
  runId: string,
  flags: F,
  connected: Connected,
): Promise<void> {
  const action = spec.actionOf?.(flags) ?? spec.name;
  const by = actingIdentity(flags.as);
  const groups = actingGroups(flags.group);
  const request = { by, ...(groups.length ? { groups } : {}), ...(flags.reason ? { reason: flags.reason } : {}) };
  const { before, after, state } = await sendOperatorAction(connected, runId, action, (controls) => spec.act(controls, request, flags));
  const at = state.audit.findLast((e) => e.type === 'operator');
  const counted = at?.type === 'operator' ? at.approvals : undefined;
  // An approval short of minApprovals leaves the run waiting: nothing to follow yet.
  const moreApprovalsNeeded = counted !== undefined && counted.given < counted.needed;
  if (!flags.wait || moreApprovalsNeeded) {
    if (flags.json) return printJson(operatorActionJson({ action, runId, ...request, run: after }));
    process.stdout.write(
      `${c.green('✓')} ${action} accepted for run ${c.bold(runId)}${at?.type === 'operator' && at.stepId ? ` at step ${at.stepId}` : ''} (by ${by}${flags.reason ? `: ${flags.reason}` : ''})\n` +
        (moreApprovalsNeeded
          ? `  approval ${counted.given} of ${counted.needed}: the run waits for ${counted.needed - counted.given} more from other approvers\n`
          : '') +
        `  follow it:  ssmflow status ${runId} --watch\n`,
    );
    return;
  }
  if (!flags.json) process.stdout.write(`${c.green('✓')} ${action} accepted for run ${c.bold(runId)} (by ${by})\n`);
  const last = await watchRun(connected, runId, flags.json ? 'silent' : liveMode(false), (view) => stopsAgain(before, view));
  if (flags.json) printJson(operatorActionJson({ action, runId, ...request, run: last }));
  process.exitCode = last.waitingFor?.reason === 'maintenance-window' ? 0 : exitCodeForRun(last.status, spec.wantedEnd);
}

export async function operatorAction<F extends OperatorFlags>(spec: OperatorCommandSpec<F>, runId: string, flags: F): Promise<void> {
  await withTemporal(flags, (connected) => performAction(spec, runId, flags, connected));
}
