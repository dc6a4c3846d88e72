// Which instances a run's target selectors match now: what the run locks before it sends anything.
import type { SSMClient } from '@aws-sdk/client-ssm';
import { describeInstances } from '../aws/ssm/describe-instances.js';
import type { CommandTargets } from '../aws/ssm/types.js';

export function createTargetInstanceActivities(ssm: SSMClient) {
  return {
    /** The distinct instance ids every selector matches (online or not), sorted. */
    async resolveTargetInstances(selectors: CommandTargets[]): Promise<string[]> {
      const ids = new Set<string>();
      for (const targets of selectors) {
        for (const instance of await describeInstances(ssm, targets)) if (instance.InstanceId) ids.add(instance.InstanceId);
      }
      return [...ids].sort();
    },
  };
}

export type TargetInstanceActivities = ReturnType<typeof createTargetInstanceActivities>;
