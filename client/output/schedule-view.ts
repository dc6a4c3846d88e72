// Schedules as people and scripts read them.
import type { ScheduleDescription, ScheduleSummary } from '@temporalio/client';
import { formatDuration } from '../../runbook/duration.js';
import type { RunInput } from '../../workflows/run-state.js';
import { displayParameters } from '../../workflows/run-audit.js';
import { colours as c } from './style.js';
import { formatColumns } from './table.js';
import { formatInstant, fromNow } from './time.js';

function memoText(memo: Record<string, unknown> | undefined, key: string): string | undefined {
  const value = memo?.[key];
  return typeof value === 'string' ? value : undefined;
}

export function scheduleSummaryJson(summary: ScheduleSummary) {
  return {
    scheduleId: summary.scheduleId,
    runbook: memoText(summary.memo, 'ssmflowRunbook') ?? null,
    spec: memoText(summary.memo, 'ssmflowSpec') ?? null,
    paused: summary.state.paused,
    note: summary.state.note ?? null,
    nextRunAt: summary.info.nextActionTimes[0]?.toISOString() ?? null,
    recentRuns: summary.info.recentActions.map((a) => ({
      runId: a.action.workflow.workflowId,
      scheduledAt: a.scheduledAt.toISOString(),
      startedAt: a.takenAt.toISOString(),
    })),
  };
}

export function renderScheduleList(schedules: ReturnType<typeof scheduleSummaryJson>[]): string {
  if (schedules.length === 0) return c.dim('no ssmflow schedules (create one with `ssmflow schedule create`)');
  const rows = schedules.map((s) => [
    s.scheduleId,
    s.runbook ?? '',
    s.spec ?? '',
    s.paused ? c.yellow('paused') : c.green('active'),
    s.nextRunAt && !s.paused ? `${formatInstant(s.nextRunAt)} (${fromNow(s.nextRunAt)})` : '',
    s.recentRuns.at(-1)?.runId ?? '',
  ]);
  return formatColumns([['SCHEDULE', 'RUNBOOK', 'WHEN', 'STATE', 'NEXT RUN', 'LAST RUN'].map((h) => c.dim(h)), ...rows]).join('\n');
}

export function scheduleDescriptionJson(description: ScheduleDescription) {
  const input = description.action.args?.[0] as RunInput | undefined;
  return {
    scheduleId: description.scheduleId,
    runbook: input?.runbook.name ?? memoText(description.memo, 'ssmflowRunbook') ?? null,
    spec: memoText(description.memo, 'ssmflowSpec') ?? null,
    timezone: description.spec.timezone ?? 'UTC',
    parameters: input ? displayParameters(input.parameters) : {},
    initiator: input?.initiator ?? null,
    taskQueue: description.action.taskQueue,
    createdBy: memoText(description.memo, 'createdBy') ?? null,
    reason: memoText(description.memo, 'reason') ?? null,
    overlap: String(description.policies.overlap).toLowerCase().replace(/_/g, '-'),
    catchupWindowMs: description.policies.catchupWindow,
    paused: description.state.paused,
    note: description.state.note ?? null,
    createdAt: description.info.createdAt.toISOString(),
    runsStarted: description.info.numActionsTaken,
    runsSkippedForOverlap: description.info.numActionsSkippedOverlap,
    runsMissedCatchupWindow: description.info.numActionsMissedCatchupWindow,
    runningRuns: description.info.runningActions.map((a) => a.workflow.workflowId),
    nextRunsAt: description.info.nextActionTimes.map((t) => t.toISOString()),
    recentRuns: description.info.recentActions.map((a) => ({
      runId: a.action.workflow.workflowId,
      scheduledAt: a.scheduledAt.toISOString(),
      startedAt: a.takenAt.toISOString(),
    })),
  };
}

export function renderScheduleDescription(d: ReturnType<typeof scheduleDescriptionJson>): string {
  const rows = [
    ['schedule', c.bold(d.scheduleId)],
    ['runbook', d.runbook ?? ''],
    ['when', d.spec ?? ''],
    ['state', d.paused ? c.yellow(`paused${d.note ? ` — ${d.note}` : ''}`) : c.green(`active${d.note ? c.dim(` — ${d.note}`) : ''}`)],
    [
      'parameters',
      Object.entries(d.parameters)
        .map(([k, v]) => `${k}=${String(v)}`)
        .join('  ') || '—',
    ],
    ['runs as', `${d.initiator ?? ''} on task queue ${d.taskQueue}`],
    ['overlap', `${d.overlap} · catch-up window ${formatDuration(d.catchupWindowMs)}`],
    ['created', `${formatInstant(d.createdAt)} by ${d.createdBy ?? '?'}${d.reason ? ` (${d.reason})` : ''}`],
    [
      'runs',
      `${d.runsStarted} started, ${d.runsSkippedForOverlap} skipped (overlap), ${d.runsMissedCatchupWindow} missed (catch-up window)`,
    ],
    [
      'next',
      d.paused
        ? c.dim('(paused)')
        : d.nextRunsAt
            .slice(0, 3)
            .map((t) => `${formatInstant(t)} (${fromNow(t)})`)
            .join(', '),
    ],
  ];
  const lines = formatColumns(rows);
  if (d.runningRuns.length) lines.push('', `running now: ${d.runningRuns.join(', ')}`);
  if (d.recentRuns.length) {
    lines.push('', c.bold('Recent runs'));
    lines.push(...d.recentRuns.map((r) => `  ${formatInstant(r.startedAt)}  ${r.runId}`));
    lines.push(c.dim(`  ssmflow list --initiator ${d.initiator ?? ''}`));
  }
  return lines.join('\n');
}
