import { describe, expect, it } from 'vitest';
import { formatDuration, isDuration, parseDuration } from '../runbook/duration.js';

describe('parseDuration', () => {
  it.each([
    ['5s', 5_000],
    ['10m', 600_000],
    ['4h', 14_400_000],
    ['1h30m', 5_400_000],
    ['2d', 172_800_000],
    ['500ms', 500],
    ['1m30s', 90_000],
    ['1d2h3m4s5ms', 93_784_005],
  ])('%s is %d ms', (text, ms) => {
    expect(parseDuration(text)).toBe(ms);
  });

  it.each(['', '5', '10 minutes', '1.5h', '30m1h', '5s5s', '-5s', 'm', '1w'])('rejects %j with an explanation', (text) => {
    expect(() => parseDuration(text)).toThrow(/is not a duration: write a number with a unit/);
  });

  it('rejects zero', () => {
    expect(() => parseDuration('0s')).toThrow(/zero duration/);
    expect(isDuration('0m')).toBe(false);
  });

  it('formats milliseconds back into runbook notation', () => {
    expect(formatDuration(5_400_000)).toBe('1h30m');
    expect(formatDuration(93_784_005)).toBe('1d2h3m4s5ms');
    expect(parseDuration(formatDuration(123_456_789))).toBe(123_456_789);
  });
});
