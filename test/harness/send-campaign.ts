// A seeded fault campaign against the send path: many runs at once while the fleet drops
// SendCommand answers after committing, lists new commands late, and the worker is SIGKILLed at
// random moments. Shared by test-reliability-send-campaign (short) and bench/send-campaign.ts
// (long); it measures and returns, the callers assert or print. No vitest imports here.
import { ListCommandsCommand, type Command, type SSMClient } from '@aws-sdk/client-ssm';
import type { Client } from '@temporalio/client';
import { stepCommentOf } from '../../aws/ssm/idempotency-comment.js';
import { startRun } from '../../client/runs.js';
import { seededRandom } from '../../fleet/faults.js';
import type { ExecutionRecord } from '../../fleet/journal.js';
import type { RunningFleet } from '../../fleet/server.js';
import { parseRunbook } from '../../runbook/load.js';
import type { RunSummary } from '../../workflows/runbook-run.js';
import { holdsWithin } from './eventually.js';

export interface CampaignWorker {
  kill(signal?: NodeJS.Signals): Promise<void>;
  output(): string;
}

export interface CampaignOptions {
  client: Client;
  fleet: RunningFleet;
  ssm: SSMClient;
  taskQueue: string;
  /** Starts a production worker process on `taskQueue` logging at debug level. */
  spawnWorker: () => Promise<CampaignWorker>;
  /** One run per cluster; each cluster is one instance tagged Cluster=<name>. */
  clusters: string[];
  steps: number;
  seed: number;
  /** A worker lives this long (seeded, uniform) before its SIGKILL. */
  workerLifetimeMs: [number, number];
  kills: number;
  idPrefix: string;
  /** The fleet's listing-lag fault: the final listing waits it out, so no late command is missed. */
  listingLagMs: number;
}

/** Where a SIGKILL found one in-flight activity of the send path, by its last log line and the fleet's records. */
export type KillPhase = 'before the send' | 'in the send' | 'after the send' | 'while waiting';

export interface CampaignReport {
  runs: number;
  succeeded: number;
  /** Why the runs that did not succeed ended: run id, status, step and message. */
  failures: string[];
  /** Commands the fleet created for the campaign's keys. */
  commandsCreated: number;
  /** (run, step) keys that got more than one command. */
  duplicateKeys: string[];
  /** (step, instance) pairs that ran other than exactly once. */
  notExactlyOnce: string[];
  /** Commands created but never recorded in their run's steps (sent and not awaited). */
  unawaited: string[];
  kills: number;
  /** Kills that found no send-path activity in flight. */
  idleKills: number;
  /** In-flight activities per phase, over all kills. */
  phases: Record<KillPhase, number>;
  wallSeconds: number;
}

interface LogLine {
  phase?: string;
  idempotencyKey?: string;
  time?: string;
}

function stepsRunbook(steps: number) {
  const body = Array.from({ length: steps }, (_, i) => `  - id: s${i + 1}\n    run: sleep 0.3; echo s${i + 1}\n`).join('');
  const parsed = parseRunbook(
    `apiVersion: ssmflow/v1
name: send-campaign
parameters:
  cluster: { type: string }
targets: { tags: { Cluster: '{{ cluster }}' } }
defaults: { onFailure: abort, rateControl: { maxConcurrency: '100%', maxErrors: '0' }, retry: { maxAttempts: 1 } }
steps:
${body}`,
    'send-campaign.yaml',
  );
  if ('errors' in parsed) throw new Error(JSON.stringify(parsed.errors));
  return parsed.normalized;
}

async function allCommandsSince(ssm: SSMClient, sinceMs: number): Promise<Command[]> {
  const commands: Command[] = [];
  let NextToken: string | undefined;
  do {
    const page = await ssm.send(
      new ListCommandsCommand({ Filters: [{ key: 'InvokedAfter', value: new Date(sinceMs).toISOString() }], MaxResults: 50, NextToken }),
    );
    commands.push(...(page.Commands ?? []));
    NextToken = page.NextToken;
  } while (NextToken);
  return commands;
}

function sendPathLog(output: string): (LogLine & { atMs: number })[] {
  return output
    .split('\n')
    .filter((line) => line.includes('"phase"'))
    .flatMap((line) => {
      try {
        const parsed = JSON.parse(line) as LogLine;
        return parsed.phase && parsed.idempotencyKey ? [{ ...parsed, atMs: Date.parse(parsed.time ?? '') }] : [];
      } catch {
        return [];
      }
    });
}

/** Activities of the send path the log shows started and not yet done. */
function inFlight(log: LogLine[]): number {
  const last = new Map<string, string>();
  for (const line of log) last.set(line.idempotencyKey ?? '', line.phase ?? '');
  return [...last.values()].filter((phase) => phase !== 'done').length;
}

/** The phase of each activity the worker was in when it died, from its own log and the fleet's records. */
function phasesAtKill(log: (LogLine & { atMs: number })[], killedAtMs: number, createdAt: Map<string, number>): KillPhase[] {
  const last = new Map<string, string>();
  for (const line of log) if (line.atMs <= killedAtMs) last.set(line.idempotencyKey ?? '', line.phase ?? '');
  const phases: KillPhase[] = [];
  for (const [key, phase] of last) {
    // Finished before the kill: not in flight.
    if (phase === 'done') continue;
    const comment = stepCommentOf(`ssmflow:${key}`);
    const created = createdAt.get(comment);
    if (phase === 'send' || phase === 'lookup')
      phases.push(created !== undefined && created <= killedAtMs ? 'in the send' : 'before the send');
    else if (phase === 'sent') phases.push('after the send');
    else phases.push('while waiting');
  }
  return phases;
}

