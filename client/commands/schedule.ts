import { type Command, Option } from 'commander';
import { addBlastRadiusOptions, type BlastRadiusFlags } from '../blast-radius.js';
import { addConnectionOptions, addTaskQueueOption, type ConnectionFlags } from '../connection-flags.js';
import { overlapNames, type OverlapName } from '../overlap-policies.js';
import { addParameterOptions, type ParameterFlags } from '../parameter-flags.js';
import { addRunStartOptions, type RunStartFlags } from '../run-options.js';

export interface CreateFlags extends ParameterFlags, BlastRadiusFlags, RunStartFlags, ConnectionFlags {
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

export interface ScheduleFlags extends ConnectionFlags {
  json?: boolean;
}

export interface ScheduleActionFlags extends ScheduleFlags {
  reason?: string;
  as?: string;
}

export interface TriggerFlags extends ScheduleFlags {
  overlap?: OverlapName;
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
      new Option('--overlap <policy>', 'when the previous run is still going at the next time').choices(overlapNames).default('skip'),
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
    const { scheduleCreateAction } = await import('../actions/schedule.js');
    await scheduleCreateAction(scheduleId, file, opts);
  });
}

function registerList(schedule: Command): void {
  const command = schedule
    .command('list')
    .summary('schedules that start ssmflow runs, with their next and last run')
    .option('--json', 'print JSON');
  addConnectionOptions(command);
  command.action(async (opts: ScheduleFlags) => {
    const { scheduleListAction } = await import('../actions/schedule.js');
    await scheduleListAction(opts);
  });
}

function registerDescribe(schedule: Command): void {
  const command = schedule
    .command('describe')
    .summary('one schedule: runbook, parameters, timing, policies, next and recent runs')
    .argument('<schedule-id>')
    .option('--json', 'print JSON');
  addConnectionOptions(command);
  command.action(async (scheduleId: string, opts: ScheduleFlags) => {
    const { scheduleDescribeAction } = await import('../actions/schedule.js');
    await scheduleDescribeAction(scheduleId, opts);
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
    const { schedulePauseAction } = await import('../actions/schedule.js');
    await schedulePauseAction(verb, scheduleId, opts);
  });
}

function registerTrigger(schedule: Command): void {
  const command = schedule
    .command('trigger')
    .summary('start a run of the schedule now (its overlap policy applies)')
    .argument('<schedule-id>')
    .addOption(new Option('--overlap <policy>', 'overlap policy for this run only').choices(overlapNames))
    .option('--json', 'print JSON: { scheduleId, runId }');
  addConnectionOptions(command).addHelpText(
    'after',
    '\nExample:\n  ssmflow schedule trigger weekly-restart-pg-a && ssmflow list --initiator schedule:weekly-restart-pg-a',
  );
  command.action(async (scheduleId: string, opts: TriggerFlags) => {
    const { scheduleTriggerAction } = await import('../actions/schedule.js');
    await scheduleTriggerAction(scheduleId, opts);
  });
}

function registerDelete(schedule: Command): void {
  const command = schedule
    .command('delete')
    .summary('delete a schedule (runs it started are kept and go on)')
    .argument('<schedule-id>')
    .option('--json', 'print JSON');
  addConnectionOptions(command);
  command.action(async (scheduleId: string, opts: ScheduleFlags) => {
    const { scheduleDeleteAction } = await import('../actions/schedule.js');
    await scheduleDeleteAction(scheduleId, opts);
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
