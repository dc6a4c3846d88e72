// The typed TS API for rollouts: one runbook across many clusters in waves.
import { WorkflowUpdateFailedError, type Client, type WorkflowHandle } from '@temporalio/client';
import type { ClusterDiscoveryRequest } from '../aws/cluster-discovery.js';
import { resolveParameterValues, type GivenParameterValues } from '../runbook/parameters.js';
import { runbookRollout } from '../workflows/rollout.js';
import { approveWaveUpdate, pauseRolloutUpdate, resumeRolloutUpdate, rolloutStateQuery } from '../workflows/rollout-messages.js';
import { errorBudgetCount, waveSpecProblem } from '../workflows/rollout-plan.js';
import type { RolloutInput, RolloutState } from '../workflows/rollout-state.js';
import type { OperatorRequest } from '../workflows/run-state.js';
import { initiatorKey, runbookKey, statusKey } from '../workflows/search-attributes.js';
import type { NotificationRecord } from '../workflows/notifier.js';
import { readNotificationDeliveries, type NotificationView } from './notification-deliveries.js';
import { OperatorActionRejected, ParameterInputError } from './runs.js';

export type RolloutStatusView = Omit<RolloutState, 'notifications'> & { notifications?: (NotificationRecord | NotificationView)[] };

export interface StartRolloutOptions extends Omit<RolloutInput, 'carried' | 'historyEventLimit'> {
  taskQueue: string;
  rolloutId?: string;
}

/** A problem with the rollout's shape (clusters, waves, budget), named by its option. */
export class RolloutInputError extends Error {
  constructor(
    readonly option: string,
    message: string,
  ) {
    super(`${option}: ${message}`);
    this.name = 'RolloutInputError';
  }
}

/** Validates the rollout (clusters, waves, budget, parameters for every cluster) and starts it. */
export async function startRollout(client: Client, opts: StartRolloutOptions): Promise<WorkflowHandle<typeof runbookRollout>> {
  const clusters = [...new Set((opts.clusters ?? []).map((c) => c.trim()).filter(Boolean))];
  const discover = opts.discover ? checkedDiscovery(opts.discover) : undefined;
  if (discover && clusters.length > 0)
    throw new RolloutInputError('--discover-tag', 'give either a cluster list or --discover-tag, not both');
  if (!discover && clusters.length === 0) {
    throw new RolloutInputError(
      '--clusters',
      'no clusters given: list them (a,b,c), give --clusters-file with one per line, or discover them with --discover-tag KEY',
    );
  }
  const waveProblem = waveSpecProblem(opts.waves);
  if (waveProblem) throw new RolloutInputError('--waves', waveProblem);
  try {
    // A discovered fleet's size is known only when the rollout starts: check the budget's form now.
    errorBudgetCount(opts.errorBudget, Math.max(clusters.length, 1));
  } catch (err) {
    throw new RolloutInputError('--error-budget', (err as Error).message);
  }
  if (!Number.isInteger(opts.maxInFlight) || opts.maxInFlight < 1)
    throw new RolloutInputError('--max-in-flight', `must be a whole number ≥ 1 (got ${opts.maxInFlight})`);
  const clusterParameter = opts.clusterParameter ?? 'cluster';
  if (!(clusterParameter in opts.runbook.parameters)) {
    throw new RolloutInputError(
      '--cluster-parameter',
      `runbook ${opts.runbook.name} has no parameter "${clusterParameter}" to receive each cluster's name`,
    );
  }
  // Every listed cluster's run must be startable: check parameters now rather than cluster by
  // cluster later (discovered clusters are checked by the rollout before any run starts).
  for (const cluster of clusters) {
    const resolved = resolveParameterValues(opts.runbook, { ...(opts.parameters as GivenParameterValues), [clusterParameter]: cluster });
    if ('errors' in resolved) throw new ParameterInputError(resolved.errors);
  }
  const rolloutId =
    opts.rolloutId ??
    `rollout-${opts.runbook.name}-${new Date()
      .toISOString()
      .replace(/[-:]/g, '')
      .replace(/\.\d+Z$/, 'Z')}`;
  const { taskQueue, rolloutId: _ignored, discover: _given, clusters: _listed, ...input } = opts;
  return client.workflow.start(runbookRollout, {
    taskQueue,
    workflowId: rolloutId,
    args: [{ ...input, ...(discover ? { discover } : { clusters }), clusterParameter }],
    typedSearchAttributes: [
      { key: runbookKey, value: opts.runbook.name },
      { key: initiatorKey, value: opts.initiator },
      { key: statusKey, value: 'rollout-running' },
    ],
    memo: {
      kind: 'rollout',
      runbook: opts.runbook.name,
      ...(discover ? { discoverTag: discover.tagKey } : { clusters: clusters.length }),
      initiator: opts.initiator,
      ...(opts.reason ? { reason: opts.reason } : {}),
    },
  });
}

