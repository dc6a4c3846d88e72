// Target locks from the client's side: the lock table of a task queue's registry with the status
// of every run in it, a lock taken for a run before `ssmflow run` starts it, and forced releases.
import {
  WorkflowNotFoundError,
  WorkflowUpdateFailedError,
  WorkflowUpdateRPCTimeoutOrCancelledError,
  type Client,
} from '@temporalio/client';
import { executeLockRegistryUpdate, lockRegistryId } from '../core/target-lock-registry.js';
import { statusKey } from '../workflows/search-attributes.js';
import {
  acquireTargetLockUpdate,
  forceReleaseTargetLockUpdate,
  lockTableQuery,
  releaseTargetLockUpdate,
  type ForceReleaseRequest,
} from '../workflows/target-lock-messages.js';
import type { AcquireAnswer, LockBlocker, LockEntry, LockEvent, LockRequest, ReleaseAnswer } from '../workflows/target-lock-table.js';
import { CliInputError, CliOperationFailed } from './cli-errors.js';
import { ago } from './output/time.js';

/** A holder or waiter with what Temporal says about its run now. */
export interface LockView extends LockEntry {
  /** The run's status (its SsmflowStatus), or how its execution closed (terminated, ...), or "not started". */
  runStatus: string;
  /** 1-based place in the queue, for waiters. */
  position?: number;
}

export interface TargetLocksView {
  taskQueue: string;
  registry: string;
  holders: LockView[];
  waiters: LockView[];
  /** The registry's newest records: grants, releases, refusals, gone holders freed, forced releases. */
  events: LockEvent[];
}

/** The lock table of `taskQueue`'s registry; empty when no run on it has ever locked anything. */
export async function readTargetLocks(client: Client, taskQueue: string): Promise<TargetLocksView> {
  const registry = lockRegistryId(taskQueue);
  let table;
  try {
    table = await client.workflow.getHandle(registry).query(lockTableQuery);
  } catch (err) {
    if (err instanceof WorkflowNotFoundError) return { taskQueue, registry, holders: [], waiters: [], events: [] };
    throw new CliOperationFailed(
      `cannot read the target locks of task queue "${taskQueue}": ${(err as Error).message}`,
      `is a worker polling task queue "${taskQueue}"? Start one with \`SSMFLOW_TASK_QUEUE=${taskQueue} ssmflow worker\``,
    );
  }
  const withStatus = (entries: LockEntry[], waiting: boolean) =>
    Promise.all(
      entries.map(async (entry, index) => ({
        ...entry,
        runStatus: await runStatusOf(client, entry.holder),
        ...(waiting ? { position: index + 1 } : {}),
      })),
    );
  return {
    taskQueue,
    registry,
    holders: await withStatus(table.holders, false),
    waiters: await withStatus(table.waiters, true),
    events: table.events,
  };
}

async function runStatusOf(client: Client, runId: string): Promise<string> {
  try {
    const description = await client.workflow.getHandle(runId).describe();
    if (description.status.name !== 'RUNNING') return description.status.name.toLowerCase().replace(/_/g, '-');
    return description.typedSearchAttributes.get(statusKey) ?? 'running';
  } catch (err) {
    if (err instanceof WorkflowNotFoundError) return 'not started';
    throw err;
  }
}

/** How long `ssmflow run` waits for the registry before leaving the lock to the run itself. */
export const registryAnswerMs = 10_000;

/**
 * Locks a run's targets before `ssmflow run` starts it, so a run that would be refused is never
 * started. The run asks again as it starts, as the same holder, and is granted what is held for it.
 * @returns false when the registry did not answer in time (no worker polls the task queue): the run's
 *   own acquire, once a worker runs it, decides alone, and a refused run ends lock-refused having sent nothing
 * @throws CliOperationFailed naming each holder, its status and --wait-for-lock when another run holds an instance
 */
export async function lockTargetsBeforeStart(client: Client, taskQueue: string, request: Omit<LockRequest, 'wait'>): Promise<boolean> {
  let answer: AcquireAnswer;
  try {
    answer = await client.connection.withDeadline(Date.now() + registryAnswerMs, () =>
      executeLockRegistryUpdate(client, taskQueue, acquireTargetLockUpdate, [{ ...request, wait: false }]),
    );
  } catch (err) {
    if (isDeadlineExceeded(err)) return false;
    throw err;
  }
  if (answer.outcome === 'granted') return true;
  const holders = await Promise.all(answer.blockers.map(async (b) => describeBlocker(b, await runStatusOf(client, b.holder))));
  throw new CliOperationFailed(
    `not started: ${answer.blockers.length === 1 ? 'another run holds' : 'other runs hold'} the lock on instances this run targets; nothing was sent\n` +
      holders.map((line) => `    ${line}`).join('\n'),
    `wait for it to end (ssmflow status ${answer.blockers[0]?.holder ?? 'RUN'}), or queue behind it: the same command with --wait-for-lock`,
  );
}

function isDeadlineExceeded(err: unknown): boolean {
  if (err instanceof WorkflowUpdateRPCTimeoutOrCancelledError) return true;
  for (let current = err as { code?: number; cause?: unknown } | undefined; current; current = current.cause as typeof current) {
    // gRPC status 4: DEADLINE_EXCEEDED
    if (current.code === 4) return true;
  }
  return false;
}

function describeBlocker(blocker: LockBlocker, status: string): string {
  const role = blocker.waiting ? 'queued before on' : 'holds';
  const runbook = blocker.runbook ? `, runbook ${blocker.runbook}` : '';
  return `run ${blocker.holder} (${status}${runbook}, since ${ago(blocker.since)}) ${role} ${blocker.overlap.join(', ')}`;
}

/** Frees what was locked for a run that then could not be started. */
export async function releaseTargetLock(client: Client, taskQueue: string, runId: string): Promise<ReleaseAnswer> {
  return executeLockRegistryUpdate(client, taskQueue, releaseTargetLockUpdate, [{ holder: runId }]);
}

/**
 * An operator frees a lock by hand (the holder is stuck, or gone and not yet noticed); the registry
 * records who and why. The holding run is not stopped: it goes on as if it held its targets.
 */
export async function forceReleaseTargetLock(
  client: Client,
  taskQueue: string,
  request: ForceReleaseRequest,
): Promise<ReleaseAnswer & { holder: string }> {
  try {
    return await executeLockRegistryUpdate(client, taskQueue, forceReleaseTargetLockUpdate, [request]);
  } catch (err) {
    if (err instanceof WorkflowUpdateFailedError)
      throw new CliInputError((err.cause as Error | undefined)?.message ?? err.message, '`ssmflow locks` lists the holders');
    throw err;
  }
}
