// The shape every operator action shares (approve, retry, skip, rollback, abort, pause, resume): who acts and why,
// the run's own validator deciding whether the action applies now (refusals exit 2 with its reason),
// and --wait to follow the run until it ends or needs a person again.
import type { Command } from 'commander';
import { operatorActionProblem } from '../workflows/operator-actions.js';
import type { OperatorAction, RunState, RunStatus } from '../workflows/run-state.js';
import { addConnectionOptions, withTemporal, type ConnectionFlags, type Connected } from './connection.js';
import { exitCodeForRun } from './exit-status.js';
import { actingIdentity } from './identity.js';
import { printJson } from './output/json.js';
import { liveMode, watchRun } from './output/live-status.js';
import { statusJson } from './output/status-json.js';
import { colours as c } from './output/style.js';
import { isAtRest, isTerminal, readRun, viewFromState, type RunView } from './run-view.js';
import { OperatorActionRejected, runControls } from './runs.js';

export interface OperatorFlags extends ConnectionFlags {
  reason?: string;
  as?: string;
  wait?: boolean;
  json?: boolean;
}

export interface OperatorCommandSpec<F extends OperatorFlags> {
  name: 'approve' | 'retry' | 'skip' | 'rollback' | 'abort' | 'pause' | 'resume';
  summary: string;
  description: string;
  examples: string;
  /** Extra options of this action (retry: -p, approve: --reject). */
  options?: (command: Command) => void;
  /** The action as the run's validator names it (approve --reject is "reject"). */
  actionOf?: (flags: F) => OperatorAction;
  /** --reason must be given (pause, resume: the audit says why the run stood still). */
  reasonRequired?: boolean;
  /** Run statuses that count as success when --wait ends. */
  wantedEnd: readonly RunStatus[];
  act: (controls: ReturnType<typeof runControls>, request: { by: string; reason?: string }, flags: F) => Promise<RunState>;
}

/** Whether `after` is a new reason to stop that is not the pause the operator just answered. */
function stopsAgain(before: RunView, after: RunView): boolean {
  if (isTerminal(after.status)) return true;
  if (!isAtRest(after) || !after.waitingFor) return false;
  return after.waitingFor.stepId !== before.waitingFor?.stepId || after.waitingFor.since !== before.waitingFor?.since;
}

async function performAction<F extends OperatorFlags>(
  spec: OperatorCommandSpec<F>,
  runId: string,
  flags: F,
  connected: Connected,
): Promise<void> {
  const before = await readRun(connected, runId);
  const action = spec.actionOf?.(flags) ?? spec.name;
  // An ended run cannot answer its validator; say why here, in the workflow's own words.
  if (isTerminal(before.status)) {
    throw new OperatorActionRejected(runId, action, operatorActionProblem(before, action) ?? `run ${runId} has ended (${before.status})`);
  }
  const by = actingIdentity(flags.as);
  const state = await spec.act(runControls(connected.client, runId), { by, ...(flags.reason ? { reason: flags.reason } : {}) }, flags);
  const at = state.audit.findLast((e) => e.type === 'operator');
  if (!flags.wait) {
    const view = viewFromState(state, before.taskQueue);
    if (flags.json)
      return printJson({ action, runId, by, ...(flags.reason ? { reason: flags.reason } : {}), accepted: true, run: statusJson(view) });
    process.stdout.write(
      `${c.green('✓')} ${action} accepted for run ${c.bold(runId)}${at?.type === 'operator' && at.stepId ? ` at step ${at.stepId}` : ''} (by ${by}${flags.reason ? `: ${flags.reason}` : ''})\n` +
        `  follow it:  ssmflow status ${runId} --watch\n`,
    );
    return;
  }
  if (!flags.json) process.stdout.write(`${c.green('✓')} ${action} accepted for run ${c.bold(runId)} (by ${by})\n`);
  const last = await watchRun(connected, runId, flags.json ? 'silent' : liveMode(false), (view) => stopsAgain(before, view));
  if (flags.json)
    printJson({ action, runId, by, ...(flags.reason ? { reason: flags.reason } : {}), accepted: true, run: statusJson(last) });
  process.exitCode = last.waitingFor?.reason === 'maintenance-window' ? 0 : exitCodeForRun(last.status, spec.wantedEnd);
}

export function registerOperatorCommand<F extends OperatorFlags>(program: Command, spec: OperatorCommandSpec<F>): void {
  const command = program.command(spec.name).summary(spec.summary).description(spec.description).argument('<run-id>', 'the run id');
  spec.options?.(command);
  const reason = 'why (recorded in the audit trail with who acted)';
  if (spec.reasonRequired) command.requiredOption('--reason <text>', `${reason}; required`);
  else command.option('--reason <text>', reason);
  command
    .option('--as <who>', 'who acts (default $SSMFLOW_USER, else user@host)')
    .option('--wait', 'follow the run until it ends or needs a person again; exit 1 unless it ends (or waits) as intended')
    .option('--json', 'print JSON: { action, runId, by, accepted, run: <status> }');
  addConnectionOptions(command).addHelpText(
    'after',
    `
Refused when the run is not in a state where ${spec.name} applies: the run's reason is printed and the exit code is 2.

Examples:
${spec.examples}`,
  );
  command.action(async (runId: string, flags: F) => {
    await withTemporal(flags, (connected) => performAction(spec, runId, flags, connected));
  });
}
