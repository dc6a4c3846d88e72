// `ssmflow schedule create|list|describe|pause|unpause|trigger|delete` (defined in commands/schedule.ts).
import { checkBlastRadius } from '../blast-radius.js';
import { CliOperationFailed } from '../cli-errors.js';
import type { CreateFlags, ScheduleActionFlags, ScheduleFlags, TriggerFlags } from '../commands/schedule.js';
import { withTemporal, type Connected } from '../connection.js';
import { actingIdentity } from '../identity.js';
import { printJson } from '../output/json.js';
import { renderScheduleDescription, renderScheduleList, scheduleDescriptionJson, scheduleSummaryJson } from '../output/schedule-view.js';
import { colours as c } from '../output/style.js';
import { readParameterInput } from '../parameters-input.js';
import { outputLocation } from '../run-options.js';
import { countTargetInstances } from '../run-targets.js';
import { loadRunbookOrExplain, resolveParametersOrExplain } from '../runbook-input.js';
import { checkScheduleId, overlapPolicies, scheduleOptions } from '../scheduled-run.js';

export async function scheduleCreateAction(scheduleId: string, file: string, opts: CreateFlags): Promise<void> {
  checkScheduleId(scheduleId);
  const runbook = await loadRunbookOrExplain(file);
  const values = resolveParametersOrExplain(runbook, readParameterInput(opts));
  const createdBy = actingIdentity(opts.as);
  const output = outputLocation(opts);
  const options = scheduleOptions({
    scheduleId,
    runbook,
    values,
    taskQueue: opts.taskQueue,
    timing: {
      ...(opts.cron ? { cron: opts.cron } : {}),
      ...(opts.every ? { every: opts.every } : {}),
      ...(opts.offset ? { offset: opts.offset } : {}),
      timezone: opts.timezone,
    },
    overlap: opts.overlap,
    catchupWindow: opts.catchupWindow,
    paused: Boolean(opts.paused),
    createdBy,
    ...(opts.reason ? { reason: opts.reason } : {}),
    ...(output ? { output } : {}),
  });
  const instanceCount = await countTargetInstances(runbook, values);
  checkBlastRadius(instanceCount, opts, `schedule ${scheduleId}`);
  await withTemporal(opts, async (connected) => {
    const handle = await connected.client.schedule.create(options);
    const described = scheduleDescriptionJson(await handle.describe());
    if (opts.json) return printJson({ ...described, instanceCount });
    process.stdout.write(
      `${c.green('✓')} created schedule ${c.bold(scheduleId)} (${instanceCount} instances per run)\n\n${renderScheduleDescription(described)}\n`,
    );
  });
}

/** `schedule list --json`: the schedules that start ssmflow runs, by id. */
export async function listSchedules(connected: Connected) {
  const schedules = [];
  for await (const summary of connected.client.schedule.list()) {
    if (summary.action?.type === 'startWorkflow' && summary.action.workflowType === 'runbookRun')
      schedules.push(scheduleSummaryJson(summary));
  }
  return schedules.sort((a, b) => a.scheduleId.localeCompare(b.scheduleId));
}

export async function scheduleListAction(opts: ScheduleFlags): Promise<void> {
  await withTemporal(opts, async (connected) => {
    const schedules = await listSchedules(connected);
    if (opts.json) return printJson(schedules);
    process.stdout.write(`${renderScheduleList(schedules)}\n`);
  });
}

async function describeSchedule(connected: Connected, scheduleId: string) {
  return scheduleDescriptionJson(await connected.client.schedule.getHandle(scheduleId).describe());
}

export async function scheduleDescribeAction(scheduleId: string, opts: ScheduleFlags): Promise<void> {
  await withTemporal(opts, async (connected) => {
    const described = await describeSchedule(connected, scheduleId);
    if (opts.json) return printJson(described);
    process.stdout.write(`${renderScheduleDescription(described)}\n`);
  });
}

/** Pauses or unpauses a schedule with a note naming who and why; `schedule pause --json` is what it returns. */
export async function setSchedulePaused(
  connected: Connected,
  verb: 'pause' | 'unpause',
  scheduleId: string,
  request: { by: string; reason?: string },
) {
  const note = `${verb === 'pause' ? 'paused' : 'unpaused'} by ${request.by}${request.reason ? `: ${request.reason}` : ''}`;
  const handle = connected.client.schedule.getHandle(scheduleId);
  await (verb === 'pause' ? handle.pause(note) : handle.unpause(note));
  return { note, described: await describeSchedule(connected, scheduleId) };
}

export async function schedulePauseAction(verb: 'pause' | 'unpause', scheduleId: string, opts: ScheduleActionFlags): Promise<void> {
  const by = actingIdentity(opts.as);
  await withTemporal(opts, async (connected) => {
    const { note, described } = await setSchedulePaused(connected, verb, scheduleId, {
      by,
      ...(opts.reason ? { reason: opts.reason } : {}),
    });
    if (opts.json) return printJson(described);
    process.stdout.write(`${c.green('✓')} schedule ${c.bold(scheduleId)} ${note}\n`);
  });
}

/** Starts a schedule's run now and waits until it shows up; `schedule trigger --json` is what it returns. */
export async function triggerSchedule(connected: Connected, scheduleId: string, overlap?: keyof typeof overlapPolicies) {
  const handle = connected.client.schedule.getHandle(scheduleId);
  const before = new Set((await handle.describe()).info.recentActions.map((a) => a.action.workflow.workflowId));
  await handle.trigger(overlap ? overlapPolicies[overlap] : undefined);
  // The schedule starts the run asynchronously; wait until it shows up among its recent actions.
  const deadline = Date.now() + 15_000;
  for (;;) {
    const started = (await handle.describe()).info.recentActions.map((a) => a.action.workflow.workflowId).find((id) => !before.has(id));
    if (started) return { scheduleId, runId: started };
    if (Date.now() > deadline) {
      throw new CliOperationFailed(
        `schedule ${scheduleId} was triggered but no new run appeared within 15s`,
        `its overlap policy may have skipped it (a run is still going): ssmflow schedule describe ${scheduleId}`,
      );
    }
    await new Promise((resolve) => setTimeout(resolve, 250));
  }
}

export async function scheduleTriggerAction(scheduleId: string, opts: TriggerFlags): Promise<void> {
  await withTemporal(opts, async (connected) => {
    const triggered = await triggerSchedule(connected, scheduleId, opts.overlap);
    if (opts.json) return printJson(triggered);
    process.stdout.write(
      `${c.green('✓')} schedule ${c.bold(scheduleId)} started run ${c.bold(triggered.runId)}\n  follow it:  ssmflow status ${triggered.runId} --watch\n`,
    );
  });
}

export async function scheduleDeleteAction(scheduleId: string, opts: ScheduleFlags): Promise<void> {
  await withTemporal(opts, async (connected) => {
    await connected.client.schedule.getHandle(scheduleId).delete();
    if (opts.json) return printJson({ scheduleId, deleted: true });
    process.stdout.write(`${c.green('✓')} deleted schedule ${c.bold(scheduleId)}\n`);
  });
}
