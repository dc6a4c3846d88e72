import type { SSMClient } from '@aws-sdk/client-ssm';

export interface SsmCallCounts {
  /** Calls by operation name (SendCommand, ListCommands, …), each SDK retry counted once more. */
  byOperation(): Record<string, number>;
  total(): number;
}

/**
 * Counts every request this client sends, by operation: the figure that says whether waiting on
 * a hundred clusters melts the SSM API. Feeds tests, the benchmarks and the worker's metrics.
 */
export function countSsmCalls(ssm: SSMClient, onCall?: (operation: string) => void): SsmCallCounts {
  const counts = new Map<string, number>();
  ssm.middlewareStack.add(
    (next, context) => async (args) => {
      const operation = String(context.commandName ?? 'Unknown').replace(/Command$/, '');
      counts.set(operation, (counts.get(operation) ?? 0) + 1);
      onCall?.(operation);
      return next(args);
    },
    // finalizeRequest runs once per attempt, after the retry middleware.
    { step: 'finalizeRequest', name: 'ssmflowCallCounter', override: true },
  );
  return {
    byOperation: () => Object.fromEntries([...counts.entries()].sort(([a], [b]) => a.localeCompare(b))),
    total: () => [...counts.values()].reduce((a, b) => a + b, 0),
  };
}
