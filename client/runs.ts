// The typed TS API for starting and steering runs; the CLI is built on it.
import { WorkflowUpdateFailedError, type Client, type WorkflowHandle } from '@temporalio/client';
import type { UpdateDefinition } from '@temporalio/common';
import { resolveParameterValues, type GivenParameterValues, type ParameterError } from '../runbook/parameters.js';
import type { NormalizedRunbook, OnFailure, ParameterValues } from '../runbook/types.js';
import {
  abortUpdate,
  approveUpdate,
  pauseUpdate,
  resumeUpdate,
  retryUpdate,
  rollbackUpdate,
  runStateQuery,
  skipUpdate,
} from '../workflows/run-messages.js';
import type { OperatorRequest, RedriveOrigin, RetryRequest, RunInput, RunState } from '../workflows/run-state.js';
import { runbookRun } from '../workflows/runbook-run.js';
import { clusterKey, initiatorKey, runbookKey, statusKey } from '../workflows/search-attributes.js';

export class ParameterInputError extends Error {
  constructor(readonly errors: ParameterError[]) {
    super(errors.map((e) => `parameter ${e.parameter}: ${e.message}\n    fix: ${e.fix}`).join('\n'));
    this.name = 'ParameterInputError';
  }
}

export interface StartRunOptions {
  runbook: NormalizedRunbook;
  parameters: GivenParameterValues;
  initiator: string;
  reason?: string;
  taskQueue: string;
  workflowId?: string;
  output?: RunInput['output'];
  options?: RunInput['options'];
  /**
   * Replaces every step's failure policy for this run, e.g. `pause` to inspect a failure by hand
   * where the runbook would roll back. Recorded in the run's input, so the audit shows it.
   */
  onFailure?: OnFailure;
  /** Queue for the target lock when another run holds an instance, instead of ending as lock-refused. */
  waitForLock?: boolean;
}

/** The runbook as this run executes it, with an operator's failure-policy override applied. */
export function withFailurePolicy(runbook: NormalizedRunbook, onFailure: OnFailure | undefined): NormalizedRunbook {
  if (!onFailure) return runbook;
  return { ...runbook, steps: runbook.steps.map((step) => (step.kind === 'sleep' ? step : { ...step, onFailure })) };
}

/** What every run is started with, whoever starts it (CLI, schedule): its input, search attributes and memo. */
export function runLaunch(opts: {
  runbook: NormalizedRunbook;
  values: ParameterValues;
  initiator: string;
  reason?: string;
  output?: RunInput['output'];
  options?: RunInput['options'];
  onFailure?: OnFailure;
  waitForLock?: boolean;
}) {
  const cluster = typeof opts.values.cluster === 'string' ? opts.values.cluster : undefined;
  const reason = [opts.reason, opts.onFailure ? `onFailure overridden to ${opts.onFailure} for this run` : undefined]
    .filter(Boolean)
    .join('; ');
  const input: RunInput = {
    runbook: withFailurePolicy(opts.runbook, opts.onFailure),
    parameters: opts.values,
    initiator: opts.initiator,
    ...(reason ? { reason } : {}),
    ...(cluster ? { cluster } : {}),
    ...(opts.output ? { output: opts.output } : {}),
    ...(opts.options ? { options: opts.options } : {}),
    ...(opts.waitForLock ? { lock: { wait: true } } : {}),
  };
  return {
    input,
    cluster,
    typedSearchAttributes: [
      { key: runbookKey, value: opts.runbook.name },
      { key: initiatorKey, value: opts.initiator },
      { key: statusKey, value: 'running' },
      ...(cluster ? [{ key: clusterKey, value: cluster }] : []),
    ],
    memo: {
      runbook: opts.runbook.name,
      ...(opts.runbook.description ? { description: opts.runbook.description } : {}),
      initiator: opts.initiator,
      ...(opts.reason ? { reason: opts.reason } : {}),
    },
  };
}

