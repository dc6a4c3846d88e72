// The activities through which runs and the registry talk to Temporal itself (workflows cannot
// send Updates or describe executions): the worker's own client, from the activity context, reaches
// the target-lock registry of the activity's task queue.
import { Context } from '@temporalio/activity';
import { type Client, WorkflowNotFoundError } from '@temporalio/client';
import { executeLockRegistryUpdate } from '../core/target-lock-registry.js';
import { applyTargetLockBatchUpdate, type TargetLockActivities } from '../workflows/target-lock-messages.js';
import { checkAcquireRequest, type AcquireAnswer, type ReleaseAnswer } from '../workflows/target-lock-table.js';
import { TargetLockBatcher } from './target-lock-batcher.js';

export function createTargetLockActivities(): TargetLockActivities {
  const registry = () => ({ client: Context.current().client, taskQueue: Context.current().info.taskQueue });
  // One batcher per client and task queue: the runs of this worker share their Updates.
  const batchers = new WeakMap<Client, Map<string, TargetLockBatcher>>();
  const batcher = () => {
    const { client, taskQueue } = registry();
    const byQueue = batchers.get(client) ?? new Map<string, TargetLockBatcher>();
    batchers.set(client, byQueue);
    let found = byQueue.get(taskQueue);
    if (!found) {
      found = new TargetLockBatcher((operations) => executeLockRegistryUpdate(client, taskQueue, applyTargetLockBatchUpdate, [operations]));
      byQueue.set(taskQueue, found);
    }
    return found;
  };
  return {
    async acquireTargetLock(request) {
      // Checked here too: one bad request must not fail the batch it would join.
      checkAcquireRequest(request);
      return (await batcher().submit({ op: 'acquire', request })) as AcquireAnswer;
    },
    async releaseTargetLock(request) {
      return (await batcher().submit({ op: 'release', request })) as ReleaseAnswer;
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
