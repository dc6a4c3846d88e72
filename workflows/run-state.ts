// The state of one run, as the Query returns it and the CLI shows it. Plain data, deterministic.
import type { CommandResult, InvocationResult } from '../aws/ssm/types.js';
import type { NormalizedRunbook, ParameterValues, StepKind } from '../runbook/types.js';
import type { ApprovalProgress } from './approval-policy.js';
import type { NotificationRecord } from './notifier.js';
import type { LockBlocker } from './target-lock-table.js';

export const runStatuses = [
  'waiting-lock',
  'running',
  'waiting-approval',
  'paused-on-failure',
  /** Held before its next step by `ssmflow pause` until `ssmflow resume`. */
  'paused',
  'rolling-back',
  'succeeded',
  'failed',
  'rolled-back',
  'cancelled',
  'lock-refused',
] as const;
export type RunStatus = (typeof runStatuses)[number];
export const terminalRunStatuses: readonly RunStatus[] = ['succeeded', 'failed', 'rolled-back', 'cancelled', 'lock-refused'];

export const stepStatuses = ['pending', 'running', 'succeeded', 'failed', 'skipped', 'rolled-back', 'rollback-failed'] as const;
export type StepStatus = (typeof stepStatuses)[number];

export type OperatorAction = 'approve' | 'reject' | 'retry' | 'skip' | 'rollback' | 'abort' | 'pause' | 'resume';

export interface RunInput {
  runbook: NormalizedRunbook;
  /** Resolved parameter values; secrets are references to Parameter Store, never values. */
  parameters: ParameterValues;
  /** Who started the run (user, schedule, rollout). */
  initiator: string;
  reason?: string;
  /** The cluster this run targets, for listing runs by cluster. */
  cluster?: string;
  /** Where SSM writes full command output. */
  output?: { bucket: string; keyPrefix: string };
  /** Tuning for tests and slow fleets. */
  options?: RunOptions;
  /** How the run takes its target lock (run-target-locks.ts); absent: refused when another run holds an instance. */
  lock?: { wait: boolean };
  /** Set by `ssmflow redrive`: this run continues an ended one, from `fromStepId`, carrying the steps before it. */
  redriveOf?: RedriveOrigin;
}

/**
 * Where a redriven run comes from. A redrive is a new execution rather than a Temporal reset of the
 * old one: the old run's history and audit stay whole as they ended, parameters may change (a reset
 * replays the old input), and the new run is found and followed under an id of its own.
 */
export interface RedriveOrigin {
  runId: string;
  fromStepId: string;
  /** The steps before fromStepId, as they ended in the old run; not sent again. */
  carried: CarriedStep[];
}

/** A step a redrive takes over as done from the run it continues. */
export interface CarriedStep {
  id: string;
  status: 'succeeded' | 'skipped';
  attempts: number;
  commandIds: string[];
  startedAt?: string;
  endedAt?: string;
  succeededInAttempt?: Record<string, number>;
}

export interface RunOptions {
  /** A worker silent this long is presumed dead; its step resumes on another worker. */
  heartbeatTimeoutSeconds?: number;
  /** SSM delivery window for unreachable instances (TimeoutSeconds). */
  deliveryTimeoutSeconds?: number;
}

export interface StepAttempt {
  attempt: number;
  commandIds: string[];
  startedAt: string;
  endedAt?: string;
  outcome?: 'succeeded' | 'failed';
  message?: string;
  /** The instances this attempt was sent to, when it was a failed-only retry (absent: the step's own targets). */
  failedOnly?: string[];
}

export interface StepState {
  id: string;
  kind: StepKind;
  description?: string;
  status: StepStatus;
  /** How many times the step was started (runbook retries and operator retries). */
  attempts: number;
  commandIds: string[];
  startedAt?: string;
  endedAt?: string;
  /**
   * Per-instance results of the latest command that ran on each instance: the step's latest
   * command, merged with earlier ones for instances a failed-only retry left out.
   */
  instances: InvocationResult[];
  /**
   * The attempt each instance last succeeded in; an instance whose latest result is not a success
   * has no entry. Set by run and document steps (runs from before failed-only retries lack it).
   */
  succeededInAttempt?: Record<string, number>;
  message?: string;
  history: StepAttempt[];
  rollback?: { status: 'running' | 'succeeded' | 'failed' | 'skipped'; commandIds: string[]; message?: string };
}

