// The operator's hold on a run: the Updates that approve, retry, skip, roll back, abort, pause and
// resume, and the waits in which the run takes them. Decisions are recorded in the audit as they
// are accepted.
import {
  CancellationScope,
  allHandlersFinished,
  condition,
  patched,
  setHandler,
  sleep,
  upsertSearchAttributes,
} from '@temporalio/workflow';
import { approvalProblem, type ApprovalPolicy, type GivenApproval } from './approval-policy.js';
import type { Notifier } from './notifier.js';
import { allowedActions, operatorActionProblem } from './operator-actions.js';
import type { RunPlan } from './run-plan.js';
import type { RunRecord } from './run-record.js';
import { failedOnlyRetryProblem } from './failed-only-retry.js';
import { RunAborted } from './run-errors.js';
import {
  abortUpdate,
  approveUpdate,
  pauseUpdate,
  resumeUpdate,
  retryUpdate,
  rollbackUpdate,
  runStateQuery,
  skipUpdate,
} from './run-messages.js';
import type { ApprovalCount, OperatorAction, OperatorRequest, RetryRequest, RunState, RunStatus } from './run-state.js';
import { displayParameters } from './run-audit.js';
import { statusKey } from './search-attributes.js';

export interface OperatorDecision {
  action: OperatorAction;
  /** A retry's request carries its parameter changes and scope; other actions' only who and why. */
  request: RetryRequest;
}

export type WaitingFor = NonNullable<RunState['waitingFor']>;

export class OperatorControls {
  private decision: OperatorDecision | undefined;
  private abortRequest: OperatorRequest | undefined;
  private stepScope: CancellationScope | undefined;
  /** An abort the run's own code carries out (see the abort handler); false for runs from before. */
  private abortFromRunCode = false;
  /** An operator wait entered but not open yet: every operator action is refused meanwhile (see beginOperatorWait). */
  private opening: { stepId: string } | undefined;
  /** The approval waiting now: its policy (absent in runs from before policies) and the approvals given so far. */
  private approvalWait: { stepId: string; policy?: ApprovalPolicy; given: GivenApproval[] } | undefined;

  constructor(
    private readonly record: RunRecord,
    private readonly plan: RunPlan,
    /** Tells people when the run waits for them (absent: nobody is told). */
    private readonly notifier?: Notifier,
  ) {}

  /** Who aborted the run, once someone has. */
  get abortedBy(): string | undefined {
    return this.abortRequest?.by;
  }

  /** Registers the query and the operator Updates; call once, before the first step. */
  install(): void {
    // Cancels the step an abort lands in, from the run's code rather than the Update handler. Not
    // cancellable: cancelling the run must not turn this wait into an unhandled rejection.
    void CancellationScope.nonCancellable(() => condition(() => this.abortFromRunCode)).then(() => this.stepScope?.cancel());
    setHandler(runStateQuery, () => this.record.state);
    setHandler(approveUpdate, (req) => (req.reject ? this.decide('reject', req) : this.approve(req)), {
      validator: (req) => {
        const decision = req?.reject ? 'reject' : 'approve';
        this.validate(decision, req);
        const wait = this.approvalWait;
        if (!wait?.policy) return;
        const problem = approvalProblem({
          subject: `step ${wait.stepId} of run ${this.record.runId}`,
          policy: wait.policy,
          initiator: this.record.state.initiator,
          actor: req,
          decision,
          given: wait.given,
        });
        if (problem) throw new Error(problem);
      },
    });
    setHandler(
      retryUpdate,
      (req) => {
        if (hasChanges(req)) {
          this.plan.useValues(this.plan.valuesWithChanges(req.parameters));
          this.record.state.parameters = displayParameters(this.plan.values);
        }
        return this.decide('retry', req);
      },
      {
        validator: (req) => {
          this.validate('retry', req);
          if (req.failedOnly) {
            const problem = failedOnlyRetryProblem(this.record.state);
            if (problem) throw new Error(problem);
          }
          if (hasChanges(req)) this.plan.valuesWithChanges(req.parameters);
        },
      },
    );
    setHandler(skipUpdate, (req) => this.decide('skip', req), { validator: (req) => this.validate('skip', req) });
    setHandler(rollbackUpdate, (req) => this.decide('rollback', req), { validator: (req) => this.validate('rollback', req) });
    setHandler(
      abortUpdate,
      (req) => {
        this.abortRequest = req;
        // Replay hands an Update over before the activity results of the same task. Cancelling here
        // would cancel whichever step replay is at, which need not be the step the abort landed in
        // (a worker ahead of history after a restart); the watcher in install() cancels once the
        // task's results are applied, and abortable() refuses to start a step after an abort.
        if (patched('abort-cancels-from-run-code')) this.abortFromRunCode = true;
        else this.stepScope?.cancel();
        return this.decide('abort', req);
      },
      { validator: (req) => this.validate('abort', req) },
    );
    // Pause only marks the run: it takes hold at the next step boundary (holdIfPaused), so it never
    // answers a wait that is open now (an approval, a failure).
    setHandler(
      pauseUpdate,
      (req) => {
        this.record.state.pauseRequest = { by: req.by, reason: req.reason ?? '', at: this.record.now() };
        return this.recordAction('pause', req);
      },
      { validator: (req) => this.validateWithReason('pause', req) },
    );
    setHandler(
      resumeUpdate,
      (req) => {
        if (this.record.state.status === 'paused') return this.decide('resume', req);
        // The pause had not taken hold yet: withdrawing it is all there is to do.
        this.record.state.pauseRequest = undefined;
        return this.recordAction('resume', req);
      },
      { validator: (req) => this.validateWithReason('resume', req) },
    );
  }

