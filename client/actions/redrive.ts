// `ssmflow redrive` (defined in commands/redrive.ts): a new run continuing an ended one.
import { resolveParameterValues } from '../../runbook/parameters.js';
import { CliInputError } from '../cli-errors.js';
import type { RedriveFlags } from '../commands/redrive.js';
import { withTemporal } from '../connection.js';
import { exitCodeForRun } from '../exit-status.js';
import { actingIdentity } from '../identity.js';
import { printJson } from '../output/json.js';
import { liveMode, watchRun } from '../output/live-status.js';
import { statusJson } from '../output/status-json.js';
import { colours as c } from '../output/style.js';
import { readParameterInput } from '../parameters-input.js';
import { planRedrive, redriveRunId, fixedParameters } from '../redrive-plan.js';
import { readRunInput } from '../run-input.js';
import { describeRun, isAtRest, isTerminal, readRun } from '../run-view.js';
import { ParameterInputError, startRedrive } from '../runs.js';

export async function redriveAction(runId: string, flags: RedriveFlags): Promise<void> {
  const changes = readParameterInput(flags);
  await withTemporal(flags, async (connected) => {
    const old = await readRun(connected, runId);
    // A run terminated or timed out ran no ending of its own: its last state still says where it
    // stood (running, paused), but it has ended, as a failure (or a cancel).
    const closed = (await describeRun(connected, runId)).status.name;
    const status = isTerminal(old.status) || closed === 'RUNNING' ? old.status : closed === 'CANCELLED' ? 'cancelled' : 'failed';
    if (!isTerminal(status))
      throw new CliInputError(
        `run ${runId} is still ${old.status}: a redrive continues a run that has ended`,
        `act on it instead (ssmflow retry|skip|rollback|abort ${runId}), or follow it: ssmflow status ${runId} --watch`,
      );
    const plan = planRedrive(runId, status, old.steps, flags.from);
    if ('problem' in plan) throw new CliInputError(plan.problem, plan.fix);
    const input = await readRunInput(connected, runId);
    const chooser = fixedParameters(input.runbook).find(
      (name) => name in changes && String(changes[name]) !== String(input.parameters[name]),
    );
    if (chooser)
      throw new CliInputError(
        `parameter ${chooser} chose the steps or targets of run ${runId}, so a redrive cannot change it`,
        `keep ${chooser}=${String(input.parameters[chooser])}, or start a new run with ssmflow run`,
      );
    // The values the run ended with (a retry may have changed them); secrets stay references to
    // Parameter Store, resolved again from the runbook.
    const secrets = new Set(
      Object.entries(input.runbook.parameters).flatMap(([name, definition]) => (definition.type === 'secret' ? [name] : [])),
    );
    const ended = Object.keys(old.parameters).length ? old.parameters : input.parameters;
    const given = Object.fromEntries(
      Object.entries(ended).filter(
        (entry): entry is [string, string | number | boolean] => !secrets.has(entry[0]) && typeof entry[1] !== 'object',
      ),
    );
    const resolved = resolveParameterValues(input.runbook, { ...given, ...changes });
    if ('errors' in resolved) throw new ParameterInputError(resolved.errors);

    const by = actingIdentity(flags.as);
    const newRunId = redriveRunId(runId, (old.redrivenAs?.length ?? 0) + 1);
    const redriveOf = { runId, fromStepId: plan.fromStepId, carried: plan.carried };
    await startRedrive(connected.client, {
      old: input,
      values: resolved.values,
      initiator: by,
      reason: `redrive of run ${runId}: ${flags.reason}`,
      taskQueue: old.taskQueue,
      workflowId: newRunId,
      redriveOf,
    });
    const carried = plan.carried.map((s) => s.id);
    const summary = { runId: newRunId, redriveOf: runId, fromStepId: plan.fromStepId, carried, by, reason: flags.reason };
    if (!flags.wait) {
      if (flags.json) return printJson({ ...summary, status: 'running' });
      process.stdout.write(
        `${c.green('✓')} redrive of run ${c.bold(runId)} started as ${c.bold(newRunId)}, from step ${plan.fromStepId} (by ${by})\n` +
          (carried.length ? `  carried as done, not sent again: ${carried.join(', ')}\n` : '') +
          `  follow it:  ssmflow status ${newRunId} --watch\n`,
      );
      return;
    }
    if (!flags.json) process.stdout.write(`${c.green('✓')} redrive of run ${c.bold(runId)} started as ${c.bold(newRunId)} (by ${by})\n`);
    const last = await watchRun(connected, newRunId, flags.json ? 'silent' : liveMode(false), isAtRest);
    if (flags.json) printJson({ ...summary, status: last.status, run: statusJson(last) });
    process.exitCode = exitCodeForRun(last.status, ['succeeded', 'waiting-approval']);
  });
}
