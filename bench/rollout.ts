// bench/rollout: a runbook rolled out over N clusters × M instances on the local stack, measured
// against the way the seed team worked (a loop over clusters, one command per node, each waited
// on with the SDK's waitUntilCommandExecuted) in the same run.
//
//   npx tsx bench/rollout.ts [--clusters 10,100] [--nodes 11] [--steps 5] [--seed-clusters 10] [--peer-clusters N] [--floor-workflows N]
//
// Two more contenders in the same run, at the largest size unless told otherwise (0 skips one): the
// naive parallel peer (every cluster at once, one SDK waiter per invocation, no durability) and
// the bare Temporal floor (bench/floor.ts: no-op activities, no ssmflow code).
//
// Prints a table and JSON (also written to bench/results/), with each step transition cut into
// its parts (poller detection, result reads, the Temporal round trip, pre-send work). Never a
// pass/fail test.
import { execFileSync } from 'node:child_process';
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { parseArgs } from 'node:util';
import { ListCommandsCommand, SendCommandCommand, SSMClient, waitUntilCommandExecuted, type Command } from '@aws-sdk/client-ssm';
import { Client, Connection } from '@temporalio/client';
import { bundleWorkflowCode } from '@temporalio/worker';
import { stepCommentOf } from '../aws/ssm/idempotency-comment.js';
import { countSsmCalls } from '../aws/ssm/ssm-call-counter.js';
import { localAwsEnvironment } from '../local/local-aws-env.js';
import { projectRoot } from '../local/project-root.js';
import { startTemporalDevServer } from '../local/temporal-dev-server.js';
import { startFleet, type RunningFleet } from '../fleet/server.js';
import { parseRunbook } from '../runbook/load.js';
import { workflowsPath } from '../worker/workflow-source.js';
import { spawnBenchWorker, type StepTiming } from './bench-worker-process.js';
import { measureTransitionFloor } from './floor.js';
import { activityEventTimes, percentile, spread, type Spread } from './history-times.js';
import { runbookRollout } from '../workflows/index.js';

const { values: args } = parseArgs({
  options: {
    clusters: { type: 'string', default: '10,100' },
    nodes: { type: 'string', default: '11' },
    steps: { type: 'string', default: '5' },
    'seed-clusters': { type: 'string', default: '10' },
    'peer-clusters': { type: 'string' },
    'floor-workflows': { type: 'string' },
  },
});
const sizes = (args.clusters ?? '10,100').split(',').map(Number);
const nodes = Number(args.nodes);
const stepCount = Number(args.steps);
const seedClusters = Number(args['seed-clusters']);
// The naive parallel peer and the bare-Temporal floor run at the largest size unless told otherwise (0 = skip).
const peerClusters = Number(args['peer-clusters'] ?? Math.max(...sizes));
const floorWorkflows = Number(args['floor-workflows'] ?? Math.max(...sizes));
const isRead = (operation: string) => ['ListCommands', 'ListCommandInvocations', 'GetCommandInvocation'].includes(operation);
const readsIn = (calls: Record<string, number>) => Object.entries(calls).reduce((sum, [op, n]) => sum + (isRead(op) ? n : 0), 0);

/** Samples a cumulative read count every second; the peak is the largest one-second increase. */
function peakPerSecond(readTotal: () => number): { stop(): number } {
  let last = readTotal();
  let peak = 0;
  const timer = setInterval(() => {
    const now = readTotal();
    peak = Math.max(peak, now - last);
    last = now;
  }, 1_000);
  return {
    stop() {
      clearInterval(timer);
      return Math.max(peak, readTotal() - last);
    },
  };
}
Object.assign(process.env, localAwsEnvironment({}));

const runbook = (() => {
  const steps = Array.from(
    { length: stepCount },
    (_, i) => `  - id: step-${i + 1}\n    run: echo "step ${i + 1} on $AWS_SSM_INSTANCE_ID"\n`,
  ).join('');
  const parsed = parseRunbook(
    `apiVersion: ssmflow/v1
name: bench-rollout
parameters:
  cluster: { type: string, pattern: '^[a-z0-9-]+$' }
targets: { tags: { Cluster: '{{ cluster }}' } }
defaults:
  onFailure: abort
  rateControl: { maxConcurrency: '100%', maxErrors: '0' }
steps:
${steps}`,
    'bench-rollout.yaml',
  );
  if ('errors' in parsed) throw new Error(JSON.stringify(parsed.errors));
  return parsed.normalized;
})();

