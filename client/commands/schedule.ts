import { type Command, Option } from 'commander';
import { addBlastRadiusOptions, checkBlastRadius, type BlastRadiusFlags } from '../blast-radius.js';
import { CliOperationFailed } from '../cli-errors.js';
import { addConnectionOptions, addTaskQueueOption, withTemporal, type ConnectionFlags, type Connected } from '../connection.js';
import { actingIdentity } from '../identity.js';
import { printJson } from '../output/json.js';
import { renderScheduleDescription, renderScheduleList, scheduleDescriptionJson, scheduleSummaryJson } from '../output/schedule-view.js';
import { colours as c } from '../output/style.js';
import { addParameterOptions, readParameterInput, type ParameterFlags } from '../parameters-input.js';
import { addRunStartOptions, outputLocation, type RunStartFlags } from '../run-options.js';
import { countTargetInstances } from '../run-targets.js';
import { loadRunbookOrExplain, resolveParametersOrExplain } from '../runbook-input.js';
import { checkScheduleId, overlapPolicies, scheduleOptions, type OverlapName } from '../scheduled-run.js';

interface CreateFlags extends ParameterFlags, BlastRadiusFlags, RunStartFlags, ConnectionFlags {
  taskQueue: string;
  cron?: string[];
  every?: string;
  offset?: string;
  timezone: string;
  overlap: OverlapName;
  catchupWindow: string;
  paused?: boolean;
  json?: boolean;
}

interface ScheduleActionFlags extends ConnectionFlags {
  reason?: string;
  as?: string;
  json?: boolean;
}

const collect = (value: string, previous: string[] | undefined) => [...(previous ?? []), value];

function withIdentity(command: Command): Command {
  return command
    .option('--reason <text>', 'why (kept in the schedule note)')
    .option('--as <who>', 'who acts (default $SSMFLOW_USER, else user@host)');
}

function registerCreate(schedule: Command): void {
  const command = schedule
    .command('create')
    .summary('create a schedule that starts a runbook run on a cron or interval')
    .description(
      'Validates the runbook and parameters now (and counts the targets for the blast-radius guard), then creates a ' +
        'Temporal Schedule that starts the run at each time with initiator schedule:<id>. A runbook with a ' +
        'maintenanceWindow still holds its disruptive steps until the window opens.',
    )
    .argument('<schedule-id>', 'a name for the schedule, such as weekly-restart-pg-a')
    .argument('<runbook-file>', 'runbook YAML file');
  addParameterOptions(command);
  command
    .option('--cron <expression>', "when, as five cron fields in --timezone (repeat for more), such as '0 2 * * SUN'", collect)
    .option('--every <duration>', 'or: at a fixed interval, such as 6h or 1d')
    .option('--offset <duration>', 'shift --every intervals, such as --every 1d --offset 2h (02:00 UTC daily)')
    .option('--timezone <iana-name>', 'time zone of --cron (daylight saving time followed)', 'UTC')
    .addOption(
      new Option('--overlap <policy>', 'when the previous run is still going at the next time')
        .choices(Object.keys(overlapPolicies))
        .default('skip'),
    )
    .option('--catchup-window <duration>', 'after an outage of Temporal, still start runs missed by at most this much', '15m')
    .option('--paused', 'create it paused (start it with `schedule unpause`)');
  addRunStartOptions(command);
  addBlastRadiusOptions(command).option('--json', 'print JSON');
  addTaskQueueOption(command);
  addConnectionOptions(command).addHelpText(
    'after',
    `
Examples:
  ssmflow schedule create weekly-restart-pg-a runbooks/rolling-restart.yaml -p cluster=pg-a \\
      --cron '0 2 * * SUN' --timezone Europe/Berlin --reason "CHG-77 weekly restart"
  ssmflow schedule create disk-cleanup-web runbooks/examples/disk-cleanup.yaml -p fleet=web --every 6h --overlap skip`,
  );
  command.action(async (scheduleId: string, file: string, opts: CreateFlags) => {
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
  });
}

function registerList(schedule: Command): void {
  const command = schedule
    .command('list')
    .summary('schedules that start ssmflow runs, with their next and last run')
    .option('--json', 'print JSON');
  addConnectionOptions(command);
  command.action(async (opts: ConnectionFlags & { json?: boolean }) => {
    await withTemporal(opts, async (connected) => {
      const schedules = [];
      for await (const summary of connected.client.schedule.list()) {
        if (summary.action?.type === 'startWorkflow' && summary.action.workflowType === 'runbookRun')
          schedules.push(scheduleSummaryJson(summary));
      }
      schedules.sort((a, b) => a.scheduleId.localeCompare(b.scheduleId));
      if (opts.json) return printJson(schedules);
      process.stdout.write(`${renderScheduleList(schedules)}\n`);
    });
  });
}

async function describeSchedule(connected: Connected, scheduleId: string) {
  return scheduleDescriptionJson(await connected.client.schedule.getHandle(scheduleId).describe());
}

