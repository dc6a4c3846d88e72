// Applies the runbook's defaults (and ssmflow's own) to every step once, at load time, so the
// workflow reads each setting from the step and never re-applies a default.
import { parseDuration } from './duration.js';
import type { Defaults, DocumentCall, Parameter, Rollback, Runbook, Step, Targets } from './schema.js';
import type {
  ApprovalPolicy,
  DocumentInvocation,
  NormalizedRateControl,
  NormalizedRetry,
  NormalizedRunbook,
  NormalizedStep,
  NormalizedTargets,
  OnFailure,
  ParameterDefinition,
  RollbackAction,
  StepWhen,
} from './types.js';

/** What a step gets when neither it nor the runbook's `defaults` say otherwise. */
export const BUILT_IN_DEFAULTS = {
  timeout: '10m',
  retry: { maxAttempts: 1, initialInterval: '5s', backoff: 2 },
  /** Temporal's own rule for an unset maximum interval. */
  maximumIntervalFactor: 100,
  onFailure: 'pause' as OnFailure,
  rateControl: { maxConcurrency: '1', maxErrors: '0' },
} as const;

type PolicyFields = { approvers?: string[] | undefined; minApprovals?: number | undefined; allowSelfApproval?: boolean | undefined };

/** The runbook's approval policy with a step's own fields on top: four eyes and one approval unless told otherwise. */
export function effectiveApprovalPolicy(runbookPolicy: PolicyFields | undefined, step: PolicyFields = {}): ApprovalPolicy {
  const approvers = step.approvers ?? runbookPolicy?.approvers;
  return {
    ...(approvers === undefined ? {} : { approvers: [...approvers] }),
    minApprovals: step.minApprovals ?? runbookPolicy?.minApprovals ?? 1,
    allowSelfApproval: step.allowSelfApproval ?? runbookPolicy?.allowSelfApproval ?? false,
  };
}

export function commandLines(lines: string | string[]): string[] {
  return typeof lines === 'string' ? [lines] : [...lines];
}

export function normalizeTargets(targets: Targets): NormalizedTargets {
  if (targets.instanceIds !== undefined) return { instanceIds: [...targets.instanceIds] };
  const tags: Record<string, string[]> = {};
  for (const [key, value] of Object.entries(targets.tags ?? {})) tags[key] = typeof value === 'string' ? [value] : [...value];
  return { tags };
}

function normalizeDocument(document: DocumentCall): DocumentInvocation {
  const parameters: Record<string, string[]> = {};
  for (const [key, value] of Object.entries(document.parameters ?? {})) parameters[key] = commandLines(value);
  return { name: document.name, parameters };
}

function normalizeRollback(rollback: Rollback): RollbackAction {
  if (rollback.run !== undefined) return { kind: 'run', commands: commandLines(rollback.run) };
  if (rollback.document !== undefined) return { kind: 'document', document: normalizeDocument(rollback.document) };
  throw new Error('rollback has neither run nor document (the runbook was not validated)');
}

function normalizeWhen(when: NonNullable<Step['when']>): StepWhen {
  return Object.fromEntries(Object.entries(when).map(([name, value]) => [name, Array.isArray(value) ? [...value] : [value]]));
}

function effectiveRetry(defaults: Defaults, step: Step): NormalizedRetry {
  const merged = { ...BUILT_IN_DEFAULTS.retry, ...defaults.retry, ...step.retry };
  const initialIntervalMs = parseDuration(merged.initialInterval);
  const maximumInterval = step.retry?.maximumInterval ?? defaults.retry?.maximumInterval;
  return {
    maxAttempts: merged.maxAttempts,
    initialIntervalMs,
    backoffCoefficient: merged.backoff,
    maximumIntervalMs:
      maximumInterval === undefined ? initialIntervalMs * BUILT_IN_DEFAULTS.maximumIntervalFactor : parseDuration(maximumInterval),
  };
}

function effectiveRateControl(defaults: Defaults, step: Step): NormalizedRateControl {
  return { ...BUILT_IN_DEFAULTS.rateControl, ...defaults.rateControl, ...step.rateControl };
}

