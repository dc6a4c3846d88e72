// The bare Temporal workflow of bench/floor.ts: consecutive no-op activities, nothing of ssmflow.
import { proxyActivities } from '@temporalio/workflow';

export interface FloorActivities {
  noop(index: number): Promise<void>;
}

const { noop } = proxyActivities<FloorActivities>({ startToCloseTimeout: '1 minute' });

export async function floorWorkflow(activities: number): Promise<void> {
  for (let index = 0; index < activities; index += 1) await noop(index);
}
