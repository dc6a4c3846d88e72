import { proxyActivities } from '@temporalio/workflow';
import type { SsmActivities } from '../activities/ssm/ssm-activities.js';
import type { CommandResult, RunCommandInput } from '../aws/ssm/types.js';

export interface AdHocCommandInput {
  command: RunCommandInput;
  /** How long a silent worker is tolerated before another one takes the wait over. */
  heartbeatTimeoutSeconds?: number;
  maxAttempts?: number;
}

/**
 * One SSM command as a durable, audited run: sent once, waited on, its per-instance results kept.
 * Runbooks build on the same activity; this is the smallest unit of it.
 */
export async function adHocCommand(input: AdHocCommandInput): Promise<CommandResult> {
  const { runCommand } = proxyActivities<SsmActivities>({
    startToCloseTimeout: `${input.command.executionTimeoutSeconds + (input.command.deliveryTimeoutSeconds ?? 600) + 60} seconds`,
    heartbeatTimeout: `${input.heartbeatTimeoutSeconds ?? 30} seconds`,
    retry: { maximumAttempts: input.maxAttempts ?? 5, initialInterval: '1 second', backoffCoefficient: 2, maximumInterval: '30 seconds' },
  });
  return runCommand(input.command);
}
