// A rollout: one runbook across many clusters in waves (canary, then larger shares), one child
// run per cluster, at most `maxInFlight` at once, halting when the error budget is spent or while
// the operator has paused it. The parent continues as new between batches so its history stays
// bounded at any fleet size.
import {
  ApplicationFailure,
  ParentClosePolicy,
  condition,
  continueAsNew,
  isCancellation,
  patched,
  setHandler,
  startChild,
  upsertSearchAttributes,
  workflowInfo,
  allHandlersFinished,
  proxyActivities,
} from '@temporalio/workflow';
import type { DiscoveryActivities } from '../activities/discover-clusters.js';
import type { ClusterDiscoveryRequest } from '../aws/cluster-discovery.js';
import { resolveParameterValues } from '../runbook/parameters.js';
import { approvalProblem, type GivenApproval } from './approval-policy.js';
import { Notifier, type NotificationRecord } from './notifier.js';
import { errorBudgetCount, errorBudgetExceeded, planWaveEnds } from './rollout-plan.js';
import { approveWaveUpdate, pauseRolloutUpdate, resumeRolloutUpdate, rolloutStateQuery } from './rollout-messages.js';
import {
  describeDiscovery,
  type CarriedProgress,
  type ClusterProgress,
  type RolloutAuditEntry,
  type RolloutInput,
  type RolloutPause,
  type RolloutState,
  type RolloutStatus,
} from './rollout-state.js';
import type { RunInput } from './run-state.js';
import { runbookRun, type RunSummary } from './runbook-run.js';
import { clusterKey, initiatorKey, runbookKey, statusKey } from './search-attributes.js';

const { discoverClusters } = proxyActivities<DiscoveryActivities>({
  startToCloseTimeout: '2 minutes',
  retry: { maximumAttempts: 10, initialInterval: '2 seconds', maximumInterval: '30 seconds' },
});

export interface RolloutSummary {
  rolloutId: string;
  status: RolloutStatus;
  succeeded: string[];
  failed: { cluster: string; runId?: string; runStatus?: string; message?: string }[];
  generation: number;
}

