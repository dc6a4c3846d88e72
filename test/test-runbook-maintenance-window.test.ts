import { describe, expect, it } from 'vitest';
import { windowState } from '../runbook/maintenance-window.js';

const at = (iso: string): number => Date.parse(iso);
const iso = (ms: number | undefined): string | undefined => (ms === undefined ? undefined : new Date(ms).toISOString());

function state(window: { cron: string; durationMs: number; timezone: string }, now: string) {
  const result = windowState(window, at(now));
  return { open: result.open, opensAt: iso(result.opensAtMs), closesAt: iso(result.closesAtMs) };
}

describe('windowState', () => {
  const saturdayNights = { cron: '0 2 * * SAT', durationMs: 4 * 3_600_000, timezone: 'UTC' };

  it('is closed before the window and says when it opens', () => {
    expect(state(saturdayNights, '2025-01-04T01:59:59Z')).toEqual({
      open: false,
      opensAt: '2025-01-04T02:00:00.000Z',
      closesAt: '2025-01-04T06:00:00.000Z',
    });
  });

  it('is open from the start up to, not including, the end', () => {
    expect(state(saturdayNights, '2025-01-04T02:00:00Z')).toMatchObject({ open: true, opensAt: '2025-01-04T02:00:00.000Z' });
    expect(state(saturdayNights, '2025-01-04T05:59:59.999Z')).toMatchObject({ open: true, closesAt: '2025-01-04T06:00:00.000Z' });
    expect(state(saturdayNights, '2025-01-04T06:00:00Z')).toEqual({
      open: false,
      opensAt: '2025-01-11T02:00:00.000Z',
      closesAt: '2025-01-11T06:00:00.000Z',
    });
  });

  it('reads the cron in its time zone, daylight saving time included', () => {
    const berlin = { cron: '0 2 * * SAT', durationMs: 3_600_000, timezone: 'Europe/Berlin' };
    expect(state(berlin, '2025-01-04T01:30:00Z')).toMatchObject({ open: true, opensAt: '2025-01-04T01:00:00.000Z' });
    expect(state(berlin, '2025-07-05T00:30:00Z')).toMatchObject({ open: true, opensAt: '2025-07-05T00:00:00.000Z' });
    expect(state(berlin, '2025-07-05T01:30:00Z')).toMatchObject({ open: false, opensAt: '2025-07-12T00:00:00.000Z' });
  });

  it('merges windows that overlap into one', () => {
    const hourlyForTwoHours = { cron: '0 * * * *', durationMs: 2 * 3_600_000, timezone: 'UTC' };
    const result = state({ ...hourlyForTwoHours, cron: '0 0,1 * * *' }, '2025-01-01T00:30:00Z');
    expect(result).toEqual({ open: true, opensAt: '2025-01-01T00:00:00.000Z', closesAt: '2025-01-01T03:00:00.000Z' });
  });

  it('depends only on the time it is given', () => {
    const now = at('2025-03-01T12:00:00Z');
    expect(windowState(saturdayNights, now)).toEqual(windowState(saturdayNights, now));
  });
});
