import { FLEET_ACCOUNT_ID, SsmError } from './errors.js';
import { type FleetInstances } from './instances.js';

export interface Target {
  Key: string;
  Values: string[];
}

export const invalidInstances = (ids: readonly string[]) =>
  new SsmError('InvalidInstanceId', `Instances [[${ids.join(', ')}]] not in a valid state for account ${FLEET_ACCOUNT_ID}`);

/**
 * SendCommand targets to instance ids, in dispatch order: explicit InstanceIds as given, or
 * Targets (`tag:<key>` values ORed, keys ANDed; `InstanceIds`/`instanceids`).
 */
export function resolveTargets(
  instances: FleetInstances,
  request: { instanceIds?: string[]; targets?: Target[] },
): { ids: string[]; noInstancesInTag: boolean } {
  const hasIds = (request.instanceIds?.length ?? 0) > 0;
  const hasTargets = (request.targets?.length ?? 0) > 0;
  if (hasIds === hasTargets) {
    throw new SsmError('ValidationException', 'Exactly one of InstanceIds or Targets must be specified.');
  }
  if (hasIds) {
    const ids = request.instanceIds ?? [];
    const dup = ids.find((id, i) => ids.indexOf(id) !== i);
    if (dup) throw new SsmError('DuplicateInstanceId', `Instance ${dup} is listed more than once.`);
    const unknown = ids.filter((id) => !instances.has(id));
    if (unknown.length > 0) throw invalidInstances(unknown);
    return { ids: [...ids], noInstancesInTag: false };
  }
  let candidates: string[] = instances.list.map((i) => i.id);
  let byTag = false;
  for (const t of request.targets ?? []) {
    if (t.Key.startsWith('tag:')) {
      byTag = true;
      const key = t.Key.slice(4);
      candidates = candidates.filter((id) => {
        const v = instances.get(id)?.tags[key];
        return v !== undefined && t.Values.includes(v);
      });
    } else if (t.Key === 'InstanceIds' || t.Key === 'instanceids') {
      const unknown = t.Values.filter((id) => !instances.has(id));
      if (unknown.length > 0) throw invalidInstances(unknown);
      // Explicit ids keep their given order.
      candidates = t.Values.filter((id, i) => candidates.includes(id) && t.Values.indexOf(id) === i);
    } else {
      throw new SsmError(
        'ValidationException',
        `Target key ${t.Key} is not supported by Run Command on the local fleet (use tag:<key> or InstanceIds).`,
      );
    }
  }
  return { ids: candidates, noInstancesInTag: byTag && candidates.length === 0 };
}