export async function runbookRollout(input: RolloutInput): Promise<RolloutSummary> {
  const rolloutId = workflowInfo().workflowId;
  const now = () => new Date().toISOString();
  const clusterParameter = input.clusterParameter ?? 'cluster';
  const carried: CarriedProgress = input.carried ?? freshProgress(input.clusters ?? [], input, now());
  const clusters = carried.clusters;
  let errorBudget = carried.errorBudget;
  let approvedWaves = carried.approvedWaves;
  const audit: RolloutAuditEntry[] = carried.audit;
  let status: RolloutStatus = 'running';
  let waitingFor: RolloutState['waitingFor'];
  let pause: RolloutPause | undefined = carried.pause;
  let inFlight = 0;

  // Read through a function: handlers and detached child promises change it between awaits.
  const currentStatus = (): RolloutStatus => status;
  const failedCount = () => clusters.filter((c) => c.status === 'failed').length;
  const budgetSpent = () => errorBudgetExceeded(failedCount(), errorBudget, clusters.length);
  const state = (): RolloutState => ({
    rolloutId,
    runbook: input.runbook.name,
    initiator: input.initiator,
    status,
    startedAt: carried.startedAt,
    currentWave: carried.currentWave,
    waves: carried.waveEnds.map((end, index) => {
      const inWave = clusters.filter((c) => c.wave === index);
      const count = (s: ClusterProgress['status']) => inWave.filter((c) => c.status === s).length;
      return {
        index,
        end,
        size: inWave.length,
        pending: count('pending'),
        running: count('running'),
        succeeded: count('succeeded'),
        failed: count('failed'),
      };
    }),
    errorBudget: { spec: errorBudget, allowedFailures: errorBudgetCount(errorBudget, clusters.length), failedClusters: failedCount() },
    maxInFlight: input.maxInFlight,
    ...(waitingFor ? { waitingFor } : {}),
    ...(pause ? { pause } : {}),
    generation: carried.generation,
    clusters,
    ...(notifications.length ? { notifications } : {}),
    audit,
    ...(carried.discovery
      ? { discovery: carried.discovery }
      : input.discover && !input.carried
        ? { discovery: { ...input.discover, pending: true as const } }
        : {}),
  });
  const setStatus = (next: RolloutStatus) => {
    if (status === next) return;
    status = next;
    upsertSearchAttributes([{ key: statusKey, value: `rollout-${next}` }]);
  };
  const record = (event: RolloutAuditEntry['event'], by: string, detail?: string) =>
    audit.push({ at: now(), event, by, ...(detail ? { detail } : {}) });
  /**
   * Shows a pause (or its end) in the status. The handlers only set `pause`; the main loop, woken
   * by the change, calls this, so the search-attribute upsert is the workflow's own command.
   */
  const showPause = () => {
    if (pause && status === 'running') {
      setStatus('paused');
      waitingFor = { reason: 'pause', since: pause.at, message: `paused by ${pause.by}: ${pause.reason}; rollout resume to go on` };
    } else if (!pause && status === 'paused') {
      setStatus('running');
      waitingFor = undefined;
    }
  };

  const notifications: NotificationRecord[] = [];
  const notifier = new Notifier({ subject: 'rollout', id: rolloutId, runbook: input.runbook.name, initiator: input.initiator }, (sent) =>
    notifications.push(sent),
  );
  let waveApproved = false;
  /** The approvals given for the wave waiting now; the runbook's policy says how many it takes. */
  let waveApprovals: GivenApproval[] = [];
  const wavePolicy = input.runbook.approvalPolicy;
  let resumed = false;
  setHandler(rolloutStateQuery, state);
  setHandler(
    approveWaveUpdate,
    (req) => {
      waveApprovals.push({ by: req.by, at: now(), ...(req.reason ? { reason: req.reason } : {}) });
      const needed = wavePolicy?.minApprovals ?? 1;
      const count = needed > 1 ? `approval ${waveApprovals.length} of ${needed}` : undefined;
      record('wave-approved', req.by, [req.reason, count].filter(Boolean).join('; ') || undefined);
      if (waveApprovals.length >= needed) waveApproved = true;
      return state();
    },
    {
      validator: (req) => {
        if (!req?.by?.trim()) throw new Error('approveWave needs "by": who is approving (recorded in the audit trail)');
        if (status !== 'waiting-approval')
          throw new Error(`rollout ${rolloutId} is ${status}: approveWave applies only while it waits between waves`);
        if (!wavePolicy) return;
        const problem = approvalProblem({
          subject: `wave ${carried.currentWave + 1} of rollout ${rolloutId}`,
          policy: wavePolicy,
          initiator: input.initiator,
          actor: req,
          decision: 'approve',
          given: waveApprovals,
        });
        if (problem) throw new Error(problem);
      },
    },
  );
  setHandler(
    resumeRolloutUpdate,
    (req) => {
      if (req.errorBudget) errorBudget = req.errorBudget;
      // One resume ends both a pause and a halt: the operator has looked and says go on.
      pause = undefined;
      resumed = true;
      record('resumed', req.by, `${req.reason ?? ''}${req.errorBudget ? ` (error budget now ${req.errorBudget})` : ''}`.trim());
      return state();
    },
    {
      validator: (req) => {
        if (!req?.by?.trim()) throw new Error('resumeRollout needs "by": who is resuming (recorded in the audit trail)');
        if (pause && !req.reason?.trim())
          throw new Error(`rollout ${rolloutId} was paused by ${pause.by}: resuming it needs a reason (recorded in the audit trail)`);
        if (!pause && status !== 'halted')
          throw new Error(`rollout ${rolloutId} is ${status}: resume applies only to a halted or paused rollout`);
        if (status !== 'halted') return;
        const budget = req.errorBudget ?? errorBudget;
        const allowed = errorBudgetCount(budget, clusters.length);
        if (failedCount() > allowed) {
          throw new Error(
            `${failedCount()} clusters have failed and error budget "${budget}" allows ${allowed}: resume with a larger errorBudget (at least ${failedCount()})`,
          );
        }
      },
    },
  );

  setHandler(
    pauseRolloutUpdate,
    (req) => {
      pause = { by: req.by, reason: req.reason ?? '', at: now() };
      record('paused', req.by, req.reason);
      return state();
    },
    {
      validator: (req) => {
        if (!req?.by?.trim()) throw new Error('pauseRollout needs "by": who is pausing (recorded in the audit trail)');
        if (!req.reason?.trim()) throw new Error('pauseRollout needs a reason (recorded in the audit trail with who paused)');
        if (pause)
          throw new Error(`rollout ${rolloutId} is already paused (by ${pause.by}: ${pause.reason}); resume it with rollout resume`);
        if (status === 'halted')
          throw new Error(
            `rollout ${rolloutId} is halted by its error budget: no new cluster starts already; resume it with rollout resume --error-budget N`,
          );
        if (status !== 'running' && status !== 'waiting-approval')
          throw new Error(`rollout ${rolloutId} is ${status}: pause applies only to a running rollout or one waiting for wave approval`);
      },
    },
  );

  /** Holds while the operator has paused the rollout. Runs already started go on meanwhile. */
  async function holdWhilePaused(): Promise<void> {
    if (!pause) return;
    showPause();
    await condition(() => pause === undefined);
    showPause();
  }

  /** Finds the clusters by tag: one per tag value, in name order, planned into the waves. */
  async function takeDiscoveredClusters(request: ClusterDiscoveryRequest): Promise<void> {
    const found = await discoverClusters(request);
    const fresh = freshProgress(
      found.clusters.map((c) => c.name),
      input,
      carried.startedAt,
    );
    clusters.push(...fresh.clusters);
    carried.waveEnds = fresh.waveEnds;
    carried.discovery = { ...request, at: now(), clusters: found.clusters.length, instances: found.instances };
    const skipped = found.emptyValueInstances
      ? `; ${found.emptyValueInstances} instances with an empty ${request.tagKey} value left out`
      : '';
    record(
      'clusters-discovered',
      'tag discovery',
      `${found.clusters.length} clusters (${found.instances} instances) by tag ${describeDiscovery(request)}${skipped}`,
    );
  }

  /** Refuses, before any run starts, a rollout with no clusters or with clusters the runbook cannot take. */
  function rejectUnusableClusters(): void {
    const problems = clusters.flatMap((c) => {
      const resolved = resolveParameterValues(input.runbook, { ...input.parameters, [clusterParameter]: c.cluster });
      return 'errors' in resolved ? [`${c.cluster}: ${resolved.errors.map((e) => `${e.parameter}: ${e.message}`).join('; ')}`] : [];
    });
    let message: string | undefined;
    if (clusters.length === 0) {
      message = input.discover
        ? `no instance carries the tag ${describeDiscovery(input.discover)}: nothing to roll out (tag keys and values are case-sensitive; \`ssmflow rollout discover --tag ${input.discover.tagKey}\` lists what is there)`
        : 'no clusters to roll out';
    } else if (problems.length > 0) {
      message = `${problems.length} of ${clusters.length} clusters cannot run ${input.runbook.name}, so no run was started: ${problems.slice(0, 5).join(' | ')}${problems.length > 5 ? ` | … ${problems.length - 5} more` : ''}. Fix the cluster tags or the runbook parameter "${clusterParameter}", then start the rollout again.`;
    }
    if (!message) return;
    setStatus('failed');
    record('finished', input.initiator, message);
    throw ApplicationFailure.nonRetryable(message, 'RolloutClustersRejected');
  }

  if (!input.carried) {
    record('started', input.initiator, input.reason);
    if (input.discover) await takeDiscoveredClusters(input.discover);
    rejectUnusableClusters();
  }

  async function runCluster(progress: ClusterProgress): Promise<void> {
    const resolved = resolveParameterValues(input.runbook, { ...input.parameters, [clusterParameter]: progress.cluster });
    if ('errors' in resolved) {
      Object.assign(progress, { status: 'failed', message: resolved.errors.map((e) => `${e.parameter}: ${e.message}`).join('; ') });
      return;
    }
    const runId = `${rolloutId}--${progress.cluster}`;
    const runInput: RunInput = {
      runbook: input.runbook,
      parameters: resolved.values,
      initiator: `rollout:${rolloutId} (${input.initiator})`,
      cluster: progress.cluster,
      ...(input.reason ? { reason: input.reason } : {}),
      ...(input.output ? { output: input.output } : {}),
      ...(input.options ? { options: input.options } : {}),
    };
    Object.assign(progress, { status: 'running', runId });
    try {
      const child = await startChild(runbookRun, {
        workflowId: runId,
        args: [runInput],
        // A rollout that is terminated asks its runs to cancel, so they roll back cleanly.
        parentClosePolicy: ParentClosePolicy.REQUEST_CANCEL,
        typedSearchAttributes: [
          { key: runbookKey, value: input.runbook.name },
          { key: clusterKey, value: progress.cluster },
          { key: initiatorKey, value: runInput.initiator },
          { key: statusKey, value: 'running' },
        ],
      });
      const summary: RunSummary = await child.result();
      Object.assign(progress, {
        status: summary.status === 'succeeded' ? 'succeeded' : 'failed',
        runStatus: summary.status,
        ...(summary.failure ? { message: summary.failure.message } : {}),
        // A run refused its target lock fails its cluster; its last audit entry names the holder.
        ...(summary.status === 'lock-refused'
          ? { message: summary.audit.at(-1)?.type === 'run' ? (summary.audit.at(-1) as { detail?: string }).detail : 'target lock refused' }
          : {}),
      });
    } catch (err) {
      // Runs on detached promises: record the outcome, never throw (the main loop sees cancellation itself).
      Object.assign(progress, {
        status: 'failed',
        message: isCancellation(err) ? 'cancelled with the rollout' : err instanceof Error ? err.message : String(err),
      });
    }
  }

  const historyFull = () => {
    const info = workflowInfo();
    return info.continueAsNewSuggested || (input.historyEventLimit !== undefined && info.historyLength >= input.historyEventLimit);
  };

  const haltedWaitingFor = (since?: string): RolloutState['waitingFor'] => ({
    reason: 'resume',
    since: since ?? now(),
    message: `halted: ${failedCount()} failed clusters exceed the error budget "${errorBudget}"; resumeRollout to go on`,
  });

  try {
    for (let wave = carried.currentWave; wave < carried.waveEnds.length; wave += 1) {
      carried.currentWave = wave;
      if (input.approvalBetweenWaves && wave > 0 && approvedWaves < wave) {
        setStatus('waiting-approval');
        waveApprovals = [];
        waitingFor = {
          reason: 'wave-approval',
          since: now(),
          message: `wave ${wave + 1} of ${carried.waveEnds.length} waits for approveWave`,
          ...(wavePolicy ? { approval: { ...wavePolicy, given: waveApprovals } } : {}),
        };
        waveApproved = false;
        await notifier.notify('wave-approval-waiting', {
          status: 'waiting-approval',
          message: waitingFor.message,
          ...(wavePolicy ? { approval: wavePolicy } : {}),
          actions: ['approve', 'pause'],
        });
        await condition(() => waveApproved);
        approvedWaves = wave;
        waitingFor = undefined;
        setStatus('running');
      }
      // A wave does not start while paused (no command when the rollout was never paused).
      await holdWhilePaused();
      const waveClusters = clusters.filter((c) => c.wave === wave && c.status === 'pending');
      if (waveClusters.length) record('wave-started', input.initiator, `wave ${wave + 1}: ${waveClusters.length} clusters`);
      const pending = [...waveClusters];
      while (pending.length > 0 || inFlight > 0) {
        if (budgetSpent() && currentStatus() !== 'halted') {
          setStatus('halted');
          // Reset here, not at the wait below: a resume may be accepted while the notification starts.
          resumed = false;
          record('halted', 'error budget', `${failedCount()} failed clusters exceed the budget "${errorBudget}"`);
          // Shown from the moment of the halt: the notification and the runs still in flight take time.
          waitingFor = haltedWaitingFor();
          await notifier.notify('error-budget-spent', {
            status: 'halted',
            message: `${failedCount()} failed clusters exceed the error budget "${errorBudget}": no new cluster starts until resumed`,
            actions: ['resume'],
          });
        }
        if (currentStatus() === 'halted' && inFlight === 0) {
          waitingFor = haltedWaitingFor(waitingFor?.reason === 'resume' ? waitingFor.since : undefined);
          // Rollouts from before dropped a resume given while runs were still in flight; their histories replay so.
          if (!patched('rollout-keeps-early-resume')) resumed = false;
          await condition(() => resumed);
          waitingFor = undefined;
          setStatus('running');
        }
        showPause();
        if (historyFull() && inFlight === 0) {
          record('continued-as-new', 'history limit', `after ${workflowInfo().historyLength} events`);
          await condition(allHandlersFinished);
          return await continueAsNew<typeof runbookRollout>({
            ...input,
            carried: {
              ...carried,
              clusters,
              errorBudget,
              approvedWaves,
              currentWave: wave,
              generation: carried.generation + 1,
              audit,
              // Set or cleared here: `carried` may hold the pause an earlier generation had.
              pause,
            },
          });
        }
        while (currentStatus() === 'running' && inFlight < input.maxInFlight && pending.length > 0 && !historyFull()) {
          const next = pending.shift() as ClusterProgress;
          inFlight += 1;
          void runCluster(next).finally(() => {
            inFlight -= 1;
          });
        }
        const before = inFlight;
        const pausedBefore = pause;
        await condition(
          () =>
            inFlight < before ||
            pause !== pausedBefore ||
            (currentStatus() === 'halted' && inFlight === 0) ||
            (inFlight === 0 && pending.length === 0),
        );
      }
    }
    setStatus(failedCount() === 0 ? 'succeeded' : 'failed');
  } catch (err) {
    if (isCancellation(err)) {
      setStatus('cancelled');
      record('finished', input.initiator, 'cancelled');
    }
    throw err;
  }
  record('finished', input.initiator, `${clusters.filter((c) => c.status === 'succeeded').length} succeeded, ${failedCount()} failed`);
  await condition(allHandlersFinished);
  return {
    rolloutId,
    status,
    succeeded: clusters.filter((c) => c.status === 'succeeded').map((c) => c.cluster),
    failed: clusters
      .filter((c) => c.status === 'failed')
      .map(({ cluster, runId, runStatus, message }) => ({ cluster, runId, runStatus, message })),
    generation: carried.generation,
  };
}

function freshProgress(
  clusterNames: string[],
  { waves, errorBudget }: Pick<RolloutInput, 'waves' | 'errorBudget'>,
  startedAt: string,
): CarriedProgress {
  const clusters = [...new Set(clusterNames)];
  const waveEnds = planWaveEnds(clusters.length, waves);
  return {
    clusters: clusters.map((cluster, index) => ({ cluster, wave: waveEnds.findIndex((end) => index < end), status: 'pending' })),
    waveEnds,
    currentWave: 0,
    approvedWaves: 0,
    errorBudget,
    startedAt,
    generation: 0,
    audit: [],
  };
}
