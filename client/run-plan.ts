// What a run would do, computed without sending anything: the parameters, the instances each
// step reaches (offline ones flagged), the commands as they will be sent (secrets masked), which
// steps wait for a person or for the maintenance window, and whether the blast-radius guard applies.
import type { SSMClient } from '@aws-sdk/client-ssm';
import type { CommandTargets } from '../aws/ssm/types.js';
import { windowState } from '../runbook/maintenance-window.js';
import { renderStep } from '../runbook/render.js';
import { selectSteps } from '../runbook/step-conditions.js';
import { redactSecrets } from '../runbook/secrets.js';
import type { ApprovalPolicy, NormalizedRunbook, ParameterValues, RollbackAction } from '../runbook/types.js';
import { displayParameters } from '../workflows/run-audit.js';
import { describeTargets } from '../workflows/step-command-input.js';
import { resolveRunTargets, targetSelectors, type TargetSet } from './run-targets.js';

export interface PlannedStep {
  index: number;
  id: string;
  kind: string;
  description?: string;
  /** Target selector (command steps). */
  targets?: string;
  /** Shell lines as they will be sent, secrets as '****'; or a document with its parameters. */
  commands?: string[];
  document?: { name: string; parameters: Record<string, string[]> };
  rollback?: string[];
  onFailure?: string;
  timeoutMs?: number;
  retryAttempts?: number;
  rateControl?: { maxConcurrency: string; maxErrors: string };
  /** Waits for `ssmflow approve`. */
  needsApproval: boolean;
  approvalMessage?: string;
  /** Who may approve it, and how many must. */
  approvalPolicy?: ApprovalPolicy;
  /** Starts only inside the maintenance window. */
  disruptive: boolean;
  sleepMs?: number;
  wait?: { intervalMs: number; timeoutMs: number; giveUpExitCode?: number };
  /** From this step on the run cannot roll back. */
  pointOfNoReturn?: true;
}

export interface RunPlan {
  runbook: string;
  description?: string;
  parameters: Record<string, string | number | boolean>;
  /** Null when targets were not resolved (--offline). */
  targets: { sets: TargetSet[]; instanceCount: number; offline: string[] } | null;
  selectors: string[];
  maintenanceWindow?: { cron: string; timezone: string; durationMs: number; openNow: boolean; opensAt?: string; closesAt?: string };
  steps: PlannedStep[];
  blastRadius?: { instanceCount: number; limit: number; needsConfirm: boolean };
  /** Always false: planning never sends a command. */
  sent: false;
}

function rollbackLines(rollback: RollbackAction | undefined): string[] | undefined {
  if (!rollback) return undefined;
  if (rollback.kind === 'run') return redactSecrets(rollback.commands);
  return [`document ${rollback.document.name} ${JSON.stringify(rollback.document.parameters)}`];
}

export async function planRun(
  runbook: NormalizedRunbook,
  values: ParameterValues,
  options: { ssm?: SSMClient; maxTargets: number; nowMs?: number },
): Promise<RunPlan> {
  // The steps a run with these values takes (`when:` conditions), as the workflow will choose them.
  runbook = selectSteps(runbook, values);
  let pastPointOfNoReturn = false;
  const steps: PlannedStep[] = runbook.steps.map((normalized, index) => {
    const step = renderStep(normalized, values);
    // The workflow pauses instead of rolling back once the point of no return has started.
    const onFailure =
      pastPointOfNoReturn && 'onFailure' in step && step.onFailure === 'rollback'
        ? 'pause'
        : 'onFailure' in step
          ? step.onFailure
          : undefined;
    if ('pointOfNoReturn' in step && step.pointOfNoReturn) pastPointOfNoReturn = true;
    const base = { index: index + 1, id: step.id, kind: step.kind, ...(step.description ? { description: step.description } : {}) };
    switch (step.kind) {
      case 'approval':
        return {
          ...base,
          ...(onFailure ? { onFailure } : {}),
          needsApproval: true,
          approvalMessage: step.message,
          ...(step.policy ? { approvalPolicy: step.policy } : {}),
          disruptive: false,
        };
      case 'sleep':
        return { ...base, needsApproval: false, disruptive: false, sleepMs: step.durationMs };
      default:
        return {
          ...base,
          targets: describeTargets(step.targets as CommandTargets),
          ...(step.kind === 'document' ? { document: step.document } : { commands: redactSecrets(step.commands) }),
          ...(step.rollback ? { rollback: rollbackLines(step.rollback) } : {}),
          ...(step.pointOfNoReturn ? { pointOfNoReturn: true as const } : {}),
          ...(onFailure ? { onFailure } : {}),
          timeoutMs: step.timeoutMs,
          retryAttempts: step.retry.maxAttempts,
          rateControl: step.rateControl,
          needsApproval: false,
          disruptive: step.disruptive,
          ...(step.kind === 'waitUntil'
            ? {
                wait: {
                  intervalMs: step.intervalMs,
                  timeoutMs: step.waitTimeoutMs,
                  ...(step.giveUpExitCode === undefined ? {} : { giveUpExitCode: step.giveUpExitCode }),
                },
              }
            : {}),
        };
    }
  });
  const window = runbook.maintenanceWindow;
  const windowNow = window ? windowState(window, options.nowMs ?? Date.now()) : undefined;
  const resolved = options.ssm ? await resolveRunTargets(options.ssm, runbook, values) : undefined;
  return {
    runbook: runbook.name,
    ...(runbook.description ? { description: runbook.description } : {}),
    parameters: displayParameters(values),
    selectors: targetSelectors(runbook, values).map((s) => s.selector),
    targets: resolved
      ? {
          sets: resolved.sets,
          instanceCount: resolved.instanceIds.length,
          offline: [...new Set(resolved.sets.flatMap((s) => s.offline.map((o) => o.instanceId)))].sort(),
        }
      : null,
    ...(window && windowNow
      ? {
          maintenanceWindow: {
            cron: window.cron,
            timezone: window.timezone,
            durationMs: window.durationMs,
            openNow: windowNow.open,
            ...(windowNow.opensAtMs ? { opensAt: new Date(windowNow.opensAtMs).toISOString() } : {}),
            ...(windowNow.closesAtMs ? { closesAt: new Date(windowNow.closesAtMs).toISOString() } : {}),
          },
        }
      : {}),
    steps,
    ...(resolved
      ? {
          blastRadius: {
            instanceCount: resolved.instanceIds.length,
            limit: options.maxTargets,
            needsConfirm: resolved.instanceIds.length > options.maxTargets,
          },
        }
      : {}),
    sent: false,
  };
}
