// `ssmflow list` (defined in commands/list.ts): runs through Temporal visibility, newest first.
import { closestMatch } from '../../runbook/did-you-mean.js';
import { runStatuses, type RunStatus } from '../../workflows/run-state.js';
import { clusterKey, initiatorKey, runbookKey, statusKey } from '../../workflows/search-attributes.js';
import { CliInputError } from '../cli-errors.js';
import type { ListFlags } from '../commands/list.js';
import type { ConnectionFlags } from '../connection-flags.js';
import { withTemporal, type Connected } from '../connection.js';
import { printJson } from '../output/json.js';
import { colours as c } from '../output/style.js';
import { formatColumns } from '../output/table.js';
import { ago } from '../output/time.js';

function quoted(value: string, flag: string): string {
  if (/['"\\]/.test(value)) throw new CliInputError(`${flag} "${value}" contains a quote or backslash`, 'give the plain name');
  return `'${value}'`;
}

/** The visibility query for the filters: every filter is a search attribute ssmflow sets on its runs. */
export function listQuery(flags: Omit<ListFlags, 'limit' | 'json' | keyof ConnectionFlags>): string {
  const clauses = [`WorkflowType = 'runbookRun'`];
  if (flags.status) {
    const statuses = flags.status.split(',').map((s) => s.trim());
    for (const status of statuses) {
      if (!runStatuses.includes(status as RunStatus)) {
        const near = closestMatch(status, runStatuses);
        throw new CliInputError(
          `--status "${status}" is not a run status`,
          near ? `did you mean ${near}?` : `use one of ${runStatuses.join(', ')}`,
        );
      }
    }
    clauses.push(
      statuses.length === 1
        ? `${statusKey.name} = ${quoted(statuses[0] ?? '', '--status')}`
        : `${statusKey.name} IN (${statuses.map((s) => quoted(s, '--status')).join(', ')})`,
    );
  }
  if (flags.runbook) clauses.push(`${runbookKey.name} = ${quoted(flags.runbook, '--runbook')}`);
  if (flags.cluster) clauses.push(`${clusterKey.name} = ${quoted(flags.cluster, '--cluster')}`);
  if (flags.initiator) clauses.push(`${initiatorKey.name} = ${quoted(flags.initiator, '--initiator')}`);
  if (flags.open) clauses.push(`ExecutionStatus = 'Running'`);
  return clauses.join(' AND ');
}

/** `list --json`: the runs matching a visibility query, newest first, at most `limit`. */
export async function listRuns(connected: Connected, query: string, limit: number) {
  const runs = [];
  for await (const execution of connected.client.workflow.list({ query, pageSize: Math.min(limit, 100) })) {
    const attributes = execution.typedSearchAttributes;
    runs.push({
      runId: execution.workflowId,
      runbook: attributes.get(runbookKey) ?? '',
      cluster: attributes.get(clusterKey) ?? null,
      status: attributes.get(statusKey) ?? execution.status.name.toLowerCase(),
      initiator: attributes.get(initiatorKey) ?? '',
      startedAt: execution.startTime.toISOString(),
      endedAt: execution.closeTime?.toISOString() ?? null,
    });
    if (runs.length >= limit) break;
  }
  return runs;
}

export async function listAction(opts: ListFlags): Promise<void> {
  const limit = Number(opts.limit);
  if (!Number.isInteger(limit) || limit < 1)
    throw new CliInputError(`--limit must be a whole number of at least 1, got "${opts.limit}"`, 'such as --limit 20');
  const query = listQuery(opts);
  await withTemporal(opts, async (connected) => {
    const runs = await listRuns(connected, query, limit);
    if (opts.json) return printJson(runs);
    if (runs.length === 0) {
      process.stdout.write(c.dim(`no runs match (${query})\n`));
      return;
    }
    const rows = runs.map((r) => [r.runId, statusColour(r.status), r.runbook, r.cluster ?? '', r.initiator, ago(r.startedAt)]);
    process.stdout.write(
      `${formatColumns([['RUN', 'STATUS', 'RUNBOOK', 'CLUSTER', 'INITIATOR', 'STARTED'].map((h) => c.dim(h)), ...rows]).join('\n')}\n`,
    );
  });
}

function statusColour(status: string): string {
  if (status === 'succeeded') return c.green(status);
  if (status === 'paused-on-failure' || status === 'failed' || status === 'cancelled' || status === 'lock-refused') return c.red(status);
  if (status === 'waiting-lock') return c.yellow(status);
  if (status === 'waiting-approval') return c.yellow(status);
  if (status === 'rolled-back' || status === 'rolling-back') return c.magenta(status);
  return c.cyan(status);
}
