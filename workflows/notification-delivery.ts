// One notification's delivery, as a workflow of its own: the run starts it and goes on, so neither
// a slow receiver nor the run's end can lose it. The activity retries with backoff until the
// configured delivery timeout; the outcome (delivered, or failed with the last errors) is this
// workflow's result, which `status` reads. It never fails: a failed delivery is an outcome.
import { ActivityFailure, ApplicationFailure, proxyActivities } from '@temporalio/workflow';
import type {
  createNotificationActivities,
  DeliveryProgress,
  NotificationDeliveryResult,
  NotificationEvent,
} from '../activities/notifications/deliver-notification.js';

export async function notificationDelivery(
  event: NotificationEvent,
  options: { deliveryTimeoutMs: number },
): Promise<NotificationDeliveryResult> {
  const { deliverNotification } = proxyActivities<ReturnType<typeof createNotificationActivities>>({
    startToCloseTimeout: '1 minute',
    // A worker killed mid-delivery is noticed in seconds; the next attempt resumes from its heartbeat.
    heartbeatTimeout: '20 seconds',
    scheduleToCloseTimeout: options.deliveryTimeoutMs,
    retry: { initialInterval: '1 second', backoffCoefficient: 2, maximumInterval: '30 seconds' },
  });
  try {
    const progress = await deliverNotification(event);
    return { status: 'delivered', delivered: progress.delivered, at: new Date().toISOString() };
  } catch (err) {
    const cause = err instanceof ActivityFailure ? err.cause : err;
    const last = cause instanceof ApplicationFailure ? (cause.details?.[0] as DeliveryProgress | undefined) : undefined;
    return {
      status: 'failed',
      delivered: last?.delivered ?? [],
      failed:
        last && last.failed.length + (last.refused?.length ?? 0) > 0
          ? [...last.failed, ...(last.refused ?? [])]
          : [{ webhook: '(all)', error: (cause as Error | undefined)?.message ?? String(err) }],
      at: new Date().toISOString(),
    };
  }
}
