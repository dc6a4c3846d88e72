// `when:` conditions choose a runbook's steps from its parameters, once, when a run starts: the
// same runbook can hold several strategies (dump or link) and a run shows only the one it takes.
import type { NormalizedRunbook, NormalizedStep, ParameterValues } from './types.js';

/** Whether a step runs with these parameter values (a step without `when` always does). */
export function stepRunsWith(step: Pick<NormalizedStep, 'when'>, values: ParameterValues): boolean {
  return Object.entries(step.when ?? {}).every(([name, wanted]) => {
    const value = values[name];
    return typeof value !== 'object' && wanted.includes(value as string | number | boolean);
  });
}

/** The runbook with only the steps these values choose; the same object when no step has `when`. */
export function selectSteps(runbook: NormalizedRunbook, values: ParameterValues): NormalizedRunbook {
  if (!runbook.steps.some((step) => step.when !== undefined)) return runbook;
  return { ...runbook, steps: runbook.steps.filter((step) => stepRunsWith(step, values)) };
}

/** Parameters that choose steps: a run cannot change them once started. */
export function parametersChoosingSteps(runbook: NormalizedRunbook): string[] {
  return [...new Set(runbook.steps.flatMap((step) => Object.keys(step.when ?? {})))];
}
