// Which instances a run would reach, resolved through SSM the way the run's commands will target
// them: used by `plan` (shown, offline ones flagged) and by the blast-radius guard (counted).
import type { SSMClient } from '@aws-sdk/client-ssm';
import { createSsmClient } from '../aws/clients.js';
import { describeInstances } from '../aws/ssm/describe-instances.js';
import type { CommandTargets } from '../aws/ssm/types.js';
import { renderTargets } from '../runbook/render.js';
import { selectSteps } from '../runbook/step-conditions.js';
import type { NormalizedRunbook, ParameterValues, RenderedTargets } from '../runbook/types.js';
import { describeTargets } from '../workflows/step-command-input.js';
import { CliInputError, CliOperationFailed } from './cli-errors.js';

export interface TargetSet {
  /** How the selector reads: "tag:Cluster=pg-a" or "i-1, i-2". */
  selector: string;
  targets: RenderedTargets;
  /** Steps that send commands to this selector. */
  steps: string[];
  online: string[];
  offline: { instanceId: string; pingStatus: string; lastPingAt?: string }[];
  /** Ids asked for by name that SSM does not know. */
  missing: string[];
}

export interface RunTargets {
  sets: TargetSet[];
  /** Every distinct instance the run may touch (online or not). */
  instanceIds: string[];
}

/** The distinct rendered target selectors of the runbook's command steps. */
export function targetSelectors(runbook: NormalizedRunbook, values: ParameterValues): Omit<TargetSet, 'online' | 'offline' | 'missing'>[] {
  const sets = new Map<string, Omit<TargetSet, 'online' | 'offline' | 'missing'>>();
  for (const step of runbook.steps) {
    if (step.kind === 'approval' || step.kind === 'sleep') continue;
    const targets = renderTargets(step.targets, values);
    const selector = describeTargets(targets as CommandTargets);
    const set = sets.get(selector) ?? { selector, targets, steps: [] };
    set.steps.push(step.id);
    sets.set(selector, set);
  }
  return [...sets.values()];
}

export async function resolveRunTargets(ssm: SSMClient, runbook: NormalizedRunbook, values: ParameterValues): Promise<RunTargets> {
  const sets: TargetSet[] = [];
  for (const selector of targetSelectors(runbook, values)) {
    let instances;
    try {
      instances = await describeInstances(ssm, selector.targets as CommandTargets);
    } catch (err) {
      throw new CliOperationFailed(
        `cannot resolve targets ${selector.selector} through SSM: ${(err as { name?: string }).name ?? 'Error'}: ${(err as Error).message}`,
        'check AWS credentials and AWS_REGION (or AWS_ENDPOINT_URL_SSM for the local fleet); `ssmflow plan --offline` shows the plan without resolving targets',
      );
    }
    const known = new Set(instances.map((i) => i.InstanceId ?? ''));
    sets.push({
      ...selector,
      online: instances
        .filter((i) => i.PingStatus === 'Online')
        .map((i) => i.InstanceId ?? '')
        .sort(),
      offline: instances
        .filter((i) => i.PingStatus !== 'Online')
        .map((i) => ({
          instanceId: i.InstanceId ?? '',
          pingStatus: i.PingStatus ?? 'Unknown',
          ...(i.LastPingDateTime ? { lastPingAt: i.LastPingDateTime.toISOString() } : {}),
        }))
        .sort((a, b) => a.instanceId.localeCompare(b.instanceId)),
      missing: 'instanceIds' in selector.targets ? selector.targets.instanceIds.filter((id) => !known.has(id)) : [],
    });
  }
  const all = new Set(sets.flatMap((s) => [...s.online, ...s.offline.map((o) => o.instanceId)]));
  return { sets, instanceIds: [...all].sort() };
}

/** The instances a run of `runbook` would touch now (the steps its parameters choose), for the blast-radius guard. */
export async function resolveTargetsForStart(runbook: NormalizedRunbook, values: ParameterValues): Promise<RunTargets> {
  const ssm = createSsmClient();
  try {
    return await resolveRunTargets(ssm, selectSteps(runbook, values), values);
  } finally {
    ssm.destroy();
  }
}

/** How many instances a run of `runbook` would touch now, for the blast-radius guard. */
export async function countTargetInstances(runbook: NormalizedRunbook, values: ParameterValues): Promise<number> {
  return (await resolveTargetsForStart(runbook, values)).instanceIds.length;
}

/** Refuses a run with a step whose targets match no instance: it would "succeed" having done nothing. */
export function refuseEmptyTargets(resolved: RunTargets, runbookName: string): void {
  const empty = resolved.sets.filter((set) => set.online.length === 0 && set.offline.length === 0);
  if (empty.length === 0) return;
  const described = empty.map((set) => `${set.selector} (step${set.steps.length === 1 ? '' : 's'} ${set.steps.join(', ')})`).join('; ');
  throw new CliInputError(
    `runbook ${runbookName}: no instance matches ${described}, so nothing was started`,
    "check the cluster name and its instances' tags (a cluster this runbook upgrades needs every role it targets, such as a Role=standby instance); `ssmflow plan` shows what each step reaches",
  );
}
