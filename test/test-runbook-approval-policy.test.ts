// Approval policies as runbooks declare them and runs apply them: the schema, the merge of runbook
// and step settings, the load-time check, and the decision every approve Update validator makes.
import { describe, expect, it } from 'vitest';
import { actingGroups } from '../client/identity.js';
import { approvalProgressLine } from '../client/output/approval-progress.js';
import { parseRunbook } from '../runbook/load.js';
import { effectiveApprovalPolicy } from '../runbook/normalize.js';
import type { NormalizedApprovalStep } from '../runbook/types.js';
import { approvalProblem, initiatingPerson, isApprover, type ApprovalPolicy } from '../workflows/approval-policy.js';

const runbookWith = (policy: string, approval: string) => `apiVersion: ssmflow/v1
name: demo
targets: { tags: { Cluster: c1 } }
${policy}
steps:
  - id: check
    run: echo ok
  - id: ask
    approval: { message: 'go?'${approval} }
`;

function parsed(yaml: string) {
  const result = parseRunbook(yaml, 'runbooks/demo.yaml');
  if ('errors' in result) throw new Error(JSON.stringify(result.errors, null, 2));
  return result.normalized;
}

function errorsOf(yaml: string) {
  const result = parseRunbook(yaml, 'runbooks/demo.yaml');
  if (!('errors' in result)) throw new Error('expected errors');
  return result.errors;
}

describe('approval policy in the runbook', () => {
  it('defaults to four eyes and one approval, from anyone', () => {
    const runbook = parsed(runbookWith('', ''));
    expect(runbook.approvalPolicy).toEqual({ minApprovals: 1, allowSelfApproval: false });
    expect((runbook.steps[1] as NormalizedApprovalStep).policy).toEqual({ minApprovals: 1, allowSelfApproval: false });
  });

  it('a step overrides the runbook policy field by field', () => {
    const runbook = parsed(
      runbookWith(
        'approvalPolicy: { approvers: [dba-leads, "user:carol@example.com"], minApprovals: 2 }',
        ', minApprovals: 1, allowSelfApproval: true',
      ),
    );
    expect(runbook.approvalPolicy).toEqual({
      approvers: ['dba-leads', 'user:carol@example.com'],
      minApprovals: 2,
      allowSelfApproval: false,
    });
    expect((runbook.steps[1] as NormalizedApprovalStep).policy).toEqual({
      approvers: ['dba-leads', 'user:carol@example.com'],
      minApprovals: 1,
      allowSelfApproval: true,
    });
    expect(effectiveApprovalPolicy(undefined, { approvers: ['sre'] })).toEqual({
      approvers: ['sre'],
      minApprovals: 1,
      allowSelfApproval: false,
    });
  });

  it('refuses a malformed approver and an out-of-range minApprovals, naming the field and the fix', () => {
    const errors = errorsOf(runbookWith('approvalPolicy: { approvers: ["two words"], minApprovals: 0 }', ''));
    expect(errors.map((e) => e.path).sort()).toEqual(['approvalPolicy.approvers[0]', 'approvalPolicy.minApprovals']);
    expect(errors.find((e) => e.path === 'approvalPolicy.approvers[0]')?.fix).toMatch(/user:alice@example.com/);
  });

  it('refuses a policy no run could ever meet: more approvals than the people it names', () => {
    const errors = errorsOf(runbookWith('', ', approvers: ["user:carol@example.com"], minApprovals: 2'));
    expect(errors).toHaveLength(1);
    expect(errors[0]).toMatchObject({
      path: 'steps[1].approval.minApprovals',
      message: expect.stringContaining('needs 2 distinct approvals but approvers name only 1 person'),
      fix: expect.stringContaining('name a group'),
    });
    // A group can have any number of members: no complaint.
    expect(parsed(runbookWith('', ', approvers: [dba-leads], minApprovals: 3')).name).toBe('demo');
  });
});

