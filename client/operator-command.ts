// The shape every operator action shares (approve, retry, skip, rollback, abort, pause, resume):
// who acts and why, the run's own validator deciding whether the action applies now (refusals exit
// 2 with its reason), and --wait to follow the run until it ends or needs a person again. This
// module defines the commands; actions/operator.ts asks the run, sends the action and follows it.
import type { Command } from 'commander';
import type { OperatorAction, RunState, RunStatus } from '../workflows/run-state.js';
import { addConnectionOptions, type ConnectionFlags } from './connection-flags.js';
import type { runControls } from './runs.js';

export interface OperatorFlags extends ConnectionFlags {
  reason?: string;
  as?: string;
  /** Groups the actor claims (approve only). */
  group?: string[];
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
  /** What the action sends through the run's controls; called in the action, so what only it needs it loads with import(). */
  act: (
    controls: ReturnType<typeof runControls>,
    request: { by: string; groups?: string[]; reason?: string },
    flags: F,
  ) => Promise<RunState>;
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
    const { operatorAction } = await import('./actions/operator.js');
    await operatorAction(spec, runId, flags);
  });
}
