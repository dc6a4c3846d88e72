// Wraps the activities the worker registers so each SSM command's outcome becomes metrics and one
// structured log line (the activity logger adds workflowId = run id, activityId and attempt).
import { ApplicationFailure, log } from '@temporalio/activity';
import type { CommandResult, RunCommandInput, WaitUntilResult } from '../aws/ssm/types.js';
import type { SsmflowMetrics } from './metrics.js';

type ActivityFunction = (...args: never[]) => Promise<unknown>;

const throttledFailure = /Throttling|TooManyRequests/;

/** Seconds from the command's RequestedDateTime to the last instance's end (or now, if SSM gave no end). */
export function commandDurationSeconds(result: CommandResult, nowMs = Date.now()): number {
  const requested = Date.parse(result.requestedAt);
  const ends = result.invocations.map((i) => (i.endedAt ? Date.parse(i.endedAt) : Number.NaN)).filter((t) => Number.isFinite(t));
  const end = ends.length === result.invocations.length && ends.length > 0 ? Math.max(...ends) : nowMs;
  return Number.isFinite(requested) ? Math.max(0, (end - requested) / 1_000) : 0;
}

export function withActivityMetrics<A extends Record<string, ActivityFunction>>(activities: A, metrics: SsmflowMetrics): A {
  const observeCommand = (
    activity: string,
    input: RunCommandInput | undefined,
    result: CommandResult,
    seconds: number,
    stepStatus = result.status,
  ) => {
    metrics.commandsFinished.inc({ status: result.status });
    metrics.stepDuration.observe({ activity, status: stepStatus }, seconds);
    log.info('SSM command finished', {
      commandId: result.commandId,
      step: input?.description,
      idempotencyKey: input?.idempotencyKey,
      status: stepStatus,
      targetCount: result.targetCount,
      errorCount: result.errorCount,
      durationSeconds: seconds,
      reusedEarlierSend: result.reusedEarlierSend,
    });
  };

  const wrapped: Record<string, ActivityFunction> = {};
  for (const [name, fn] of Object.entries(activities)) {
    wrapped[name] = async (...args: never[]) => {
      try {
        const result = await fn(...args);
        const input = args[0] as RunCommandInput | undefined;
        if (name === 'runCommand') {
          const command = result as CommandResult;
          observeCommand(name, input, command, commandDurationSeconds(command));
        } else if (name === 'runCheckUntilSuccess') {
          const waited = result as WaitUntilResult;
          observeCommand(
            name,
            input,
            waited.lastResult,
            waited.elapsedMs / 1_000,
            waited.satisfied ? 'Success' : waited.gaveUp ? 'GaveUp' : 'NotSatisfied',
          );
        }
        return result;
      } catch (err) {
        const type = err instanceof ApplicationFailure ? (err.type ?? 'ApplicationFailure') : ((err as Error)?.name ?? 'Error');
        metrics.activityFailures.inc({ activity: name, type });
        if (throttledFailure.test(type)) metrics.ssmThrottles.inc({ source: 'activity' });
        throw err;
      }
    };
  }
  return wrapped as A;
}
