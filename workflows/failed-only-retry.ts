// Retrying only the instances of a step that did not succeed (`ssmflow retry --failed-only`):
// which instances those are, when such a retry makes sense, and how the per-instance results of
// several attempts add up to the step's result. Pure functions.
import type { InvocationResult } from '../aws/ssm/types.js';
import type { RunState, StepState } from './run-state.js';

/** What deciding on a failed-only retry reads: the failure and each step's kind and latest per-instance results. */
export interface FailedOnlyState extends Pick<RunState, 'runId' | 'failure'> {
  steps: readonly { id: string; kind?: StepState['kind']; instances: readonly Pick<InvocationResult, 'instanceId' | 'status'>[] }[];
}

/** SendCommand takes at most this many InstanceIds. */
export const maxInstanceIdsPerCommand = 50;

/**
 * The instances a failed-only attempt is sent to: every instance whose latest result is not a
 * success (failed, timed out, cancelled, undeliverable, or never run because MaxErrors was
 * reached), in the order the step reported them.
 */
export function instancesToRetry(instances: readonly Pick<InvocationResult, 'instanceId' | 'status'>[]): string[] {
  return instances.filter((i) => i.status !== 'Success').map((i) => i.instanceId);
}

/** A step with instances, and each one's latest result a success. */
export function everyInstanceSucceeded(instances: readonly Pick<InvocationResult, 'status'>[]): boolean {
  return instances.length > 0 && instances.every((i) => i.status === 'Success');
}

/** Why the paused run cannot retry only its failed instances, with what to do instead; undefined when it can. */
export function failedOnlyRetryProblem(state: FailedOnlyState): string | undefined {
  const failure = state.failure;
  if (!failure) return `run ${state.runId} has no failed step to retry`;
  const instead = 'retry without --failed-only, which sends the step to all its targets again';
  if (failure.phase === 'rollback')
    return `run ${state.runId} paused on the failed rollback of step ${failure.stepId}: --failed-only applies to a failed step, not a rollback (fix: ${instead.replace('the step', 'the rollback')})`;
  const step = state.steps.find((s) => s.id === failure.stepId);
  if (step?.kind === 'approval' || step?.kind === 'sleep')
    return `step ${failure.stepId} is a${step.kind === 'approval' ? 'n' : ''} ${step.kind} step: it runs on no instances (fix: retry without --failed-only)`;
  if (step?.kind === 'waitUntil')
    return `step ${failure.stepId} is a waitUntil step: its condition must hold on every instance at once, so it is checked on all of them (fix: ${instead})`;
  const toRetry = instancesToRetry(step?.instances ?? []);
  if (failure.instances.length === 0 || toRetry.length === 0)
    return `step ${failure.stepId} failed without a per-instance result (${failure.message}): there are no failed instances to pick (fix: ${instead})`;
  if (toRetry.length > maxInstanceIdsPerCommand)
    return `${toRetry.length} instances of step ${failure.stepId} did not succeed, and SSM takes at most ${maxInstanceIdsPerCommand} instance ids in one command (fix: ${instead})`;
  return undefined;
}

/**
 * The step's per-instance results after an attempt. A full attempt replaces them; a failed-only
 * attempt replaces only the instances it was sent to, so the others keep the success of an
 * earlier attempt.
 */
export function resultsAfterAttempt(
  before: Pick<StepState, 'instances' | 'succeededInAttempt'>,
  attempt: number,
  invocations: readonly InvocationResult[],
  failedOnly: boolean,
): Required<Pick<StepState, 'instances' | 'succeededInAttempt'>> {
  const succeededIn = (results: readonly InvocationResult[]) =>
    Object.fromEntries(results.filter((i) => i.status === 'Success').map((i) => [i.instanceId, attempt]));
  if (!failedOnly) return { instances: [...invocations], succeededInAttempt: succeededIn(invocations) };
  const latest = new Map(before.instances.map((i) => [i.instanceId, i]));
  for (const invocation of invocations) latest.set(invocation.instanceId, invocation);
  const succeededInAttempt = { ...before.succeededInAttempt };
  for (const invocation of invocations) delete succeededInAttempt[invocation.instanceId];
  return { instances: [...latest.values()], succeededInAttempt: { ...succeededInAttempt, ...succeededIn(invocations) } };
}

/**
 * Instances grouped by the attempt they succeeded in, oldest first, for status and audit:
 * [{ attempt: 1, instanceIds: [a, c] }, { attempt: 2, instanceIds: [b] }].
 */
export function successesByAttempt(
  succeededInAttempt: Readonly<Record<string, number>> | undefined,
): { attempt: number; instanceIds: string[] }[] {
  const groups = new Map<number, string[]>();
  for (const [instanceId, attempt] of Object.entries(succeededInAttempt ?? {}))
    groups.set(attempt, [...(groups.get(attempt) ?? []), instanceId]);
  return [...groups.entries()].sort(([a], [b]) => a - b).map(([attempt, instanceIds]) => ({ attempt, instanceIds: instanceIds.sort() }));
}