// Limits of the tagging API's GetResources, checked here so the mistake is named before anything starts.
const TAG_KEY_PATTERN = /^[\p{L}\p{Z}\p{N}_.:/=+\-@]{1,128}$/u;

function checkedDiscovery(request: ClusterDiscoveryRequest): ClusterDiscoveryRequest {
  const tagKey = request.tagKey.trim();
  if (!TAG_KEY_PATTERN.test(tagKey)) {
    throw new RolloutInputError(
      '--discover-tag',
      `"${request.tagKey}" is not a tag key (1–128 letters, digits, spaces and _ . : / = + - @), e.g. --discover-tag Cluster`,
    );
  }
  const tagFilters = (request.tagFilters ?? []).map((f) => ({ key: f.key.trim(), values: f.values.map((v) => v.trim()).filter(Boolean) }));
  if (tagFilters.length > 49)
    throw new RolloutInputError('--discover-filter', `at most 49 filters besides the cluster tag (got ${tagFilters.length})`);
  for (const f of tagFilters) {
    if (!TAG_KEY_PATTERN.test(f.key))
      throw new RolloutInputError('--discover-filter', `"${f.key}" is not a tag key: use KEY=VALUE, e.g. --discover-filter Env=prod`);
    if (f.values.length > 20) throw new RolloutInputError('--discover-filter', `${f.key} has ${f.values.length} values; at most 20`);
    if (f.key === tagKey)
      throw new RolloutInputError(
        '--discover-filter',
        `${f.key} is the cluster tag itself; to roll out to some clusters only, list them with --clusters`,
      );
  }
  return { tagKey, ...(tagFilters.length ? { tagFilters } : {}) };
}

/** Operator controls on one rollout; each returns its state after the action. */
export function rolloutControls(client: Client, rolloutId: string) {
  const handle = client.workflow.getHandle<typeof runbookRollout>(rolloutId);
  const act = async (action: string, run: () => Promise<RolloutState>): Promise<RolloutState> => {
    try {
      return await run();
    } catch (err) {
      if (err instanceof WorkflowUpdateFailedError)
        throw new OperatorActionRejected(rolloutId, action, (err.cause as Error | undefined)?.message ?? err.message);
      throw err;
    }
  };
  return {
    handle,
    state: () => handle.query(rolloutStateQuery),
    /** The state with how each notification's delivery went (for `rollout status` and the API). */
    status: async (): Promise<RolloutStatusView> => {
      const state = await handle.query(rolloutStateQuery);
      return state.notifications?.length
        ? { ...state, notifications: await readNotificationDeliveries(client, state.notifications) }
        : state;
    },
    approveWave: (req: OperatorRequest) => act('approve', () => handle.executeUpdate(approveWaveUpdate, { args: [req] })),
    resume: (req: OperatorRequest & { errorBudget?: string }) =>
      act('resume', () => handle.executeUpdate(resumeRolloutUpdate, { args: [req] })),
    /** No new cluster starts until resume; the reason is required. */
    pause: (req: OperatorRequest & { reason: string }) => act('pause', () => handle.executeUpdate(pauseRolloutUpdate, { args: [req] })),
  };
}
