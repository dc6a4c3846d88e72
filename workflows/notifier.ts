// Tells people what a run or rollout needs from them, or how it ended: each event starts its own
// delivery workflow (notification-delivery.ts), which outlives the run and retries until the
// webhooks take it. The run waits only for the delivery to start, never for the receiver.
import { WorkflowExecutionAlreadyStartedError } from '@temporalio/common';
import { ParentClosePolicy, log, patched, proxyActivities, startChild, workflowInfo } from '@temporalio/workflow';
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

// A regular activity, not a local one: a local activity's marker followed by a patch marker in the
// same workflow task does not replay (the SDK sees the patch before the code that asks for it).
const { notificationSettings } = proxyActivities<ReturnType<typeof createNotificationActivities>>({
  startToCloseTimeout: '10 seconds',
  retry: { maximumAttempts: 3 },
});

export class Notifier {
  private settings: NotificationSettingsAnswer | undefined;
  private asked = false;
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
   * Learns, once, whether anyone wants notifications (an activity). A run asks as it starts, so no
   * operator wait has an extra step before it; a rollout asks at its first event.
   */
  async ready(): Promise<void> {
    if (this.asked) return;
    this.asked = true;
    // Runs from before notifications replay without them.
    if (this.silent || !patched('notifications')) return;
    try {
      this.settings = await notificationSettings();
    } catch (err) {
      // A worker that cannot say (an older one without the activity): nobody is told, the run goes on.
      log.warn('notification settings unavailable; this run sends no notifications', { error: (err as Error).message });
      this.settings = { kinds: [], deliveryTimeoutMs: 0 };
    }
  }

  /** Starts the event's delivery; once asked, its command goes out in the current workflow task. */
  async notify(kind: NotificationKind, details: EventDetails): Promise<void> {
    // Not awaited once asked: the start goes out in this very task, before the commands that follow it.
    if (!this.asked) await this.ready();
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
