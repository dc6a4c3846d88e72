// The run's durable record: the state the query returns, the audit trail, and the status search
// attribute. Every change to what operators see goes through here.
import { upsertSearchAttributes, workflowInfo } from '@temporalio/workflow';
import type { CommandResult, RunCommandInput } from '../aws/ssm/types.js';
import { commandAuditEntry, displayParameters, duplicateSendAuditEntries } from './run-audit.js';
import type { RunPlan } from './run-plan.js';
import type { RedriveOrigin, RunInput, RunState, RunStatus, StepState } from './run-state.js';
import { statusKey } from './search-attributes.js';

/** The run's result: enough for `status` and `audit` of a finished run without a worker to query. */
export interface RunSummary {
  runId: string;
  runbook: string;
  status: RunStatus;
  initiator: string;
  startedAt: string;
  endedAt: string;
  parameters: RunState['parameters'];
  /**
   * The step columns of the live status table; output tails and attempt history stay out to keep
   * the result small. Results of runs that ended before `kind` and the times were added lack them.
   */
  steps: (Pick<StepState, 'id' | 'status' | 'attempts' | 'commandIds' | 'startedAt' | 'endedAt' | 'message' | 'succeededInAttempt'> & {
    kind?: StepState['kind'];
  })[];
  failure?: RunState['failure'];
  /** The run's target lock as it ended (absent for runs that took none, and those from before locks). */
  locks?: RunState['locks'];
  /** The ended run this one continued (`ssmflow redrive`). */
  redriveOf?: RunState['redriveOf'];
  /** The notifications sent about the run. */
  notifications?: RunState['notifications'];
  /** Every command and operator action (no output tails: those live in S3). */
  audit: RunState['audit'];
}

export type CommandPhase = 'step' | 'rollback' | 'check';

export class RunRecord {
  readonly state: RunState;

  constructor(input: RunInput, plan: RunPlan) {
    const runbook = plan.runbook;
    const now = this.now();
    this.state = {
      runId: workflowInfo().workflowId,
      runbook: runbook.name,
      ...(input.cluster ? { cluster: input.cluster } : {}),
      initiator: input.initiator,
      status: 'running',
      startedAt: now,
      parameters: displayParameters(plan.values),
      steps: runbook.steps.map((s) => ({
        id: s.id,
        kind: s.kind,
        ...(s.description ? { description: s.description } : {}),
        status: 'pending',
        attempts: 0,
        commandIds: [],
        instances: [],
        history: [],
      })),
      audit: [
        {
          at: now,
          type: 'run',
          event: 'started',
          status: 'running',
          by: input.initiator,
          ...(input.reason ? { detail: input.reason } : {}),
        },
      ],
    };
    if (input.redriveOf) this.carryRedrivenSteps(input.redriveOf);
  }

  /** A redrive's steps done in the run it continues: recorded as they ended there, never sent again. */
  private carryRedrivenSteps(origin: RedriveOrigin): void {
    this.state.redriveOf = { runId: origin.runId, fromStepId: origin.fromStepId };
    for (const carried of origin.carried) {
      const step = this.state.steps.find((s) => s.id === carried.id);
      if (!step) continue;
      Object.assign(step, carried, { message: `${carried.status} in run ${origin.runId}; not sent again` });
    }
    const carriedIds = origin.carried.map((s) => s.id);
    this.state.audit.push({
      at: this.now(),
      type: 'run',
      event: 'redrive-of',
      status: this.state.status,
      by: this.state.initiator,
      detail:
        `redrive of run ${origin.runId} from step ${origin.fromStepId}` +
        (carriedIds.length ? `; carried as done there, not sent again: ${carriedIds.join(', ')}` : '; nothing carried'),
    });
  }

  get runId(): string {
    return this.state.runId;
  }

  now(): string {
    return new Date().toISOString();
  }

  stepState(index: number): StepState {
    return this.state.steps[index] as StepState;
  }