/** Validates parameters and starts a run; the run id is the workflow id. */
export async function startRun(client: Client, opts: StartRunOptions): Promise<WorkflowHandle<typeof runbookRun>> {
  const resolved = resolveParameterValues(opts.runbook, opts.parameters);
  if ('errors' in resolved) throw new ParameterInputError(resolved.errors);
  const launch = runLaunch({ ...opts, values: resolved.values });
  return client.workflow.start(runbookRun, {
    taskQueue: opts.taskQueue,
    workflowId: opts.workflowId ?? defaultRunId(opts.runbook.name, launch.cluster),
    args: [launch.input],
    typedSearchAttributes: launch.typedSearchAttributes,
    memo: launch.memo,
  });
}

/**
 * Starts a run that continues an ended one (`ssmflow redrive`): the old run's runbook, output and
 * options, the parameters given (changes already applied), and the steps it carries as done.
 */
export async function startRedrive(
  client: Client,
  opts: {
    old: RunInput;
    values: ParameterValues;
    initiator: string;
    reason: string;
    taskQueue: string;
    workflowId: string;
    redriveOf: RedriveOrigin;
  },
): Promise<WorkflowHandle<typeof runbookRun>> {
  const launch = runLaunch({
    runbook: opts.old.runbook,
    values: opts.values,
    initiator: opts.initiator,
    reason: opts.reason,
    ...(opts.old.output ? { output: opts.old.output } : {}),
    ...(opts.old.options ? { options: opts.old.options } : {}),
  });
  return client.workflow.start(runbookRun, {
    taskQueue: opts.taskQueue,
    workflowId: opts.workflowId,
    args: [{ ...launch.input, redriveOf: opts.redriveOf }],
    typedSearchAttributes: launch.typedSearchAttributes,
    memo: { ...launch.memo, redriveOf: opts.redriveOf.runId },
  });
}

export function defaultRunId(runbook: string, cluster: string | undefined): string {
  const stamp = new Date()
    .toISOString()
    .replace(/[-:]/g, '')
    .replace(/\.\d+Z$/, 'Z');
  const suffix = Math.random().toString(36).slice(2, 6);
  return [runbook, cluster, stamp, suffix].filter(Boolean).join('-');
}

/** The run refused an operator action (its validator said why); nothing was changed. */
export class OperatorActionRejected extends Error {
  constructor(
    readonly runId: string,
    readonly action: string,
    message: string,
  ) {
    super(message);
    this.name = 'OperatorActionRejected';
  }
}

/** Operator controls on one run; each returns the run's state after the action. */
export function runControls(client: Client, runId: string) {
  const handle = client.workflow.getHandle<typeof runbookRun>(runId);
  const act = async <A>(action: string, update: UpdateDefinition<RunState, [A]>, req: A): Promise<RunState> => {
    try {
      return await handle.executeUpdate(update, { args: [req] });
    } catch (err) {
      if (err instanceof WorkflowUpdateFailedError)
        throw new OperatorActionRejected(runId, action, (err.cause as Error | undefined)?.message ?? err.message);
      // The server refuses updates to a closed run before any validator sees them.
      if (/already completed/i.test((err as Error).message)) {
        const ended = await handle.query(runStateQuery).catch(() => undefined);
        throw new OperatorActionRejected(
          runId,
          action,
          `run ${runId} has ended (${ended?.status ?? 'closed'}); ${action} applies only to a run in progress`,
        );
      }
      throw err;
    }
  };
  return {
    handle,
    state: () => handle.query(runStateQuery),
    approve: (req: OperatorRequest & { reject?: boolean }) => act('approve', approveUpdate, req),
    retry: (req: RetryRequest) => act('retry', retryUpdate, req),
    skip: (req: OperatorRequest) => act('skip', skipUpdate, req),
    rollback: (req: OperatorRequest) => act('rollback', rollbackUpdate, req),
    abort: (req: OperatorRequest) => act('abort', abortUpdate, req),
    /** Hold before the next step; the reason is required. */
    pause: (req: OperatorRequest & { reason: string }) => act('pause', pauseUpdate, req),
    /** Go on after a pause (or withdraw one not yet in effect); the reason is required. */
    resume: (req: OperatorRequest & { reason: string }) => act('resume', resumeUpdate, req),
  };
}

export type { RunState };
