// The target-lock registry: one workflow per task queue (id from core/target-lock-registry.ts)
// that owns the lock table. Every acquire and release is an Update, and the Updates are applied
// one at a time (even those that wait on an activity), so two racing runs can never both be
// granted the same instance: Temporal delivers Updates to one workflow in a single order, and the
// table decides each against the outcome of the one before.
//
// Terminate and reset never run a run's code, so a run may end without releasing. The registry
// finds such holders itself: on every contested acquire, and every `holderCheckIntervalMs` while it
// has entries, it describes the holders' executions and frees the gone ones, with a record.
import {
  allHandlersFinished,
  condition,
  continueAsNew,
  getExternalWorkflowHandle,
  proxyActivities,
  setHandler,
  workflowInfo,
} from '@temporalio/workflow';
import {
  acquireTargetLockUpdate,
  applyTargetLockBatchUpdate,
  forceReleaseTargetLockUpdate,
  lockTableQuery,
  releaseTargetLockUpdate,
  targetLockGrantedSignal,
  type LockBatchAnswer,
  type ReleaseRequest,
  type TargetLockActivities,
} from './target-lock-messages.js';
import {
  checkAcquireRequest,
  goneEntries,
  LockTable,
  type AcquireAnswer,
  type LockEntry,
  type LockRequest,
  type LockTableState,
  type ReleaseAnswer,
} from './target-lock-table.js';

export interface LockRegistryInput {
  /** The table carried over by continue-as-new. */
  table?: LockTableState;
  /** How often gone holders are looked for while the table has entries (default 1 minute). */
  holderCheckIntervalMs?: number;
}

// Every lock request waits while this runs: a killed worker must not hold them up for long.
const { describeLockHolders } = proxyActivities<TargetLockActivities>({
  startToCloseTimeout: '10 seconds',
  retry: { initialInterval: '1 second', maximumInterval: '10 seconds', maximumAttempts: 5 },
});

/** Roll over well before Temporal's history limits; every Update adds a handful of events. */
const maxHistoryEvents = 5_000;

export async function targetLockRegistry(input: LockRegistryInput = {}): Promise<void> {
  const table = new LockTable(input.table);
  const checkEveryMs = input.holderCheckIntervalMs ?? 60_000;
  const oneAtATime = new SerialQueue();
  const now = () => new Date().toISOString();

  setHandler(lockTableQuery, () => table.state);
  async function acquire(request: LockRequest): Promise<AcquireAnswer> {
    const answer = table.acquire(request, now());
    if (answer.outcome === 'granted') return answer;
    // Contested: a blocker may be a run that was terminated or reset away; free those and ask again.
    const freed = await freeGoneHolders(answer.blockers);
    return freed ? table.acquire(request, now()) : answer;
  }
  async function release(request: ReleaseRequest): Promise<ReleaseAnswer> {
    const answer = table.release(request.holder, now());
    await wake(answer.granted);
    return answer;
  }
  setHandler(acquireTargetLockUpdate, (request) => oneAtATime.run(() => acquire(request)), { validator: checkAcquireRequest });
  setHandler(releaseTargetLockUpdate, (request) => oneAtATime.run(() => release(request)));
  setHandler(
    applyTargetLockBatchUpdate,
    (operations) =>
      oneAtATime.run(async () => {
        const answers: LockBatchAnswer[] = [];
        for (const operation of operations)
          answers.push(operation.op === 'acquire' ? await acquire(operation.request) : await release(operation.request));
        return answers;
      }),
    {
      validator: (operations) => {
        if (!Array.isArray(operations) || operations.length === 0) throw new Error('applyTargetLockBatch needs a list of operations');
        for (const operation of operations) if (operation.op === 'acquire') checkAcquireRequest(operation.request);
      },
    },
  );
  setHandler(
    forceReleaseTargetLockUpdate,
    (request) =>
      oneAtATime.run(async () => {
        const holder = table.holding(request.target)?.holder ?? table.holderOf(request.target)?.holder ?? request.target;
        const answer = table.release(holder, now(), { event: 'force-released', by: request.by, reason: request.reason });
        await wake(answer.granted);
        return { ...answer, holder };
      }),
    {
      validator: (request) => {
        if (!request?.by?.trim()) throw new Error('a forced release needs "by": who releases (recorded)');
        if (!request.reason?.trim()) throw new Error('a forced release needs "reason": why (recorded)');
        if (!table.holding(request.target) && !table.holderOf(request.target))
          throw new Error(`nothing holds ${request.target}: it is neither a run holding a target lock nor a locked instance`);
      },
    },
  );

  const rollOver = () => workflowInfo().continueAsNewSuggested || workflowInfo().historyLength > maxHistoryEvents;
  for (;;) {
    if (!table.hasEntries()) {
      await condition(() => rollOver() || table.hasEntries());
    } else if (!(await condition(rollOver, checkEveryMs))) {
      await oneAtATime.run(() => freeGoneHolders([...table.state.holders, ...table.state.waiters]));
      continue;
    }
    if (rollOver()) break;
  }
  // Every accepted Update answers before the registry continues as new with the same table.
  await condition(() => allHandlersFinished() && oneAtATime.idle);
  await continueAsNew<typeof targetLockRegistry>({ table: table.state, holderCheckIntervalMs: checkEveryMs });

  /** Frees the entries whose run is gone; true when any was. */
  async function freeGoneHolders(entries: readonly LockEntry[]): Promise<boolean> {
    if (entries.length === 0) return false;
    const executions = await describeLockHolders([...new Set(entries.map((e) => e.holder))]);
    const gone = goneEntries(entries, executions, Date.now());
    for (const { entry, reason } of gone) {
      const answer = table.release(entry.holder, now(), { event: 'freed-gone', by: 'ssmflow-target-locks', reason });
      await wake(answer.granted);
    }
    return gone.length > 0;
  }

  /**
   * Tells each newly granted waiter. A signal that cannot be delivered (the run is gone, or its
   * CLI queued it and has not started it yet) is not an error: the run finds its grant when it
   * asks again, and a gone one is freed by the next check.
   */
  async function wake(granted: readonly LockEntry[]): Promise<void> {
    for (const entry of granted) {
      await getExternalWorkflowHandle(entry.holder)
        .signal(targetLockGrantedSignal, { instanceIds: entry.instanceIds })
        .catch(() => undefined);
    }
  }
}

/** Runs tasks strictly one after another, in the order they were given (deterministic: promises only). */
class SerialQueue {
  private tail: Promise<unknown> = Promise.resolve();
  private pending = 0;

  get idle(): boolean {
    return this.pending === 0;
  }

  run<T>(task: () => Promise<T>): Promise<T> {
    this.pending += 1;
    const result = this.tail.then(task);
    this.tail = result
      .catch(() => undefined)
      .then(() => {
        this.pending -= 1;
      });
    return result;
  }
}