export async function runSendCampaign(options: CampaignOptions): Promise<CampaignReport> {
  const random = seededRandom(options.seed);
  const startedAt = Date.now();
  const runbook = stepsRunbook(options.steps);
  const handles = await Promise.all(
    options.clusters.map((cluster) =>
      startRun(options.client, {
        runbook,
        parameters: { cluster },
        initiator: 'campaign@example.com',
        taskQueue: options.taskQueue,
        workflowId: `${options.idPrefix}-${cluster}`,
        options: { heartbeatTimeoutSeconds: 3 },
      }),
    ),
  );
  const results = Promise.all(handles.map((h) => h.result() as Promise<RunSummary>));
  let done = false;
  void results.finally(() => (done = true)).catch(() => undefined);

  const kills: { atMs: number; log: (LogLine & { atMs: number })[] }[] = [];
  let worker: CampaignWorker | undefined;
  for (let k = 0; k < options.kills && !done; k += 1) {
    worker = await options.spawnWorker();
    const [min, max] = options.workerLifetimeMs;
    await new Promise((r) => setTimeout(r, min + Math.floor(random() * (max - min))));
    // Aim at the send path: if nothing of it is in flight (e.g. workflow tasks still on the dead
    // worker's sticky queue), wait until something is, for a while.
    const busy = worker;
    await holdsWithin(() => done || inFlight(sendPathLog(busy.output())) > 0, { timeoutMs: 10_000, intervalMs: 20 });
    if (done) break;
    const atMs = Date.now();
    await worker.kill('SIGKILL');
    kills.push({ atMs, log: sendPathLog(worker.output()) });
    worker = undefined;
  }
  worker ??= await options.spawnWorker();
  let summaries: RunSummary[];
  try {
    summaries = await results;
  } finally {
    await worker.kill('SIGTERM');
  }

  await new Promise((r) => setTimeout(r, options.listingLagMs + 500));
  const ours = (comment: string) => stepCommentOf(comment).startsWith(`ssmflow:${options.idPrefix}-`);
  const commands = (await allCommandsSince(options.ssm, startedAt - 60_000)).filter((c) => ours(c.Comment ?? ''));
  const executions: ExecutionRecord[] = options.fleet.executions().filter((e) => ours(e.comment));
  const createdAt = new Map<string, number>();
  const byKey = new Map<string, string[]>();
  for (const c of commands) {
    const key = stepCommentOf(c.Comment ?? '');
    byKey.set(key, [...(byKey.get(key) ?? []), c.CommandId ?? '']);
    createdAt.set(key, Math.min(createdAt.get(key) ?? Infinity, c.RequestedDateTime?.getTime() ?? Infinity));
  }
  const ranPerInstance = new Map<string, number>();
  for (const e of executions) {
    const key = stepCommentOf(e.comment);
    ranPerInstance.set(`${key}|${e.instanceId}`, (ranPerInstance.get(`${key}|${e.instanceId}`) ?? 0) + 1);
  }
  const expected = options.clusters.flatMap((cluster) =>
    Array.from({ length: options.steps }, (_, i) => `ssmflow:${options.idPrefix}-${cluster}/s${i + 1}/1`),
  );
  const notExactlyOnce = expected.filter((key) => {
    const counts = [...ranPerInstance].filter(([k]) => k.startsWith(`${key}|`)).map(([, n]) => n);
    return counts.length !== 1 || counts[0] !== 1;
  });
  const recorded = new Set(summaries.flatMap((s) => s.steps.flatMap((step) => step.commandIds)));
  const phases: Record<KillPhase, number> = { 'before the send': 0, 'in the send': 0, 'after the send': 0, 'while waiting': 0 };
  let idleKills = 0;
  for (const kill of kills) {
    const found = phasesAtKill(kill.log, kill.atMs, createdAt);
    if (found.length === 0) idleKills += 1;
    for (const phase of found) phases[phase] += 1;
  }
  return {
    runs: summaries.length,
    succeeded: summaries.filter((s) => s.status === 'succeeded').length,
    failures: summaries
      .filter((s) => s.status !== 'succeeded')
      .map(
        (s) =>
          `${s.runId} ${s.status} at ${s.failure?.stepId ?? '?'}: ${s.failure?.message ?? s.steps.find((step) => step.message)?.message ?? ''}`,
      ),
    commandsCreated: commands.length,
    duplicateKeys: [...byKey].filter(([, ids]) => ids.length > 1).map(([key, ids]) => `${key}: ${ids.join(', ')}`),
    notExactlyOnce,
    unawaited: commands.filter((c) => !recorded.has(c.CommandId ?? '')).map((c) => `${c.Comment} ${c.CommandId}`),
    kills: kills.length,
    idleKills,
    phases,
    wallSeconds: Math.round((Date.now() - startedAt) / 100) / 10,
  };
}
