import { type RenderedStep } from './documents.js';

/** Wire values of Status; invocations may also be Delayed. */
export type CommandStatus = 'Pending' | 'InProgress' | 'Delayed' | 'Success' | 'Cancelled' | 'TimedOut' | 'Failed' | 'Cancelling';

/** Invocation StatusDetails (wire spelling without spaces, as in AWS's own samples). */
export type InvocationDetail =
  | 'Pending'
  | 'InProgress'
  | 'Delayed'
  | 'Cancelling'
  | 'Success'
  | 'Failed'
  | 'ExecutionTimedOut'
  | 'DeliveryTimedOut'
  | 'Cancelled'
  | 'Undeliverable'
  | 'Terminated';

export type PluginStatus = 'Pending' | 'InProgress' | 'Success' | 'TimedOut' | 'Cancelled' | 'Failed';

export interface PluginRecord {
  name: string;
  outputDir: string;
  status: PluginStatus;
  statusDetails: string;
  responseCode: number;
  startedAt?: number;
  finishedAt?: number;
  /** Output as the agent reports it: stdout cut at 24,000 bytes, stderr at 8,000, with its suffix. */
  stdout: string;
  stderr: string;
}

export interface InvocationRecord {
  commandId: string;
  instanceId: string;
  /** Position in the command's target order (dispatch order). */
  index: number;
  status: CommandStatus;
  statusDetails: InvocationDetail;
  requestedAt: number;
  /**
   * When the service created the invocation (SendCommand + invocationVisibilityDelayMs): only
   * then is it dispatched. Records written before this field existed use visibleAt.
   */
  createdAt?: number;
  /**
   * Before this instant the service does not show the invocation yet (InvocationDoesNotExist,
   * absent from ListCommandInvocations): createdAt plus the invocationListingLagMs fault's lag,
   * so it can lag behind a run that has already finished.
   */
  visibleAt: number;
  dispatched: boolean;
  deliveredAt?: number;
  /** Process group of the step process running right now, so a restarted fleet can kill it. */
  runningPgid?: number;
  plugins: PluginRecord[];
}

export interface CommandRecord {
  commandId: string;
  documentName: string;
  documentVersion: string;
  comment: string;
  parameters: Record<string, string[]>;
  instanceIds: string[];
  targets: { Key: string; Values: string[] }[];
  requestedAt: number;
  /**
   * Before this instant ListCommands queries without a CommandId do not list the command (the
   * listingLagMs fault). Absent (older records): listed at once.
   */
  listedAt?: number;
  /** End of the delivery window (TimeoutSeconds): undelivered invocations become DeliveryTimedOut. */
  deliveryDeadline: number;
  /** ExpiresAfter: delivery window plus execution timeout; anything still open then is DeliveryTimedOut. */
  expiresAt: number;
  timeoutSeconds: number;
  maxConcurrency: string;
  maxErrors: string;
  outputS3BucketName: string;
  outputS3KeyPrefix: string;
  outputS3Region: string;
  serviceRoleArn: string;
  notificationConfig: Record<string, unknown>;
  cloudWatchOutputConfig: Record<string, unknown>;
  alarmConfiguration?: Record<string, unknown>;
  steps: RenderedStep[];
  /** Resolved targets, in dispatch order. */
  targetInstanceIds: string[];
  cancelRequested: boolean;
  /** MaxErrors was exceeded: nothing more is sent. */
  stopped: boolean;
  /** Set once every invocation is terminal. */
  final?: { status: CommandStatus; statusDetails: string };
  /** True when targets were tags that matched no instance. */
  noInstancesInTag: boolean;
}

export const TERMINAL_DETAILS: ReadonlySet<InvocationDetail> = new Set([
  'Success',
  'Failed',
  'ExecutionTimedOut',
  'DeliveryTimedOut',
  'Cancelled',
  'Undeliverable',
  'Terminated',
]);

export const isTerminal = (inv: InvocationRecord): boolean => TERMINAL_DETAILS.has(inv.statusDetails);