  /** Sets the status and its search attribute (one upsert, only when it changes). */
  setStatus(status: RunStatus): void {
    if (this.state.status === status) return;
    this.state.status = status;
    upsertSearchAttributes([{ key: statusKey, value: status }]);
  }

  recordCommand(
    step: StepState,
    phase: CommandPhase,
    attempt: number,
    commandInput: RunCommandInput,
    result: CommandResult,
    failedOnly = false,
  ): void {
    if (phase === 'rollback') step.rollback?.commandIds.push(result.commandId);
    else step.commandIds.push(result.commandId);
    const entry = commandAuditEntry(this.now(), step.id, phase, attempt, commandInput, result);
    this.state.audit.push(failedOnly ? { ...entry, failedOnly: true } : entry);
  }

  /** A step found sent more than once (the activity cancelled the newer commands): both go in the audit. */
  recordDuplicateSend(step: StepState, phase: CommandPhase, attempt: number, commandInput: RunCommandInput, err: unknown): void {
    for (const entry of duplicateSendAuditEntries(this.now(), step.id, phase, attempt, commandInput, err)) {
      if (phase === 'rollback') step.rollback?.commandIds.push(entry.commandId);
      else step.commandIds.push(entry.commandId);
      this.state.audit.push(entry);
    }
  }

  /** From here on the run fixes forward: no rollback by policy, by operator or on cancel. */
  passPointOfNoReturn(stepId: string): void {
    if (this.state.pastPointOfNoReturn) return;
    this.state.pastPointOfNoReturn = { stepId, at: this.now() };
    this.state.audit.push({
      at: this.now(),
      type: 'run',
      event: 'point-of-no-return',
      status: this.state.status,
      by: this.state.initiator,
      detail: `step ${stepId} started: the run can no longer roll back`,
    });
  }

  /** A run event that is no command and no operator action, such as queueing for the target lock. */
  recordRunEvent(event: 'lock-waiting' | 'lock-granted', detail: string): void {
    this.state.audit.push({ at: this.now(), type: 'run', event, status: this.state.status, by: this.state.initiator, detail });
  }

  /** The run's last entry: its final status, who ended it, and what happened. */
  recordFinish(status: RunStatus, by: string, detail: string | undefined): void {
    this.setStatus(status);
    this.state.endedAt = this.now();
    this.state.currentStepId = undefined;
    this.state.waitingFor = undefined;
    // A pause asked during the last step (or before a rollback) has no next step to hold before.
    this.state.pauseRequest = undefined;
    this.state.audit.push({ at: this.now(), type: 'run', event: 'finished', status, by, ...(detail ? { detail } : {}) });
  }

  /** The operator who acted last (for a rollback aborted without an abort request on record). */
  lastOperator(): string {
    const last = [...this.state.audit].reverse().find((e) => e.type === 'operator');
    return last && last.type === 'operator' ? last.by : 'operator';
  }

  summary(): RunSummary {
    const state = this.state;
    return {
      runId: state.runId,
      runbook: state.runbook,
      status: state.status,
      initiator: state.initiator,
      startedAt: state.startedAt,
      endedAt: state.endedAt ?? this.now(),
      parameters: state.parameters,
      // Unset times and message are undefined here and left out of the JSON result.
      steps: state.steps.map(({ id, kind, status, attempts, commandIds, startedAt, endedAt, message, succeededInAttempt }) => ({
        id,
        kind,
        status,
        attempts,
        commandIds,
        startedAt,
        endedAt,
        message,
        succeededInAttempt,
      })),
      ...(state.failure ? { failure: state.failure } : {}),
      ...(state.locks ? { locks: state.locks } : {}),
      ...(state.redriveOf ? { redriveOf: state.redriveOf } : {}),
      ...(state.notifications ? { notifications: state.notifications } : {}),
      audit: state.audit,
    };
  }
}
