import type { SSMClient } from '@aws-sdk/client-ssm';

export interface SsmCallCounts {
  /** Calls by operation name (SendCommand, ListCommands, …), each SDK retry counted once more. */
  byOperation(): Record<string, number>;
  total(): number;
}

type CountCall = (operation: string) => void;

// Counters registered per client, so a client derived for one purpose (sends without SDK
// retries) keeps counting into the same figures.
const countersOf = new WeakMap<SSMClient, CountCall[]>();

function addCounter(ssm: SSMClient, count: CountCall): void {
  const counters = countersOf.get(ssm) ?? [];
  counters.push(count);
  countersOf.set(ssm, counters);
  ssm.middlewareStack.add(
    (next, context) => async (args) => {
      count(String(context.commandName ?? 'Unknown').replace(/Command$/, ''));
      return next(args);
    },
    // finalizeRequest runs once per attempt, after the retry middleware.
    { step: 'finalizeRequest', name: `ssmflowCallCounter${counters.length}`, override: true },
  );
}

/** Makes `to` count its calls into every counter registered on `from`. */
export function copyCallCounters(from: SSMClient, to: SSMClient): void {
  for (const count of countersOf.get(from) ?? []) addCounter(to, count);
}

/**
 * Counts every request this client sends, by operation: the figure that says whether waiting on
 * a hundred clusters melts the SSM API. Feeds tests, the benchmarks and the worker's metrics.
 */
export function countSsmCalls(ssm: SSMClient, onCall?: (operation: string) => void): SsmCallCounts {
  const counts = new Map<string, number>();
  addCounter(ssm, (operation) => {
    counts.set(operation, (counts.get(operation) ?? 0) + 1);
    onCall?.(operation);
  });
  return {
    byOperation: () => Object.fromEntries([...counts.entries()].sort(([a], [b]) => a.localeCompare(b))),
    total: () => [...counts.values()].reduce((a, b) => a + b, 0),
  };
}
