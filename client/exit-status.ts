// Exit codes for outcomes that are not exceptions: a report with problems, a run that ended badly.
import type { RunStatus } from '../workflows/run-state.js';

export const exitCode = { ok: 0, failed: 1, badInput: 2 } as const;

/** validate: a file with problems is bad input. */
export function exitCodesForResult(ok: boolean): number {
  return ok ? exitCode.ok : exitCode.badInput;
}

/** A run that is fine so far, or ended as wanted, is 0; one that ended (or stopped) on a failure is 1. */
export function exitCodeForRun(status: RunStatus, wanted: readonly RunStatus[] = ['succeeded', 'running', 'waiting-approval']): number {
  return wanted.includes(status) ? exitCode.ok : exitCode.failed;
}