const clusterName = (i: number) => `c${String(i + 1).padStart(3, '0')}`;
const clusterInstances = (count: number) =>
  Array.from({ length: count }, (_, c) => ({
    count: nodes,
    idPrefix: `i-0b${String(c).padStart(4, '0')}`,
    tags: { Cluster: clusterName(c) },
  }));

async function allCommands(ssm: SSMClient): Promise<Command[]> {
  const commands: Command[] = [];
  let NextToken: string | undefined;
  do {
    const page = await ssm.send(new ListCommandsCommand({ MaxResults: 50, NextToken }));
    commands.push(...(page.Commands ?? []));
    NextToken = page.NextToken;
  } while (NextToken);
  return commands;
}

/**
 * One step transition cut into consecutive parts that add up to it. Worker-side parts come from
 * the bench worker's timings, server-side ones from the run's history (same machine, same clock).
 */
interface TransitionBreakdown {
  /** Last invocation of step k ends on the fleet → the status poller reads the command as terminal. */
  pollerDetection: Spread;
  /** Poller → runCommand returns (reading every invocation's result). */
  resultReads: Spread;
  /** runCommand returns → the next runCommand starts in the worker (one Temporal round trip), in parts: */
  temporalRoundTrip: Spread;
  /** activity returned → ActivityTaskCompleted recorded */
  activityCompletion: Spread;
  /** ActivityTaskCompleted → WorkflowTaskStarted (workflow task waits for a worker poll) */
  workflowTaskQueued: Spread;
  /** WorkflowTaskStarted → WorkflowTaskCompleted (workflow code runs, next activity scheduled) */
  workflowTask: Spread;
  /** WorkflowTaskCompleted → next ActivityTaskStarted (activity task waits for a worker poll) */
  activityTaskQueued: Spread;
  /** ActivityTaskStarted → the activity function runs in the worker */
  activityDelivery: Spread;
  /** Next runCommand starts → its SendCommand is recorded by SSM (idempotency lookup, secrets, send). */
  preSend: Spread;
}

interface ScenarioResult {
  clusters: number;
  instances: number;
  invocations: number;
  wallSeconds: number;
  idealCriticalPathSeconds: number;
  fleetCapacityBoundSeconds: number;
  stepTransitionMs: { median: number; p99: number; samples: number };
  stepTransitionBreakdownMs: TransitionBreakdown;
  ssmCalls: Record<string, number>;
  ssmReadCalls: number;
  ssmReadCallsPerSecond: number;
  peakSsmReadCallsPerSecond: number;
  ssmCallsPerInvocation: number;
  peakWorkerRssMiB: number;
  largestRunHistoryEvents: number;
  rolloutHistoryEvents: number;
  rolloutGenerations: number;
}

async function measureSingleStep(fleet: RunningFleet): Promise<number> {
  // One cluster's step alone on an idle fleet: the floor for one step of the critical path.
  const ssm = new SSMClient({ endpoint: fleet.endpoint });
  const started = Date.now();
  const sent = await ssm.send(
    new SendCommandCommand({
      DocumentName: 'AWS-RunShellScript',
      Targets: [{ Key: 'tag:Cluster', Values: [clusterName(0)] }],
      Parameters: { commands: ['echo warm-up'] },
      MaxConcurrency: '100%',
    }),
  );
  for (;;) {
    const command = (await ssm.send(new ListCommandsCommand({ CommandId: sent.Command?.CommandId }))).Commands?.[0];
    if (command && ['Success', 'Failed', 'TimedOut', 'Cancelled'].includes(command.Status ?? '')) break;
    await new Promise((r) => setTimeout(r, 10));
  }
  ssm.destroy();
  return Date.now() - started;
}

