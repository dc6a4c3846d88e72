// Tells people what a run or rollout needs from them, or how it ended: each event starts its own
// delivery workflow (notification-delivery.ts), which outlives the run and retries until the
// webhooks take it. The run waits only for the delivery to start, never for the receiver.
import { WorkflowExecutionAlreadyStartedError } from '@temporalio/common';
import { ParentClosePolicy, log, patched, proxyLocalActivities, startChild, workflowInfo } from '@temporalio/workflow';
import type {
  createNotificationActivities,
  NotificationEvent,
  NotificationKind,
  NotificationSettingsAnswer,
} from '../activities/notifications/deliver-notification.js';
import { notificationDelivery } from './notification-delivery.js';

/** A notification as the run's state lists it; `status` reads its delivery from the delivery workflow. */
export interface NotificationRecord {
  key: string;
  kind: NotificationKind;
  at: string;
  deliveryWorkflowId: string;
}

export interface NotificationSubject {
  subject: 'run' | 'rollout';
  id: string;
  runbook: string;
  initiator: string;
  cluster?: string;
}

export type EventDetails = Omit<NotificationEvent, 'key' | 'kind' | 'at' | keyof NotificationSubject>;

const { notificationSettings } = proxyLocalActivities<ReturnType<typeof createNotificationActivities>>({
  startToCloseTimeout: '10 seconds',
});

export class Notifier {
  private settings: NotificationSettingsAnswer | undefined;
  private sent = 0;

  constructor(
    private readonly about: NotificationSubject,
    /** Called with each notification once its delivery has started. */
    private readonly onSent: (record: NotificationRecord) => void,
  ) {}

  /** The runs a rollout starts speak through their rollout: a thousand clusters make one message per wave, not per run. */
  private get silent(): boolean {
    return this.about.subject === 'run' && this.about.initiator.startsWith('rollout:');
  }

  /**
   * Learns once whether anyone wants notifications (a local activity). Call before a wait opens, so
   * that `notify` issues its command in the same task as the wait's own.
   */
  async ready(): Promise<void> {
    // Runs from before notifications replay without them.
    if (this.settings || this.silent || !patched('notifications')) return;
    this.settings = await notificationSettings();
  }

  /** Starts the event's delivery; after `ready`, its command goes out in the current workflow task. */
  async notify(kind: NotificationKind, details: EventDetails): Promise<void> {
    if (!this.settings) await this.ready();
    if (!this.settings?.kinds.includes(kind)) return;
    this.sent += 1;
    const info = workflowInfo();
    const at = new Date().toISOString();
    const event: NotificationEvent = { key: `${info.workflowId}:${info.runId}:${this.sent}:${kind}`, kind, at, ...this.about, ...details };
    const deliveryWorkflowId = `${info.workflowId}:notify:${info.runId.slice(0, 8)}:${this.sent}`;
    try {
      await startChild(notificationDelivery, {
        workflowId: deliveryWorkflowId,
        args: [event, { deliveryTimeoutMs: this.settings.deliveryTimeoutMs }],
        // The run may end before the receiver answers; the delivery goes on.
        parentClosePolicy: ParentClosePolicy.ABANDON,
      });
    } catch (err) {
      // Started already (the same event, replayed after a reset): one delivery per event. Any other
      // failure to start it loses this message, never the run.
      if (!(err instanceof WorkflowExecutionAlreadyStartedError)) {
        log.warn('notification not started', { key: event.key, error: (err as Error).message });
        return;
      }
    }
    this.onSent({ key: event.key, kind, at, deliveryWorkflowId });
  }
}