describe('approvalProblem', () => {
  const policy: ApprovalPolicy = { approvers: ['dba-leads', 'user:carol@example.com'], minApprovals: 2, allowSelfApproval: false };
  const ask = (
    actor: { by: string; groups?: string[] },
    given: { by: string; at: string }[] = [],
    decision: 'approve' | 'reject' = 'approve',
  ) => approvalProblem({ subject: 'step ask of run r-1', policy, initiator: 'alice@example.com', actor, decision, given });

  it('refuses the initiator (four eyes), even as a member of an approving group, and through a rollout', () => {
    expect(ask({ by: 'alice@example.com', groups: ['dba-leads'] })).toMatch(
      /^four eyes: alice@example.com may not approve step ask of run r-1, which they started; another person must \(approvers: /,
    );
    expect(ask({ by: 'Alice@Example.com ', groups: ['dba-leads'] })).toMatch(/^four eyes/);
    expect(
      approvalProblem({
        subject: 'x',
        policy,
        initiator: 'rollout:ro-1 (alice@example.com)',
        actor: { by: 'alice@example.com', groups: ['dba-leads'] },
        decision: 'approve',
        given: [],
      }),
    ).toMatch(/^four eyes/);
    expect(
      approvalProblem({
        subject: 'x',
        policy: { ...policy, allowSelfApproval: true },
        initiator: 'alice@example.com',
        actor: { by: 'alice@example.com', groups: ['dba-leads'] },
        decision: 'approve',
        given: [],
      }),
    ).toBeUndefined();
  });

  it('takes approvers by group or by name, and says who may when someone else tries', () => {
    expect(ask({ by: 'bob@example.com', groups: ['dba-leads'] })).toBeUndefined();
    expect(ask({ by: 'carol@example.com' })).toBeUndefined();
    expect(ask({ by: 'dave@example.com', groups: ['sre'] })).toBe(
      'dave@example.com (groups: sre) is not an approver of step ask of run r-1: approvers are dba-leads, user:carol@example.com; ask one of them to approve',
    );
  });

  it('counts a person once', () => {
    expect(ask({ by: 'carol@example.com' }, [{ by: 'carol@example.com', at: '2026-12-04T00:00:00Z' }])).toMatch(
      /carol@example.com has already approved step ask of run r-1 \(1 of 2\); 1 more from another approver needed/,
    );
  });

  it('lets the initiator reject their own run, and refuses a rejection from outside the approvers', () => {
    expect(ask({ by: 'alice@example.com' }, [], 'reject')).toBeUndefined();
    expect(ask({ by: 'bob@example.com', groups: ['dba-leads'] }, [], 'reject')).toBeUndefined();
    expect(ask({ by: 'eve@example.com' }, [], 'reject')).toMatch(/eve@example.com \(no groups\) may not reject/);
  });

  it('finds the person behind a rollout run, and matches anyone when no approvers are named', () => {
    expect(initiatingPerson('rollout:ro-1 (rollout:ro-0 (alice))')).toBe('alice');
    expect(initiatingPerson('schedule:nightly')).toBe('schedule:nightly');
    expect(isApprover(undefined, { by: 'anyone' })).toBe(true);
    expect(isApprover([], { by: 'anyone' })).toBe(false);
  });
});

describe('the CLI side', () => {
  it('reads groups from --group (repeated or comma-separated), else $SSMFLOW_GROUPS', () => {
    expect(actingGroups(['dba', 'sre,dba-leads'], {})).toEqual(['dba', 'sre', 'dba-leads']);
    expect(actingGroups(undefined, { SSMFLOW_GROUPS: ' dba , ,sre' })).toEqual(['dba', 'sre']);
    expect(actingGroups([], {})).toEqual([]);
  });

  it('shows the approvals given and who may still approve', () => {
    const progress = { approvers: ['dba-leads'], minApprovals: 2, allowSelfApproval: false, given: [{ by: 'bob', at: 'now' }] };
    expect(approvalProgressLine(progress, 'rollout:ro-1 (alice)')).toBe(
      '1 of 2 approvals (bob) · approvers: dba-leads · not alice, who started it',
    );
    expect(approvalProgressLine({ minApprovals: 1, allowSelfApproval: true, given: [] }, 'alice')).toBe(
      '1 approval needed · any operator may approve',
    );
  });
});