async function ssmflowScenario(client: Client, temporalAddress: string, bundlePath: string, clusterCount: number): Promise<ScenarioResult> {
  const stateDir = mkdtempSync(join(tmpdir(), 'bench-fleet-'));
  const fleet = await startFleet({ stateDir, config: { instances: clusterInstances(clusterCount) } });
  const singleStepMs = await measureSingleStep(fleet);
  const statsFile = join(stateDir, 'worker-stats.json');
  const taskQueue = `bench-${clusterCount}-${Date.now()}`;
  const worker = await spawnBenchWorker({
    TEMPORAL_ADDRESS: temporalAddress,
    SSMFLOW_TASK_QUEUE: taskQueue,
    AWS_ENDPOINT_URL_SSM: fleet.endpoint,
    BENCH_STATS_FILE: statsFile,
    BENCH_WORKFLOW_BUNDLE: bundlePath,
  });
  const rolloutId = `bench-rollout-${clusterCount}-${Date.now()}`;
  const executionsBefore = fleet.executions().length;
  // The worker rewrites its counts every 250 ms; a read mid-write keeps the last good figure.
  let lastReads = 0;
  const peakReads = peakPerSecond(() => {
    try {
      lastReads = readsIn(worker.stats().ssmCalls);
    } catch {
      // mid-write
    }
    return lastReads;
  });
  const started = Date.now();
  const summary = await client.workflow.execute(runbookRollout, {
    taskQueue,
    workflowId: rolloutId,
    args: [
      {
        runbook,
        clusters: Array.from({ length: clusterCount }, (_, i) => clusterName(i)),
        parameters: {},
        waves: ['100%'],
        maxInFlight: clusterCount,
        errorBudget: '0',
        approvalBetweenWaves: false,
        initiator: 'bench',
        options: { heartbeatTimeoutSeconds: 60 },
      },
    ],
  });
  const wallSeconds = (Date.now() - started) / 1000;
  const peakSsmReadCallsPerSecond = peakReads.stop();
  await worker.stop();
  if (summary.status !== 'succeeded') throw new Error(`rollout ended ${summary.status}: ${JSON.stringify(summary.failed.slice(0, 3))}`);
  const stats = worker.stats();

  const executions = fleet
    .executions()
    .slice(executionsBefore)
    .filter((e) => e.comment.startsWith(`ssmflow:${rolloutId}`));
  const reader = new SSMClient({ endpoint: fleet.endpoint });
  const requestedAt = new Map(
    (await allCommands(reader)).map((c) => [stepCommentOf(c.Comment ?? ''), c.RequestedDateTime?.getTime() ?? 0]),
  );
  reader.destroy();
  // Step transition: the last invocation of step k turns terminal → step k+1's SendCommand.
  const transitions: number[] = [];
  const timing = new Map<string, StepTiming>(
    stats.steps.map((s) => [stepCommentOf(`ssmflow:${s.idempotencyKey}`).slice('ssmflow:'.length), s]),
  );
  const parts: Record<keyof TransitionBreakdown, number[]> = {
    pollerDetection: [],
    resultReads: [],
    temporalRoundTrip: [],
    activityCompletion: [],
    workflowTaskQueued: [],
    workflowTask: [],
    activityTaskQueued: [],
    activityDelivery: [],
    preSend: [],
  };
  for (let c = 0; c < clusterCount; c += 1) {
    const runId = `${rolloutId}--${clusterName(c)}`;
    const server = activityEventTimes(await client.workflow.getHandle(runId).fetchHistory());
    for (let k = 1; k < stepCount; k += 1) {
      const ended = executions
        .filter((e) => stepCommentOf(e.comment) === `ssmflow:${runId}/step-${k}/1`)
        .map((e) => Date.parse(e.endedAt ?? ''));
      const next = requestedAt.get(`ssmflow:${runId}/step-${k + 1}/1`);
      if (!ended.length || !next) continue;
      const lastEnded = Math.max(...ended);
      transitions.push(next - lastEnded);
      const step = timing.get(`${runId}/step-${k}/1`);
      const nextStep = timing.get(`${runId}/step-${k + 1}/1`);
      const events = server[k - 1];
      if (!step || !nextStep || !events) continue;
      parts.pollerDetection.push(step.settledMs - lastEnded);
      parts.resultReads.push(step.activityEndedMs - step.settledMs);
      parts.temporalRoundTrip.push(nextStep.activityStartedMs - step.activityEndedMs);
      parts.activityCompletion.push(events.completedMs - step.activityEndedMs);
      parts.workflowTaskQueued.push(events.wftStartedMs - events.completedMs);
      parts.workflowTask.push(events.wftCompletedMs - events.wftStartedMs);
      parts.activityTaskQueued.push(events.nextStartedMs - events.wftCompletedMs);
      parts.activityDelivery.push(nextStep.activityStartedMs - events.nextStartedMs);
      parts.preSend.push(next - nextStep.activityStartedMs);
    }
  }
  const stepTransitionBreakdownMs = Object.fromEntries(
    Object.entries(parts).map(([k, v]) => [k, spread(v)]),
  ) as unknown as TransitionBreakdown;
  const busyMs = executions.reduce((sum, e) => sum + (Date.parse(e.endedAt ?? '') - Date.parse(e.startedAt)), 0);
  let largestRunHistoryEvents = 0;
  for (let c = 0; c < clusterCount; c += 1) {
    const description = await client.workflow.getHandle(`${rolloutId}--${clusterName(c)}`).describe();
    largestRunHistoryEvents = Math.max(largestRunHistoryEvents, description.historyLength);
  }
  const rolloutHistoryEvents = (await client.workflow.getHandle(rolloutId).describe()).historyLength;
  await fleet.stop();
  rmSync(stateDir, { recursive: true, force: true });

  const reads =
    (stats.ssmCalls.ListCommands ?? 0) + (stats.ssmCalls.ListCommandInvocations ?? 0) + (stats.ssmCalls.GetCommandInvocation ?? 0);
  const totalCalls = Object.values(stats.ssmCalls).reduce((a, b) => a + b, 0);
  return {
    clusters: clusterCount,
    instances: clusterCount * nodes,
    invocations: executions.length,
    wallSeconds,
    idealCriticalPathSeconds: (stepCount * singleStepMs) / 1000,
    fleetCapacityBoundSeconds: busyMs / 1000 / 32,
    stepTransitionMs: { median: percentile(transitions, 50), p99: percentile(transitions, 99), samples: transitions.length },
    stepTransitionBreakdownMs,
    ssmCalls: stats.ssmCalls,
    ssmReadCalls: reads,
    ssmReadCallsPerSecond: reads / wallSeconds,
    peakSsmReadCallsPerSecond,
    ssmCallsPerInvocation: totalCalls / Math.max(1, executions.length),
    peakWorkerRssMiB: stats.peakRssBytes / 2 ** 20,
    largestRunHistoryEvents,
    rolloutHistoryEvents,
    rolloutGenerations: summary.generation + 1,
  };
}

