// Where the target-lock registry lives and how worker and CLI reach it: one registry workflow per
// namespace and task queue, started by whichever Update reaches it first (update-with-start), so
// nobody has to create it and two first callers still meet in the same workflow.
import { WithStartWorkflowOperation, type Client } from '@temporalio/client';
import type { UpdateDefinition } from '@temporalio/common';

/** The registry workflow's type, as workflows/index.ts registers it. */
export const lockRegistryWorkflowType = 'targetLockRegistry';

export function lockRegistryId(taskQueue: string): string {
  return `ssmflow-target-locks/${taskQueue}`;
}

/** Sends an Update to the task queue's registry, starting the registry when it does not run yet. */
export async function executeLockRegistryUpdate<Ret, Args extends unknown[]>(
  client: Client,
  taskQueue: string,
  update: UpdateDefinition<Ret, Args>,
  args: Args,
): Promise<Ret> {
  const startWorkflowOperation = new WithStartWorkflowOperation(lockRegistryWorkflowType, {
    workflowId: lockRegistryId(taskQueue),
    taskQueue,
    args: [{}],
    workflowIdConflictPolicy: 'USE_EXISTING',
  });
  return client.workflow.executeUpdateWithStart(update, { args, startWorkflowOperation });
}
