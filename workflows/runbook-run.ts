// The run workflow: one runbook against one target set, as a story of steps. Each step runs,
// fails by its policy (pause for the operator, roll back, abort, or continue), and completed steps
// are undone newest first when the run is rolled back or cancelled.
import {
  ActivityCancellationType,
  CancellationScope,
  condition,
  isCancellation,
  patched,
  proxyActivities,
  setHandler,
  sleep,
  upsertSearchAttributes,
  workflowInfo,
  allHandlersFinished,
} from '@temporalio/workflow';
import type { SsmActivities } from '../activities/ssm/ssm-activities.js';
import type { CommandResult, RunCommandInput } from '../activities/ssm/types.js';
import { windowState } from '../runbook/maintenance-window.js';
import { resolveParameterValues } from '../runbook/parameters.js';
import { renderStep } from '../runbook/render.js';
import { parametersChoosingSteps, selectSteps } from '../runbook/step-conditions.js';
import type { ParameterValues, RenderedCommandStep, RenderedStep } from '../runbook/types.js';
import { approvalMessageWithOutputs } from './approval-message.js';
import { nextActions, operatorActionProblem } from './operator-actions.js';
import { commandAuditEntry, displayParameters, duplicateSendAuditEntries, failedInstances, failureMessage, gaveUpMessage, summarizeCommandFailure } from './run-audit.js';
import { abortUpdate, approveUpdate, retryUpdate, rollbackUpdate, runStateQuery, skipUpdate } from './run-messages.js';
import type { OperatorAction, OperatorRequest, RetryRequest, RunInput, RunState, RunStatus, StepState } from './run-state.js';
import { statusKey } from './search-attributes.js';
import { rollbackCommandInput, stepCommandInput, type CommandContext } from './step-command-input.js';

/** The run's result: enough for `status` and `audit` of a finished run without a worker to query. */
export interface RunSummary {
  runId: string;
  runbook: string;
  status: RunStatus;
  initiator: string;
  startedAt: string;
  endedAt: string;
  parameters: RunState['parameters'];
  steps: { id: string; status: StepState['status']; attempts: number; commandIds: string[]; message?: string }[];
  failure?: RunState['failure'];
  /** Every command and operator action (no output tails: those live in S3). */
  audit: RunState['audit'];
}

type StepOutcome = { ok: true } | { ok: false; message: string; result?: CommandResult; noRetry?: true };
type AfterFailure = 'retry' | 'next' | 'rollback' | 'abort';
interface OperatorDecision {
  action: OperatorAction;
  request: OperatorRequest;
}

class RunAborted extends Error {}