interface SeedResult {
  clusters: number;
  invocations: number;
  wallSeconds: number;
  secondsPerCluster: number;
  ssmCalls: Record<string, number>;
  ssmCallsPerInvocation: number;
}

/** The seed team's loop: cluster by cluster, step by step, one command per node, each waited on. */
async function seedLoopScenario(clusterCount: number): Promise<SeedResult> {
  const stateDir = mkdtempSync(join(tmpdir(), 'bench-seed-'));
  const fleet = await startFleet({ stateDir, config: { instances: clusterInstances(clusterCount) } });
  const ssm = new SSMClient({ endpoint: fleet.endpoint });
  const calls = countSsmCalls(ssm);
  const started = Date.now();
  for (let c = 0; c < clusterCount; c += 1) {
    const ids = Array.from({ length: nodes }, (_, n) => `i-0b${String(c).padStart(4, '0')}${String(n + 1).padStart(11, '0')}`);
    for (let k = 1; k <= stepCount; k += 1) {
      const sent: { commandId: string; instanceId: string }[] = [];
      for (const instanceId of ids) {
        const result = await ssm.send(
          new SendCommandCommand({
            DocumentName: 'AWS-RunShellScript',
            InstanceIds: [instanceId],
            Parameters: { commands: [`echo "step ${k} on $AWS_SSM_INSTANCE_ID"`] },
          }),
        );
        sent.push({ commandId: result.Command?.CommandId ?? '', instanceId });
      }
      for (const { commandId, instanceId } of sent) {
        await waitUntilCommandExecuted({ client: ssm, maxWaitTime: 600 }, { CommandId: commandId, InstanceId: instanceId });
      }
    }
  }
  const wallSeconds = (Date.now() - started) / 1000;
  const invocations = fleet.executions().length;
  ssm.destroy();
  await fleet.stop();
  rmSync(stateDir, { recursive: true, force: true });
  const total = calls.total();
  return {
    clusters: clusterCount,
    invocations,
    wallSeconds,
    secondsPerCluster: wallSeconds / clusterCount,
    ssmCalls: calls.byOperation(),
    ssmCallsPerInvocation: total / Math.max(1, invocations),
  };
}

