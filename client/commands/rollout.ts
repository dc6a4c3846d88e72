import { readFileSync } from 'node:fs';
import type { Command } from 'commander';
import { CliInputError, CliOperationFailed } from '../cli-errors.js';
import { addConnectionOptions, addTaskQueueOption, withTemporal, type ConnectionFlags, type Connected } from '../connection.js';
import { actingIdentity } from '../identity.js';
import { createTaggingClient } from '../../aws/clients.js';
import { discoverClustersByTag } from '../../aws/cluster-discovery.js';
import { printJson } from '../output/json.js';
import { formatColumns } from '../output/table.js';
import { renderRolloutStatus } from '../output/rollout-status.js';
import { addParameterOptions, readParameterInput, type ParameterFlags } from '../parameters-input.js';
import { addRunStartOptions, outputLocation, type RunStartFlags } from '../run-options.js';
import { RolloutInputError, rolloutControls, startRollout } from '../rollouts.js';
import { loadRunbookOrExplain } from '../runbook-input.js';
import type { RolloutState } from '../../workflows/rollout-state.js';

interface StartFlags extends ParameterFlags, RunStartFlags, ConnectionFlags {
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

interface ReadFlags extends ConnectionFlags {
  json?: boolean;
  watch?: boolean;
}

interface DiscoverFlags {
  tag: string;
  filter: string[];
  json?: boolean;
}

interface ActFlags extends ConnectionFlags {
  as?: string;
  reason?: string;
  errorBudget?: string;
  json?: boolean;
}

const atRest = (state: RolloutState) => state.status !== 'running';

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
    const runbook = await loadRunbookOrExplain(file);
    const parameters = readParameterInput(opts);
    const discover =
      opts.discoverTag !== undefined
        ? { tagKey: opts.discoverTag, tagFilters: parseTagFilters(opts.discoverFilter, '--discover-filter') }
        : undefined;
    if (!discover && opts.discoverFilter.length > 0)
      throw new CliInputError('--discover-filter needs --discover-tag', 'e.g. --discover-tag Cluster --discover-filter Env=prod');
    if (discover && (opts.clusters || opts.clustersFile))
      throw new CliInputError('--discover-tag and a cluster list: give one of them, not both');
    const clusters = discover ? [] : clusterList(opts);
    const output = outputLocation(opts);
    await withTemporal(opts, async (connected) => {
      let handle;
      try {
        handle = await startRollout(connected.client, {
          runbook,
          ...(discover ? { discover } : { clusters }),
          clusterParameter: opts.clusterParameter,
          parameters,
          waves: opts.waves.split(',').map((w) => w.trim()),
          maxInFlight: Number(opts.maxInFlight),
          errorBudget: opts.errorBudget,
          approvalBetweenWaves: opts.approveWaves ?? false,
          initiator: actingIdentity(opts.as),
          taskQueue: opts.taskQueue,
          ...(opts.reason ? { reason: opts.reason } : {}),
          ...(opts.id ? { rolloutId: opts.id } : {}),
          ...(output ? { output } : {}),
        });
      } catch (err) {
        if (err instanceof RolloutInputError) throw new CliInputError(err.message, 'see `ssmflow rollout start --help`');
        throw err;
      }
      const rolloutId = handle.workflowId;
      if (!opts.wait) {
        const across = discover
          ? `across the clusters tagged ${discover.tagKey} (discovered as it starts)`
          : `across ${clusters.length} clusters`;
        if (opts.json)
          return printJson({
            rolloutId,
            runbook: runbook.name,
            ...(discover ? { discover } : { clusters: clusters.length }),
            status: 'running',
          });
        process.stdout.write(
          `✓ started rollout ${rolloutId} of ${runbook.name} ${across}\n  follow it:  ssmflow rollout status ${rolloutId} --watch\n`,
        );
        return;
      }
      const last = await follow(connected, rolloutId, opts.json ? 'silent' : 'log');
      if (opts.json) printJson(last);
      process.exitCode = last.status === 'succeeded' || last.status === 'waiting-approval' ? 0 : 1;
    });
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
    const tagFilters = parseTagFilters(opts.filter, '--filter');
    const tagging = createTaggingClient();
    try {
      const found = await discoverClustersByTag(tagging, { tagKey: opts.tag, ...(tagFilters.length ? { tagFilters } : {}) });
      if (opts.json) return printJson(found);
      if (found.clusters.length === 0) {
        process.stdout.write(
          `no instance carries the tag ${opts.tag}${tagFilters.length ? ' with those filters' : ''} (tag keys and values are case-sensitive)\n`,
        );
        process.exitCode = 1;
        return;
      }
      process.stdout.write(
        formatColumns([['CLUSTER', 'INSTANCES'], ...found.clusters.map((c) => [c.name, String(c.instances)])]).join('\n') + '\n',
      );
      const empty = found.emptyValueInstances ? `; ${found.emptyValueInstances} instances with an empty ${opts.tag} value left out` : '';
      process.stdout.write(`${found.clusters.length} clusters, ${found.instances} instances${empty}\n`);
    } catch (err) {
      const e = err as Error;
      const fault = e.name === 'InvalidParameterException' ? CliInputError : CliOperationFailed;
      throw new fault(
        `discovering clusters by tag ${opts.tag}: ${e.name}: ${e.message}`,
        'check AWS credentials and region (AWS_ENDPOINT_URL_RESOURCE_GROUPS_TAGGING_API for the local fleet); the caller needs tag:GetResources',
      );
    } finally {
      tagging.destroy();
    }
  });

  const status = rollout
    .command('status')
    .summary('per wave and per cluster: where a rollout stands')
    .argument('<rollout-id>')
    .option('--watch', 'keep refreshing until the rollout ends, halts or waits for approval')
    .option('--json', 'print the rollout state as JSON');
  addConnectionOptions(status);
  status.action(async (rolloutId: string, opts: ReadFlags) => {
    await withTemporal(opts, async (connected) => {
      const state = opts.watch
        ? await follow(connected, rolloutId, opts.json ? 'silent' : 'screen')
        : await rolloutControls(connected.client, rolloutId).state();
      if (opts.json) printJson(state);
      else if (!opts.watch) process.stdout.write(renderRolloutStatus(state));
      process.exitCode = state.status === 'failed' || state.status === 'cancelled' || state.status === 'halted' ? 1 : 0;
    });
  });

  const approve = rollout
    .command('approve')
    .summary('let the next wave start')
    .argument('<rollout-id>')
    .option('--as <who>', 'who approves (default $SSMFLOW_USER or user@host)')
    .option('--reason <text>', 'why (recorded)')
    .option('--json', 'print the rollout state as JSON');
  addConnectionOptions(approve);
  approve.action(async (rolloutId: string, opts: ActFlags) => {
    await withTemporal(opts, async (connected) => {
      const state = await rolloutControls(connected.client, rolloutId).approveWave({
        by: actingIdentity(opts.as),
        ...(opts.reason ? { reason: opts.reason } : {}),
      });
      if (opts.json) printJson(state);
      else process.stdout.write(`✓ approved wave ${state.currentWave + 1} of rollout ${rolloutId}\n`);
    });
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
    await withTemporal(opts, async (connected) => {
      const state = await rolloutControls(connected.client, rolloutId).resume({
        by: actingIdentity(opts.as),
        ...(opts.reason ? { reason: opts.reason } : {}),
        ...(opts.errorBudget ? { errorBudget: opts.errorBudget } : {}),
      });
      if (opts.json) printJson(state);
      else process.stdout.write(`✓ resumed rollout ${rolloutId} (error budget "${state.errorBudget.spec}")\n`);
    });
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
  pause.action(async (rolloutId: string, opts: ActFlags & { reason: string }) => {
    await withTemporal(opts, async (connected) => {
      const by = actingIdentity(opts.as);
      const state = await rolloutControls(connected.client, rolloutId).pause({ by, reason: opts.reason });
      if (opts.json) printJson(state);
      else {
        const running = state.clusters.filter((cl) => cl.status === 'running').length;
        process.stdout.write(
          `✓ paused rollout ${rolloutId} (by ${by}: ${opts.reason}); ${running} cluster run${running === 1 ? '' : 's'} already started go on\n` +
            `  go on with:  ssmflow rollout resume ${rolloutId} --reason TEXT\n`,
        );
      }
    });
  });
}

function collect(value: string, previous: string[]): string[] {
  return [...previous, value];
}

/** `Env=prod`, `Env=staging` → one filter with both values; `Team` alone → any value. */
function parseTagFilters(given: string[], option: string): { key: string; values: string[] }[] {
  const byKey = new Map<string, string[]>();
  for (const item of given) {
    const at = item.indexOf('=');
    const key = (at < 0 ? item : item.slice(0, at)).trim();
    if (!key) throw new CliInputError(`${option} "${item}": the tag key is missing`, `use KEY=VALUE or KEY, e.g. ${option} Env=prod`);
    const values = byKey.get(key) ?? [];
    if (at >= 0) values.push(item.slice(at + 1));
    byKey.set(key, values);
  }
  return [...byKey.entries()].map(([key, values]) => ({ key, values }));
}

function clusterList(opts: StartFlags): string[] {
  if (opts.clusters && opts.clustersFile) throw new CliInputError('--clusters and --clusters-file: give one of them, not both');
  if (opts.clustersFile) {
    let text: string;
    try {
      text = readFileSync(opts.clustersFile, 'utf8');
    } catch (err) {
      throw new CliInputError(
        `--clusters-file ${opts.clustersFile}: ${(err as Error).message}`,
        'give a readable file with one cluster per line',
      );
    }
    return text
      .split('\n')
      .map((line) => line.replace(/#.*$/, '').trim())
      .filter(Boolean);
  }
  if (opts.clusters)
    return opts.clusters
      .split(',')
      .map((c) => c.trim())
      .filter(Boolean);
  throw new CliInputError('no clusters: give --clusters a,b,c or --clusters-file FILE', 'e.g. --clusters pg-a,pg-b,pg-c');
}

async function follow(connected: Connected, rolloutId: string, mode: 'screen' | 'log' | 'silent'): Promise<RolloutState> {
  const controls = rolloutControls(connected.client, rolloutId);
  let lastShown = '';
  for (;;) {
    const state = await controls.state();
    const view = renderRolloutStatus(state);
    if (mode === 'screen') process.stdout.write(`\x1b[2J\x1b[H${view}`);
    if (mode === 'log') {
      const line = `${state.status} · ${state.waves.map((w) => `wave ${w.index + 1}: ${w.succeeded}/${w.size} ok${w.failed ? `, ${w.failed} failed` : ''}`).join(' · ')}`;
      if (line !== lastShown) process.stdout.write(`${line}\n`);
      lastShown = line;
    }
    if (atRest(state)) {
      if (mode === 'log') process.stdout.write(view);
      return state;
    }
    await new Promise((r) => setTimeout(r, 1_000));
  }
}
