// The run workflow: one runbook against one target set, as a story of steps. For each step: wait
// for its maintenance window, run it, and on failure apply its policy (failure-policy.ts). A
// rollback, asked for by a policy, the operator or a cancel, undoes completed steps newest first
// (rollback.ts). The operator acts through Updates (operator-controls.ts); every change is
// recorded in the run's state and audit (run-record.ts), and run-ending.ts words the last entry.
import { CancellationScope, allHandlersFinished, condition, isCancellation, patched, workflowInfo } from '@temporalio/workflow';
import { decideAfterFailure } from './failure-policy.js';
import { waitForMaintenanceWindow } from './maintenance-window-wait.js';
import { Notifier } from './notifier.js';
import { OperatorControls } from './operator-controls.js';
import { rollbackCompletedSteps } from './rollback.js';
import { endingEntry, type RunEnding } from './run-ending.js';
import { RollbackRequested, RunAborted } from './run-errors.js';
import { RunPlan } from './run-plan.js';
import { RunRecord, type RunSummary } from './run-record.js';
import type { RunInput } from './run-state.js';
import { RunTargetLocks } from './run-target-locks.js';
import { runStepOnce, type AttemptScope, type StepOutcome } from './step-runners.js';
import type { CommandContext } from './step-command-input.js';

export type { RunSummary } from './run-record.js';

export async function runbookRun(input: RunInput): Promise<RunSummary> {
  const plan = new RunPlan(input);
  const commands = commandContext(input, plan);
  const record = new RunRecord(input, plan);
  const notifier = new Notifier(
    {
      subject: 'run',
      id: workflowInfo().workflowId,
      runbook: plan.runbook.name,
      initiator: input.initiator,
      ...(input.cluster ? { cluster: input.cluster } : {}),
    },
    (sent) => (record.state.notifications ??= []).push(sent),
  );
  const controls = new OperatorControls(record, plan, notifier);
  controls.install();
  const locks = new RunTargetLocks(record, input);
  locks.install();
  await notifier.ready();
  const parts = { plan, record, controls, commands };

  try {
    // Runs started before target locks take none, so their histories replay unchanged.
    if (patched('target-locks')) {
      const lock = await locks.acquire(plan, controls);
      if (lock.kind === 'refused') return await finish({ kind: 'lock-refused', blockers: lock.blockers });
      if (lock.kind === 'aborted') return await finish({ kind: 'aborted', ...(controls.abortedBy ? { by: controls.abortedBy } : {}) });
    }
    // A redrive starts where the run it continues stopped; the steps before were carried as done.
    const firstStep = input.redriveOf
      ? Math.max(
          0,
          plan.runbook.steps.findIndex((s) => s.id === input.redriveOf?.fromStepId),
        )
      : 0;
    for (let index = firstStep; index < plan.runbook.steps.length; index += 1) {
      // A pause takes hold here, between steps. Runs never paused issue the same commands as before.
      const next = (await controls.holdIfPaused(record.stepState(index).id)) ?? (await runStep(index));
      if (next === 'abort') return await finish({ kind: 'aborted', ...(controls.abortedBy ? { by: controls.abortedBy } : {}) });
      if (next === 'rollback') return await finish({ kind: 'rolled-back', rollback: await rollbackCompletedSteps(parts) });
    }
    return await finish({ kind: 'completed', failedSteps: record.state.steps.filter((s) => s.status === 'failed').map((s) => s.id) });
  } catch (err) {
    if (!isCancellation(err)) throw err;
    // Cancelling a run undoes what it did; the rollback itself must not be cancelled.
    await CancellationScope.nonCancellable(async () => {
      const past = record.state.pastPointOfNoReturn;
      await finish({
        kind: 'cancelled',
        rollback: past ? { kind: 'past-point-of-no-return', stepId: past.stepId } : await rollbackCompletedSteps(parts),
      });
    });
    throw err;
  } finally {
    // However the run ends (a failure thrown included), it frees its targets; a no-op once finish did.
    await locks.release();
  }

  /** Runs step `index` until it succeeds or its failure policy says what comes next. */
  async function runStep(index: number): Promise<'next' | 'rollback' | 'abort'> {
    const stepState = record.stepState(index);
    record.state.currentStepId = stepState.id;
    let scope: AttemptScope = { failedOnly: false };
    for (;;) {
      const step = plan.step(index);
      record.state.failure = undefined;
      let outcome: StepOutcome;
      try {
        outcome = await controls.abortable(async () => {
          // A disruptive step stays pending while it waits for its maintenance window.
          await waitForMaintenanceWindow(plan.runbook, step, record, controls);
          stepState.status = 'running';
          stepState.startedAt ??= record.now();
          if ('pointOfNoReturn' in step && step.pointOfNoReturn) record.passPointOfNoReturn(step.id);
          return runStepOnce(step, stepState, parts, scope);
        });
      } catch (err) {
        if (err instanceof RollbackRequested) {
          stepState.status = 'failed';
          stepState.message = 'not approved: the operator chose to roll back';
          stepState.endedAt = record.now();
          return 'rollback';
        }
        if (controls.abortedBy && (isCancellation(err) || err instanceof RunAborted)) {
          stepState.status = 'failed';
          stepState.message = `aborted by ${controls.abortedBy}`;
          return 'abort';
        }
        throw err;
      }
      stepState.endedAt = record.now();
      if (outcome.ok) {
        stepState.status = 'succeeded';
        stepState.message = undefined;
        return 'next';
      }
      stepState.status = 'failed';
      stepState.message = outcome.message;
      const next = await decideAfterFailure(step, stepState, outcome, record, controls);
      if (next !== 'retry' && next !== 'retry-failed-only') return next;
      scope = { failedOnly: next === 'retry-failed-only' };
    }
  }

  /** Records how the run ended, once every Update it accepted has answered. */
  async function finish(ending: RunEnding): Promise<RunSummary> {
    const { status, by, detail } = endingEntry(ending, input.initiator);
    await locks.release();
    record.recordFinish(status, by, detail);
    const failed = status === 'succeeded' ? undefined : record.state.failure?.instances;
    await notifier.notify('run-ended', {
      status,
      ...(detail ? { message: detail } : {}),
      ...(failed?.length ? { failedInstances: failed } : {}),
      actions: [],
    });
    await condition(allHandlersFinished);
    return record.summary();
  }
}

function commandContext(input: RunInput, plan: RunPlan): CommandContext {
  // Runs started before keys carried the Temporal run id keep their old keys, so a worker upgrade
  // mid-step still finds the command an earlier attempt sent.
  const temporalRunId = patched('run-unique-command-keys') ? workflowInfo().runId : '';
  return { runId: workflowInfo().workflowId, temporalRunId, runbook: plan.runbook.name, output: input.output, options: input.options };
}
