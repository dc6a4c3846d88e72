// `ssmflow rollout start|discover|status|approve|resume|pause` (defined in commands/rollout.ts).
import { readFileSync } from 'node:fs';
import { createTaggingClient } from '../../aws/clients.js';
import { discoverClustersByTag, type ClusterDiscoveryRequest } from '../../aws/cluster-discovery.js';
import type { RolloutState } from '../../workflows/rollout-state.js';
import { CliInputError, CliOperationFailed } from '../cli-errors.js';
import type { ActFlags, DiscoverFlags, PauseFlags, ReadFlags, StartFlags } from '../commands/rollout.js';
import { withTemporal, type Connected } from '../connection.js';
import { actingGroups, actingIdentity } from '../identity.js';
import { printJson } from '../output/json.js';
import { renderRolloutStatus } from '../output/rollout-status.js';
import { formatColumns } from '../output/table.js';
import { readParameterInput } from '../parameters-input.js';
import { RolloutInputError, rolloutControls, startRollout } from '../rollouts.js';
import { outputLocation } from '../run-options.js';
import { loadRunbookOrExplain } from '../runbook-input.js';

const atRest = (state: RolloutState) => state.status !== 'running';

/** `rollout start --json`: the new rollout, and what it rolls across (a cluster count, or the discovery). */
export function rolloutStartedJson(
  rolloutId: string,
  runbook: string,
  across: { clusters: string[] } | { discover: ClusterDiscoveryRequest },
) {
  return {
    rolloutId,
    runbook,
    ...('discover' in across ? { discover: across.discover } : { clusters: across.clusters.length }),
    status: 'running',
  };
}

export async function rolloutStartAction(file: string, opts: StartFlags): Promise<void> {
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
      if (opts.json) return printJson(rolloutStartedJson(rolloutId, runbook.name, discover ? { discover } : { clusters }));
      process.stdout.write(
        `✓ started rollout ${rolloutId} of ${runbook.name} ${across}\n  follow it:  ssmflow rollout status ${rolloutId} --watch\n`,
      );
      return;
    }
    const last = await follow(connected, rolloutId, opts.json ? 'silent' : 'log');
    if (opts.json) printJson(last);
    process.exitCode = last.status === 'succeeded' || last.status === 'waiting-approval' ? 0 : 1;
  });
}

export async function rolloutDiscoverAction(opts: DiscoverFlags): Promise<void> {
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
}

export async function rolloutStatusAction(rolloutId: string, opts: ReadFlags): Promise<void> {
  await withTemporal(opts, async (connected) => {
    const state = opts.watch
      ? await follow(connected, rolloutId, opts.json ? 'silent' : 'screen')
      : await rolloutControls(connected.client, rolloutId).status();
    if (opts.json) printJson(state);
    else if (!opts.watch) process.stdout.write(renderRolloutStatus(state));
    process.exitCode = state.status === 'failed' || state.status === 'cancelled' || state.status === 'halted' ? 1 : 0;
  });
}

export async function rolloutApproveAction(rolloutId: string, opts: ActFlags): Promise<void> {
  await withTemporal(opts, async (connected) => {
    const groups = actingGroups(opts.group);
    const state = await rolloutControls(connected.client, rolloutId).approveWave({
      by: actingIdentity(opts.as),
      ...(groups.length ? { groups } : {}),
      ...(opts.reason ? { reason: opts.reason } : {}),
    });
    if (opts.json) return printJson(state);
    const progress = state.waitingFor?.reason === 'wave-approval' ? state.waitingFor.approval : undefined;
    process.stdout.write(
      progress
        ? `✓ approval ${progress.given.length} of ${progress.minApprovals} recorded for wave ${state.currentWave + 1} of rollout ${rolloutId}; it waits for ${progress.minApprovals - progress.given.length} more\n`
        : `✓ approved wave ${state.currentWave + 1} of rollout ${rolloutId}\n`,
    );
  });
}

export async function rolloutResumeAction(rolloutId: string, opts: ActFlags): Promise<void> {
  await withTemporal(opts, async (connected) => {
    const state = await rolloutControls(connected.client, rolloutId).resume({
      by: actingIdentity(opts.as),
      ...(opts.reason ? { reason: opts.reason } : {}),
      ...(opts.errorBudget ? { errorBudget: opts.errorBudget } : {}),
    });
    if (opts.json) printJson(state);
    else process.stdout.write(`✓ resumed rollout ${rolloutId} (error budget "${state.errorBudget.spec}")\n`);
  });
}

export async function rolloutPauseAction(rolloutId: string, opts: PauseFlags): Promise<void> {
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
