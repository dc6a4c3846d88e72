// How each notification of a run or rollout was delivered, read from its delivery workflow:
// delivered (to which webhooks), retrying (the attempt and the last error), or failed.
import { WorkflowNotFoundError, type Client } from '@temporalio/client';
import type { NotificationDeliveryResult } from '../core/notification-event.js';
import type { NotificationRecord } from '../workflows/notifier.js';

export interface NotificationView extends NotificationRecord {
  delivery: 'delivered' | 'retrying' | 'sending' | 'failed' | 'unknown';
  /** Webhooks that took it. */
  delivered?: string[];
  /** Why it is not delivered (yet). */
  failed?: { webhook: string; error: string }[];
  /** The attempt running or waiting now (retrying). */
  attempt?: number;
  /** When delivery ended (delivered or failed). */
  endedAt?: string;
}

/**
 * Deliveries that ended, by delivery workflow id: an outcome never changes, and `status --watch`
 * or `run --wait` read the run every second, so each is fetched once per process.
 */
const endedDeliveries = new Map<string, NotificationDeliveryResult>();

function endedView(record: NotificationRecord, result: NotificationDeliveryResult): NotificationView {
  return {
    ...record,
    delivery: result.status,
    delivered: result.delivered,
    ...(result.failed ? { failed: result.failed } : {}),
    endedAt: result.at,
  };
}

async function readDelivery(client: Client, record: NotificationRecord): Promise<NotificationView> {
  const known = endedDeliveries.get(record.deliveryWorkflowId);
  if (known) return endedView(record, known);
  const handle = client.workflow.getHandle(record.deliveryWorkflowId);
  try {
    const description = await handle.describe();
    if (description.status.name === 'COMPLETED') {
      const result = (await handle.result()) as NotificationDeliveryResult;
      endedDeliveries.set(record.deliveryWorkflowId, result);
      return endedView(record, result);
    }
    if (description.status.name !== 'RUNNING')
      return { ...record, delivery: 'unknown', failed: [{ webhook: '(all)', error: description.status.name }] };
    const pending = description.raw.pendingActivities?.[0];
    const attempt = pending?.attempt ?? 1;
    const lastError = pending?.lastFailure?.message;
    return lastError
      ? { ...record, delivery: 'retrying', attempt, failed: [{ webhook: '(last attempt)', error: lastError }] }
      : { ...record, delivery: 'sending', attempt };
  } catch (err) {
    if (err instanceof WorkflowNotFoundError)
      return { ...record, delivery: 'unknown', failed: [{ webhook: '(all)', error: 'no delivery record (past retention?)' }] };
    throw err;
  }
}

/** The deliveries of `records`, in order; a handful per run, read in parallel. */
export function readNotificationDeliveries(client: Client, records: readonly NotificationRecord[]): Promise<NotificationView[]> {
  return Promise.all(records.map((record) => readDelivery(client, record)));
}