/** Invocation Status for each StatusDetails value (Undeliverable and Terminated report Failed). */
export const STATUS_OF_DETAIL: Record<InvocationDetail, CommandStatus> = {
  Pending: 'Pending',
  InProgress: 'InProgress',
  Delayed: 'Delayed',
  Cancelling: 'Cancelling',
  Success: 'Success',
  Failed: 'Failed',
  ExecutionTimedOut: 'TimedOut',
  DeliveryTimedOut: 'TimedOut',
  Cancelled: 'Cancelled',
  Undeliverable: 'Failed',
  Terminated: 'Failed',
};

export interface CommandCounts {
  targetCount: number;
  completedCount: number;
  errorCount: number;
  deliveryTimedOutCount: number;
}

export function countInvocations(invs: readonly InvocationRecord[]): CommandCounts {
  let completedCount = 0;
  let errorCount = 0;
  let deliveryTimedOutCount = 0;
  for (const inv of invs) {
    if (isTerminal(inv)) completedCount++;
    if (inv.statusDetails === 'Failed' || inv.statusDetails === 'ExecutionTimedOut') errorCount++;
    if (inv.statusDetails === 'DeliveryTimedOut') deliveryTimedOutCount++;
  }
  return { targetCount: invs.length, completedCount, errorCount, deliveryTimedOutCount };
}

/** MaxErrors / MaxConcurrency as a count for this many targets: percentages of MaxConcurrency round up (at least 1), of MaxErrors round down. */
export function rateLimit(value: string, targets: number, kind: 'concurrency' | 'errors'): number {
  if (value.endsWith('%')) {
    const exact = (Number(value.slice(0, -1)) * targets) / 100;
    return kind === 'concurrency' ? Math.max(1, Math.ceil(exact)) : Math.floor(exact);
  }
  return Number(value);
}

/** Command status while invocations are still open. */
export function liveCommandStatus(cmd: CommandRecord, invs: readonly InvocationRecord[]): { status: CommandStatus; statusDetails: string } {
  if (cmd.final) return cmd.final;
  if (invs.some((i) => i.statusDetails === 'Cancelling')) return { status: 'Cancelling', statusDetails: 'Cancelling' };
  const started = invs.some((i) => i.dispatched && i.statusDetails !== 'Pending');
  return started ? { status: 'InProgress', statusDetails: 'InProgress' } : { status: 'Pending', statusDetails: 'Pending' };
}

/** Command status once every invocation is terminal (see fleet/README.md for the choices made). */
export function finalCommandStatus(
  cmd: CommandRecord,
  invs: readonly InvocationRecord[],
): { status: CommandStatus; statusDetails: string } {
  if (invs.length === 0) return { status: 'Failed', statusDetails: cmd.noInstancesInTag ? 'NoInstancesInTag' : 'Failed' };
  const n = (d: InvocationDetail) => invs.filter((i) => i.statusDetails === d).length;
  const maxErrors = rateLimit(cmd.maxErrors, invs.length, 'errors');
  if (cmd.cancelRequested && n('Cancelled') > 0) return { status: 'Cancelled', statusDetails: 'Cancelled' };
  const failed = n('Failed');
  const execTimedOut = n('ExecutionTimedOut');
  if (failed + execTimedOut > maxErrors) {
    return execTimedOut > failed
      ? { status: 'TimedOut', statusDetails: 'ExecutionTimedOut' }
      : { status: 'Failed', statusDetails: 'Failed' };
  }
  if (n('DeliveryTimedOut') > maxErrors) return { status: 'TimedOut', statusDetails: 'DeliveryTimedOut' };
  const success = n('Success');
  if (success + n('Undeliverable') === invs.length) {
    return success > 0 ? { status: 'Success', statusDetails: 'Success' } : { status: 'Failed', statusDetails: 'Failed' };
  }
  return { status: 'Failed', statusDetails: 'Incomplete' };
}
