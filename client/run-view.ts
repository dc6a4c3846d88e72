// One shape for "what is this run doing", whether it comes from the live Query of an open run or
// from the result of a finished one (which needs no worker). `status` and `audit` read it.
import { readNotificationDeliveries, type NotificationView } from './notification-deliveries.js';
import type { NotificationRecord } from '../workflows/notifier.js';
import { WorkflowNotFoundError, type WorkflowExecutionDescription } from '@temporalio/client';
import type { WaitProgress } from '../aws/ssm/types.js';
import type { AuditEntry, RunState, RunStatus } from '../workflows/run-state.js';
import { terminalRunStatuses } from '../workflows/run-state.js';
import { runStateQuery } from '../workflows/run-messages.js';
import type { RunSummary, runbookRun } from '../workflows/runbook-run.js';
import { clusterKey, initiatorKey, runbookKey, statusKey } from '../workflows/search-attributes.js';
import { CliInputError, CliOperationFailed, NotFoundInputError } from './cli-errors.js';
import type { Connected } from './connection.js';
import { waitProgressOf } from './wait-progress.js';
import { redriveRunId } from './redrive-plan.js';

export interface InstanceView {
  instanceId: string;
  status: string;
  statusDetails: string;
  exitCode: number;
  /** The last lines the instance printed (open runs only; finished runs keep output in S3). */
  outputTail?: string;
  /** Where the full output is, such as s3://bucket/prefix/. */
  output?: string;
}

export interface StepView {
  id: string;
  kind?: RunState['steps'][number]['kind'];
  description?: string;
  status: RunState['steps'][number]['status'];
  attempts: number;
  commandIds: string[];
  startedAt?: string;
  endedAt?: string;
  message?: string;
  instances: InstanceView[];
  rollback?: RunState['steps'][number]['rollback'];
  /** Per instance, the attempt it succeeded in (see StepState.succeededInAttempt). */
  succeededInAttempt?: Record<string, number>;
  /** A running waitUntil step: what its last check printed (open runs only; see wait-progress.ts). */
  progress?: WaitProgress;
}

/** A run as the CLI shows it: its state, with steps seen through StepView. */
export interface RunView extends Omit<RunState, 'steps' | 'notifications'> {
  steps: StepView[];
  /** The notifications sent about the run, each with how its delivery went (readRun fills that in). */
  notifications?: (NotificationRecord | NotificationView)[];
  /** live: the run's own Query; result: a finished run's result; history: only what Temporal's visibility knows. */
  source: 'live' | 'result' | 'history';
  taskQueue: string;
  /** The runs that continued this one (`ssmflow redrive`), oldest first; filled in by `status` and `audit`. */
  redrivenAs?: string[];
}

export function isTerminal(status: RunStatus): boolean {
  return terminalRunStatuses.includes(status);
}

/** Where each instance's output of a step is, from the step's commands in the audit (the latest command naming it wins). */
function auditInstances(audit: readonly AuditEntry[], commandIds: readonly string[]): Map<string, string | undefined> {
  const ofStep = new Set(commandIds);
  const locations = new Map<string, string | undefined>();
  for (const entry of audit) {
    if (entry.type !== 'command' || !ofStep.has(entry.commandId)) continue;
    for (const instance of entry.instances) locations.set(instance.instanceId, instance.output);
  }
  return locations;
}

export function viewFromState(state: RunState, taskQueue: string): RunView {
  const { steps, ...rest } = state;
  return {
    ...rest,
    source: 'live',
    taskQueue,
    steps: steps.map((s) => {
      const locations = auditInstances(state.audit, s.commandIds);
      return {
        id: s.id,
        kind: s.kind,
        ...(s.description ? { description: s.description } : {}),
        status: s.status,
        attempts: s.attempts,
        commandIds: s.commandIds,
        ...(s.startedAt ? { startedAt: s.startedAt } : {}),
        ...(s.endedAt ? { endedAt: s.endedAt } : {}),
        ...(s.message ? { message: s.message } : {}),
        ...(s.rollback ? { rollback: s.rollback } : {}),
        ...(s.succeededInAttempt ? { succeededInAttempt: s.succeededInAttempt } : {}),
        instances: s.instances.map((i) => ({
          instanceId: i.instanceId,
          status: i.status,
          statusDetails: i.statusDetails,
          exitCode: i.exitCode,
          outputTail: i.outputTail,
          ...(locations.get(i.instanceId) ? { output: locations.get(i.instanceId) } : {}),
        })),
      };
    }),
  };
}

