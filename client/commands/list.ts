import type { Command } from 'commander';
import { runStatuses } from '../../workflows/run-state.js';
import { addConnectionOptions, type ConnectionFlags } from '../connection-flags.js';

export interface ListFlags extends ConnectionFlags {
  status?: string;
  runbook?: string;
  cluster?: string;
  initiator?: string;
  open?: boolean;
  limit: string;
  json?: boolean;
}

export function registerListCommand(program: Command): void {
  const command = program
    .command('list')
    .summary('runs, newest first, filtered by status, runbook, cluster or initiator')
    .description(
      'Lists runs through Temporal visibility (the SsmflowStatus, SsmflowRunbook, SsmflowCluster and ' +
        'SsmflowInitiator search attributes), newest first. Needs no worker. Visibility trails a run by a moment.',
    )
    .option('--status <status>', `only runs in this status (comma-separate several): ${runStatuses.join(', ')}`)
    .option('--runbook <name>', 'only runs of this runbook')
    .option('--cluster <name>', 'only runs against this cluster (the "cluster" parameter)')
    .option('--initiator <who>', 'only runs started by this person, or schedule:<id>')
    .option('--open', 'only runs that have not ended')
    .option('--limit <n>', 'at most this many runs', '50')
    .option('--json', 'print JSON: [{ runId, runbook, cluster, status, initiator, startedAt, endedAt }]');
  addConnectionOptions(command).addHelpText(
    'after',
    `
Examples:
  ssmflow list --status paused-on-failure              # what needs on-call now
  ssmflow list --runbook postgres-major-upgrade --cluster pg-a
  ssmflow list --initiator schedule:weekly-restart --limit 5 --json`,
  );
  command.action(async (opts: ListFlags) => {
    const { listAction } = await import('../actions/list.js');
    await listAction(opts);
  });
}
