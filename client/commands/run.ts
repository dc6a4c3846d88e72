import type { Command } from 'commander';
import { addBlastRadiusOptions, checkBlastRadius, type BlastRadiusFlags } from '../blast-radius.js';
import { CliInputError } from '../cli-errors.js';
import { addConnectionOptions, addTaskQueueOption, withTemporal, type ConnectionFlags } from '../connection.js';
import { exitCodeForRun } from '../exit-status.js';
import { actingIdentity } from '../identity.js';
import { printJson } from '../output/json.js';
import { liveMode, watchRun } from '../output/live-status.js';
import { statusJson } from '../output/status-json.js';
import { colours as c } from '../output/style.js';
import { addParameterOptions, readParameterInput, type ParameterFlags } from '../parameters-input.js';
import { addRunStartOptions, outputLocation, type RunStartFlags } from '../run-options.js';
import { refuseEmptyTargets, resolveTargetsForStart } from '../run-targets.js';
import { isAtRest } from '../run-view.js';
import { loadRunbookOrExplain, resolveParametersOrExplain } from '../runbook-input.js';
import { defaultRunId, startRun } from '../runs.js';
import { lockTargetsBeforeStart, readTargetLocks, releaseTargetLock } from '../target-locks.js';

interface RunFlags extends ParameterFlags, BlastRadiusFlags, RunStartFlags, ConnectionFlags {
  taskQueue: string;
  id?: string;
  wait?: boolean;
  waitForLock?: boolean;
  json?: boolean;
}

export function registerRunCommand(program: Command): void {
  const command = program
    .command('run')
    .summary('start a run of a runbook (validated, parameters checked, blast radius guarded)')
    .description(
      'Validates the runbook and its parameters, counts the instances it would touch, and starts a durable run ' +
        'that workers execute. Prints the run id at once; with --wait, follows the run until it ends, needs a ' +
        'person (paused on failure, waiting for approval) or waits for its maintenance window.\n\n' +
        'A run that would touch more instances than --max-targets (default 25, SSMFLOW_MAX_TARGETS) starts only ' +
        'with --confirm N, N being the exact count `ssmflow plan` shows.\n\n' +
        'A run locks the instances it targets for its whole life (runbooks marked readOnly take no lock). When another ' +
        'run holds any of them, nothing is started (exit 1, naming that run); --wait-for-lock queues the run instead.',
    )
    .argument('<runbook-file>', 'runbook YAML file');
  addParameterOptions(command);
  addRunStartOptions(command);
  addBlastRadiusOptions(command)
    .option('--id <run-id>', 'run id to use (default: <runbook>-<cluster>-<time>-<random>)')
    .option(
      '--wait',
      'follow the run until it ends or needs a person; exit 0 if it succeeded or waits (approval, maintenance window), 1 otherwise',
    )
    .option(
      '--wait-for-lock',
      'when another run holds the lock on any target instance, queue behind it (status waiting-lock) instead of refusing to start',
    )
    .option('--json', 'print JSON (with --wait: the final status)');
  addTaskQueueOption(command);
  addConnectionOptions(command).addHelpText(
    'after',
    `
Examples:
  ssmflow run runbooks/rolling-restart.yaml -p cluster=pg-a --reason "CHG-1234 kernel update"
  ssmflow run runbooks/postgres-major-upgrade.yaml --params pg-a.yaml -p toVersion=17 --wait
  ssmflow run runbooks/kernel-patch.yaml -p fleet=web --confirm 40      # 40 instances > limit 25
  ssmflow run runbooks/rolling-restart.yaml -p cluster=pg-a --wait-for-lock   # queue behind the run holding pg-a

Then: ssmflow status RUN --watch · ssmflow approve RUN · ssmflow retry|skip|rollback|abort RUN`,
  );
  command.action(async (file: string, opts: RunFlags) => {
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
  });
}

/** The runs holding any of `instanceIds` now (what a run started with --wait-for-lock queues behind). */
async function lockHoldersOf(client: Parameters<typeof readTargetLocks>[0], taskQueue: string, instanceIds: string[]): Promise<string[]> {
  const locks = await readTargetLocks(client, taskQueue).catch(() => undefined);
  return (locks?.holders ?? []).filter((h) => h.instanceIds.some((id) => instanceIds.includes(id))).map((h) => h.holder);
}
