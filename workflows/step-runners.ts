// One attempt of each kind of step, and the step's own retries. Each runner reports an outcome;
// what a failure leads to is decided by the failure policy (failure-policy.ts).
import { isCancellation, sleep } from '@temporalio/workflow';
import type { CommandResult } from '../aws/ssm/types.js';
import type { RenderedCommandStep, RenderedStep } from '../runbook/types.js';
import { approvalMessageWithOutputs } from './approval-message.js';
import { everyInstanceSucceeded, instancesToRetry, resultsAfterAttempt } from './failed-only-retry.js';
import type { OperatorControls } from './operator-controls.js';
import { failureMessage, gaveUpMessage, summarizeCommandFailure } from './run-audit.js';
import { RollbackRequested, RunAborted } from './run-errors.js';
import type { RunRecord } from './run-record.js';
import type { StepState } from './run-state.js';
import { stepActivities } from './step-activities.js';
import { stepCommandInput, type CommandContext } from './step-command-input.js';

export type StepOutcome = { ok: true } | { ok: false; message: string; result?: CommandResult; noRetry?: true };

export interface StepRunnerParts {
  record: RunRecord;
  controls: OperatorControls;
  commands: CommandContext;
}

/** How the operator asked for this round of attempts: `failedOnly` sends them only to the instances that have not succeeded. */
export interface AttemptScope {
  failedOnly: boolean;
}

/** Runs the step once (with its own retries for command steps). */
export function runStepOnce(
  step: RenderedStep,
  stepState: StepState,
  parts: StepRunnerParts,
  scope: AttemptScope = { failedOnly: false },
): Promise<StepOutcome> {
  if (step.kind === 'approval') return runApprovalStep(step, stepState, parts);
  if (step.kind === 'sleep') return runSleepStep(step, stepState);
  return runCommandStep(step, stepState, parts, scope);
}

/**
 * A run, document or waitUntil step: one SSM command per attempt, retried by the step's retry
 * policy. In a failed-only round each attempt goes to the instances that have not succeeded yet,
 * and the step succeeds once every instance has succeeded in some attempt.
 */
async function runCommandStep(
  step: RenderedCommandStep,
  stepState: StepState,
  { record, commands }: StepRunnerParts,
  { failedOnly }: AttemptScope,
): Promise<StepOutcome> {
  let outcome: StepOutcome = { ok: false, message: 'not run' };
  const heartbeat = commands.options?.heartbeatTimeoutSeconds;
  for (let retry = 1; retry <= step.retry.maxAttempts; retry += 1) {
    if (failedOnly && everyInstanceSucceeded(stepState.instances)) return { ok: true };
    stepState.attempts += 1;
    const attempt = stepState.attempts;
    const onlyInstances = failedOnly && step.kind !== 'waitUntil' ? instancesToRetry(stepState.instances) : undefined;
    const attemptRecord = {
      attempt,
      commandIds: [] as string[],
      startedAt: record.now(),
      ...(onlyInstances ? { failedOnly: onlyInstances } : {}),
    };
    stepState.history.push(attemptRecord);
    const commandInput = stepCommandInput(step, attempt, commands, onlyInstances);
    try {
      if (step.kind === 'waitUntil') {
        // giveUpExitCode only when set: the activity input of existing runbooks stays as it was.
        const giveUp = step.giveUpExitCode === undefined ? {} : { giveUpExitCode: step.giveUpExitCode };
        const waited = await stepActivities(step, heartbeat, step.waitTimeoutMs).runCheckUntilSuccess({
          ...commandInput,
          intervalMs: step.intervalMs,
          timeoutMs: step.waitTimeoutMs,
          ...giveUp,
        });
        record.recordCommand(stepState, 'check', attempt, commandInput, waited.lastResult);
        stepState.instances = waited.lastResult.invocations;
        const gaveUp = waited.gaveUp;
        outcome = waited.satisfied
          ? { ok: true }
          : gaveUp
            ? { ok: false, message: gaveUpMessage({ ...waited, gaveUp }), result: waited.lastResult, noRetry: true }
            : {
                ok: false,
                message: `condition not met after ${waited.checks} checks in ${Math.round(waited.elapsedMs / 1000)}s: ${summarizeCommandFailure(waited.lastResult)}`,
                result: waited.lastResult,
              };
      } else {
        const result = await stepActivities(step, heartbeat).runCommand(commandInput);
        record.recordCommand(stepState, 'step', attempt, commandInput, result, onlyInstances !== undefined);
        Object.assign(stepState, resultsAfterAttempt(stepState, attempt, result.invocations, onlyInstances !== undefined));
        const succeeded = onlyInstances ? everyInstanceSucceeded(stepState.instances) : result.status === 'Success';
        outcome = succeeded ? { ok: true } : { ok: false, message: summarizeCommandFailure(result), result };
      }
    } catch (err) {
      if (isCancellation(err)) throw err;
      record.recordDuplicateSend(stepState, step.kind === 'waitUntil' ? 'check' : 'step', attempt, commandInput, err);
      outcome = { ok: false, message: failureMessage(err) };
    }
    attemptRecord.commandIds = stepState.commandIds.slice(-1);
    Object.assign(attemptRecord, {
      endedAt: record.now(),
      outcome: outcome.ok ? 'succeeded' : 'failed',
      ...(outcome.ok ? {} : { message: outcome.message }),
    });
    // A check that gave up said waiting is pointless: starting the wait over would not help.
    if (outcome.ok || retry === step.retry.maxAttempts || outcome.noRetry) return outcome;
    await sleep(Math.min(step.retry.maximumIntervalMs, step.retry.initialIntervalMs * step.retry.backoffCoefficient ** (retry - 1)));
  }
  return outcome;
}

/**
 * Waits for the operator's answer. Approve goes on; reject fails the step (its policy applies);
 * "roll back" and abort end the step at once.
 */
async function runApprovalStep(
  step: Extract<RenderedStep, { kind: 'approval' }>,
  stepState: StepState,
  { record, controls }: StepRunnerParts,
): Promise<StepOutcome> {
  stepState.attempts += 1;
  // The operator decides on what earlier steps found (a lag, a verification), shown under the question.
  const message = step.showOutputOf ? approvalMessageWithOutputs(step.message, step.showOutputOf, record.state.steps) : step.message;
  const made = await controls.waitForApproval(
    { reason: 'approval', stepId: step.id, since: record.now(), message },
    step.approvalTimeoutMs,
    step.policy,
  );
  if (!made)
    return { ok: false, message: `approval timed out after ${Math.round((step.approvalTimeoutMs ?? 0) / 60_000)} min with no decision` };
  if (made.action === 'approve') return { ok: true };
  if (made.action === 'rollback') throw new RollbackRequested();
  if (made.action === 'abort') throw new RunAborted();
  return { ok: false, message: `rejected by ${made.request.by}${made.request.reason ? `: ${made.request.reason}` : ''}` };
}

async function runSleepStep(step: Extract<RenderedStep, { kind: 'sleep' }>, stepState: StepState): Promise<StepOutcome> {
  stepState.attempts += 1;
  await sleep(step.durationMs);
  return { ok: true };
}
