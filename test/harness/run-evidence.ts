// Evidence of what a run did, read back from the systems it touched: the commands SSM holds and
// the activities the workflow history records. Tests compare these with what the run claims.
import { ListCommandsCommand, type Command, type SSMClient } from '@aws-sdk/client-ssm';
import { defaultPayloadConverter } from '@temporalio/common';
import { tsToMs } from '@temporalio/common/lib/time.js';
import { temporal } from '@temporalio/proto';

/** Every command SSM lists as requested after `sinceMs` (all pages), oldest first. */
export async function listCommandsSince(ssm: SSMClient, sinceMs: number): Promise<Command[]> {
  const commands: Command[] = [];
  let nextToken: string | undefined;
  do {
    const page = await ssm.send(
      new ListCommandsCommand({
        Filters: [{ key: 'InvokedAfter', value: new Date(sinceMs).toISOString() }],
        MaxResults: 50,
        NextToken: nextToken,
      }),
    );
    commands.push(...(page.Commands ?? []));
    nextToken = page.NextToken;
  } while (nextToken);
  return commands.sort((a, b) => (a.RequestedDateTime?.getTime() ?? 0) - (b.RequestedDateTime?.getTime() ?? 0));
}

/** One activity of a workflow history: from its scheduling to its close (all retries included). */
export interface ActivitySpan {
  activityType: string;
  scheduledAtMs: number;
  /** When it completed, failed, timed out or was cancelled; undefined while still open. */
  closedAtMs?: number;
  /** Its first argument, decoded. */
  input: unknown;
  /** The attempt that closed it (from ActivityTaskStarted), when recorded. */
  attempt?: number;
  /** Its result, decoded, when it completed. */
  result?: unknown;
}

const { EventType } = temporal.api.enums.v1;

/** The activities a history records, each with its open interval. */
export function activitySpans(history: temporal.api.history.v1.IHistory): ActivitySpan[] {
  const spans = new Map<number, ActivitySpan>();
  for (const event of history.events ?? []) {
    const at = tsToMs(event.eventTime);
    const id = Number(event.eventId);
    if (event.eventType === EventType.EVENT_TYPE_ACTIVITY_TASK_SCHEDULED) {
      const attrs = event.activityTaskScheduledEventAttributes;
      const payload = attrs?.input?.payloads?.[0];
      spans.set(id, {
        activityType: attrs?.activityType?.name ?? '',
        scheduledAtMs: at,
        input: payload ? defaultPayloadConverter.fromPayload(payload) : undefined,
      });
      continue;
    }
    const started = event.activityTaskStartedEventAttributes;
    if (started) {
      const span = spans.get(Number(started.scheduledEventId));
      if (span) span.attempt = started.attempt ?? undefined;
      continue;
    }
    const completed = event.activityTaskCompletedEventAttributes;
    const closed =
      completed ??
      event.activityTaskFailedEventAttributes ??
      event.activityTaskTimedOutEventAttributes ??
      event.activityTaskCanceledEventAttributes;
    if (closed?.scheduledEventId !== undefined && closed.scheduledEventId !== null) {
      const span = spans.get(Number(closed.scheduledEventId));
      if (span) span.closedAtMs = at;
      const payload = completed?.result?.payloads?.[0];
      if (span && payload) span.result = defaultPayloadConverter.fromPayload(payload);
    }
  }
  return [...spans.values()];
}

/** The JSON log lines of a worker's output (other lines skipped). */
export function jsonLogLines(output: string): Record<string, unknown>[] {
  const lines: Record<string, unknown>[] = [];
  for (const line of output.split('\n')) {
    if (!line.startsWith('{')) continue;
    try {
      lines.push(JSON.parse(line) as Record<string, unknown>);
    } catch {
      // A line cut short by the kill.
    }
  }
  return lines;
}
