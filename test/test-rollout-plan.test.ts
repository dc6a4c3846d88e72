import { describe, expect, it } from 'vitest';
import { errorBudgetCount, errorBudgetExceeded, planWaveEnds, waveSpecProblem } from '../workflows/rollout-plan.js';

describe('rollout wave planning', () => {
  it('turns canary, percentages and the rest into cumulative wave ends', () => {
    expect(planWaveEnds(100, ['1', '10%', '50%', '100%'])).toEqual([1, 10, 50, 100]);
    expect(planWaveEnds(7, ['1', '10%', '50%', '100%'])).toEqual([1, 4, 7]);
    expect(planWaveEnds(3, ['5'])).toEqual([3]);
    expect(planWaveEnds(10, ['2', '20%'])).toEqual([2, 10]);
    expect(planWaveEnds(1, ['1', '10%', '100%'])).toEqual([1]);
  });

  it('explains malformed wave specs', () => {
    expect(waveSpecProblem(['1', '10%'])).toBeUndefined();
    expect(waveSpecProblem([])).toMatch(/at least one wave/);
    expect(waveSpecProblem(['ten'])).toMatch(/"ten" is neither a count/);
    expect(waveSpecProblem(['0'])).toMatch(/empty/);
    expect(waveSpecProblem(['150%'])).toMatch(/over 100%/);
    expect(() => planWaveEnds(10, ['x'])).toThrow(/"x" is neither/);
  });

  it('counts the error budget as a number of failed clusters, rounding percentages down', () => {
    expect(errorBudgetCount('2', 100)).toBe(2);
    expect(errorBudgetCount('5%', 100)).toBe(5);
    expect(errorBudgetCount('5%', 30)).toBe(1);
    expect(errorBudgetExceeded(0, '0', 10)).toBe(false);
    expect(errorBudgetExceeded(1, '0', 10)).toBe(true);
    expect(errorBudgetExceeded(5, '5%', 100)).toBe(false);
    expect(errorBudgetExceeded(6, '5%', 100)).toBe(true);
    expect(() => errorBudgetCount('lots', 10)).toThrow(/neither a count/);
  });
});