  /**
   * Holds the run before step `stepId` while the operator has paused it. Resume lets it go on
   * (undefined); abort and rollback end the hold with what the run does instead.
   */
  async holdIfPaused(stepId: string): Promise<'abort' | 'rollback' | undefined> {
    const state = this.record.state;
    const pause = state.pauseRequest;
    if (!pause) return undefined;
    state.currentStepId = stepId;
    // A failure the run went past (skip, onFailure: continue) is no longer what it waits on.
    state.failure = undefined;
    await this.waitForOperator(
      'paused',
      { reason: 'pause', stepId, since: this.record.now(), message: `paused by ${pause.by}: ${pause.reason}` },
      undefined,
    );
    state.pauseRequest = undefined;
    const made = this.takeDecision();
    if (made?.action === 'abort' || made?.action === 'rollback') return made.action;
    this.record.setStatus('running');
    return undefined;
  }

  /** Runs one attempt of a step in a scope that an abort cancels. */
  async abortable<T>(work: () => Promise<T>): Promise<T> {
    if (this.abortFromRunCode) throw new RunAborted();
    this.stepScope = new CancellationScope();
    try {
      return await this.stepScope.run(work);
    } finally {
      this.stepScope = undefined;
    }
  }

  /** Sleeps up to `ms`; true when the operator aborted meanwhile. */
  async abortedWithin(ms: number): Promise<boolean> {
    await condition(() => this.abortRequest !== undefined, ms);
    return this.abortRequest !== undefined;
  }

  /** Pauses the run on a failure until the operator decides (retry, skip, rollback, abort). */
  async waitForDecision(waitingFor: WaitingFor): Promise<OperatorDecision> {
    const failure = this.record.state.failure;
    // Sent with the wait's own commands, so the message and the open wait arrive together.
    const notified = this.notifier?.notify(failure?.phase === 'rollback' ? 'rollback-failed' : 'paused-on-failure', {
      status: 'paused-on-failure',
      stepId: waitingFor.stepId,
      ...(waitingFor.message ? { message: waitingFor.message } : {}),
      ...(failure?.instances.length ? { failedInstances: failure.instances } : {}),
      actions: failure?.allowedActions ?? [],
    });
    await this.waitForOperator('paused-on-failure', waitingFor, undefined);
    await notified;
    const made = this.takeDecision();
    if (!made) throw new Error('operator decision missing');
    return made;
  }

  /**
   * Waits for the answer to an approval step, or until `timeoutMs` passes with none.
   * @returns the decision, or undefined when the approval timed out
   */
  async waitForApproval(
    waitingFor: WaitingFor,
    timeoutMs: number | undefined,
    policy?: ApprovalPolicy,
  ): Promise<OperatorDecision | undefined> {
    const notified = this.notifier?.notify('approval-waiting', {
      status: 'waiting-approval',
      stepId: waitingFor.stepId,
      ...(waitingFor.message ? { message: waitingFor.message } : {}),
      ...(policy ? { approval: policy } : {}),
      actions: allowedActions('waiting-approval', 'step', !this.record.state.pastPointOfNoReturn),
    });
    const given: GivenApproval[] = [];
    this.approvalWait = { stepId: waitingFor.stepId, ...(policy ? { policy } : {}), given };
    const shown = policy ? { ...waitingFor, approval: { ...policy, given } } : waitingFor;
    let answered: boolean;
    try {
      answered = await this.waitForOperator('waiting-approval', shown, timeoutMs);
    } finally {
      this.approvalWait = undefined;
    }
    await notified;
    this.record.setStatus('running');
    const made = this.takeDecision();
    return answered ? made : undefined;
  }