/** The timeouts a command step ends up with, shared with the cross-field checks. */
export function effectiveTimeouts(defaults: Defaults, step: Step): { timeoutMs: number; executionTimeoutMs: number } {
  const timeoutMs = parseDuration(step.timeout ?? defaults.timeout ?? BUILT_IN_DEFAULTS.timeout);
  const executionTimeout = step.executionTimeout ?? defaults.executionTimeout;
  return { timeoutMs, executionTimeoutMs: executionTimeout === undefined ? timeoutMs : parseDuration(executionTimeout) };
}

function normalizeParameter(parameter: Parameter): ParameterDefinition {
  if (parameter.type === 'secret') return { ...parameter };
  return { ...parameter, required: parameter.default === undefined && parameter.required !== false };
}

function normalizeStep(step: Step, runbook: Runbook): NormalizedStep {
  const defaults = runbook.defaults ?? {};
  const base = {
    id: step.id,
    ...(step.description === undefined ? {} : { description: step.description }),
    ...(step.when === undefined ? {} : { when: normalizeWhen(step.when) }),
  };
  const onFailure = step.onFailure ?? defaults.onFailure ?? BUILT_IN_DEFAULTS.onFailure;
  if (step.sleep !== undefined) return { ...base, kind: 'sleep', durationMs: parseDuration(step.sleep) };
  if (step.approval !== undefined) {
    const { message, timeout, showOutputOf, ...policy } = step.approval;
    return {
      ...base,
      kind: 'approval',
      onFailure,
      message,
      policy: effectiveApprovalPolicy(runbook.approvalPolicy, policy),
      ...(timeout === undefined ? {} : { approvalTimeoutMs: parseDuration(timeout) }),
      ...(showOutputOf === undefined ? {} : { showOutputOf: [...showOutputOf] }),
    };
  }
  const settings = {
    ...base,
    onFailure,
    ...effectiveTimeouts(defaults, step),
    retry: effectiveRetry(defaults, step),
    rateControl: effectiveRateControl(defaults, step),
    disruptive: step.disruptive ?? false,
    ...(step.workingDirectory === undefined ? {} : { workingDirectory: step.workingDirectory }),
    targets: normalizeTargets(step.targets ?? runbook.targets),
    ...(step.rollback === undefined ? {} : { rollback: normalizeRollback(step.rollback) }),
    ...(step.pointOfNoReturn === true ? { pointOfNoReturn: true as const } : {}),
  };
  if (step.run !== undefined) return { ...settings, kind: 'run', commands: commandLines(step.run) };
  if (step.document !== undefined) return { ...settings, kind: 'document', document: normalizeDocument(step.document) };
  if (step.waitUntil !== undefined) {
    return {
      ...settings,
      kind: 'waitUntil',
      commands: commandLines(step.waitUntil.run),
      intervalMs: parseDuration(step.waitUntil.interval),
      waitTimeoutMs: parseDuration(step.waitUntil.timeout),
      ...(step.waitUntil.giveUpExitCode === undefined ? {} : { giveUpExitCode: step.waitUntil.giveUpExitCode }),
    };
  }
  throw new Error(`step "${step.id}" has no kind (the runbook was not validated)`);
}

/** Every default applied, durations in ms, lists normalized: what the workflow receives. */
export function normalizeRunbook(runbook: Runbook): NormalizedRunbook {
  const parameters: Record<string, ParameterDefinition> = {};
  for (const [name, parameter] of Object.entries(runbook.parameters ?? {})) parameters[name] = normalizeParameter(parameter);
  const window = runbook.maintenanceWindow;
  return {
    apiVersion: runbook.apiVersion,
    name: runbook.name,
    ...(runbook.description === undefined ? {} : { description: runbook.description }),
    ...(runbook.readOnly ? { readOnly: true } : {}),
    parameters,
    targets: normalizeTargets(runbook.targets),
    ...(window === undefined
      ? {}
      : { maintenanceWindow: { cron: window.cron, durationMs: parseDuration(window.duration), timezone: window.timezone } }),
    approvalPolicy: effectiveApprovalPolicy(runbook.approvalPolicy),
    steps: runbook.steps.map((step) => normalizeStep(step, runbook)),
  };
}