export function viewFromSummary(summary: RunSummary, description: WorkflowExecutionDescription): RunView {
  return {
    runId: summary.runId,
    runbook: summary.runbook,
    ...(description.typedSearchAttributes.get(clusterKey) ? { cluster: description.typedSearchAttributes.get(clusterKey) } : {}),
    initiator: summary.initiator,
    status: summary.status,
    startedAt: summary.startedAt,
    endedAt: summary.endedAt,
    parameters: summary.parameters,
    ...(summary.failure ? { failure: summary.failure } : {}),
    ...(summary.locks ? { locks: summary.locks } : {}),
    ...(summary.redriveOf ? { redriveOf: summary.redriveOf } : {}),
    ...(summary.notifications ? { notifications: summary.notifications } : {}),
    audit: summary.audit,
    source: 'result',
    taskQueue: description.taskQueue,
    steps: summary.steps.map((s) => {
      const rollbacks = summary.audit.filter((e) => e.type === 'command' && e.stepId === s.id && e.phase === 'rollback');
      return {
        ...s,
        instances: latestInstanceResults(summary.audit, s.id),
        ...(rollbacks.length
          ? {
              rollback: {
                status: s.status === 'rolled-back' ? 'succeeded' : s.status === 'rollback-failed' ? 'failed' : 'skipped',
                commandIds: rollbacks.map((e) => (e.type === 'command' ? e.commandId : '')),
              } as const,
            }
          : {}),
      };
    }),
  };
}

/**
 * Each instance's latest result of a step, from its commands in the audit: the latest command's,
 * and for a failed-only retry, the earlier results of the instances it left out.
 */
function latestInstanceResults(audit: readonly AuditEntry[], stepId: string): InstanceView[] {
  const latest = new Map<string, InstanceView>();
  for (const entry of audit) {
    if (entry.type !== 'command' || entry.stepId !== stepId || entry.phase === 'rollback') continue;
    if (!entry.failedOnly) latest.clear();
    for (const instance of entry.instances) latest.set(instance.instanceId, { ...instance });
  }
  return [...latest.values()];
}

/** What visibility alone says about a closed run whose state cannot be read (terminated, failed). */
function viewFromDescription(runId: string, description: WorkflowExecutionDescription): RunView {
  const attributes = description.typedSearchAttributes;
  const fallback: RunStatus = description.status.name === 'CANCELLED' ? 'cancelled' : 'failed';
  return {
    runId,
    runbook: attributes.get(runbookKey) ?? '?',
    ...(attributes.get(clusterKey) ? { cluster: attributes.get(clusterKey) } : {}),
    initiator: attributes.get(initiatorKey) ?? '?',
    status: description.status.name === 'RUNNING' ? ((attributes.get(statusKey) as RunStatus | undefined) ?? 'running') : fallback,
    startedAt: description.startTime.toISOString(),
    ...(description.closeTime ? { endedAt: description.closeTime.toISOString() } : {}),
    parameters: {},
    steps: [],
    audit: [],
    source: 'history',
    taskQueue: description.taskQueue,
  };
}

export async function describeRun(connected: Connected, runId: string): Promise<WorkflowExecutionDescription> {
  try {
    const description = await connected.client.workflow.getHandle(runId).describe();
    if (description.type !== 'runbookRun')
      throw new CliInputError(`"${runId}" is a ${description.type} workflow, not an ssmflow run`, 'list runs with `ssmflow list`');
    return description;
  } catch (err) {
    if (err instanceof WorkflowNotFoundError) {
      throw new NotFoundInputError(
        `no run with id "${runId}" in namespace ${connected.client.options.namespace}`,
        'list runs with `ssmflow list` (check --namespace / TEMPORAL_NAMESPACE)',
      );
    }
    throw err;
  }
}