export async function runbookRun(input: RunInput): Promise<RunSummary> {
  const runId = workflowInfo().workflowId;
  // `when:` conditions choose the steps once, from the parameters the run started with.
  const runbook = selectSteps(input.runbook, input.parameters);
  const stepChoosers = parametersChoosingSteps(runbook);
  let values: ParameterValues = input.parameters;
  let rendered: RenderedStep[] = runbook.steps.map((s) => renderStep(s, values));
  const now = () => new Date().toISOString();
  // Runs started before keys carried the Temporal run id keep their old keys, so a worker upgrade
  // mid-step still finds the command an earlier attempt sent.
  const temporalRunId = patched('run-unique-command-keys') ? workflowInfo().runId : '';
  const ctx: CommandContext = { runId, temporalRunId, runbook: runbook.name, output: input.output, options: input.options };

  const state: RunState = {
    runId,
    runbook: runbook.name,
    ...(input.cluster ? { cluster: input.cluster } : {}),
    initiator: input.initiator,
    status: 'running',
    startedAt: now(),
    parameters: displayParameters(values),
    steps: runbook.steps.map((s) => ({ id: s.id, kind: s.kind, ...(s.description ? { description: s.description } : {}), status: 'pending', attempts: 0, commandIds: [], instances: [], history: [] })),
    audit: [{ at: now(), type: 'run', event: 'started', status: 'running', by: input.initiator, ...(input.reason ? { detail: input.reason } : {}) }],
  };

  // --- operator controls -------------------------------------------------------------------
  let decision: OperatorDecision | undefined;
  let abortRequest: OperatorRequest | undefined;
  let stepScope: CancellationScope | undefined;
  /** An operator wait entered but not open yet: every operator action is refused meanwhile (see beginOperatorWait). */
  let opening: { stepId: string } | undefined;

  const validate = (action: OperatorAction, request: OperatorRequest) => {
    if (!request?.by?.trim()) throw new Error(`${action} needs "by": who is acting (recorded in the audit trail)`);
    if (opening) throw new Error(`run ${runId} is about to wait for the operator at step ${opening.stepId}: try ${action} again in a moment`);
    const problem = operatorActionProblem(state, action);
    if (problem) throw new Error(problem);
  };
  const decide = (action: OperatorAction, request: OperatorRequest & { parameters?: RetryRequest['parameters'] }) => {
    state.audit.push({
      at: now(),
      type: 'operator',
      action,
      by: request.by,
      ...(request.reason ? { reason: request.reason } : {}),
      ...(state.currentStepId ? { stepId: state.currentStepId } : {}),
      ...(request.parameters ? { parameters: request.parameters } : {}),
    });
    decision = { action, request };
    return state;
  };

  setHandler(runStateQuery, () => state);
  setHandler(approveUpdate, (req) => decide(req.reject ? 'reject' : 'approve', req), { validator: (req) => validate(req?.reject ? 'reject' : 'approve', req) });
  setHandler(
    retryUpdate,
    (req) => {
      if (req.parameters && Object.keys(req.parameters).length) {
        values = changedParameterValues(req.parameters);
        rendered = runbook.steps.map((s) => renderStep(s, values));
        state.parameters = displayParameters(values);
      }
      return decide('retry', req);
    },
    {
      validator: (req) => {
        validate('retry', req);
        if (req.parameters && Object.keys(req.parameters).length) changedParameterValues(req.parameters);
      },
    },
  );
  setHandler(skipUpdate, (req) => decide('skip', req), { validator: (req) => validate('skip', req) });
  setHandler(rollbackUpdate, (req) => decide('rollback', req), { validator: (req) => validate('rollback', req) });
  setHandler(
    abortUpdate,
    (req) => {
      abortRequest = req;
      stepScope?.cancel();
      return decide('abort', req);
    },
    { validator: (req) => validate('abort', req) },
  );

  /** Current non-secret values with the operator's changes, validated like at start. */
  function changedParameterValues(changes: Record<string, string | number | boolean>): ParameterValues {
    const chooser = Object.keys(changes).find((name) => stepChoosers.includes(name) && changes[name] !== values[name]);
    if (chooser) throw new Error(`parameter ${chooser} chose this run's steps when it started, so it cannot change now (fix: keep ${chooser}=${String(values[chooser])}, or abort and start a new run)`);
    const given = Object.fromEntries(Object.entries(values).filter((entry): entry is [string, string | number | boolean] => typeof entry[1] !== 'object'));
    const resolved = resolveParameterValues(runbook, { ...given, ...changes });
    if ('errors' in resolved) throw new Error(resolved.errors.map((e) => `parameter ${e.parameter}: ${e.message} (fix: ${e.fix})`).join('; '));
    return resolved.values;
  }

  // --- state changes --------------------------------------------------------------------------
  function setStatus(status: RunStatus): void {
    if (state.status === status) return;
    state.status = status;
    upsertSearchAttributes([{ key: statusKey, value: status }]);
  }

  /**
   * Enters an operator wait (approval, or a pause on failure). The status search attribute says so
   * at once; the run takes operator actions only once a 1 ms timer has fired. That is a later
   * workflow task, so the commands entering the wait are already in history, and the activation
   * that opens the wait issues no command: an Update accepted after it replays to the same
   * commands whether the SDK hands it over before or after the timer. Before, a worker whose
   * cached state ran ahead of history (a query answered from an unfinished task after a worker
   * restart) accepted an approve right after the wait's own commands, and replay, which puts the
   * Update first, failed (docs/reliability.md, "Broke, and was fixed").
   */
  function beginOperatorWait(status: RunStatus, waitingFor: NonNullable<RunState['waitingFor']>): void {
    decision = undefined;
    upsertSearchAttributes([{ key: statusKey, value: status }]);
    const wait = { stepId: waitingFor.stepId };
    opening = wait;
    // Not cancellable: a cancelled timer would issue a command in whichever task the cancel lands.
    void CancellationScope.nonCancellable(() => sleep(1)).then(() => {
      if (opening !== wait) return; // the wait ended before it opened (e.g. the run was cancelled)
      opening = undefined;
      state.status = status;
      state.waitingFor = waitingFor;
    });
  }

  /** Waits entered by older code (old histories replaying) keep the old way. */
  const operatorWaitOpensNextTask = () => patched('operator-wait-opens-next-task');
  /**
   * The open wait has a decision, and the Update that made it has completed: its completion goes
   * out before anything the decision makes the run do, in live execution and replay alike.
   */
  const decided = () => opening === undefined && decision !== undefined && allHandlersFinished();

  /** Pauses the run on a failure until the operator decides (retry, skip, rollback, abort). */
  async function waitForDecision(waitingFor: NonNullable<RunState['waitingFor']>): Promise<OperatorDecision> {
    if (operatorWaitOpensNextTask()) {
      beginOperatorWait('paused-on-failure', waitingFor);
      try {
        await condition(decided);
      } finally {
        opening = undefined;
      }
    } else {
      setStatus('paused-on-failure');
      state.waitingFor = waitingFor;
      decision = undefined;
      await condition(() => decision !== undefined);
    }
    const made = decision as OperatorDecision | undefined;
    decision = undefined;
    if (!made) throw new Error('operator decision missing');
    return made;
  }

  // --- running steps ----------------------------------------------------------------------------
  function activitiesFor(step: RenderedCommandStep, extraMs = 0) {
    return proxyActivities<SsmActivities>({
      // The step's own time limit covers every infrastructure retry of the activity.
      scheduleToCloseTimeout: step.timeoutMs + extraMs + 60_000,
      heartbeatTimeout: `${input.options?.heartbeatTimeoutSeconds ?? 60} seconds`,
      retry: { initialInterval: '2 seconds', backoffCoefficient: 2, maximumInterval: '1 minute' },
      // A cancelled step's rollback must not start while its command still runs: wait until the
      // activity has cancelled the command in SSM.
      cancellationType: patched('wait-for-step-cancel') ? ActivityCancellationType.WAIT_CANCELLATION_COMPLETED : ActivityCancellationType.TRY_CANCEL,
    });
  }

  function recordCommand(step: StepState, phase: 'step' | 'rollback' | 'check', attempt: number, commandInput: RunCommandInput, result: CommandResult): void {
    if (phase === 'rollback') step.rollback?.commandIds.push(result.commandId);
    else step.commandIds.push(result.commandId);
    state.audit.push(commandAuditEntry(now(), step.id, phase, attempt, commandInput, result));
  }

  /** A step found sent more than once (the activity cancelled the newer commands): both go in the audit. */
  function recordDuplicateSend(step: StepState, phase: 'step' | 'rollback' | 'check', attempt: number, commandInput: RunCommandInput, err: unknown): void {
    for (const entry of duplicateSendAuditEntries(now(), step.id, phase, attempt, commandInput, err)) {
      if (phase === 'rollback') step.rollback?.commandIds.push(entry.commandId);
      else step.commandIds.push(entry.commandId);
      state.audit.push(entry);
    }
  }

  async function runCommandStep(step: RenderedCommandStep, stepState: StepState): Promise<StepOutcome> {
    let outcome: StepOutcome = { ok: false, message: 'not run' };
    for (let retry = 1; retry <= step.retry.maxAttempts; retry += 1) {
      stepState.attempts += 1;
      const attempt = stepState.attempts;
      const record = { attempt, commandIds: [] as string[], startedAt: now() };
      stepState.history.push(record);
      const commandInput = stepCommandInput(step, attempt, ctx);
      try {
        if (step.kind === 'waitUntil') {
          // giveUpExitCode only when set: the activity input of existing runbooks stays as it was.
          const giveUp = step.giveUpExitCode === undefined ? {} : { giveUpExitCode: step.giveUpExitCode };
          const waited = await activitiesFor(step, step.waitTimeoutMs).runCheckUntilSuccess({ ...commandInput, intervalMs: step.intervalMs, timeoutMs: step.waitTimeoutMs, ...giveUp });
          recordCommand(stepState, 'check', attempt, commandInput, waited.lastResult);
          stepState.instances = waited.lastResult.invocations;
          const gaveUp = waited.gaveUp;
          outcome = waited.satisfied
            ? { ok: true }
            : gaveUp
              ? { ok: false, message: gaveUpMessage({ ...waited, gaveUp }), result: waited.lastResult, noRetry: true }
              : { ok: false, message: `condition not met after ${waited.checks} checks in ${Math.round(waited.elapsedMs / 1000)}s: ${summarizeCommandFailure(waited.lastResult)}`, result: waited.lastResult };
        } else {
          const result = await activitiesFor(step).runCommand(commandInput);
          recordCommand(stepState, 'step', attempt, commandInput, result);
          stepState.instances = result.invocations;
          outcome = result.status === 'Success' ? { ok: true } : { ok: false, message: summarizeCommandFailure(result), result };
        }
      } catch (err) {
        if (isCancellation(err)) throw err;
        recordDuplicateSend(stepState, step.kind === 'waitUntil' ? 'check' : 'step', attempt, commandInput, err);
        outcome = { ok: false, message: failureMessage(err) };
      }
      record.commandIds = stepState.commandIds.slice(-1);
      Object.assign(record, { endedAt: now(), outcome: outcome.ok ? 'succeeded' : 'failed', ...(outcome.ok ? {} : { message: outcome.message }) });
      // A check that gave up said waiting is pointless: starting the wait over would not help.
      if (outcome.ok || retry === step.retry.maxAttempts || outcome.noRetry) return outcome;
      await sleep(Math.min(step.retry.maximumIntervalMs, step.retry.initialIntervalMs * step.retry.backoffCoefficient ** (retry - 1)));
    }
    return outcome;
  }

  async function runApprovalStep(step: Extract<RenderedStep, { kind: 'approval' }>, stepState: StepState): Promise<StepOutcome> {
    stepState.attempts += 1;
    // The operator decides on what earlier steps found (a lag, a verification), shown under the question.
    const message = step.showOutputOf ? approvalMessageWithOutputs(step.message, step.showOutputOf, state.steps) : step.message;
    const waitingFor = { reason: 'approval' as const, stepId: step.id, since: now(), message };
    let answered: boolean;
    if (operatorWaitOpensNextTask()) {
      beginOperatorWait('waiting-approval', waitingFor);
      // The timeout's timer starts here too, so the task that opens the wait issues no command.
      try {
        answered = step.approvalTimeoutMs === undefined ? await condition(decided).then(() => true) : await condition(decided, step.approvalTimeoutMs);
      } finally {
        opening = undefined;
      }
    } else {
      setStatus('waiting-approval');
      state.waitingFor = waitingFor;
      decision = undefined;
      // No timeout: wait on the decision alone (runs from before this patch started a 285,000-year timer).
      answered =
        step.approvalTimeoutMs === undefined && patched('approval-without-timer')
          ? await condition(() => decision !== undefined).then(() => true)
          : await condition(() => decision !== undefined, step.approvalTimeoutMs ?? Number.MAX_SAFE_INTEGER);
    }
    state.waitingFor = undefined;
    setStatus('running');
    const made = decision as OperatorDecision | undefined;
    decision = undefined;
    if (!answered || !made) return { ok: false, message: `approval timed out after ${Math.round((step.approvalTimeoutMs ?? 0) / 60_000)} min with no decision` };
    if (made.action === 'approve') return { ok: true };
    if (made.action === 'rollback') throw new RollbackRequested();
    if (made.action === 'abort') throw new RunAborted();
    return { ok: false, message: `rejected by ${made.request.by}${made.request.reason ? `: ${made.request.reason}` : ''}` };
  }

  async function waitForMaintenanceWindow(step: RenderedStep): Promise<void> {
    const window = runbook.maintenanceWindow;
    if (!window || !('disruptive' in step) || !step.disruptive) return;
    for (;;) {
      const now = Date.now();
      const current = windowState(window, now);
      if (current.open) break;
      state.waitingFor = {
        reason: 'maintenance-window',
        stepId: step.id,
        since: new Date(now).toISOString(),
        ...(current.opensAtMs ? { until: new Date(current.opensAtMs).toISOString() } : {}),
        message: `disruptive step waits for the maintenance window (${window.cron}, ${window.timezone})`,
      };
      await condition(() => abortRequest !== undefined, Math.max(1_000, (current.opensAtMs ?? now + 60_000) - now));
      if (abortRequest) throw new RunAborted();
    }
    state.waitingFor = undefined;
  }

  /** Runs step i until it succeeds or its failure policy says what to do next. */
  async function runStep(index: number): Promise<'next' | 'rollback' | 'abort'> {
    const stepState = state.steps[index] as StepState;
    state.currentStepId = stepState.id;
    for (;;) {
      const step = rendered[index] as RenderedStep;
      state.failure = undefined;
      let outcome: StepOutcome;
      try {
        stepScope = new CancellationScope();
        outcome = await stepScope.run(async () => {
          // A disruptive step stays pending while it waits for its maintenance window.
          await waitForMaintenanceWindow(step);
          stepState.status = 'running';
          stepState.startedAt ??= now();
          if ('pointOfNoReturn' in step && step.pointOfNoReturn) passPointOfNoReturn(step.id);
          if (step.kind === 'approval') return runApprovalStep(step, stepState);
          if (step.kind === 'sleep') {
            stepState.attempts += 1;
            await sleep(step.durationMs);
            return { ok: true } as StepOutcome;
          }
          return runCommandStep(step, stepState);
        });
      } catch (err) {
        if (err instanceof RollbackRequested) {
          stepState.status = 'failed';
          stepState.message = 'not approved: the operator chose to roll back';
          stepState.endedAt = now();
          return 'rollback';
        }
        if (abortRequest && (isCancellation(err) || err instanceof RunAborted)) {
          stepState.status = 'failed';
          stepState.message = `aborted by ${abortRequest.by}`;
          return 'abort';
        }
        throw err;
      } finally {
        stepScope = undefined;
      }
      stepState.endedAt = now();
      if (outcome.ok) {
        stepState.status = 'succeeded';
        stepState.message = undefined;
        return 'next';
      }
      stepState.status = 'failed';
      stepState.message = outcome.message;
      const next = await afterStepFailure(step, stepState, outcome);
      if (next !== 'retry') return next;
    }
  }

  /** From here on the run fixes forward: no rollback by policy, by operator or on cancel. */
  function passPointOfNoReturn(stepId: string): void {
    if (state.pastPointOfNoReturn) return;
    state.pastPointOfNoReturn = { stepId, at: now() };
    state.audit.push({ at: now(), type: 'run', event: 'point-of-no-return', status: state.status, by: input.initiator, detail: `step ${stepId} started: the run can no longer roll back` });
  }

  async function afterStepFailure(step: RenderedStep, stepState: StepState, outcome: Extract<StepOutcome, { ok: false }>): Promise<AfterFailure> {
    state.failure = { stepId: step.id, phase: 'step', message: outcome.message, instances: failedInstances(outcome.result), nextActions: [] };
    // Past the point of no return a rollback would break what was kept: the operator decides.
    const policy = step.kind === 'sleep' || (state.pastPointOfNoReturn && step.onFailure === 'rollback') ? 'pause' : step.onFailure;
    if (policy === 'continue') return 'next';
    if (policy === 'abort') return 'abort';
    if (policy === 'rollback') return 'rollback';
    state.failure.nextActions = nextActions(runId, 'paused-on-failure', 'step', !state.pastPointOfNoReturn);
    const made = await waitForDecision({ reason: 'operator', stepId: step.id, since: now(), message: outcome.message });
    state.waitingFor = undefined;
    if (made.action === 'abort') return 'abort';
    setStatus('running');
    if (made.action === 'skip') {
      stepState.status = 'skipped';
      return 'next';
    }
    return made.action === 'rollback' ? 'rollback' : 'retry';
  }

  // --- rollback ----------------------------------------------------------------------------------
  /**
   * Undoes every step that ran, newest first: the step that failed or was interrupted (it may
   * have done part of its work) and each completed one. Skipped steps are left as they are.
   * A failing rollback pauses for the operator (retry, skip, abort) instead of being hidden.
   * @returns whether every rollback succeeded
   */
  async function rollbackCompletedSteps(): Promise<boolean> {
    setStatus('rolling-back');
    let allUndone = true;
    const toUndo = state.steps.map((s, i) => ({ s, i })).filter(({ s }) => s.status === 'succeeded' || s.status === 'failed' || s.status === 'running');
    for (const { s: stepState, i } of toUndo.reverse()) {
      const step = rendered[i] as RenderedStep;
      if (step.kind === 'approval' || step.kind === 'sleep' || !step.rollback) continue;
      state.currentStepId = step.id;
      stepState.rollback = { status: 'running', commandIds: [] };
      for (let attempt = 1; ; attempt += 1) {
        const commandInput = rollbackCommandInput(step, step.rollback, attempt, ctx);
        let message: string | undefined;
        let result: CommandResult | undefined;
        try {
          result = await activitiesFor(step).runCommand(commandInput);
          recordCommand(stepState, 'rollback', attempt, commandInput, result);
          if (result.status !== 'Success') message = summarizeCommandFailure(result);
        } catch (err) {
          if (isCancellation(err)) throw err;
          recordDuplicateSend(stepState, 'rollback', attempt, commandInput, err);
          message = failureMessage(err);
        }
        if (message === undefined) {
          stepState.rollback.status = 'succeeded';
          stepState.status = 'rolled-back';
          break;
        }
        stepState.rollback = { ...stepState.rollback, status: 'failed', message };
        stepState.status = 'rollback-failed';
        state.failure = { stepId: step.id, phase: 'rollback', message: `rollback of ${step.id} failed: ${message}`, instances: failedInstances(result), nextActions: nextActions(runId, 'paused-on-failure', 'rollback') };
        const made = await waitForDecision({ reason: 'operator', stepId: step.id, since: now(), message: state.failure.message });
        state.waitingFor = undefined;
        if (made.action === 'abort') throw new RunAborted();
        setStatus('rolling-back');
        if (made.action === 'skip') {
          stepState.rollback.status = 'skipped';
          allUndone = false;
          break;
        }
      }
    }
    state.failure = allUndone ? undefined : state.failure;
    return allUndone;
  }

  async function finish(status: RunStatus, detail?: string): Promise<RunSummary> {
    setStatus(status);
    state.endedAt = now();
    state.currentStepId = undefined;
    state.waitingFor = undefined;
    state.audit.push({ at: now(), type: 'run', event: 'finished', status, by: abortRequest?.by ?? input.initiator, ...(detail ? { detail } : {}) });
    await condition(allHandlersFinished);
    return {
      runId,
      runbook: runbook.name,
      status,
      initiator: state.initiator,
      startedAt: state.startedAt,
      endedAt: state.endedAt,
      parameters: state.parameters,
      steps: state.steps.map((s) => ({ id: s.id, status: s.status, attempts: s.attempts, commandIds: s.commandIds, ...(s.message ? { message: s.message } : {}) })),
      ...(state.failure ? { failure: state.failure } : {}),
      audit: state.audit,
    };
  }

  // --- the run ------------------------------------------------------------------------------------
  try {
    for (let index = 0; index < runbook.steps.length; index += 1) {
      const next = await runStep(index);
      if (next === 'abort') return await finish('failed', `aborted by ${abortRequest?.by ?? 'its failure policy'}`);
      if (next === 'rollback') {
        try {
          const undone = await rollbackCompletedSteps();
          return await finish(undone ? 'rolled-back' : 'failed', undone ? undefined : 'some rollbacks were skipped');
        } catch (err) {
          if (err instanceof RunAborted) return await finish('failed', `rollback aborted by ${abortRequest?.by ?? decisionBy()}`);
          throw err;
        }
      }
    }
    const failedSteps = state.steps.filter((s) => s.status === 'failed').map((s) => s.id);
    return await finish('succeeded', failedSteps.length ? `continued past failed steps ${failedSteps.join(', ')}` : undefined);
  } catch (err) {
    if (!isCancellation(err)) throw err;
    // Cancelling a run undoes what it did; the rollback itself must not be cancelled.
    await CancellationScope.nonCancellable(async () => {
      const past = state.pastPointOfNoReturn;
      if (!past) {
        try {
          await rollbackCompletedSteps();
        } catch (rollbackErr) {
          if (!(rollbackErr instanceof RunAborted)) throw rollbackErr;
        }
      }
      setStatus('cancelled');
      state.endedAt = now();
      const detail = past ? `run cancelled past the point of no return (step ${past.stepId}): nothing rolled back` : 'run cancelled; completed steps rolled back';
      state.audit.push({ at: now(), type: 'run', event: 'finished', status: 'cancelled', by: input.initiator, detail });
    });
    throw err;
  }

  function decisionBy(): string {
    const last = [...state.audit].reverse().find((e) => e.type === 'operator');
    return last && last.type === 'operator' ? last.by : 'operator';
  }
}

class RollbackRequested extends Error {}
