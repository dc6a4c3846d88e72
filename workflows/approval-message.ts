import type { StepState } from './run-state.js';

/** The last non-empty line of an output tail, shortened for a one-line message. */
function lastLine(outputTail: string): string {
  const line =
    outputTail
      .trimEnd()
      .split('\n')
      .filter((l) => l.trim() !== '')
      .at(-1) ?? '(no output)';
  return line.length > 300 ? `${line.slice(0, 297)}...` : line;
}

/**
 * An approval's message with the last output line of each named earlier step and instance under
 * it, so the operator decides on what those steps found (a lag, a verification result).
 */
export function approvalMessageWithOutputs(message: string, stepIds: readonly string[], steps: readonly StepState[]): string {
  const lines = stepIds.flatMap((id) => {
    const step = steps.find((s) => s.id === id);
    if (!step || step.instances.length === 0) return [`${id}: (did not run)`];
    return step.instances.map((instance) => `${id} on ${instance.instanceId}: ${lastLine(instance.outputTail)}`);
  });
  return [message, ...lines].join('\n');
}
