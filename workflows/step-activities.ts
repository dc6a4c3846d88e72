// The SSM activities as one step calls them: its time limit, heartbeats and cancellation.
import { ActivityCancellationType, patched, proxyActivities } from '@temporalio/workflow';
import type { SsmActivities } from '../activities/ssm/ssm-activities.js';
import type { RenderedCommandStep } from '../runbook/types.js';

export function stepActivities(step: RenderedCommandStep, heartbeatTimeoutSeconds: number | undefined, extraMs = 0) {
  return proxyActivities<SsmActivities>({
    // The step's own time limit covers every infrastructure retry of the activity.
    scheduleToCloseTimeout: step.timeoutMs + extraMs + 60_000,
    heartbeatTimeout: `${heartbeatTimeoutSeconds ?? 60} seconds`,
    retry: { initialInterval: '2 seconds', backoffCoefficient: 2, maximumInterval: '1 minute' },
    // A cancelled step's rollback must not start while its command still runs: wait until the
    // activity has cancelled the command in SSM.
    cancellationType: patched('wait-for-step-cancel')
      ? ActivityCancellationType.WAIT_CANCELLATION_COMPLETED
      : ActivityCancellationType.TRY_CANCEL,
  });
}
