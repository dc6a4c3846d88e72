// The activities through which runs and the registry talk to Temporal itself (workflows cannot
// send Updates or describe executions): the worker's own client, from the activity context, reaches
// the target-lock registry of the activity's task queue.
import { Context } from '@temporalio/activity';
import { WorkflowNotFoundError } from '@temporalio/client';
import { executeLockRegistryUpdate } from '../core/target-lock-registry.js';
import { acquireTargetLockUpdate, releaseTargetLockUpdate, type TargetLockActivities } from '../workflows/target-lock-messages.js';

export function createTargetLockActivities(): TargetLockActivities {
  const registry = () => ({ client: Context.current().client, taskQueue: Context.current().info.taskQueue });
  return {
    async acquireTargetLock(request) {
      const { client, taskQueue } = registry();
      return executeLockRegistryUpdate(client, taskQueue, acquireTargetLockUpdate, [request]);
    },
    async releaseTargetLock(request) {
      const { client, taskQueue } = registry();
      return executeLockRegistryUpdate(client, taskQueue, releaseTargetLockUpdate, [request]);
    },
    async describeLockHolders(holders) {
      const { client } = registry();
      return Promise.all(
        holders.map(async (holder) => {
          try {
            const description = await client.workflow.getHandle(holder).describe();
            return description.status.name === 'RUNNING'
              ? { holder, state: 'open' as const }
              : { holder, state: 'closed' as const, closeStatus: description.status.name };
          } catch (err) {
            if (err instanceof WorkflowNotFoundError) return { holder, state: 'not-found' as const };
            throw err;
          }
        }),
      );
    },
  };
}
