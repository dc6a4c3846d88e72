import type { CommandDocument, CommandTargets, RunCommandInput } from '../aws/ssm/types.js';
import type { RenderedCommandStep, RollbackAction } from '../runbook/types.js';
import type { RunInput } from './run-state.js';

const minDeliveryTimeoutSeconds = 30;

export interface CommandContext {
  runId: string;
  /**
   * The Temporal run id behind `runId` (a workflow id can be re-used): ends every idempotency key,
   * so a new run never mistakes an older run's command for its own. Empty for runs started before
   * keys carried it (patch `run-unique-command-keys`).
   */
  temporalRunId: string;
  runbook: string;
  output: RunInput['output'];
  options: RunInput['options'];
}

/**
 * The SSM command of one attempt of a `run`, `document` or `waitUntil` step. A failed-only attempt
 * goes to `onlyInstances` by id, with the step's rate control: SSM takes its percentages of those
 * instances. Its key is its own attempt's, like any attempt's.
 */
export function stepCommandInput(
  step: RenderedCommandStep,
  attempt: number,
  ctx: CommandContext,
  onlyInstances?: readonly string[],
): RunCommandInput {
  const document: CommandDocument =
    step.kind === 'document'
      ? { kind: 'document', name: step.document.name, parameters: step.document.parameters }
      : { kind: 'shell', commands: step.commands, ...(step.workingDirectory ? { workingDirectory: step.workingDirectory } : {}) };
  const input = commandInput(step, document, commandKey(ctx, `${step.id}/${attempt}`), `${ctx.runbook}/${step.id}`, ctx);
  return onlyInstances ? { ...input, targets: { instanceIds: [...onlyInstances] } } : input;
}

/** The SSM command that undoes a step (its `rollback`), attempt `attempt`. */
export function rollbackCommandInput(
  step: RenderedCommandStep,
  rollback: RollbackAction,
  attempt: number,
  ctx: CommandContext,
): RunCommandInput {
  const document: CommandDocument =
    rollback.kind === 'document'
      ? { kind: 'document', name: rollback.document.name, parameters: rollback.document.parameters }
      : { kind: 'shell', commands: rollback.commands, ...(step.workingDirectory ? { workingDirectory: step.workingDirectory } : {}) };
  return commandInput(step, document, commandKey(ctx, `${step.id}/rollback-${attempt}`), `${ctx.runbook}/${step.id} (rollback)`, ctx);
}

/** `<workflow id>/<step>/<attempt>@<temporal run id>`: unique per send across runs and re-used ids. */
function commandKey(ctx: CommandContext, stepAndAttempt: string): string {
  return `${ctx.runId}/${stepAndAttempt}${ctx.temporalRunId ? `@${ctx.temporalRunId}` : ''}`;
}

function commandInput(
  step: RenderedCommandStep,
  document: CommandDocument,
  idempotencyKey: string,
  description: string,
  ctx: CommandContext,
): RunCommandInput {
  return {
    idempotencyKey,
    description,
    document,
    targets: step.targets as CommandTargets,
    rateControl: step.rateControl,
    executionTimeoutSeconds: Math.max(1, Math.round(step.executionTimeoutMs / 1000)),
    deliveryTimeoutSeconds: Math.max(minDeliveryTimeoutSeconds, ctx.options?.deliveryTimeoutSeconds ?? Math.round(step.timeoutMs / 1000)),
    ...(ctx.output ? { output: { bucket: ctx.output.bucket, keyPrefix: `${ctx.output.keyPrefix.replace(/\/+$/, '')}/${ctx.runId}` } } : {}),
    ...(Object.keys(step.secrets).length ? { secrets: step.secrets } : {}),
  };
}

/** "tag:Cluster=alpha" or "i-1, i-2": how targets read in audit records and messages. */
export function describeTargets(targets: CommandTargets): string {
  if ('instanceIds' in targets) return targets.instanceIds.join(', ');
  return Object.entries(targets.tags)
    .map(([key, values]) => `tag:${key}=${values.join('|')}`)
    .join(' AND ');
}
