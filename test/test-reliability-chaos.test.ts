// Reliability under process failure: the worker SIGKILLed again and again during a rollout, and
// the Temporal server itself restarted mid-run. Nothing may run twice on an instance, nothing may
// be lost, and every run must end where it should.
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { Command } from '@aws-sdk/client-ssm';
import { Client, Connection } from '@temporalio/client';
import { NativeConnection } from '@temporalio/worker';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { inject } from 'vitest';
import { runControls, startRun } from '../client/runs.js';
import { startTemporalDevServer } from '../local/temporal-dev-server.js';
import { fleetClient, startTestFleet, type TestFleet } from '../fleet/test-support.js';
import { parseRunbook } from '../runbook/load.js';
import type { NormalizedRunbook } from '../runbook/types.js';
import { createSsmflowWorker } from '../worker/create-worker.js';
import { runbookRollout } from '../workflows/index.js';
import { connectTestStack, uniqueId, type TestStack } from './harness/stack.js';
import { spawnWorkerProcess, type WorkerProcess } from './harness/worker-process.js';
import { idempotencyComment, stepCommentOf } from '../aws/ssm/idempotency-comment.js';
import type { RunCommandInput } from '../aws/ssm/types.js';
import type { ExecutionRecord } from '../fleet/journal.js';
import { activitySpans, jsonLogLines, listCommandsSince, type ActivitySpan } from './harness/run-evidence.js';
import { eventuallyTrue, holdsWithin } from './harness/eventually.js';

const clusters = ['k1', 'k2', 'k3', 'k4', 'k5', 'k6', 'k7', 'k8'];
const instancesOf = (cluster: string) => [1, 2].map((n) => `i-0${cluster}${String(n).padStart(14, '0')}`);

function runbookFrom(text: string): NormalizedRunbook {
  const parsed = parseRunbook(text, 'chaos.yaml');
  if ('errors' in parsed) throw new Error(JSON.stringify(parsed.errors));
  return parsed.normalized;
}

const patchRunbookTaking = (seconds: { drain: number; patch: number; undrain: number }) =>
  runbookFrom(`apiVersion: ssmflow/v1
name: chaos-patch
parameters:
  cluster: { type: string }
targets: { tags: { Cluster: '{{ cluster }}' } }
defaults: { rateControl: { maxConcurrency: '100%', maxErrors: '0' } }
steps:
  - id: drain
    run: sleep ${seconds.drain}; echo drained
  - id: patch
    run: sleep ${seconds.patch}; echo patched
  - id: undrain
    run: sleep ${seconds.undrain}; echo back
`);

const patchRunbook = patchRunbookTaking({ drain: 0.4, patch: 0.6, undrain: 0.2 });

