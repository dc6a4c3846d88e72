// What a waiting `waitUntil` step's check last said. The workflow does not know (the checks run
// inside one activity, so a long wait adds no history): the activity heartbeats it, and the CLI
// reads the heartbeat details of the run's pending activity from Temporal.
import type { WorkflowExecutionDescription } from '@temporalio/client';
import type { ActivitySerializationContext } from '@temporalio/common';
import { decodeFromPayloadsAtIndex } from '@temporalio/common/lib/internal-non-workflow/index.js';
import type { WaitProgress } from '../aws/ssm/types.js';
import type { Connected } from './connection.js';

/** The activity that runs a waitUntil step's checks (activities/ssm/ssm-activities.ts). */
const checkActivityType = 'runCheckUntilSuccess';

function isWaitProgress(value: unknown): value is WaitProgress {
  const progress = value as Partial<WaitProgress> | undefined;
  return typeof progress?.check === 'number' && typeof progress.elapsedMs === 'number' && Array.isArray(progress.instances);
}

/**
 * The last finished check of the run's waiting check activity, from its heartbeat details, decoded
 * with the client's data converter (so through the payload codec when runs are encrypted).
 * Undefined when no check activity is pending or none of its checks has finished yet.
 */
export async function waitProgressOf(connected: Connected, description: WorkflowExecutionDescription): Promise<WaitProgress | undefined> {
  const pending = (description.raw.pendingActivities ?? []).find(
    (a) => a.activityType?.name === checkActivityType && a.heartbeatDetails?.payloads?.length,
  );
  if (!pending) return undefined;
  const context: ActivitySerializationContext = {
    type: 'activity',
    namespace: connected.client.options.namespace,
    ...(pending.activityId ? { activityId: pending.activityId } : {}),
    workflowId: description.workflowId,
    isLocal: false,
  };
  try {
    const details = await decodeFromPayloadsAtIndex<{ lastCheck?: unknown }>(
      connected.client.options.loadedDataConverter,
      0,
      pending.heartbeatDetails?.payloads,
      context,
    );
    return isWaitProgress(details?.lastCheck) ? details.lastCheck : undefined;
  } catch {
    // Progress is a nicety: details this client cannot decode (another codec key) must not fail `status`.
    return undefined;
  }
}
