// Which steps a redrive carries over and where it starts (client/redrive-plan.ts).
import { describe, expect, it } from 'vitest';
import { planRedrive, redriveRunId, fixedParameters, type EndedStep } from '../client/redrive-plan.js';
import type { NormalizedRunbook } from '../runbook/types.js';
import type { StepStatus } from '../workflows/run-state.js';

const steps = (...statuses: StepStatus[]): EndedStep[] =>
  statuses.map((status, i) => ({
    id: `s${i + 1}`,
    status,
    attempts: status === 'pending' ? 0 : 1,
    commandIds: status === 'pending' ? [] : [`c${i + 1}`],
  }));

describe('planRedrive', () => {
  it('starts at the first step that did not succeed and carries the done ones before it', () => {
    const plan = planRedrive('r', 'failed', steps('succeeded', 'skipped', 'failed', 'pending', 'pending'));
    expect(plan).toEqual({
      fromStepId: 's3',
      carried: [
        { id: 's1', status: 'succeeded', attempts: 1, commandIds: ['c1'] },
        { id: 's2', status: 'skipped', attempts: 1, commandIds: ['c2'] },
      ],
    });
  });

  it('may start earlier than the failed step, never later', () => {
    const ended = steps('succeeded', 'succeeded', 'failed', 'pending');
    expect(planRedrive('r', 'failed', ended, 's2')).toMatchObject({ fromStepId: 's2', carried: [{ id: 's1' }] });
    expect(planRedrive('r', 'failed', ended, 's4')).toEqual({
      problem: 'step s3 ended failed in run r, so a redrive cannot start after it at s4',
      fix: 'redrive from s3 or an earlier step: ssmflow redrive r --from s3 --reason "…"',
    });
  });

  it('refuses an unknown step, naming the steps there are', () => {
    expect(planRedrive('r', 'failed', steps('succeeded', 'failed'), 'nope')).toEqual({
      problem: 'run r has no step "nope"',
      fix: 'use one of its steps: s1, s2',
    });
  });

  it('refuses a succeeded or rolled-back run unless told where to start, and says why', () => {
    const succeeded = planRedrive('r', 'succeeded', steps('succeeded', 'succeeded'));
    expect(succeeded).toMatchObject({ problem: expect.stringContaining('succeeded: every step is done') as unknown });
    expect(planRedrive('r', 'rolled-back', steps('rolled-back', 'failed'))).toMatchObject({
      problem: expect.stringContaining('completed steps were undone') as unknown,
      fix: 'to run steps again, name where to start: ssmflow redrive r --from s1 --reason "…"',
    });
    expect(planRedrive('r', 'succeeded', steps('succeeded', 'succeeded'), 's2')).toMatchObject({
      fromStepId: 's2',
      carried: [{ id: 's1' }],
    });
    // A rolled-back run's steps are undone: only a full re-run from the first step is possible.
    expect(planRedrive('r', 'rolled-back', steps('rolled-back', 'rolled-back'), 's1')).toEqual({ fromStepId: 's1', carried: [] });
    expect(planRedrive('r', 'rolled-back', steps('rolled-back', 'rolled-back'), 's2')).toMatchObject({
      problem: expect.stringContaining('step s1 ended rolled-back') as unknown,
    });
  });

  it('continues a cancelled run and a refused one from where they stopped', () => {
    expect(planRedrive('r', 'cancelled', steps('succeeded', 'running'))).toMatchObject({ fromStepId: 's2' });
    expect(planRedrive('r', 'lock-refused', steps('pending', 'pending'))).toEqual({ fromStepId: 's1', carried: [] });
  });
});

describe('redrive helpers', () => {
  it('names the n-th redrive after the run it continues', () => {
    expect(redriveRunId('pg-a-upgrade', 2)).toBe('pg-a-upgrade-redrive-2');
  });

  it('lists the parameters that choose steps or targets', () => {
    const runbook = {
      targets: { tags: { Cluster: ['{{ cluster }}'] } },
      steps: [
        { id: 'a', when: { mode: ['x'] } },
        { id: 'b', targets: { instanceIds: ['{{primary}}'] } },
        { id: 'c', when: { mode: ['y'], env: ['prod'] } },
      ],
    } as unknown as NormalizedRunbook;
    expect(fixedParameters(runbook).sort()).toEqual(['cluster', 'env', 'mode', 'primary']);
  });
});
