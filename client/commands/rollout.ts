import type { Command } from 'commander';
import { addGroupOption } from '../identity.js';
import { addConnectionOptions, addTaskQueueOption, type ConnectionFlags } from '../connection-flags.js';
import { addParameterOptions, type ParameterFlags } from '../parameter-flags.js';
import { addRunStartOptions, type RunStartFlags } from '../run-options.js';

export interface StartFlags extends ParameterFlags, RunStartFlags, ConnectionFlags {
  taskQueue: string;
  clusters?: string;
  clustersFile?: string;
  discoverTag?: string;
  discoverFilter: string[];
  clusterParameter: string;
  waves: string;
  maxInFlight: string;
  errorBudget: string;
  approveWaves?: boolean;
  id?: string;
  wait?: boolean;
  json?: boolean;
}

export interface ReadFlags extends ConnectionFlags {
  json?: boolean;
  watch?: boolean;
}

export interface DiscoverFlags {
  tag: string;
  filter: string[];
  json?: boolean;
}

export interface ActFlags extends ConnectionFlags {
  as?: string;
  /** Groups the approver claims (rollout approve). */
  group?: string[];
  reason?: string;
  errorBudget?: string;
  json?: boolean;
}

export interface PauseFlags extends ActFlags {
  reason: string;
}

