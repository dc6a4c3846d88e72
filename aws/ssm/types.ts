// The contract between workflows and the SSM activities. Plain data only: these values are
// recorded in workflow history, so they carry no secrets and only bounded output.

/** Instance ids, or tags (keys ANDed, the values of one key ORed), as SSM targets them. */
export type CommandTargets = { instanceIds: string[] } | { tags: Record<string, string[]> };

export interface RateControl {
  /** SSM MaxConcurrency: a count ("1") or a percent ("10%"). */
  maxConcurrency: string;
  /** SSM MaxErrors: a count ("0") or a percent ("5%"). */
  maxErrors: string;
}

export type CommandDocument =
  | { kind: 'shell'; commands: string[]; workingDirectory?: string }
  | { kind: 'document'; name: string; parameters: Record<string, string[]> };

export interface RunCommandInput {
  /**
   * Identifies this send across activity retries and worker crashes (workflow id, step, step
   * attempt, and the workflow's run id, so a re-used workflow id never finds an older run's command).
   * Carried in the command's Comment; a retried attempt finds the command by it instead of sending again.
   */
  idempotencyKey: string;
  /** Shown in the SSM console next to the key, e.g. "postgres-major-upgrade/backup". */
  description: string;
  document: CommandDocument;
  targets: CommandTargets;
  rateControl: RateControl;
  /** Execution timeout of the script on each instance. */
  executionTimeoutSeconds: number;
  /** Delivery window for instances that are not reachable yet (SSM TimeoutSeconds, ≥ 30). */
  deliveryTimeoutSeconds?: number;
  output?: { bucket: string; keyPrefix: string };
  /**
   * Secret parameters the instance reads from Parameter Store itself (its role, AWS CLI), keyed by
   * the placeholder name used in `document`. Only the names travel: history, SendCommand and
   * ListCommands never hold a value.
   */
  secrets?: Record<string, string>;
}

export type InvocationStatus = 'Pending' | 'InProgress' | 'Delayed' | 'Success' | 'Cancelled' | 'TimedOut' | 'Failed' | 'Cancelling';

export interface InvocationResult {
  instanceId: string;
  status: InvocationStatus | string;
  /** Finer status: Success, Failed, ExecutionTimedOut, DeliveryTimedOut, Undeliverable, Terminated, … */
  statusDetails: string;
  /** Script exit code; -1 when the script never ran on the instance. */
  exitCode: number;
  startedAt?: string;
  endedAt?: string;
  /** Last few KB of what the instance printed (stdout, then stderr), for the operator's first look. */
  outputTail: string;
  /** True when `outputTail` is not all of the output: the full text is at `output`. */
  outputTruncated: boolean;
  output?: { stdoutUrl?: string; stderrUrl?: string; s3KeyPrefix?: string };
}

export interface CommandResult {
  commandId: string;
  /** Success only when every targeted invocation succeeded. */
  status: 'Success' | 'Failed' | 'TimedOut' | 'Cancelled' | string;
  statusDetails: string;
  documentName: string;
  requestedAt: string;
  targetCount: number;
  completedCount: number;
  errorCount: number;
  deliveryTimedOutCount: number;
  invocations: InvocationResult[];
  /** True when this attempt found and reused a command sent by an earlier attempt. */
  reusedEarlierSend: boolean;
}

export interface ResolvedTargets {
  online: string[];
  /** Registered but not reachable now (PingStatus ConnectionLost / Inactive). */
  offline: { instanceId: string; pingStatus: string; lastPingAt?: string }[];
  /** Asked for by id but unknown to SSM (typo, terminated, or agent never registered). */
  missing: string[];
}

export interface WaitUntilInput extends RunCommandInput {
  intervalMs: number;
  timeoutMs: number;
  /** A check exiting with this code on any target ends the wait at once (absent: only the timeout ends it). */
  giveUpExitCode?: number;
}

export interface WaitUntilResult {
  /** True when a check succeeded on every target before the timeout. */
  satisfied: boolean;
  checks: number;
  elapsedMs: number;
  /** The last check's command, for the operator's look at why it is not satisfied. */
  lastResult: CommandResult;
  /** Set when the wait stopped because a check exited with `giveUpExitCode`: the first such instance. */
  gaveUp?: { instanceId: string; exitCode: number };
}

/** One instance's answer to a check, as the live progress shows it. */
export interface CheckLine {
  instanceId: string;
  exitCode: number;
  /** The last non-empty line the check printed on stdout (else stderr), at most `checkLineMaxChars`. */
  line: string;
}

/**
 * The last finished check of a waitUntil step that is still waiting: heartbeated by the activity
 * (beside its resume checkpoint) so `ssmflow status` can show what the check says while it waits.
 */
export interface WaitProgress {
  /** Number of the check that printed `instances`, from 1. */
  check: number;
  /** From the start of the wait to the end of that check. */
  elapsedMs: number;
  /** When that check finished (ISO time). */
  at: string;
  /** Instances the check ran on, and how many of them passed (exit 0). */
  instanceCount: number;
  passed: number;
  /** Not passing first, at most `checkLinesMaxInstances`. */
  instances: CheckLine[];
}