function registerDescribe(schedule: Command): void {
  const command = schedule
    .command('describe')
    .summary('one schedule: runbook, parameters, timing, policies, next and recent runs')
    .argument('<schedule-id>')
    .option('--json', 'print JSON');
  addConnectionOptions(command);
  command.action(async (scheduleId: string, opts: ConnectionFlags & { json?: boolean }) => {
    await withTemporal(opts, async (connected) => {
      const described = await describeSchedule(connected, scheduleId);
      if (opts.json) return printJson(described);
      process.stdout.write(`${renderScheduleDescription(described)}\n`);
    });
  });
}

function registerPauseUnpause(schedule: Command, verb: 'pause' | 'unpause'): void {
  const command = schedule
    .command(verb)
    .summary(verb === 'pause' ? 'stop starting runs (runs in progress go on)' : 'start runs again at the scheduled times')
    .argument('<schedule-id>');
  withIdentity(command).option('--json', 'print JSON');
  addConnectionOptions(command);
  command.action(async (scheduleId: string, opts: ScheduleActionFlags) => {
    const by = actingIdentity(opts.as);
    const note = `${verb === 'pause' ? 'paused' : 'unpaused'} by ${by}${opts.reason ? `: ${opts.reason}` : ''}`;
    await withTemporal(opts, async (connected) => {
      const handle = connected.client.schedule.getHandle(scheduleId);
      await (verb === 'pause' ? handle.pause(note) : handle.unpause(note));
      const described = await describeSchedule(connected, scheduleId);
      if (opts.json) return printJson(described);
      process.stdout.write(`${c.green('✓')} schedule ${c.bold(scheduleId)} ${note}\n`);
    });
  });
}

function registerTrigger(schedule: Command): void {
  const command = schedule
    .command('trigger')
    .summary('start a run of the schedule now (its overlap policy applies)')
    .argument('<schedule-id>')
    .addOption(new Option('--overlap <policy>', 'overlap policy for this run only').choices(Object.keys(overlapPolicies)))
    .option('--json', 'print JSON: { scheduleId, runId }');
  addConnectionOptions(command).addHelpText(
    'after',
    '\nExample:\n  ssmflow schedule trigger weekly-restart-pg-a && ssmflow list --initiator schedule:weekly-restart-pg-a',
  );
  command.action(async (scheduleId: string, opts: ConnectionFlags & { json?: boolean; overlap?: OverlapName }) => {
    await withTemporal(opts, async (connected) => {
      const handle = connected.client.schedule.getHandle(scheduleId);
      const before = new Set((await handle.describe()).info.recentActions.map((a) => a.action.workflow.workflowId));
      await handle.trigger(opts.overlap ? overlapPolicies[opts.overlap] : undefined);
      // The schedule starts the run asynchronously; wait until it shows up among its recent actions.
      const deadline = Date.now() + 15_000;
      for (;;) {
        const started = (await handle.describe()).info.recentActions.map((a) => a.action.workflow.workflowId).find((id) => !before.has(id));
        if (started) {
          if (opts.json) return printJson({ scheduleId, runId: started });
          process.stdout.write(
            `${c.green('✓')} schedule ${c.bold(scheduleId)} started run ${c.bold(started)}\n  follow it:  ssmflow status ${started} --watch\n`,
          );
          return;
        }
        if (Date.now() > deadline) {
          throw new CliOperationFailed(
            `schedule ${scheduleId} was triggered but no new run appeared within 15s`,
            `its overlap policy may have skipped it (a run is still going): ssmflow schedule describe ${scheduleId}`,
          );
        }
        await new Promise((resolve) => setTimeout(resolve, 250));
      }
    });
  });
}

function registerDelete(schedule: Command): void {
  const command = schedule
    .command('delete')
    .summary('delete a schedule (runs it started are kept and go on)')
    .argument('<schedule-id>')
    .option('--json', 'print JSON');
  addConnectionOptions(command);
  command.action(async (scheduleId: string, opts: ConnectionFlags & { json?: boolean }) => {
    await withTemporal(opts, async (connected) => {
      await connected.client.schedule.getHandle(scheduleId).delete();
      if (opts.json) return printJson({ scheduleId, deleted: true });
      process.stdout.write(`${c.green('✓')} deleted schedule ${c.bold(scheduleId)}\n`);
    });
  });
}

export function registerScheduleCommand(program: Command): void {
  const schedule = program
    .command('schedule')
    .summary('scheduled maintenance: runs started on a cron or interval (Temporal Schedules)')
    .description(
      'Temporal Schedules that start runbook runs, e.g. a rolling restart every Sunday at 02:00. ' +
        'Each run has initiator schedule:<id> and shows up in `ssmflow list` like any other.',
    )
    .addHelpText(
      'after',
      `
Examples:
  ssmflow schedule create weekly-restart-pg-a runbooks/rolling-restart.yaml -p cluster=pg-a --cron '0 2 * * SUN' --timezone Europe/Berlin
  ssmflow schedule list
  ssmflow schedule describe weekly-restart-pg-a
  ssmflow schedule pause weekly-restart-pg-a --reason "freeze until 2025-01-06"
  ssmflow schedule trigger weekly-restart-pg-a
  ssmflow schedule delete weekly-restart-pg-a`,
    );
  registerCreate(schedule);
  registerList(schedule);
  registerDescribe(schedule);
  registerPauseUnpause(schedule, 'pause');
  registerPauseUnpause(schedule, 'unpause');
  registerTrigger(schedule);
  registerDelete(schedule);
}
