// Records every HTTP attempt an SSM client makes (inside the SDK's retry loop): which operation,
// which logical call it belongs to, when it went out and came back, and how SSM answered.
import type { SSMClient } from '@aws-sdk/client-ssm';

export interface SsmAttempt {
  /** e.g. ListCommands, SendCommand. */
  operation: string;
  /** The SDK's id of the logical call (amz-sdk-invocation-id): its retries share it. */
  invocationId: string;
  /** 1 for the first try of the call, 2 for its first retry, … (amz-sdk-request). */
  attempt: number;
  /** SendCommand's Comment (its idempotency key), for grouping the sends of one step. */
  comment?: string;
  startedAt: number;
  endedAt: number;
  /** The error name SSM answered with (e.g. ThrottlingException); undefined on success. */
  error?: string;
}

/** Adds a recording middleware to `ssm`; attempts are appended to the returned array. */
export function recordSsmAttempts(ssm: SSMClient, into: SsmAttempt[] = []): SsmAttempt[] {
  ssm.middlewareStack.add(
    (next, context) => async (args) => {
      const headers = (args.request as { headers?: Record<string, string> } | undefined)?.headers ?? {};
      const base = {
        operation: String(context.commandName ?? 'Unknown').replace(/Command$/, ''),
        invocationId: headers['amz-sdk-invocation-id'] ?? '',
        attempt: Number(/attempt=(\d+)/.exec(headers['amz-sdk-request'] ?? '')?.[1] ?? 1),
        ...(typeof (args.input as { Comment?: unknown }).Comment === 'string'
          ? { comment: (args.input as { Comment: string }).Comment }
          : {}),
        startedAt: Date.now(),
      };
      try {
        const result = await next(args);
        into.push({ ...base, endedAt: Date.now() });
        return result;
      } catch (err) {
        into.push({ ...base, endedAt: Date.now(), error: (err as Error).name ?? 'Error' });
        throw err;
      }
    },
    // finalizeRequest, after the retry middleware: once per HTTP attempt.
    { step: 'finalizeRequest', name: 'testSsmAttemptRecorder' },
  );
  return into;
}
