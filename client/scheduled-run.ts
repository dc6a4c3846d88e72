// What a schedule starts: the same `runbookRun` workflow `ssmflow run` starts, with the runbook
// validated and the parameters resolved when the schedule is created, initiator `schedule:<id>`
// and the same search attributes, so `ssmflow list --initiator schedule:<id>` finds its runs.
import { ScheduleOverlapPolicy, type ScheduleOptions, type ScheduleSpec } from '@temporalio/client';
import { parseDuration } from '../runbook/duration.js';
import { cronProblem, isValidTimeZone } from '../runbook/maintenance-window.js';
import type { NormalizedRunbook, ParameterValues } from '../runbook/types.js';
import type { RunInput } from '../workflows/run-state.js';
import { runbookRun } from '../workflows/runbook-run.js';
import { CliInputError } from './cli-errors.js';
import type { OverlapName } from './overlap-policies.js';
import { runLaunch } from './runs.js';

export const overlapPolicies: Record<OverlapName, ScheduleOverlapPolicy> = {
  skip: ScheduleOverlapPolicy.SKIP,
  'buffer-one': ScheduleOverlapPolicy.BUFFER_ONE,
  'buffer-all': ScheduleOverlapPolicy.BUFFER_ALL,
  'cancel-other': ScheduleOverlapPolicy.CANCEL_OTHER,
  'terminate-other': ScheduleOverlapPolicy.TERMINATE_OTHER,
  'allow-all': ScheduleOverlapPolicy.ALLOW_ALL,
};

export interface ScheduleTiming {
  cron?: string[];
  every?: string;
  offset?: string;
  timezone: string;
}

const scheduleIdPattern = /^[A-Za-z0-9][\w.-]{0,199}$/;

export function checkScheduleId(id: string): void {
  if (!scheduleIdPattern.test(id))
    throw new CliInputError(
      `schedule id "${id}": use letters, digits, ".", "_" and "-", starting with a letter or digit`,
      'such as weekly-restart-pg-a',
    );
}

function duration(text: string, flag: string): number {
  try {
    return parseDuration(text);
  } catch (err) {
    throw new CliInputError(`${flag}: ${(err as Error).message}`);
  }
}

export function durationOf(text: string, flag: string): number {
  return duration(text, flag);
}

/** The Temporal schedule spec, and how it reads to people ("cron 0 2 * * SUN (Europe/Berlin)"). */
export function scheduleSpec(timing: ScheduleTiming): { spec: ScheduleSpec; description: string } {
  if (!isValidTimeZone(timing.timezone))
    throw new CliInputError(`--timezone "${timing.timezone}" is not an IANA time zone`, 'such as UTC, Europe/Berlin or America/New_York');
  const cron = timing.cron ?? [];
  if (cron.length === 0 && !timing.every)
    throw new CliInputError('a schedule needs --cron or --every', "such as --cron '0 2 * * SUN' (Sundays 02:00) or --every 6h");
  for (const expression of cron) {
    const problem = cronProblem(expression, timing.timezone);
    if (problem)
      throw new CliInputError(
        `--cron "${expression}" ${problem}`,
        "five fields: minute hour day-of-month month day-of-week, such as '0 2 * * SUN'",
      );
  }
  if (timing.offset && !timing.every)
    throw new CliInputError('--offset applies only with --every', 'such as --every 1d --offset 2h (daily at 02:00 UTC)');
  const intervals = timing.every
    ? [{ every: duration(timing.every, '--every'), ...(timing.offset ? { offset: duration(timing.offset, '--offset') } : {}) }]
    : [];
  const parts = [
    ...cron.map((c) => `cron ${c}`),
    ...(timing.every ? [`every ${timing.every}${timing.offset ? ` (offset ${timing.offset})` : ''}`] : []),
  ];
  return {
    spec: { ...(cron.length ? { cronExpressions: cron } : {}), ...(intervals.length ? { intervals } : {}), timezone: timing.timezone },
    description: `${parts.join(' + ')} (${timing.timezone})`,
  };
}

export interface ScheduledRunOptions {
  scheduleId: string;
  runbook: NormalizedRunbook;
  values: ParameterValues;
  taskQueue: string;
  timing: ScheduleTiming;
  overlap: OverlapName;
  catchupWindow: string;
  paused: boolean;
  createdBy: string;
  reason?: string;
  output?: RunInput['output'];
}

export function scheduleOptions(opts: ScheduledRunOptions): ScheduleOptions {
  checkScheduleId(opts.scheduleId);
  const { spec, description } = scheduleSpec(opts.timing);
  const launch = runLaunch({
    runbook: opts.runbook,
    values: opts.values,
    initiator: `schedule:${opts.scheduleId}`,
    ...(opts.reason ? { reason: opts.reason } : {}),
    ...(opts.output ? { output: opts.output } : {}),
  });
  const note = `created by ${opts.createdBy}${opts.reason ? `: ${opts.reason}` : ''}`;
  return {
    scheduleId: opts.scheduleId,
    spec,
    action: {
      type: 'startWorkflow',
      workflowType: runbookRun,
      // Temporal appends the scheduled time: <schedule id>-2025-06-08T02:00:00Z.
      workflowId: opts.scheduleId,
      taskQueue: opts.taskQueue,
      args: [launch.input],
      typedSearchAttributes: launch.typedSearchAttributes,
      memo: launch.memo,
    },
    policies: { overlap: overlapPolicies[opts.overlap], catchupWindow: durationOf(opts.catchupWindow, '--catchup-window') },
    state: { paused: opts.paused, note },
    memo: {
      ssmflowRunbook: opts.runbook.name,
      ssmflowSpec: description,
      createdBy: opts.createdBy,
      ...(opts.reason ? { reason: opts.reason } : {}),
    },
  };
}
