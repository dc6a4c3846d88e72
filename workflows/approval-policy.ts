// Who may answer an approval, decided the same way for every client (CLI, API, a script against
// Temporal): the run's Update validators call approvalProblem. Pure and deterministic.
import type { ApprovalPolicy } from '../runbook/types.js';

export type { ApprovalPolicy };

/** One approval given while an approval waits. */
export interface GivenApproval {
  by: string;
  at: string;
  reason?: string;
}

/** An approval wait as clients show it: the policy, and the approvals given so far. */
export interface ApprovalProgress extends ApprovalPolicy {
  given: GivenApproval[];
}

/** The person acting, as the validator knows them: the identity and the groups it belongs to. */
export interface Actor {
  by: string;
  groups?: readonly string[];
}

/**
 * The person behind an initiator: a rollout's runs are started as `rollout:<id> (<person>)`, a
 * redrive of one as the redriver. Schedules start runs as themselves; nobody is behind them.
 */
export function initiatingPerson(initiator: string): string {
  const rollout = /^rollout:\S+ \((.+)\)$/.exec(initiator.trim());
  return rollout?.[1] ? initiatingPerson(rollout[1]) : initiator.trim();
}

export function samePerson(a: string, b: string): boolean {
  return a.trim().toLowerCase() === b.trim().toLowerCase();
}

/** Whether the actor is one of the approvers (a named person, or a member of a named group); no list: anyone. */
export function isApprover(approvers: readonly string[] | undefined, actor: Actor): boolean {
  if (approvers === undefined) return true;
  return approvers.some((entry) =>
    entry.startsWith('user:') ? samePerson(entry.slice('user:'.length), actor.by) : (actor.groups ?? []).includes(entry),
  );
}

function describeActor(actor: Actor): string {
  return actor.groups?.length ? `${actor.by} (groups: ${actor.groups.join(', ')})` : `${actor.by} (no groups)`;
}

/**
 * Why `actor` may not approve (or reject) what `subject` names, or undefined when they may.
 * Rejecting needs an approver too, except for the initiator: withdrawing one's own run is safe.
 */
export function approvalProblem(opts: {
  /** What waits, for the message: `step approve-cutover of run r-1`, `wave 2 of rollout ro-1`. */
  subject: string;
  policy: ApprovalPolicy;
  initiator: string;
  actor: Actor;
  decision: 'approve' | 'reject';
  given: readonly GivenApproval[];
}): string | undefined {
  const { subject, policy, actor } = opts;
  const initiator = initiatingPerson(opts.initiator);
  const isInitiator = samePerson(initiator, actor.by);
  const approvers = policy.approvers?.join(', ');
  if (opts.decision === 'reject') {
    if (isInitiator || isApprover(policy.approvers, actor)) return undefined;
    return `${describeActor(actor)} may not reject ${subject}: only its approvers (${approvers}) or its initiator ${initiator} may`;
  }
  if (isInitiator && !policy.allowSelfApproval) {
    return (
      `four eyes: ${actor.by} may not approve ${subject}, which they started; ` +
      `another person must${approvers ? ` (approvers: ${approvers})` : ''} (the runbook's allowSelfApproval is false)`
    );
  }
  if (!isApprover(policy.approvers, actor)) {
    return `${describeActor(actor)} is not an approver of ${subject}: approvers are ${approvers}; ask one of them to approve`;
  }
  if (opts.given.some((g) => samePerson(g.by, actor.by))) {
    const others = policy.minApprovals - opts.given.length;
    return (
      `${actor.by} has already approved ${subject} (${opts.given.length} of ${policy.minApprovals}); ` +
      `${others} more from ${others === 1 ? 'another approver' : 'other approvers'} needed`
    );
  }
  return undefined;
}