export interface RunFailure {
  stepId: string;
  phase: 'step' | 'rollback';
  message: string;
  /** Instances where the step failed, with their status and exit code. */
  instances: { instanceId: string; statusDetails: string; exitCode: number }[];
  /** What the operator can do now (clients render these as commands or buttons). */
  allowedActions: OperatorAction[];
}

/** Approval `given` of the `needed` distinct ones (recorded when more than one is needed). */
export interface ApprovalCount {
  given: number;
  needed: number;
}

export type AuditEntry =
  | {
      at: string;
      type: 'run';
      /**
       * point-of-no-return: a step marked pointOfNoReturn started; the run can no longer roll back.
       * lock-waiting / lock-granted: the run queued for its target lock, and got it.
       * redrive-of: the run continues an ended one (detail: which, from where, what it carried).
       */
      event: 'started' | 'point-of-no-return' | 'lock-waiting' | 'lock-granted' | 'redrive-of' | 'finished';
      status: RunStatus;
      by: string;
      detail?: string;
    }
  | {
      at: string;
      type: 'command';
      stepId: string;
      phase: 'step' | 'rollback' | 'check';
      attempt: number;
      commandId: string;
      document: string;
      targets: string;
      /** The rendered commands with every secret shown as '****'. */
      commands: string[];
      status: string;
      instances: { instanceId: string; status: string; statusDetails: string; exitCode: number; output?: string }[];
      /** Sent only to the instances that had not succeeded in earlier attempts (`retry --failed-only`). */
      failedOnly?: true;
    }
  | {
      at: string;
      type: 'operator';
      action: OperatorAction;
      by: string;
      reason?: string;
      stepId?: string;
      parameters?: Record<string, string | number | boolean>;
      /** A retry sent only to the instances that had not succeeded. */
      failedOnly?: true;
      /** An approval where several are needed: this was approval `given` of `needed`. */
      approvals?: ApprovalCount;
    };

/** The run's target lock, as it holds it or waits for it (absent: the run takes none). */
export interface RunLocks {
  /** held: granted; waiting: queued; refused: another run held an instance; released: freed as the run ended. */
  status: 'held' | 'waiting' | 'refused' | 'released';
  instanceIds: string[];
  /** When the status last changed. */
  since: string;
  /** What blocks (waiting) or blocked (refused) the run: the runs holding or queued before for its instances. */
  blockers?: LockBlocker[];
}

export interface RunState {
  runId: string;
  runbook: string;
  cluster?: string;
  initiator: string;
  status: RunStatus;
  startedAt: string;
  endedAt?: string;
  /** Parameters as shown to people: secrets as their Parameter Store name. */
  parameters: Record<string, string | number | boolean>;
  currentStepId?: string;
  /** Why the run is not moving: an approval, an operator decision, a maintenance window. */
  waitingFor?: {
    reason: 'approval' | 'operator' | 'maintenance-window' | 'pause';
    stepId: string;
    since: string;
    until?: string;
    message?: string;
    /** An approval's policy (who may approve, how many) and the approvals given so far. */
    approval?: ApprovalProgress;
  };
  /** Set by `ssmflow pause` until `ssmflow resume`: the run holds before its next step (status `paused` once it does). */
  pauseRequest?: { by: string; reason: string; at: string };
  steps: StepState[];
  failure?: RunFailure;
  /** Set when a step marked pointOfNoReturn started: from then on the run cannot roll back. */
  pastPointOfNoReturn?: { stepId: string; at: string };
  locks?: RunLocks;
  /** This run continues an ended one (`ssmflow redrive`): which, and the step it started from. */
  redriveOf?: { runId: string; fromStepId: string };
  /** The notifications sent about this run (their delivery is read from each delivery workflow). */
  notifications?: NotificationRecord[];
  audit: AuditEntry[];
}

export interface OperatorRequest {
  /** Who acts (recorded in the audit). Through the API, the authenticated identity; never chosen by the request. */
  by: string;
  /** The groups `by` belongs to (from the API token or OIDC claims, or the CLI's --group), matched against a runbook's approvers. */
  groups?: string[];
  reason?: string;
}

export interface RetryRequest extends OperatorRequest {
  /** Changed parameter values for the retried step and the rest of the run. */
  parameters?: Record<string, string | number | boolean>;
  /**
   * Send the step only to the instances whose latest result is not a success (failed, timed out,
   * cancelled, undeliverable, or never run because MaxErrors was reached), by instance id.
   */
  failedOnly?: boolean;
}

export type { CommandResult };