const queryDeadlineMs = 10_000;

async function queryState(connected: Connected, runId: string): Promise<RunState> {
  const handle = connected.client.workflow.getHandle<typeof runbookRun>(runId);
  return connected.connection.withDeadline(Date.now() + queryDeadlineMs, () => handle.query(runStateQuery));
}

/**
 * The run as it is now. An open run is asked directly (a worker must be up); a finished one is
 * read from its result, with the runs that continued it (`ssmflow redrive`).
 */
export async function readRun(connected: Connected, runId: string): Promise<RunView> {
  const read = await readRunState(connected, runId);
  const view = read.notifications?.length
    ? { ...read, notifications: await readNotificationDeliveries(connected.client, read.notifications) }
    : read;
  if (!isTerminal(view.status)) return view;
  const redrivenAs = await redrivesOf(connected, runId);
  return redrivenAs.length ? { ...view, redrivenAs } : view;
}

/** The redrives of a run, found under the ids `ssmflow redrive` gives them (the old run itself is closed and cannot record them). */
export async function redrivesOf(connected: Connected, runId: string): Promise<string[]> {
  const found: string[] = [];
  for (let n = 1; ; n += 1) {
    const id = redriveRunId(runId, n);
    try {
      await connected.client.workflow.getHandle(id).describe();
    } catch (err) {
      if (err instanceof WorkflowNotFoundError) return found;
      throw err;
    }
    found.push(id);
  }
}

async function readRunState(connected: Connected, runId: string): Promise<RunView> {
  const description = await describeRun(connected, runId);
  const handle = connected.client.workflow.getHandle<typeof runbookRun>(runId);
  if (description.status.name === 'COMPLETED') return viewFromSummary(await handle.result(), description);
  let view: RunView;
  try {
    view = viewFromState(await queryState(connected, runId), description.taskQueue);
  } catch (err) {
    if (description.status.name !== 'RUNNING') return viewFromDescription(runId, description);
    throw new CliOperationFailed(
      `run ${runId} is open but its state could not be read: ${(err as Error).message}`,
      `is a worker polling task queue "${description.taskQueue}"? Start one with \`SSMFLOW_TASK_QUEUE=${description.taskQueue} ssmflow worker\``,
    );
  }
  return withWaitProgress(connected, runId, view);
}

/**
 * Adds the last check's output to a running waitUntil step. Describes the run again, after the
 * state was read, so the pending check activity found is never one of an earlier step's.
 */
async function withWaitProgress(connected: Connected, runId: string, view: RunView): Promise<RunView> {
  const waiting = view.steps.find((s) => s.id === view.currentStepId && s.status === 'running' && s.kind === 'waitUntil');
  if (!waiting) return view;
  const progress = await waitProgressOf(connected, await connected.client.workflow.getHandle(runId).describe());
  if (progress) waiting.progress = progress;
  return view;
}

/** Statuses where nothing happens until a person acts. */
export const needsAPerson: readonly RunStatus[] = ['paused-on-failure', 'waiting-approval', 'paused'];

/** Where `--wait` stops: the run ended, needs a person, or waits (possibly days) for its maintenance window. */
export function isAtRest(view: RunView): boolean {
  return isTerminal(view.status) || needsAPerson.includes(view.status) || view.waitingFor?.reason === 'maintenance-window';
}

/**
 * Polls the run until `done(view)` says stop, calling `onChange` whenever what a person would see
 * changes. Returns the last view.
 */
export async function followRun(
  connected: Connected,
  runId: string,
  done: (view: RunView) => boolean,
  onChange: (view: RunView) => void,
  intervalMs = 1_000,
): Promise<RunView> {
  let lastSeen = '';
  for (;;) {
    const view = await readRun(connected, runId);
    const fingerprint = JSON.stringify({ ...view, audit: view.audit.length });
    if (fingerprint !== lastSeen) {
      lastSeen = fingerprint;
      onChange(view);
    }
    if (done(view)) return view;
    await new Promise((resolve) => setTimeout(resolve, intervalMs));
  }
}
