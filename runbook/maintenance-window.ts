// Whether a maintenance window is open at a given instant. Pure: uses only the time it is given
// (the workflow passes its deterministic Date.now()), and croner computes occurrences without timers.
import { Cron } from 'croner';
import type { NormalizedMaintenanceWindow } from './types.js';

export interface WindowState {
  open: boolean;
  /** Open: when the current window opened. Closed: when the next one opens (absent if never). */
  opensAtMs?: number;
  /** End of the current window, or of the next one when closed. */
  closesAtMs?: number;
}

// Windows whose duration outlasts the gap to the next start merge into one; bound the merging so
// a window that never closes (`* * * * *` for a day) still answers quickly.
const MAX_MERGED_WINDOWS = 1000;

function schedule(window: Pick<NormalizedMaintenanceWindow, 'cron' | 'timezone'>): Cron {
  return new Cron(window.cron, { timezone: window.timezone, mode: '5-part' });
}

/** Occurrences strictly after `afterMs` (croner works at whole seconds; windows start on minutes). */
function nextStart(cron: Cron, afterMs: number): number | undefined {
  return cron.nextRun(new Date(afterMs))?.getTime();
}

export function windowState(window: NormalizedMaintenanceWindow, nowMs: number): WindowState {
  const cron = schedule(window);
  // The only windows that can cover `now` started in (now - duration, now].
  const start = nextStart(cron, nowMs - window.durationMs);
  if (start === undefined) return { open: false };
  if (start > nowMs) return { open: false, opensAtMs: start, closesAtMs: start + window.durationMs };
  let closesAtMs = start + window.durationMs;
  let latestStart = start;
  for (let merged = 0; merged < MAX_MERGED_WINDOWS; merged += 1) {
    const following = nextStart(cron, latestStart);
    if (following === undefined || following > closesAtMs) break;
    latestStart = following;
    closesAtMs = following + window.durationMs;
  }
  return { open: true, opensAtMs: start, closesAtMs };
}

/** Why `cron` is not a five-field cron expression croner accepts, or undefined when it is. */
export function cronProblem(cron: string, timezone = 'UTC'): string | undefined {
  const fields = cron.trim().split(/\s+/);
  if (!cron.trim().startsWith('@') && fields.length !== 5) {
    return `has ${fields.length} field${fields.length === 1 ? '' : 's'}; a cron needs five (minute hour day-of-month month day-of-week)`;
  }
  try {
    const parsed = schedule({ cron, timezone });
    if (parsed.nextRun(new Date(0)) === null) return 'never matches a date';
    return undefined;
  } catch (error) {
    return (error as Error).message.replace(/^CronPattern: /, '');
  }
}

/** True when `timezone` is an IANA time zone name this runtime knows. */
export function isValidTimeZone(timezone: string): boolean {
  try {
    new Intl.DateTimeFormat('en-US', { timeZone: timezone });
    return true;
  } catch {
    return false;
  }
}
