// Who may approve: the approvers, how many distinct approvals it takes, and whether the person who
// started the run may be one of them (four eyes: not by default).
import { z } from 'zod';
import { withFix } from './fix-hint.js';

/** A group name, or `user:<identity>` for one person (the identity as the API or `--as` names them). */
export const APPROVER_PATTERN = /^(user:[^\s,]{1,200}|[A-Za-z0-9][A-Za-z0-9._@-]{0,99})$/;

const Approver = z
  .string()
  .regex(
    APPROVER_PATTERN,
    withFix(
      'must be a group name (letters, digits, . _ @ -) or user:<identity>',
      'write a group such as `dba-leads`, or one person as `user:alice@example.com`',
    ),
  );

export const approvalPolicyFields = {
  approvers: z
    .array(Approver)
    .min(1)
    .max(50)
    .optional()
    .describe(
      'Who may approve (and reject): group names, or `user:<identity>` for one person. Default: anyone who may act on the run. ' +
        'Groups come from the API token or OIDC claims, or from `ssmflow approve --group`.',
    ),
  minApprovals: z
    .int()
    .min(1)
    .max(10)
    .optional()
    .describe('How many distinct approvers must approve before the run goes on (default 1). One rejection ends the wait.'),
  allowSelfApproval: z.boolean().optional().describe('Whether the person who started the run may approve it. Default false (four eyes).'),
};

export const ApprovalPolicy = z.strictObject(approvalPolicyFields).meta({
  id: 'ApprovalPolicy',
  description:
    'Who may approve the runbook approvals: `approvers`, `minApprovals` distinct approvals, and `allowSelfApproval` (false by default: ' +
    'the initiator cannot approve their own run). Set once for the runbook (approval steps and rollout waves) and per approval step.',
});
