import type { Command } from 'commander';
import { addConnectionOptions, type ConnectionFlags } from '../connection-flags.js';

export interface StatusFlags extends ConnectionFlags {
  json?: boolean;
  watch?: boolean;
}

export function registerStatusCommand(program: Command): void {
  const command = program
    .command('status')
    .summary('where a run is: each step, each instance, what failed and what to type next')
    .description(
      'Shows a run step by step: status, attempts, time, and per-instance results. When a step failed it lists ' +
        'the failed instances with their exit code and last lines of output, and the exact commands to retry, ' +
        'skip, roll back or abort. A run waiting for its maintenance window says until when; a waitUntil step ' +
        'that is still waiting shows what its last check printed (`progress` in --json).\n\n' +
        'An open run is asked directly (a worker must be running); a finished one is read from its result. ' +
        'Exit code: 0 while the run is in progress or succeeded, 1 when it ended unsuccessfully ' +
        '(with --watch: when the watch ends).',
    )
    .argument('<run-id>', 'the run id (from `ssmflow run` or `ssmflow list`)')
    .option('-w, --watch', 'keep the view live until the run ends (Ctrl-C stops watching, not the run)')
    .option(
      '--json',
      'print JSON: { runId, runbook, status, steps: [{ id, status, attempts, commandIds, instances, progress }], failure, nextActions, … }; with --watch one line per change',
    );
  addConnectionOptions(command).addHelpText(
    'after',
    `
Examples:
  ssmflow status pg-a-upgrade-20250607T020000Z-x1y2
  ssmflow status pg-a-upgrade-20250607T020000Z-x1y2 --watch
  ssmflow status RUN --json | jq '.steps[] | select(.status == "failed")'`,
  );
  command.action(async (runId: string, opts: StatusFlags) => {
    const { statusAction } = await import('../actions/status.js');
    await statusAction(runId, opts);
  });
}
