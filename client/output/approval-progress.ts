// One line on who may still approve: the approvals given, how many are needed, and by whom.
import type { ApprovalProgress } from '../../workflows/approval-policy.js';
import { initiatingPerson } from '../../workflows/approval-policy.js';

/** `initiator` absent (a plan, before the run exists): says the rule rather than the name. */
export function approvalProgressLine(progress: ApprovalProgress, initiator?: string): string {
  const given = progress.given.length
    ? `${progress.given.length} of ${progress.minApprovals} approvals (${progress.given.map((g) => g.by).join(', ')})`
    : `${progress.minApprovals} approval${progress.minApprovals === 1 ? '' : 's'} needed`;
  const who = progress.approvers ? `approvers: ${progress.approvers.join(', ')}` : 'any operator may approve';
  const self = progress.allowSelfApproval
    ? ''
    : initiator === undefined
      ? ' · not whoever starts the run'
      : ` · not ${initiatingPerson(initiator)}, who started it`;
  return `${given} · ${who}${self}`;
}