/** Deterministic pseudo-random numbers, so a failing chaos run can be replayed exactly. */
function seeded(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = Math.imul(a ^ (a >>> 15), a | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

interface Kill {
  /** When the SIGKILL was sent (ms since epoch). */
  at: number;
  /** How long after the worker entered an activity's send path the kill came. */
  delayMs: number;
  enteredActivity: boolean;
  /** The rollout's Temporal status just before the kill. */
  rolloutStatus: string;
  /** Everything the killed worker printed (its JSON logs). */
  logs: string;
}

const killPhases = ['no activity in flight', 'before the send', 'in/right after the send', 'while waiting'] as const;
type KillPhase = (typeof killPhases)[number];

/**
 * A command requested at most this long before a kill, whose wait the killed worker had not
 * logged, was hit in or right after its send. (The SDK's log collector buffers lines 100-200 ms
 * and its JSON `time` is the flush time, so a wait missing from the logs may be that recent.)
 */
const sendWindowMs = 500;

/**
 * Where a kill landed. An activity was in flight when its history span (scheduled → closed,
 * retries included) covers the kill; its phase follows from when SSM says its command was
 * requested: not yet (before the send), within the send window with no wait logged by the killed
 * worker (in or right after the send), or earlier (while waiting on the command). With several
 * activities in flight the kill counts for the most delicate phase: send, then wait, then before.
 * The journal cross-checks the histories: a step process running at the kill has its activity open.
 */
function killPhase(
  kill: Kill,
  spans: ActivitySpan[],
  commands: Command[],
  executions: ExecutionRecord[],
): { phase: KillPhase; unexplained: string[] } {
  const inFlight = spans.filter((s) => s.scheduledAtMs <= kill.at && (s.closedAtMs === undefined || s.closedAtMs > kill.at));
  const waitsLogged = new Set(jsonLogLines(kill.logs).flatMap((line) => (line.phase === 'wait' ? [String(line.commandId)] : [])));
  const openComments = new Set<string>();
  const phases = inFlight.map((span): KillPhase => {
    const key = (span.input as RunCommandInput | undefined)?.idempotencyKey;
    if (!key) return 'before the send';
    openComments.add(idempotencyComment(key));
    const command = commands.find((c) => c.Comment === idempotencyComment(key));
    const sentAt = command?.RequestedDateTime?.getTime();
    if (sentAt === undefined || sentAt > kill.at) return 'before the send';
    if (kill.at - sentAt <= sendWindowMs && !waitsLogged.has(command?.CommandId ?? '')) return 'in/right after the send';
    return 'while waiting';
  });
  const running = executions.filter(
    (e) => Date.parse(e.startedAt) <= kill.at && (e.endedAt === undefined || Date.parse(e.endedAt) > kill.at),
  );
  const unexplained = running.filter((e) => !openComments.has(e.comment)).map((e) => `${e.comment}@${e.instanceId}`);
  const phase =
    (['in/right after the send', 'while waiting', 'before the send'] as const).find((p) => phases.includes(p)) ?? 'no activity in flight';
  return { phase, unexplained };
}

describe('process failures', () => {
  let stack: TestStack;
  let testFleet: TestFleet;
  beforeAll(async () => {
    stack = await connectTestStack();
    testFleet = await startTestFleet({
      instances: clusters.flatMap((cluster) => instancesOf(cluster).map((id) => ({ id, tags: { Cluster: cluster } }))),
    });
  });
  afterAll(async () => {
    await testFleet?.dispose();
    await stack?.close();
  });

  it('a rollout survives its worker being SIGKILLed 20 times at seeded random moments, most of them mid-activity: every step was sent once and ran exactly once per instance', async () => {
    const random = seeded(20261122);
    const taskQueue = uniqueId('tq-chaos');
    const testStartedAt = Date.now();
    // The production entry point with debug logs: the send path's phases are in the output.
    // No workflow cache: with one, each kill strands the run's next workflow task on the dead
    // worker's sticky queue for the SDK's 10 s sticky schedule-to-start timeout, and random kills
    // mostly landed in those stalls (measured: 4 to 10 of 20 hit an activity). Without it the
    // next worker takes the task at once and replays the run from its history every time.
    const env = {
      SSMFLOW_TEST_PRODUCTION_WORKER: '1',
      SSMFLOW_LOG_LEVEL: 'debug',
      SSMFLOW_HTTP_ADDRESS: 'off',
      SSMFLOW_SDK_METRICS_ADDRESS: 'off',
      SSMFLOW_MAX_CACHED_WORKFLOWS: '0',
      AWS_ENDPOINT_URL_SSM: testFleet.fleet.endpoint,
      AWS_ENDPOINT_URL_S3: stack.s3Endpoint,
    };
    const handle = await stack.client.workflow.start(runbookRollout, {
      taskQueue,
      workflowId: uniqueId('chaos-rollout'),
      args: [
        {
          // Eight clusters one at a time, steps of seconds: twenty kills (measured: three to four
          // a cluster) all fall inside the rollout, with clusters to spare.
          runbook: patchRunbookTaking({ drain: 2, patch: 4, undrain: 1.5 }),
          clusters,
          parameters: {},
          waves: ['1', '100%'],
          maxInFlight: 1,
          errorBudget: '0',
          approvalBetweenWaves: false,
          initiator: 'chaos@example.com',
          options: { heartbeatTimeoutSeconds: 2 },
        },
      ],
    });
    let worker: WorkerProcess | undefined;
    const kills: Kill[] = [];
    for (let kill = 0; kill < 20; kill += 1) {
      worker = await spawnWorkerProcess({ taskQueue, env });
      const readyAt = Date.now();
      // Killed at a seeded random moment once it has work: up to 1.3 s after it sent a command
      // (SSM lists it) or its logs show an activity's send path (sending, looking its key up,
      // resuming a wait; the SDK flushes logs 100-200 ms late). A worker given no activity for
      // 15 s is killed anyway. Where each kill really landed is established afterwards.
      const delayMs = Math.floor(random() * 1_300);
      const busy = worker;
      const enteredActivity = await holdsWithin(
        async () =>
          busy.output().includes('"phase":"') ||
          (await listCommandsSince(testFleet.ssm, readyAt)).some((c) => c.Comment?.startsWith(`ssmflow:${handle.workflowId}--`)),
        { timeoutMs: 15_000, intervalMs: 20 },
      );
      await new Promise((r) => setTimeout(r, delayMs));
      const rolloutStatus = (await handle.describe()).status.name;
      const at = Date.now();
      await worker.kill('SIGKILL');
      kills.push({ at, delayMs, enteredActivity, rolloutStatus, logs: worker.output() });
      // Progress, so a run that outlives the guard shows whether it was slow or stuck, and where.
      console.log(
        `kill ${kill + 1}/20 at +${Math.round((at - testStartedAt) / 1000)} s: worker up ${Math.round((at - readyAt) / 100) / 10} s, ${enteredActivity ? 'in an activity' : 'no activity within 15 s'}`,
      );
    }
    worker = await spawnWorkerProcess({ taskQueue, env });
    console.log(`kills done at +${Math.round((Date.now() - testStartedAt) / 1000)} s; waiting for the rollout to finish`);
    try {
      const summary = await handle.result();
      expect(summary.status).toBe('succeeded');
      expect(summary.succeeded.sort()).toEqual(clusters);
    } finally {
      await worker.kill('SIGTERM');
    }
    // Every kill hit a rollout still in progress.
    expect(kills.map((k) => k.rolloutStatus)).toEqual(kills.map(() => 'RUNNING'));

    const executions = testFleet.fleet.executions().filter((e) => e.comment.startsWith(`ssmflow:${handle.workflowId}--`));
    for (const cluster of clusters) {
      for (const step of ['drain', 'patch', 'undrain']) {
        for (const instanceId of instancesOf(cluster)) {
          const ran = executions.filter(
            (e) => stepCommentOf(e.comment) === `ssmflow:${handle.workflowId}--${cluster}/${step}/1` && e.instanceId === instanceId,
          );
          expect({ cluster, step, instanceId, times: ran.length }).toEqual({ cluster, step, instanceId, times: 1 });
        }
      }
    }
    // Exactly one command was ever sent per (cluster, step): no retried attempt sent it again.
    const commands = (await listCommandsSince(testFleet.ssm, testStartedAt)).filter((c) =>
      c.Comment?.startsWith(`ssmflow:${handle.workflowId}--`),
    );
    expect(commands.map((c) => stepCommentOf(c.Comment ?? '')).sort()).toEqual(
      clusters
        .flatMap((cluster) => ['drain', 'patch', 'undrain'].map((step) => `ssmflow:${handle.workflowId}--${cluster}/${step}/1`))
        .sort(),
    );

    // Where each kill landed, from the histories (activity open intervals), SSM (when each
    // command was requested), the journal (what ran) and the killed worker's own logs.
    const spans = (
      await Promise.all(
        clusters.map(async (cluster) =>
          activitySpans(await stack.client.workflow.getHandle(`${handle.workflowId}--${cluster}`).fetchHistory()),
        ),
      )
    ).flat();
    const landed = kills.map((kill) => killPhase(kill, spans, commands, executions));
    // A step process running at a kill always has its activity open in the history.
    expect(landed.flatMap((l) => l.unexplained)).toEqual([]);
    const phases = landed.map((l) => l.phase);
    const counts = Object.fromEntries(killPhases.map((phase) => [phase, phases.filter((p) => p === phase).length])) as Record<
      KillPhase,
      number
    >;
    console.log(
      `chaos: where the 20 kills landed: ${JSON.stringify(counts)}; in order: ${kills.map((k, i) => `${k.enteredActivity ? '' : 'no activity for 15 s, '}+${k.delayMs} ms → ${phases[i]}`).join('; ')}`,
    );
    expect(counts['in/right after the send'] + counts['while waiting']).toBeGreaterThanOrEqual(10);
  }, 600_000); // 21 worker processes started one after another: on a 2-core machine shared with the PostgreSQL suites this took over 300 s in CI (124 s alone)

  it('a run survives the Temporal server restarting mid-command (state in its SQLite file)', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'ssmflow-restart-'));
    const dbFile = join(dir, 'temporal.db');
    let server = await startTemporalDevServer({ dbFile });
    const port = Number(server.address.split(':')[1]);
    const nativeConnection = await NativeConnection.connect({ address: server.address });
    const connection = await Connection.connect({ address: server.address });
    const client = new Client({ connection });
    const taskQueue = uniqueId('tq-restart');
    const worker = await createSsmflowWorker({
      connection: nativeConnection,
      namespace: 'default',
      taskQueue,
      workflowBundlePath: inject('workflowBundlePath'),
      dependencies: { s3: stack.s3, ssm: fleetClient(testFleet.fleet.endpoint, 3) },
    });
    const running = worker.run();
    try {
      const handle = await startRun(client, {
        runbook: patchRunbook,
        parameters: { cluster: 'k1' },
        initiator: 'chaos@example.com',
        taskQueue,
        workflowId: uniqueId('restart'),
        options: { heartbeatTimeoutSeconds: 5 },
      });
      await eventuallyTrue(
        () => testFleet.fleet.executions().some((e) => stepCommentOf(e.comment) === `ssmflow:${handle.workflowId}/patch/1`),
        {
          timeoutMs: 30_000,
          description: 'the patch step to start',
        },
      );
      await server.stop();
      await new Promise((r) => setTimeout(r, 1_000));
      server = await startTemporalDevServer({ dbFile, port });
      const summary = await handle.result();
      expect(summary.status).toBe('succeeded');
      const executions = testFleet.fleet.executions().filter((e) => e.comment.startsWith(`ssmflow:${handle.workflowId}/`));
      expect(executions.map((e) => `${stepCommentOf(e.comment).split('/').slice(-2).join('/')}@${e.instanceId}`).sort()).toEqual(
        ['drain', 'patch', 'undrain'].flatMap((step) => instancesOf('k1').map((id) => `${step}/1@${id}`)).sort(),
      );
      expect((await runControls(client, handle.workflowId).state()).status).toBe('succeeded');
    } finally {
      worker.shutdown();
      await running;
      await connection.close();
      await nativeConnection.close();
      await server.stop();
      rmSync(dir, { recursive: true, force: true });
    }
  });
});
