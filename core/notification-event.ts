// What a notification says: one event of a run or a rollout that someone should hear about. Built
// by the workflows (deterministic), delivered by the activity; the dedupe key is stable across
// retries and worker restarts, so a receiver that sees it twice knows it is the same event.

export const notificationKinds = [
  'approval-waiting',
  'paused-on-failure',
  'rollback-failed',
  'run-ended',
  'wave-approval-waiting',
  'error-budget-spent',
] as const;
export type NotificationKind = (typeof notificationKinds)[number];

export interface NotificationEvent {
  /** Stable per event: the same on every delivery attempt and every copy a receiver gets. */
  key: string;
  kind: NotificationKind;
  at: string;
  /** What the event is about: a run or a rollout, by id. */
  subject: 'run' | 'rollout';
  id: string;
  runbook: string;
  cluster?: string;
  /** The run's or rollout's status as the event happened. */
  status: string;
  initiator: string;
  stepId?: string;
  /** The approval's question, the failure, or how the run ended. */
  message?: string;
  /** Where it failed: instance, SSM status detail and exit code. */
  failedInstances?: { instanceId: string; statusDetails: string; exitCode: number }[];
  /** Who may approve, and how many must (approval events). */
  approval?: { approvers?: string[]; minApprovals: number; allowSelfApproval: boolean };
  /** What an operator may do now (API action names: approve, reject, retry, skip, rollback, abort, resume). */
  actions: string[];
}

/** What the worker's configuration asks for, as the workflows need to know it. */
export interface NotificationSettingsAnswer {
  /** The event kinds at least one webhook wants; empty: nothing is configured. */
  kinds: NotificationKind[];
  /** How long a delivery keeps being retried before it is given up (ms). */
  deliveryTimeoutMs: number;
}

/** How one delivery ended, as the delivery workflow returns it and `status` shows it. */
export interface NotificationDeliveryResult {
  status: 'delivered' | 'failed';
  /** Webhook names that accepted it. */
  delivered: string[];
  /** Webhook names that never did, with the last error (failed only). */
  failed?: { webhook: string; error: string }[];
  at: string;
}
