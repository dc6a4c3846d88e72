// `ssmflow run` (defined in commands/run.ts): check the runbook, parameters and blast radius, then start the run.
import type { NormalizedRunbook, ParameterValues } from '../../runbook/types.js';
import type { RunInput } from '../../workflows/run-state.js';
import { checkBlastRadius } from '../blast-radius.js';
import { CliInputError } from '../cli-errors.js';
import type { RunFlags } from '../commands/run.js';
import { withTemporal, type Connected } from '../connection.js';
import { exitCodeForRun } from '../exit-status.js';
import { actingIdentity } from '../identity.js';
import { printJson } from '../output/json.js';
import { liveMode, watchRun } from '../output/live-status.js';
import { statusJson } from '../output/status-json.js';
import { colours as c } from '../output/style.js';
import { readParameterInput, type GivenParameters } from '../parameters-input.js';
import { outputLocation } from '../run-options.js';
import { refuseEmptyTargets, resolveTargetsForStart } from '../run-targets.js';
import { isAtRest } from '../run-view.js';
import { loadRunbookOrExplain, resolveParametersOrExplain } from '../runbook-input.js';
import { defaultRunId, startRun } from '../runs.js';
import { lockTargetsBeforeStart, readTargetLocks, releaseTargetLock } from '../target-locks.js';

export async function runAction(file: string, opts: RunFlags): Promise<void> {
  const runbook = await loadRunbookOrExplain(file);
  const parameters = readParameterInput(opts);
  const values = resolveParametersOrExplain(runbook, parameters);
  const resolved = await resolveTargetsForStart(runbook, values);
  refuseEmptyTargets(resolved, runbook.name);
  const instanceCount = resolved.instanceIds.length;
  checkBlastRadius(instanceCount, opts, `runbook ${runbook.name}`);
  checkRunId(opts.id);
  const initiator = actingIdentity(opts.as);
  await withTemporal(opts, async (connected) => {
    const started = await launchRun(connected, {
      runbook,
      parameters,
      values,
      instanceIds: resolved.instanceIds,
      initiator,
      taskQueue: opts.taskQueue,
      ...(opts.id !== undefined ? { id: opts.id } : {}),
      ...(opts.reason ? { reason: opts.reason } : {}),
      ...(opts.waitForLock ? { waitForLock: true } : {}),
      output: outputLocation(opts),
      warn: (message) => process.stderr.write(`ssmflow: ${message}\n`),
    });
    const { runId, waitingFor: queuedBehind = [] } = started;
    if (!opts.wait) {
      if (opts.json) return printJson(started);
      process.stdout.write(
        `${c.green('✓')} started run ${c.bold(runId)} of ${runbook.name} on ${instanceCount} instance${instanceCount === 1 ? '' : 's'} (by ${initiator})\n` +
          (queuedBehind.length ? `  it waits for the target lock held by ${queuedBehind.join(', ')} (status waiting-lock)\n` : '') +
          `  follow it:  ssmflow status ${runId} --watch\n`,
      );
      return;
    }
    if (!opts.json) process.stdout.write(`${c.green('✓')} started run ${c.bold(runId)} (by ${initiator})\n`);
    const mode = opts.json ? 'silent' : liveMode(false);
    const last = await watchRun(connected, runId, mode, isAtRest);
    if (opts.json) printJson(statusJson(last));
    process.exitCode =
      last.waitingFor?.reason === 'maintenance-window' ? 0 : exitCodeForRun(last.status, ['succeeded', 'waiting-approval', 'paused']);
  });
}

/** A run id a person can type and Temporal takes as a workflow id. */
function checkRunId(id: string | undefined): void {
  if (id !== undefined && !/^[\w.:@-]{1,200}$/.test(id))
    throw new CliInputError(`--id "${id}": use letters, digits and . _ : @ - only`, 'such as --id pg-a-upgrade-2025-06-07');
}

export interface LaunchRequest {
  runbook: NormalizedRunbook;
  /** The parameters as given (the run checks them again) and as resolved. */
  parameters: GivenParameters;
  values: ParameterValues;
  /** Every instance the run may touch, for the target lock. */
  instanceIds: string[];
  initiator: string;
  taskQueue: string;
  id?: string;
  reason?: string;
  waitForLock?: boolean;
  output?: RunInput['output'];
  /** Something the caller should know that does not stop the start. */
  warn(message: string): void;
}

/**
 * Starts a checked run: takes its target lock first (unless it queues for it), so a start that
 * would collide is refused with nothing started. Returns `run --json`.
 */
export async function launchRun(connected: Connected, request: LaunchRequest) {
  const { runbook, taskQueue } = request;
  checkRunId(request.id);
  const runId = request.id ?? defaultRunId(runbook.name, typeof request.values.cluster === 'string' ? request.values.cluster : undefined);
  const locking = !runbook.readOnly;
  // Refused here, nothing is started. The run asks again as it starts (as the same holder), so
  // two racing starts and a schedule firing meanwhile are decided by the registry alone.
  if (locking && !request.waitForLock) {
    const answered = await lockTargetsBeforeStart(connected.client, taskQueue, {
      holder: runId,
      instanceIds: request.instanceIds,
      runbook: runbook.name,
      initiator: request.initiator,
    });
    if (!answered)
      request.warn(
        `the target-lock registry of task queue "${taskQueue}" did not answer (is a worker polling it?); ` +
          'the run takes its lock when a worker picks it up, and ends lock-refused, sending nothing, if another run holds its targets',
      );
  }
  try {
    await startRun(connected.client, {
      runbook,
      parameters: request.parameters,
      initiator: request.initiator,
      taskQueue,
      workflowId: runId,
      ...(request.reason ? { reason: request.reason } : {}),
      ...(request.output ? { output: request.output } : {}),
      ...(request.waitForLock ? { waitForLock: true } : {}),
    });
  } catch (err) {
    if (locking && !request.waitForLock) await releaseTargetLock(connected.client, taskQueue, runId);
    throw err;
  }
  const queuedBehind = request.waitForLock ? await lockHoldersOf(connected.client, taskQueue, request.instanceIds) : [];
  return {
    runId,
    runbook: runbook.name,
    initiator: request.initiator,
    taskQueue,
    instanceCount: request.instanceIds.length,
    status: queuedBehind.length ? 'waiting-lock' : 'running',
    ...(queuedBehind.length ? { waitingFor: queuedBehind } : {}),
  };
}

/** The runs holding any of `instanceIds` now (what a run started with --wait-for-lock queues behind). */
async function lockHoldersOf(client: Parameters<typeof readTargetLocks>[0], taskQueue: string, instanceIds: string[]): Promise<string[]> {
  const locks = await readTargetLocks(client, taskQueue).catch(() => undefined);
  return (locks?.holders ?? []).filter((h) => h.instanceIds.some((id) => instanceIds.includes(id))).map((h) => h.holder);
}
