// The run's target lock: before its first step a mutating run locks every instance its steps
// target (resolved now, the way its commands will reach them), through the task queue's lock
// registry (target-lock-registry.ts). A run that may not wait and finds an instance held ends at
// once as lock-refused, having sent nothing; one started with --wait-for-lock queues, shows as
// waiting-lock, and goes on when the registry grants it. The lock is freed as the run ends, however
// it ends; runs that end without running this code (terminate, reset) are freed by the registry.
import { CancellationScope, condition, proxyActivities, setHandler, workflowInfo } from '@temporalio/workflow';
import type { TargetInstanceActivities } from '../activities/target-instances.js';
import type { CommandTargets } from '../aws/ssm/types.js';
import type { OperatorControls } from './operator-controls.js';
import type { RunPlan } from './run-plan.js';
import type { RunRecord } from './run-record.js';
import type { RunInput, RunLocks } from './run-state.js';
import { describeTargets } from './step-command-input.js';
import { targetLockGrantedSignal, type TargetLockActivities } from './target-lock-messages.js';
import { describeBlockers, type AcquireAnswer, type LockBlocker, type LockRequest } from './target-lock-table.js';

// A lock call answers in milliseconds; a short limit means a worker killed in the middle of one
// holds the run up for seconds, not a minute (every call is idempotent, so a retry is safe).
const lockActivities = proxyActivities<TargetLockActivities>({
  startToCloseTimeout: '10 seconds',
  retry: { initialInterval: '1 second', backoffCoefficient: 2, maximumInterval: '10 seconds', maximumAttempts: 30 },
});
// Resolving targets pages through SSM, which may throttle: more room, the same quick retry.
const targetActivities = proxyActivities<TargetInstanceActivities>({
  startToCloseTimeout: '30 seconds',
  retry: { initialInterval: '1 second', backoffCoefficient: 2, maximumInterval: '10 seconds', maximumAttempts: 20 },
});

/** A queued run asks again this often, in case the registry's wake-up signal could not reach it. */
const askAgainEveryMs = 5 * 60_000;

export type LockOutcome = { kind: 'held' } | { kind: 'none' } | { kind: 'refused'; blockers: LockBlocker[] } | { kind: 'aborted' };

export class RunTargetLocks {
  private grantSignalled = false;

  constructor(
    private readonly record: RunRecord,
    private readonly input: RunInput,
  ) {}

  /** Registers the registry's wake-up signal; call before acquire. */
  install(): void {
    setHandler(targetLockGrantedSignal, () => {
      this.grantSignalled = true;
    });
  }

  /** Locks the run's targets; with `lock.wait`, waits (abortable) until granted. */
  async acquire(plan: RunPlan, controls: OperatorControls): Promise<LockOutcome> {
    // Read-only runbooks change nothing, so they run beside anything and lock nothing.
    if (plan.runbook.readOnly) return { kind: 'none' };
    const instanceIds = await targetActivities.resolveTargetInstances(targetSelectors(plan));
    if (instanceIds.length === 0) return { kind: 'none' };
    const request: LockRequest = {
      holder: workflowInfo().workflowId,
      temporalRunId: workflowInfo().runId,
      instanceIds,
      wait: this.input.lock?.wait ?? false,
      runbook: plan.runbook.name,
      initiator: this.input.initiator,
    };
    let answer = await lockActivities.acquireTargetLock(request);
    if (answer.outcome === 'queued') {
      this.setLocks('waiting', answer);
      this.record.setStatus('waiting-lock');
      this.record.recordRunEvent(
        'lock-waiting',
        `waiting for the lock on ${instanceIds.length} instances: ${describeBlockers(answer.blockers)}`,
      );
    }
    while (answer.outcome === 'queued') {
      this.grantSignalled = false;
      await condition(() => this.grantSignalled || controls.abortedBy !== undefined, askAgainEveryMs);
      if (controls.abortedBy) return { kind: 'aborted' };
      answer = await lockActivities.acquireTargetLock(request);
      if (answer.outcome === 'queued') this.setLocks('waiting', answer);
      else if (answer.outcome === 'granted') {
        this.record.setStatus('running');
        this.record.recordRunEvent('lock-granted', `lock on ${answer.instanceIds.length} instances granted`);
      }
    }
    this.setLocks(answer.outcome === 'granted' ? 'held' : 'refused', answer);
    return answer.outcome === 'granted' ? { kind: 'held' } : { kind: 'refused', blockers: answer.blockers };
  }

  /** Frees the lock (or the place in the queue) if the run has one; safe to call more than once, and never cancelled. */
  async release(): Promise<void> {
    const locks = this.record.state.locks;
    if (!locks || (locks.status !== 'held' && locks.status !== 'waiting')) return;
    await CancellationScope.nonCancellable(() => lockActivities.releaseTargetLock({ holder: workflowInfo().workflowId }));
    this.record.state.locks = { status: 'released', instanceIds: locks.instanceIds, since: this.record.now() };
  }

  private setLocks(status: RunLocks['status'], answer: AcquireAnswer): void {
    this.record.state.locks = {
      status,
      instanceIds: answer.instanceIds,
      since: this.record.now(),
      ...(answer.outcome === 'granted' ? {} : { blockers: answer.blockers }),
    };
  }
}

/** The distinct target selectors of the run's command steps, as rendered now. */
function targetSelectors(plan: RunPlan): CommandTargets[] {
  const selectors = new Map<string, CommandTargets>();
  plan.runbook.steps.forEach((_, index) => {
    const step = plan.step(index);
    if (step.kind === 'approval' || step.kind === 'sleep') return;
    const targets = step.targets as CommandTargets;
    selectors.set(describeTargets(targets), targets);
  });
  return [...selectors.values()];
}
