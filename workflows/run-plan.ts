// What the run executes: the runbook's chosen steps, rendered with the current parameter values.
// A retry with changed parameters re-renders every step from the new values.
import { resolveParameterValues } from '../runbook/parameters.js';
import { renderStep } from '../runbook/render.js';
import { parametersChoosingSteps, selectSteps } from '../runbook/step-conditions.js';
import type { NormalizedRunbook, ParameterValues, RenderedStep } from '../runbook/types.js';
import type { RunInput } from './run-state.js';

export class RunPlan {
  readonly runbook: NormalizedRunbook;
  private readonly stepChoosers: string[];
  private current: ParameterValues;
  private renderedSteps: RenderedStep[];

  constructor(input: RunInput) {
    // `when:` conditions choose the steps once, from the parameters the run started with.
    this.runbook = selectSteps(input.runbook, input.parameters);
    this.stepChoosers = parametersChoosingSteps(this.runbook);
    this.current = input.parameters;
    this.renderedSteps = this.render();
  }

  get values(): ParameterValues {
    return this.current;
  }

  step(index: number): RenderedStep {
    return this.renderedSteps[index] as RenderedStep;
  }

  /**
   * Current non-secret values with the operator's changes, validated like at start.
   * @throws when a change is invalid or would change which steps the run has
   */
  valuesWithChanges(changes: Record<string, string | number | boolean>): ParameterValues {
    const chooser = Object.keys(changes).find((name) => this.stepChoosers.includes(name) && changes[name] !== this.current[name]);
    if (chooser)
      throw new Error(
        `parameter ${chooser} chose this run's steps when it started, so it cannot change now (fix: keep ${chooser}=${String(this.current[chooser])}, or abort and start a new run)`,
      );
    const given = Object.fromEntries(
      Object.entries(this.current).filter((entry): entry is [string, string | number | boolean] => typeof entry[1] !== 'object'),
    );
    const resolved = resolveParameterValues(this.runbook, { ...given, ...changes });
    if ('errors' in resolved)
      throw new Error(resolved.errors.map((e) => `parameter ${e.parameter}: ${e.message} (fix: ${e.fix})`).join('; '));
    return resolved.values;
  }

  /** Renders the rest of the run (and the retried step) with new values. */
  useValues(values: ParameterValues): void {
    this.current = values;
    this.renderedSteps = this.render();
  }

  private render(): RenderedStep[] {
    return this.runbook.steps.map((s) => renderStep(s, this.current));
  }
}
