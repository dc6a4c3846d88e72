// `ssmflow run` (defined in commands/run.ts): check the runbook, parameters and blast radius, then start the run.
import { checkBlastRadius } from '../blast-radius.js';
import { CliInputError } from '../cli-errors.js';
import type { RunFlags } from '../commands/run.js';
import { withTemporal } from '../connection.js';
import { exitCodeForRun } from '../exit-status.js';
import { actingIdentity } from '../identity.js';
import { printJson } from '../output/json.js';
import { liveMode, watchRun } from '../output/live-status.js';
import { statusJson } from '../output/status-json.js';
import { colours as c } from '../output/style.js';
import { readParameterInput } from '../parameters-input.js';
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
  if (opts.id !== undefined && !/^[\w.:@-]{1,200}$/.test(opts.id))
    throw new CliInputError(`--id "${opts.id}": use letters, digits and . _ : @ - only`, 'such as --id pg-a-upgrade-2025-06-07');
  const initiator = actingIdentity(opts.as);
  await withTemporal(opts, async (connected) => {
    const output = outputLocation(opts);
    const runId = opts.id ?? defaultRunId(runbook.name, typeof values.cluster === 'string' ? values.cluster : undefined);
    const locking = !runbook.readOnly;
    // Refused here, nothing is started. The run asks again as it starts (as the same holder), so
    // two racing `ssmflow run`s and a schedule firing meanwhile are decided by the registry alone.
    if (locking && !opts.waitForLock) {
      const answered = await lockTargetsBeforeStart(connected.client, opts.taskQueue, {
        holder: runId,
        instanceIds: resolved.instanceIds,
        runbook: runbook.name,
        initiator,
      });
      if (!answered)
        process.stderr.write(
          `ssmflow: the target-lock registry of task queue "${opts.taskQueue}" did not answer (is a worker polling it?); ` +
            'the run takes its lock when a worker picks it up, and ends lock-refused, sending nothing, if another run holds its targets\n',
        );
    }
    try {
      await startRun(connected.client, {
        runbook,
        parameters,
        initiator,
        taskQueue: opts.taskQueue,
        workflowId: runId,
        ...(opts.reason ? { reason: opts.reason } : {}),
        ...(output ? { output } : {}),
        ...(opts.waitForLock ? { waitForLock: true } : {}),
      });
    } catch (err) {
      if (locking && !opts.waitForLock) await releaseTargetLock(connected.client, opts.taskQueue, runId);
      throw err;
    }
    const queuedBehind = opts.waitForLock ? await lockHoldersOf(connected.client, opts.taskQueue, resolved.instanceIds) : [];
    if (!opts.wait) {
      if (opts.json)
        return printJson({
          runId,
          runbook: runbook.name,
          initiator,
          taskQueue: opts.taskQueue,
          instanceCount,
          status: queuedBehind.length ? 'waiting-lock' : 'running',
          ...(queuedBehind.length ? { waitingFor: queuedBehind } : {}),
        });
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

/** The runs holding any of `instanceIds` now (what a run started with --wait-for-lock queues behind). */
async function lockHoldersOf(client: Parameters<typeof readTargetLocks>[0], taskQueue: string, instanceIds: string[]): Promise<string[]> {
  const locks = await readTargetLocks(client, taskQueue).catch(() => undefined);
  return (locks?.holders ?? []).filter((h) => h.instanceIds.some((id) => instanceIds.includes(id))).map((h) => h.holder);
}
