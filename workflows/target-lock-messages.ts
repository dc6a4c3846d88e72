// Messages of the target-lock registry and of the run's lock wait, shared by the workflows, the
// worker's lock activities and the CLI. The registry's id and start live in core/target-lock-registry.ts.
import { defineQuery, defineSignal, defineUpdate } from '@temporalio/workflow';
import type { AcquireAnswer, HolderExecution, LockEntry, LockRequest, LockTableState, ReleaseAnswer } from './target-lock-table.js';

/** Acquire (or queue for) every instance of the request, or none; answered once the registry decided. */
export const acquireTargetLockUpdate = defineUpdate<AcquireAnswer, [LockRequest]>('acquireTargetLock');

export interface ReleaseRequest {
  /** The run whose lock (or place in the queue) is freed. */
  holder: string;
}

/** A run frees its lock as it ends. Idempotent. */
export const releaseTargetLockUpdate = defineUpdate<ReleaseAnswer, [ReleaseRequest]>('releaseTargetLock');

export interface ForceReleaseRequest {
  /** A run id, or an instance id whose holder is released. */
  target: string;
  by: string;
  reason: string;
}

/** An operator frees a lock by hand (`ssmflow locks release`); recorded with who and why. */
export const forceReleaseTargetLockUpdate = defineUpdate<ReleaseAnswer & { holder: string }, [ForceReleaseRequest]>(
  'forceReleaseTargetLock',
);

/** One acquire or release of a batch, applied in order as if each were its own Update. */
export type LockBatchOperation = { op: 'acquire'; request: LockRequest } | { op: 'release'; request: ReleaseRequest };
export type LockBatchAnswer = AcquireAnswer | ReleaseAnswer;

/**
 * Many runs' acquires and releases in one Update, answered in order. Workers send these: Temporal
 * admits only a few Updates in flight per workflow, and a hundred runs starting together each
 * sending their own turned the registry into a queue of retries.
 */
export const applyTargetLockBatchUpdate = defineUpdate<LockBatchAnswer[], [LockBatchOperation[]]>('applyTargetLockBatch');

export const lockTableQuery = defineQuery<LockTableState>('lockTable');

/** The registry tells a waiting run that it now holds its targets. */
export const targetLockGrantedSignal = defineSignal<[{ instanceIds: string[] }]>('targetLockGranted');

/**
 * The lock activities the worker registers (worker/target-lock-activities.ts). They use the
 * worker's Temporal client, which activities/ does not know, so the workflow declares what it needs.
 */
export interface TargetLockActivities {
  acquireTargetLock(request: LockRequest): Promise<AcquireAnswer>;
  releaseTargetLock(request: ReleaseRequest): Promise<ReleaseAnswer>;
  describeLockHolders(holders: string[]): Promise<HolderExecution[]>;
}

export type { AcquireAnswer, LockEntry, LockRequest, LockTableState, ReleaseAnswer };