export function registerRolloutCommand(program: Command): void {
  const rollout = program
    .command('rollout')
    .summary('roll a runbook across many clusters in waves, with an error budget')
    .description(
      'A rollout runs one runbook on many clusters: one run per cluster, in waves (a canary, then larger shares),\n' +
        'at most --max-in-flight at once. It halts when more clusters fail than the error budget allows; an\n' +
        'operator resumes it (optionally with a larger budget). With --approve-waves it waits for approval\n' +
        'between waves. Each cluster run is an ordinary run: `ssmflow status RUN`, `retry`, `rollback` work on it.',
    );

  const start = rollout
    .command('start')
    .summary('start a rollout')
    .argument('<runbook-file>', 'runbook YAML file; its cluster parameter receives each cluster name')
    .option('--clusters <a,b,c>', 'clusters to roll across, in order (the first ones form the canary)')
    .option('--clusters-file <file>', 'clusters, one per line (# comments allowed)')
    .option(
      '--discover-tag <key>',
      'instead of a list: one cluster per value of this instance tag, found when the rollout starts (sorted by name)',
    )
    .option(
      '--discover-filter <key[=value]>',
      'with --discover-tag: only instances with this tag (and value); repeat for more',
      collect,
      [],
    )
    .option('--cluster-parameter <name>', 'the runbook parameter that receives the cluster name', 'cluster')
    .option('--waves <list>', 'cumulative wave sizes: counts or percentages of all clusters', '1,10%,50%,100%')
    .option('--max-in-flight <n>', 'clusters running at once', '5')
    .option('--error-budget <n|p%>', 'failed clusters tolerated before the rollout halts', '0')
    .option('--approve-waves', 'wait for `ssmflow rollout approve` before each wave after the first')
    .option('--id <rollout-id>', 'rollout id (default: rollout-<runbook>-<time>)')
    .option('--wait', 'follow the rollout until it ends, halts or waits for approval; exit 0 only if it succeeded or waits')
    .option('--json', 'print JSON');
  addParameterOptions(start, 'shared parameter');
  addRunStartOptions(start);
  addTaskQueueOption(start);
  addConnectionOptions(start).addHelpText(
    'after',
    `
Examples:
  ssmflow rollout start runbooks/postgres-major-upgrade.yaml --clusters-file clusters.txt -p backupBucket=ops-pg --waves 1,10%,50%,100% --max-in-flight 10 --error-budget 2
  ssmflow rollout start runbooks/postgres-major-upgrade.yaml --clusters pg-a,pg-b,pg-c -p toVersion=17 -p backupBucket=ops-pg --approve-waves
  ssmflow rollout start runbooks/postgres-major-upgrade.yaml -p backupBucket=ops-pg --discover-tag Cluster --discover-filter Env=prod --error-budget 5%

Discovery (--discover-tag) asks the Resource Groups Tagging API (tag:GetResources) for EC2 and
hybrid managed instances with the tag; \`ssmflow rollout discover --tag KEY\` shows what it finds.`,
  );
  start.action(async (file: string, opts: StartFlags) => {
    const { rolloutStartAction } = await import('../actions/rollout.js');
    await rolloutStartAction(file, opts);
  });

  const discover = rollout
    .command('discover')
    .summary('list the clusters a tag names: what --discover-tag would roll across')
    .requiredOption('--tag <key>', 'the instance tag whose value names the cluster, e.g. Cluster')
    .option('--filter <key[=value]>', 'only instances with this tag (and value); repeat for more', collect, [])
    .option('--json', 'print JSON')
    .addHelpText(
      'after',
      `
Asks the Resource Groups Tagging API (tag:GetResources; AWS_ENDPOINT_URL_RESOURCE_GROUPS_TAGGING_API
for the local fleet) for EC2 and hybrid managed instances, grouped by the tag's value, in the order
a rollout takes them.

Example:
  ssmflow rollout discover --tag Cluster --filter Env=prod`,
    );
  discover.action(async (opts: DiscoverFlags) => {
    const { rolloutDiscoverAction } = await import('../actions/rollout.js');
    await rolloutDiscoverAction(opts);
  });

  const status = rollout
    .command('status')
    .summary('per wave and per cluster: where a rollout stands')
    .argument('<rollout-id>')
    .option('--watch', 'keep refreshing until the rollout ends, halts or waits for approval')
    .option('--json', 'print the rollout state as JSON');
  addConnectionOptions(status);
  status.action(async (rolloutId: string, opts: ReadFlags) => {
    const { rolloutStatusAction } = await import('../actions/rollout.js');
    await rolloutStatusAction(rolloutId, opts);
  });

  const approve = rollout
    .command('approve')
    .summary('let the next wave start')
    .argument('<rollout-id>')
    .option('--as <who>', 'who approves (default $SSMFLOW_USER or user@host)')
    .option('--reason <text>', 'why (recorded)')
    .option('--json', 'print the rollout state as JSON');
  addGroupOption(approve);
  addConnectionOptions(approve);
  approve.action(async (rolloutId: string, opts: ActFlags) => {
    const { rolloutApproveAction } = await import('../actions/rollout.js');
    await rolloutApproveAction(rolloutId, opts);
  });

  const resume = rollout
    .command('resume')
    .summary('go on after the error budget halted a rollout, or after `rollout pause`')
    .argument('<rollout-id>')
    .option('--error-budget <n|p%>', 'a larger budget, at least the number of failed clusters')
    .option('--as <who>', 'who resumes (default $SSMFLOW_USER or user@host)')
    .option('--reason <text>', 'why (recorded; required to resume a paused rollout)')
    .option('--json', 'print the rollout state as JSON');
  addConnectionOptions(resume).addHelpText(
    'after',
    `
Refused (exit 2, with the reason) when the rollout is neither halted nor paused.

Examples:
  ssmflow rollout resume ROLLOUT --error-budget 3 --reason "pg-b and pg-c fail on a known kernel bug"
  ssmflow rollout resume ROLLOUT --reason "freeze over"`,
  );
  resume.action(async (rolloutId: string, opts: ActFlags) => {
    const { rolloutResumeAction } = await import('../actions/rollout.js');
    await rolloutResumeAction(rolloutId, opts);
  });

  const pause = rollout
    .command('pause')
    .summary('start no new cluster until `rollout resume`; runs already started go on')
    .argument('<rollout-id>')
    .requiredOption('--reason <text>', 'why (recorded in the audit trail with who paused); required')
    .option('--as <who>', 'who pauses (default $SSMFLOW_USER or user@host)')
    .option('--json', 'print the rollout state as JSON');
  addConnectionOptions(pause).addHelpText(
    'after',
    `
Cluster runs already started go on to their end (pause one with \`ssmflow pause RUN\`); no other
cluster starts, and no wave begins, until \`ssmflow rollout resume ROLLOUT --reason ...\`. Refused
(exit 2, with the reason) when the rollout is already paused, halted or ended.

Example:
  ssmflow rollout pause ROLLOUT --reason "canary pg-a shows replica lag; looking before more clusters start"`,
  );
  pause.action(async (rolloutId: string, opts: PauseFlags) => {
    const { rolloutPauseAction } = await import('../actions/rollout.js');
    await rolloutPauseAction(rolloutId, opts);
  });
}

function collect(value: string, previous: string[]): string[] {
  return [...previous, value];
}
