import type { Command } from 'commander';
import { addBlastRadiusOptions, type BlastRadiusFlags } from '../blast-radius.js';
import { addConnectionOptions, addTaskQueueOption, type ConnectionFlags } from '../connection-flags.js';
import { addParameterOptions, type ParameterFlags } from '../parameter-flags.js';
import { addRunStartOptions, type RunStartFlags } from '../run-options.js';

export interface RunFlags extends ParameterFlags, BlastRadiusFlags, RunStartFlags, ConnectionFlags {
  taskQueue: string;
  id?: string;
  wait?: boolean;
  waitForLock?: boolean;
  json?: boolean;
}

export function registerRunCommand(program: Command): void {
  const command = program
    .command('run')
    .summary('start a run of a runbook (validated, parameters checked, blast radius guarded)')
    .description(
      'Validates the runbook and its parameters, counts the instances it would touch, and starts a durable run ' +
        'that workers execute. Prints the run id at once; with --wait, follows the run until it ends, needs a ' +
        'person (paused on failure, waiting for approval) or waits for its maintenance window.\n\n' +
        'A run that would touch more instances than --max-targets (default 25, SSMFLOW_MAX_TARGETS) starts only ' +
        'with --confirm N, N being the exact count `ssmflow plan` shows.\n\n' +
        'A run locks the instances it targets for its whole life (runbooks marked readOnly take no lock). When another ' +
        'run holds any of them, nothing is started (exit 1, naming that run); --wait-for-lock queues the run instead.',
    )
    .argument('<runbook-file>', 'runbook YAML file');
  addParameterOptions(command);
  addRunStartOptions(command);
  addBlastRadiusOptions(command)
    .option('--id <run-id>', 'run id to use (default: <runbook>-<cluster>-<time>-<random>)')
    .option(
      '--wait',
      'follow the run until it ends or needs a person; exit 0 if it succeeded or waits (approval, maintenance window), 1 otherwise',
    )
    .option(
      '--wait-for-lock',
      'when another run holds the lock on any target instance, queue behind it (status waiting-lock) instead of refusing to start',
    )
    .option('--json', 'print JSON (with --wait: the final status)');
  addTaskQueueOption(command);
  addConnectionOptions(command).addHelpText(
    'after',
    `
Examples:
  ssmflow run runbooks/rolling-restart.yaml -p cluster=pg-a --reason "CHG-1234 kernel update"
  ssmflow run runbooks/postgres-major-upgrade.yaml --params pg-a.yaml -p toVersion=17 --wait
  ssmflow run runbooks/kernel-patch.yaml -p fleet=web --confirm 40      # 40 instances > limit 25
  ssmflow run runbooks/rolling-restart.yaml -p cluster=pg-a --wait-for-lock   # queue behind the run holding pg-a

Then: ssmflow status RUN --watch · ssmflow approve RUN · ssmflow retry|skip|rollback|abort RUN`,
  );
  command.action(async (file: string, opts: RunFlags) => {
    const { runAction } = await import('../actions/run.js');
    await runAction(file, opts);
  });
}
