// Waiting on a run through its state query, for tests that act on a run part-way through.
import type { runControls } from '../../client/runs.js';
import { terminalRunStatuses, type RunState, type RunStatus } from '../../workflows/run-state.js';
import { eventually } from './eventually.js';

type RunControls = Pick<ReturnType<typeof runControls>, 'handle' | 'state'>;

export interface RunWaitOptions {
  timeoutMs?: number;
  /** Between two state queries; 100 ms unless told (every query is a round trip to the server). */
  intervalMs?: number;
}

/**
 * Polls the run's state until `predicate` holds; `what` completes "run <id> …" in the failure,
 * which shows the last state seen. A run that has ended without it gives up at once.
 */
export function waitForRunState(
  controls: RunControls,
  predicate: (state: RunState) => boolean,
  what: string,
  options: RunWaitOptions = {},
): Promise<RunState> {
  return eventually(() => controls.state(), {
    until: predicate,
    hopeless: (state) => terminalRunStatuses.includes(state.status),
    timeoutMs: options.timeoutMs ?? 30_000,
    intervalMs: options.intervalMs ?? 100,
    description: `run ${controls.handle.workflowId} ${what}`,
  });
}

export function waitForRunStatus(controls: RunControls, status: RunStatus, options: RunWaitOptions = {}): Promise<RunState> {
  return waitForRunState(controls, (state) => state.status === status, `to be ${status}`, options);
}
