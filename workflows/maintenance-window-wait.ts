// A disruptive step waits, pending, until the runbook's maintenance window is open.
import { windowState } from '../runbook/maintenance-window.js';
import type { NormalizedRunbook, RenderedStep } from '../runbook/types.js';
import type { OperatorControls } from './operator-controls.js';
import { RunAborted } from './run-errors.js';
import type { RunRecord } from './run-record.js';

export async function waitForMaintenanceWindow(
  runbook: NormalizedRunbook,
  step: RenderedStep,
  record: RunRecord,
  controls: OperatorControls,
): Promise<void> {
  const window = runbook.maintenanceWindow;
  if (!window || !('disruptive' in step) || !step.disruptive) return;
  for (;;) {
    const now = Date.now();
    const current = windowState(window, now);
    if (current.open) break;
    record.state.waitingFor = {
      reason: 'maintenance-window',
      stepId: step.id,
      since: new Date(now).toISOString(),
      ...(current.opensAtMs ? { until: new Date(current.opensAtMs).toISOString() } : {}),
      message: `disruptive step waits for the maintenance window (${window.cron}, ${window.timezone})`,
    };
    // At least a second between checks, so a window about to open cannot spin this loop.
    if (await controls.abortedWithin(Math.max(1_000, (current.opensAtMs ?? now + 60_000) - now))) throw new RunAborted();
  }
  record.state.waitingFor = undefined;
}