interface PeerResult {
  clusters: number;
  invocations: number;
  wallSeconds: number;
  ssmCalls: Record<string, number>;
  ssmCallsPerInvocation: number;
  ssmReadCallsPerSecond: number;
  peakSsmReadCallsPerSecond: number;
}

/**
 * The strongest script a user would write instead: every cluster at once, each cluster's steps in
 * order, one SendCommand per cluster and step (its known instances, all at once), then one SDK
 * waiter per invocation at its default delays. No durability: a crash loses every wait. The local
 * fleet throttles only when faults are configured, so this peer is never throttled here; on real
 * SSM its reads would be.
 */
async function naivePeerScenario(clusterCount: number): Promise<PeerResult> {
  const stateDir = mkdtempSync(join(tmpdir(), 'bench-peer-'));
  const fleet = await startFleet({ stateDir, config: { instances: clusterInstances(clusterCount) } });
  const ssm = new SSMClient({ endpoint: fleet.endpoint });
  const calls = countSsmCalls(ssm);
  const peakReads = peakPerSecond(() => readsIn(calls.byOperation()));
  const started = Date.now();
  await Promise.all(
    Array.from({ length: clusterCount }, async (_, c) => {
      const ids = Array.from({ length: nodes }, (_, n) => `i-0b${String(c).padStart(4, '0')}${String(n + 1).padStart(11, '0')}`);
      for (let k = 1; k <= stepCount; k += 1) {
        const sent = await ssm.send(
          new SendCommandCommand({
            DocumentName: 'AWS-RunShellScript',
            InstanceIds: ids,
            Parameters: { commands: [`echo "step ${k} on $AWS_SSM_INSTANCE_ID"`] },
            MaxConcurrency: '100%',
          }),
        );
        const commandId = sent.Command?.CommandId ?? '';
        await Promise.all(
          ids.map((instanceId) =>
            waitUntilCommandExecuted({ client: ssm, maxWaitTime: 600 }, { CommandId: commandId, InstanceId: instanceId }),
          ),
        );
      }
    }),
  );
  const wallSeconds = (Date.now() - started) / 1000;
  const peakSsmReadCallsPerSecond = peakReads.stop();
  const invocations = fleet.executions().length;
  ssm.destroy();
  await fleet.stop();
  rmSync(stateDir, { recursive: true, force: true });
  const byOperation = calls.byOperation();
  return {
    clusters: clusterCount,
    invocations,
    wallSeconds,
    ssmCalls: byOperation,
    ssmCallsPerInvocation: calls.total() / Math.max(1, invocations),
    ssmReadCallsPerSecond: readsIn(byOperation) / wallSeconds,
    peakSsmReadCallsPerSecond,
  };
}

