// Which steps of an ended run a redrive carries over (not sent again) and where it starts. Pure,
// so the rules are unit-tested apart from Temporal.
import type { NormalizedRunbook } from '../runbook/types.js';
import type { CarriedStep, RunStatus, StepStatus } from '../workflows/run-state.js';

export interface EndedStep {
  id: string;
  status: StepStatus;
  attempts: number;
  commandIds: string[];
  startedAt?: string;
  endedAt?: string;
  succeededInAttempt?: Record<string, number>;
}

export type RedrivePlan = { fromStepId: string; carried: CarriedStep[] } | { problem: string; fix: string };

/** Steps that count as done: a redrive carries them instead of sending them again. */
const done: readonly StepStatus[] = ['succeeded', 'skipped'];

/** Run statuses a redrive continues without being told where: the run stopped short of its end. */
export const redrivableStatuses: readonly RunStatus[] = ['failed', 'cancelled', 'lock-refused'];

/**
 * Where a redrive of `runId` starts and what it carries: by default from the first step that did
 * not succeed; `from` may name that step or an earlier one (re-running steps that succeeded), never
 * a later one, since a step that did not succeed cannot be carried.
 */
export function planRedrive(runId: string, status: RunStatus, steps: readonly EndedStep[], from?: string): RedrivePlan {
  const ids = steps.map((s) => s.id);
  if (from !== undefined && !ids.includes(from))
    return { problem: `run ${runId} has no step "${from}"`, fix: `use one of its steps: ${ids.join(', ')}` };
  if (from === undefined && !redrivableStatuses.includes(status))
    return {
      problem:
        status === 'succeeded'
          ? `run ${runId} succeeded: every step is done, so there is nothing to continue`
          : `run ${runId} ended ${status}: its completed steps were undone, so continuing it would build on steps that no longer stand`,
      fix: `to run steps again, name where to start: ssmflow redrive ${runId} --from ${ids[0] ?? 'STEP'} --reason "…"`,
    };
  const firstNotDone = steps.findIndex((s) => !done.includes(s.status));
  const start = from !== undefined ? ids.indexOf(from) : firstNotDone;
  if (start === -1)
    return {
      problem: `every step of run ${runId} is done`,
      fix: `name where to start: ssmflow redrive ${runId} --from ${ids[0] ?? 'STEP'} --reason "…"`,
    };
  if (firstNotDone !== -1 && start > firstNotDone) {
    const blocking = steps[firstNotDone] as EndedStep;
    return {
      problem: `step ${blocking.id} ended ${blocking.status} in run ${runId}, so a redrive cannot start after it at ${from}`,
      fix: `redrive from ${blocking.id} or an earlier step: ssmflow redrive ${runId} --from ${blocking.id} --reason "…"`,
    };
  }
  const carried = steps.slice(0, start).map((s) => ({
    id: s.id,
    status: s.status as CarriedStep['status'],
    attempts: s.attempts,
    commandIds: s.commandIds,
    ...(s.startedAt ? { startedAt: s.startedAt } : {}),
    ...(s.endedAt ? { endedAt: s.endedAt } : {}),
    ...(s.succeededInAttempt ? { succeededInAttempt: s.succeededInAttempt } : {}),
  }));
  return { fromStepId: ids[start] as string, carried };
}

/**
 * Parameters a redrive may not change: those that chose the run's steps (`when:`) or its targets,
 * because the carried steps ran with them; a different choice is a new run.
 */
export function fixedParameters(runbook: NormalizedRunbook): string[] {
  const inTargets = [
    ...JSON.stringify([runbook.targets, runbook.steps.map((s) => ('targets' in s ? s.targets : undefined))]).matchAll(/\{\{\s*(\w+)/g),
  ].map((m) => m[1] as string);
  return [...new Set([...runbook.steps.flatMap((step) => Object.keys(step.when ?? {})), ...inTargets])];
}

/** The id of the n-th redrive of a run (n from 1): found again by `status` of the run it continues. */
export function redriveRunId(runId: string, n: number): string {
  return `${runId}-redrive-${n}`;
}
