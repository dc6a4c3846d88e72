// Delivers one notification to every configured webhook that wants its kind. An attempt records
// (heartbeat) the webhooks that took it, so a retry after a failure or a worker's death sends only
// to the rest; a receiver may still see an event twice (the record lost with the worker), and
// tells by its dedupe key. Activities retry with backoff; the delivery workflow gives up after the
// configured delivery timeout. Webhook URLs (Slack's carry a secret) are never logged or returned.
import { ApplicationFailure, Context } from '@temporalio/activity';
import { packageVersion } from '../../core/package-info.js';
import { notificationKinds, type NotificationEvent, type NotificationSettingsAnswer } from '../../core/notification-event.js';
import type { NotificationSettings, Webhook } from '../../core/notification-settings.js';
import { deliveryHeader, eventHeader, signWebhookBody, signatureHeader, timestampHeader } from '../../core/webhook-signature.js';
import { eventLinks, genericJson, slackMessage } from './webhook-payloads.js';

export type {
  NotificationDeliveryResult,
  NotificationEvent,
  NotificationKind,
  NotificationSettingsAnswer,
} from '../../core/notification-event.js';

/** What an attempt hands the next: the webhooks that already have the event, and why the others failed. */
export interface DeliveryProgress {
  delivered: string[];
  failed: { webhook: string; error: string }[];
  /** Webhooks that refused it for good (a 4xx other than a timeout, conflict or rate limit): not tried again. */
  refused?: { webhook: string; error: string }[];
}

/** The receiver says the request itself is wrong (a revoked Slack URL answers 404): asking again cannot help. */
class RefusedByReceiver extends Error {}
const retryableClientErrors = new Set([408, 409, 425, 429]);

const requestTimeoutMs = 10_000;

function describeFailure(err: unknown): string {
  const error = err as Error & { cause?: { code?: string; message?: string } };
  if (error.name === 'TimeoutError') return `no answer within ${requestTimeoutMs / 1000}s`;
  const cause = error.cause?.code ?? error.cause?.message;
  return `${error.message}${cause ? ` (${cause})` : ''}`;
}

/** The request a webhook gets: Slack's body, or the signed generic JSON. */
export function webhookRequest(hook: Webhook, event: NotificationEvent, publicUrl: string | undefined, nowSeconds: number) {
  const links = eventLinks(event, publicUrl);
  const body = JSON.stringify(hook.format === 'slack' ? slackMessage(event, links) : genericJson(event, links));
  const headers: Record<string, string> = {
    'content-type': 'application/json',
    'user-agent': `ssmflow/${packageVersion}`,
    [eventHeader]: event.kind,
    [deliveryHeader]: event.key,
  };
  if (hook.format === 'json' && hook.secret) {
    const timestamp = String(nowSeconds);
    headers[timestampHeader] = timestamp;
    headers[signatureHeader] = signWebhookBody(hook.secret, timestamp, body);
  }
  return { body, headers };
}

export function createNotificationActivities(settings: NotificationSettings) {
  async function post(hook: Webhook, event: NotificationEvent, signal: AbortSignal): Promise<void> {
    const { body, headers } = webhookRequest(hook, event, settings.publicUrl, Math.floor(Date.now() / 1000));
    const response = await fetch(hook.url, {
      method: 'POST',
      body,
      headers,
      signal: AbortSignal.any([signal, AbortSignal.timeout(requestTimeoutMs)]),
    });
    // Drain it: the connection goes back to the pool.
    await response.arrayBuffer().catch(() => undefined);
    if (response.ok) return;
    if (response.status >= 400 && response.status < 500 && !retryableClientErrors.has(response.status))
      throw new RefusedByReceiver(`HTTP ${response.status}, not retried`);
    throw new Error(`HTTP ${response.status}`);
  }

  return {
    /** Which event kinds any webhook wants, asked once as a run or rollout starts. */
    async notificationSettings(): Promise<NotificationSettingsAnswer> {
      const wanted = new Set(settings.webhooks.flatMap((hook) => hook.events ?? notificationKinds));
      return { kinds: notificationKinds.filter((kind) => wanted.has(kind)), deliveryTimeoutMs: settings.deliveryTimeoutMs };
    },

    async deliverNotification(event: NotificationEvent): Promise<DeliveryProgress> {
      const context = Context.current();
      const earlier = context.info.heartbeatDetails as DeliveryProgress | undefined;
      const delivered = new Set(earlier?.delivered ?? []);
      const refused = [...(earlier?.refused ?? [])];
      const failed: DeliveryProgress['failed'] = [];
      const progress = (): DeliveryProgress => ({ delivered: [...delivered], failed, ...(refused.length ? { refused } : {}) });
      for (const hook of settings.webhooks.filter((h) => !h.events || h.events.includes(event.kind))) {
        if (delivered.has(hook.name) || refused.some((r) => r.webhook === hook.name)) continue;
        try {
          await post(hook, event, context.cancellationSignal);
          delivered.add(hook.name);
        } catch (err) {
          (err instanceof RefusedByReceiver ? refused : failed).push({ webhook: hook.name, error: describeFailure(err) });
        }
        context.heartbeat(progress());
      }
      if (failed.length === 0 && refused.length === 0) return progress();
      const unreached = [...failed, ...refused];
      context.log.warn('notification not delivered', { key: event.key, kind: event.kind, failed: unreached });
      throw ApplicationFailure.create({
        type: 'WebhookDeliveryFailed',
        message: `not delivered to ${unreached.map((f) => `${f.webhook} (${f.error})`).join(', ')}`,
        details: [progress()],
        // Only refusals left: every retry would be refused too.
        nonRetryable: failed.length === 0,
      });
    },
  };
}