async function main(): Promise<void> {
  const temporal = await startTemporalDevServer();
  const connection = await Connection.connect({ address: temporal.address });
  const client = new Client({ connection });
  const scratch = mkdtempSync(join(tmpdir(), 'bench-bundle-'));
  // The production bundle by default (what `npm run build` ships, as workers run it); BENCH_BUNDLE=plain
  // bundles the workflows alone, without the tracing interceptors, to see what they cost.
  const bundlePath = process.env.BENCH_BUNDLE === 'plain' ? join(scratch, 'bundle.js') : join(projectRoot, 'dist', 'workflow-bundle.js');
  if (process.env.BENCH_BUNDLE === 'plain')
    writeFileSync(
      bundlePath,
      (
        await bundleWorkflowCode({
          workflowsPath,
          logger: { log() {}, trace() {}, debug() {}, info() {}, warn() {}, error: console.error },
        })
      ).code,
    );
  else
    execFileSync(process.execPath, [join(projectRoot, 'scripts', 'build.mjs'), '--if-stale'], { stdio: ['ignore', 'ignore', 'inherit'] });
  try {
    const scenarios: ScenarioResult[] = [];
    for (const size of sizes) {
      console.error(`ssmflow rollout: ${size} clusters × ${nodes} instances × ${stepCount} steps …`);
      scenarios.push(await ssmflowScenario(client, temporal.address, bundlePath, size));
    }
    const seed =
      seedClusters > 0
        ? (console.error(`seed-style loop: ${seedClusters} clusters, sequentially …`), await seedLoopScenario(seedClusters))
        : undefined;
    const peer =
      peerClusters > 0
        ? (console.error(`naive parallel peer: ${peerClusters} clusters at once, one waiter per invocation …`),
          await naivePeerScenario(peerClusters))
        : undefined;
    const floor =
      floorWorkflows > 0
        ? (console.error(`bare Temporal floor: ${floorWorkflows} workflows × ${stepCount} no-op activities …`),
          await measureTransitionFloor({ temporalAddress: temporal.address, workflows: floorWorkflows, activities: stepCount }))
        : undefined;
    const largest = scenarios.at(-1) as ScenarioResult;
    const smallest = scenarios[0] as ScenarioResult;
    const seedExtrapolatedSeconds = seed ? seed.secondsPerCluster * largest.clusters : NaN;
    const report = {
      machine: { cpus: (await import('node:os')).cpus().length, node: process.version },
      runbook: { steps: stepCount, nodesPerCluster: nodes },
      scenarios,
      seedLoop: seed ?? null,
      naivePeer: peer ?? null,
      temporalFloor: floor ?? null,
      transitionOverFloor: floor
        ? scenarios.map((sc) => ({
            clusters: sc.clusters,
            medianRatio: sc.stepTransitionMs.median / floor.transitionMs.median,
            p99Ratio: sc.stepTransitionMs.p99 / floor.transitionMs.p99,
          }))
        : null,
      comparison: seed
        ? {
            sameClusters: seedClusters,
            ssmflowSecondsAtThatSize: scenarios.find((s) => s.clusters === seedClusters)?.wallSeconds ?? null,
            seedSecondsMeasured: seed.wallSeconds,
            seedSecondsExtrapolatedTo: { clusters: largest.clusters, seconds: seedExtrapolatedSeconds },
            speedupAtLargest: seedExtrapolatedSeconds / largest.wallSeconds,
          }
        : null,
      peerComparison: peer
        ? {
            clusters: peer.clusters,
            ssmflowWallSeconds: scenarios.find((sc) => sc.clusters === peer.clusters)?.wallSeconds ?? null,
            peerWallSeconds: peer.wallSeconds,
            ssmflowCallsPerInvocation: scenarios.find((sc) => sc.clusters === peer.clusters)?.ssmCallsPerInvocation ?? null,
            peerCallsPerInvocation: peer.ssmCallsPerInvocation,
            ssmflowPeakReadsPerSecond: scenarios.find((sc) => sc.clusters === peer.clusters)?.peakSsmReadCallsPerSecond ?? null,
            peerPeakReadsPerSecond: peer.peakSsmReadCallsPerSecond,
          }
        : null,
      readCallsPerSecondGrowth: largest.ssmReadCallsPerSecond / smallest.ssmReadCallsPerSecond,
    };
    mkdirSync(join(projectRoot, 'bench', 'results'), { recursive: true });
    const file = join(projectRoot, 'bench', 'results', `rollout-${new Date().toISOString().replace(/[:.]/g, '-')}.json`);
    writeFileSync(file, JSON.stringify(report, null, 2));

    const row = (cells: (string | number)[]) =>
      cells.map((c, i) => String(typeof c === 'number' ? c.toFixed(c < 10 ? 2 : 1) : c).padStart(i === 0 ? 34 : 12)).join('');
    console.log(row(['', ...scenarios.map((s) => `${s.clusters} clusters`)]));
    console.log(row(['wall time (s)', ...scenarios.map((s) => s.wallSeconds)]));
    console.log(row(['ideal critical path (s)', ...scenarios.map((s) => s.idealCriticalPathSeconds)]));
    console.log(row(['fleet capacity bound (s)', ...scenarios.map((s) => s.fleetCapacityBoundSeconds)]));
    console.log(row(['step transition median (ms)', ...scenarios.map((s) => s.stepTransitionMs.median)]));
    console.log(row(['step transition p99 (ms)', ...scenarios.map((s) => s.stepTransitionMs.p99)]));
    for (const part of Object.keys(smallest.stepTransitionBreakdownMs) as (keyof TransitionBreakdown)[]) {
      console.log(
        row([
          `  ${part} median / p99`,
          ...scenarios.map((s) => `${s.stepTransitionBreakdownMs[part].median} / ${s.stepTransitionBreakdownMs[part].p99}`),
        ]),
      );
    }
    console.log(row(['SSM read calls / s', ...scenarios.map((s) => s.ssmReadCallsPerSecond)]));
    console.log(row(['peak SSM read calls / s', ...scenarios.map((s) => s.peakSsmReadCallsPerSecond)]));
    console.log(row(['SSM calls / invocation', ...scenarios.map((s) => s.ssmCallsPerInvocation)]));
    console.log(row(['peak worker RSS (MiB)', ...scenarios.map((s) => s.peakWorkerRssMiB)]));
    console.log(row(['largest run history (events)', ...scenarios.map((s) => s.largestRunHistoryEvents)]));
    console.log(row(['rollout history (events)', ...scenarios.map((s) => s.rolloutHistoryEvents)]));
    if (seed) {
      console.log(
        `seed loop: ${seed.clusters} clusters in ${seed.wallSeconds.toFixed(1)} s (${seed.secondsPerCluster.toFixed(1)} s/cluster, ${seed.ssmCallsPerInvocation.toFixed(2)} SSM calls/invocation); ` +
          `at ${largest.clusters} clusters ≈ ${seedExtrapolatedSeconds.toFixed(0)} s → ssmflow ${(seedExtrapolatedSeconds / largest.wallSeconds).toFixed(1)}× faster`,
      );
    }
    if (floor) {
      const t = floor.transitionMs;
      console.log(
        `bare Temporal floor (${floor.workflows} workflows × ${floor.activities} no-op activities): transition median ${t.median} ms, p99 ${t.p99} ms; ` +
          scenarios
            .map(
              (sc) =>
                `${sc.clusters} clusters ${(sc.stepTransitionMs.median / t.median).toFixed(2)}× / ${(sc.stepTransitionMs.p99 / t.p99).toFixed(2)}× the floor`,
            )
            .join(', '),
      );
    }
    if (peer) {
      const same = scenarios.find((sc) => sc.clusters === peer.clusters);
      console.log(
        `naive parallel peer: ${peer.clusters} clusters in ${peer.wallSeconds.toFixed(1)} s, ${peer.ssmCallsPerInvocation.toFixed(2)} SSM calls/invocation, peak ${peer.peakSsmReadCallsPerSecond} reads/s` +
          (same
            ? `; ssmflow ${same.wallSeconds.toFixed(1)} s, ${same.ssmCallsPerInvocation.toFixed(2)} calls/invocation, peak ${same.peakSsmReadCallsPerSecond} reads/s`
            : ''),
      );
    }
    console.log(JSON.stringify(report, null, 2));
    console.error(`written to ${file}`);
  } finally {
    await connection.close();
    await temporal.stop();
    rmSync(scratch, { recursive: true, force: true });
  }
}

await main();
process.exit(0);
