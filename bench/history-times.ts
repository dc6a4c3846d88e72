// Shared by the benchmarks: percentiles, and the server's times around each activity of a run
// (from its history), which cut a step transition into its Temporal parts.
import { tsToMs } from '@temporalio/common/lib/time.js';
import proto from '@temporalio/proto';

export function percentile(values: number[], p: number): number {
  if (values.length === 0) return NaN;
  const sorted = [...values].sort((a, b) => a - b);
  return sorted[Math.min(sorted.length - 1, Math.ceil((p / 100) * sorted.length) - 1)] ?? NaN;
}

export type Spread = { median: number; p99: number };
export const spread = (values: number[]): Spread => ({ median: percentile(values, 50), p99: percentile(values, 99) });

// @temporalio/proto is CommonJS whose exports Node's ESM loader cannot list: take the default.
const { temporal } = proto;
type HistoryEvent = proto.temporal.api.history.v1.IHistoryEvent;
const eventType = temporal.api.enums.v1.EventType;

/** Server times around each activity of one run (the next one scheduled after it), in schedule order. */
export function activityEventTimes(
  history: proto.temporal.api.history.v1.IHistory,
): { completedMs: number; wftStartedMs: number; wftCompletedMs: number; nextStartedMs: number }[] {
  const events = history.events ?? [];
  const at = (e: HistoryEvent) => tsToMs(e.eventTime);
  const scheduled = events.filter((e) => e.eventType === eventType.EVENT_TYPE_ACTIVITY_TASK_SCHEDULED);
  const out = [];
  for (let i = 0; i + 1 < scheduled.length; i += 1) {
    const id = Number((scheduled[i] as HistoryEvent).eventId);
    const nextId = Number((scheduled[i + 1] as HistoryEvent).eventId);
    const completed = events.find(
      (e) =>
        e.eventType === eventType.EVENT_TYPE_ACTIVITY_TASK_COMPLETED &&
        Number(e.activityTaskCompletedEventAttributes?.scheduledEventId) === id,
    );
    const wftStarted = events.find(
      (e) => e.eventType === eventType.EVENT_TYPE_WORKFLOW_TASK_STARTED && Number(e.eventId) > Number(completed?.eventId ?? Infinity),
    );
    const wftCompleted = events.find(
      (e) => e.eventType === eventType.EVENT_TYPE_WORKFLOW_TASK_COMPLETED && Number(e.eventId) > Number(wftStarted?.eventId ?? Infinity),
    );
    const nextStarted = events.find(
      (e) =>
        e.eventType === eventType.EVENT_TYPE_ACTIVITY_TASK_STARTED &&
        Number(e.activityTaskStartedEventAttributes?.scheduledEventId) === nextId,
    );
    if (completed && wftStarted && wftCompleted && nextStarted)
      out.push({
        completedMs: at(completed),
        wftStartedMs: at(wftStarted),
        wftCompletedMs: at(wftCompleted),
        nextStartedMs: at(nextStarted),
      });
  }
  return out;
}
