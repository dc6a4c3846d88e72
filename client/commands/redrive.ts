import type { Command } from 'commander';
import { addConnectionOptions, type ConnectionFlags } from '../connection-flags.js';
import { addParameterOptions, type ParameterFlags } from '../parameter-flags.js';

export interface RedriveFlags extends ParameterFlags, ConnectionFlags {
  from?: string;
  reason: string;
  as?: string;
  wait?: boolean;
  json?: boolean;
}

export function registerRedriveCommand(program: Command): void {
  const command = program
    .command('redrive')
    .summary('continue a run that ended failed, aborted or cancelled, without sending its completed steps again')
    .description(
      'Starts a new run (id RUN-redrive-N) of the same runbook, targets and parameters that carries the steps the ' +
        'ended run completed (not sent again; shown as done there) and runs from the first step that did not ' +
        'succeed, or from --from STEP (that step or an earlier one). With -p or --params, changed parameters apply ' +
        'to the steps that run (parameters that chose the run’s steps cannot change). Both runs name each other in ' +
        '`status` and `audit`. A run that succeeded or was rolled back is redriven only with --from.',
    )
    .argument('<run-id>', 'the ended run to continue')
    .option('--from <step>', 'start at this step (the first step that did not succeed, or an earlier one)')
    .requiredOption('--reason <text>', 'why (recorded in both runs’ audit trails with who acted); required')
    .option('--as <who>', 'who acts (default $SSMFLOW_USER, else user@host)')
    .option('--wait', 'follow the new run until it ends or needs a person; exit 1 unless it succeeds (or waits for approval)')
    .option('--json', 'print JSON: { runId, redriveOf, fromStepId, carried, status }');
  addParameterOptions(command, 'changed parameter');
  addConnectionOptions(command).addHelpText(
    'after',
    `
Refused (exit 2, with the reason) for a run still in progress, an unknown --from step, a --from after a step
that did not succeed, and a succeeded or rolled-back run without --from.

Examples:
  ssmflow redrive RUN --reason "disk freed on i-0a1b2c3d4e5f67890; continue from the failed step"
  ssmflow redrive RUN -p toVersion=16 --reason "17 packages not mirrored yet" --wait
  ssmflow redrive RUN --from verify --reason "re-run the checks after the fix"`,
  );
  command.action(async (runId: string, flags: RedriveFlags) => {
    const { redriveAction } = await import('../actions/redrive.js');
    await redriveAction(runId, flags);
  });
}
