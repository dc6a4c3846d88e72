// What a caller may do: roles from groups (or user:<identity>) in the config, admin implying
// every role, and per-runbook rules on top (who may start a runbook, who may approve its runs).
// Pure functions: a decision is undefined (allowed) or the 403 that says what is needed.
import { isApprover } from '../workflows/approval-policy.js';
import type { Caller } from './caller.js';
import type { RoleName, ServeConfig } from './config.js';
import { ApiError } from './errors.js';

/** Whether a caller is one of `principals` (group names, or user:<identity>), matched as runbook approvers are. */
export function isAmong(caller: Caller, principals: readonly string[]): boolean {
  return isApprover(principals, { by: caller.identity, groups: caller.groups });
}

export function rolesOf(caller: Caller, roles: ServeConfig['roles']): Set<RoleName> {
  const held = new Set((Object.keys(roles) as RoleName[]).filter((role) => isAmong(caller, roles[role])));
  if (held.has('admin')) return new Set(['viewer', 'operator', 'approver', 'admin']);
  return held;
}

function who(principals: readonly string[]): string {
  return principals.length ? principals.join(', ') : 'nobody (not configured)';
}

/** Undefined when the caller holds `role`, else the 403 naming the role and the groups that have it. */
export function refuseWithoutRole(caller: Caller, role: RoleName, roles: ServeConfig['roles']): ApiError | undefined {
  if (rolesOf(caller, roles).has(role)) return undefined;
  return new ApiError(
    403,
    'forbidden',
    `${caller.identity} lacks the ${role} role, which this needs (held by: ${who([...roles[role], ...roles.admin])})`,
    `ask for membership of a group with the ${role} role`,
  );
}

export type RunbookAct = 'start' | 'approve';

/** Undefined when the runbook has no rule for `act`, the caller matches it, or the caller is admin; else the 403. */
export function refuseByRunbookRule(
  caller: Caller,
  runbook: string,
  act: RunbookAct,
  config: Pick<ServeConfig, 'roles' | 'runbooks'>,
): ApiError | undefined {
  const rule = config.runbooks[runbook]?.[act];
  if (!rule || isAmong(caller, rule) || rolesOf(caller, config.roles).has('admin')) return undefined;
  return new ApiError(
    403,
    'forbidden',
    `runbook ${runbook} lets only ${who(rule)} ${act === 'start' ? 'start it' : 'approve or reject its runs'}; ${caller.identity} is not among them`,
    `ask for membership of one of: ${who(rule)}`,
  );
}