  /** @returns false when `timeoutMs` passed with no decision */
  private async waitForOperator(
    status: 'paused-on-failure' | 'waiting-approval' | 'paused',
    waitingFor: WaitingFor,
    timeoutMs: number | undefined,
  ): Promise<boolean> {
    try {
      if (this.operatorWaitOpensNextTask()) {
        this.beginOperatorWait(status, waitingFor);
        // The timeout's timer starts here too, so the task that opens the wait issues no command.
        try {
          return timeoutMs === undefined
            ? await condition(() => this.decided()).then(() => true)
            : await condition(() => this.decided(), timeoutMs);
        } finally {
          this.opening = undefined;
        }
      }
      this.record.setStatus(status);
      this.record.state.waitingFor = waitingFor;
      this.decision = undefined;
      const given = () => this.decision !== undefined;
      if (status !== 'waiting-approval') return await condition(given).then(() => true);
      // No timeout: wait on the decision alone (runs from before this patch started a 285,000-year timer).
      return timeoutMs === undefined && patched('approval-without-timer')
        ? await condition(given).then(() => true)
        : await condition(given, timeoutMs ?? Number.MAX_SAFE_INTEGER);
    } finally {
      this.record.state.waitingFor = undefined;
    }
  }

  private validate(action: OperatorAction, request: OperatorRequest): void {
    if (!request?.by?.trim()) throw new Error(`${action} needs "by": who is acting (recorded in the audit trail)`);
    if (this.opening)
      throw new Error(
        `run ${this.record.runId} is about to wait for the operator at step ${this.opening.stepId}: try ${action} again in a moment`,
      );
    const problem = operatorActionProblem(this.record.state, action);
    if (problem) throw new Error(problem);
  }

  /** Pause and resume say why, always: the audit is where the next person reads why the run stood still. */
  private validateWithReason(action: 'pause' | 'resume', request: OperatorRequest): void {
    this.validate(action, request);
    if (!request.reason?.trim()) throw new Error(`${action} needs a reason: it is recorded in the audit trail with who acted`);
  }

  /**
   * One approval. The wait ends once the policy's minApprovals distinct approvers have approved
   * (one, in runs from before policies); until then each approval is recorded and the run waits on.
   */
  private approve(request: OperatorRequest): RunState {
    const wait = this.approvalWait;
    const needed = wait?.policy?.minApprovals ?? 1;
    wait?.given.push({ by: request.by, at: this.record.now(), ...(request.reason ? { reason: request.reason } : {}) });
    const given = wait?.given.length ?? 1;
    const counted = needed > 1 ? { approvals: { given, needed } } : {};
    return given >= needed ? this.decide('approve', request, counted) : this.recordAction('approve', request, counted);
  }

  /** Records the operator's action in the audit trail. */
  private recordAction(action: OperatorAction, request: RetryRequest, extra: { approvals?: ApprovalCount } = {}): RunState {
    const state = this.record.state;
    state.audit.push({
      at: this.record.now(),
      type: 'operator',
      action,
      by: request.by,
      ...(request.reason ? { reason: request.reason } : {}),
      ...(state.currentStepId ? { stepId: state.currentStepId } : {}),
      ...(request.parameters ? { parameters: request.parameters } : {}),
      ...(request.failedOnly ? { failedOnly: true as const } : {}),
      ...extra,
    });
    return state;
  }

  /** Records the action and hands it to the wait that takes it. */
  private decide(action: OperatorAction, request: RetryRequest, extra: { approvals?: ApprovalCount } = {}): RunState {
    this.decision = { action, request };
    return this.recordAction(action, request, extra);
  }

  private takeDecision(): OperatorDecision | undefined {
    const made = this.decision;
    this.decision = undefined;
    return made;
  }

  /** Waits entered by older code (old histories replaying) keep the old way. */
  private operatorWaitOpensNextTask(): boolean {
    return patched('operator-wait-opens-next-task');
  }

  /**
   * The open wait has a decision, and the Update that made it has completed: its completion goes
   * out before anything the decision makes the run do, in live execution and replay alike.
   */
  private decided(): boolean {
    return this.opening === undefined && this.decision !== undefined && allHandlersFinished();
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
  private beginOperatorWait(status: RunStatus, waitingFor: WaitingFor): void {
    this.decision = undefined;
    upsertSearchAttributes([{ key: statusKey, value: status }]);
    const wait = { stepId: waitingFor.stepId };
    this.opening = wait;
    // Not cancellable: a cancelled timer would issue a command in whichever task the cancel lands.
    void CancellationScope.nonCancellable(() => sleep(1)).then(() => {
      if (this.opening !== wait) return; // the wait ended before it opened (e.g. the run was cancelled)
      this.opening = undefined;
      this.record.state.status = status;
      this.record.state.waitingFor = waitingFor;
    });
  }
}

function hasChanges(req: RetryRequest): req is RetryRequest & { parameters: Record<string, string | number | boolean> } {
  return req.parameters !== undefined && Object.keys(req.parameters).length > 0;
}
