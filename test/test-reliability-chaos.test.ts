// Reliability under process failure: the worker SIGKILLed again and again during a rollout, and
// the Temporal server itself restarted mid-run. Nothing may run twice on an instance, nothing may
// be lost, and every run must end where it should.
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Client, Connection } from '@temporalio/client';
import { NativeConnection } from '@temporalio/worker';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { inject } from 'vitest';
import { runControls, startRun } from '../client/runs.js';
import { startTemporalDevServer } from '../client/local/temporal-dev-server.js';
import { fleetClient, startTestFleet, type TestFleet } from '../fleet/test-support.js';
import { parseRunbook } from '../runbook/load.js';
import type { NormalizedRunbook } from '../runbook/types.js';
import { createSsmflowWorker } from '../worker/create-worker.js';
import { runbookRollout } from '../workflows/index.js';
import { connectTestStack, uniqueId, type TestStack } from './harness/stack.js';
import { spawnWorkerProcess, type WorkerProcess } from './harness/worker-process.js';
import { stepCommentOf } from '../activities/ssm/idempotency-comment.js';

const clusters = ['k1', 'k2', 'k3', 'k4'];
const instancesOf = (cluster: string) => [1, 2].map((n) => `i-0${cluster}${String(n).padStart(14, '0')}`);

function runbookFrom(text: string): NormalizedRunbook {
  const parsed = parseRunbook(text, 'chaos.yaml');
  if ('errors' in parsed) throw new Error(JSON.stringify(parsed.errors));
  return parsed.normalized;
}

const patchRunbook = runbookFrom(`apiVersion: ssmflow/v1
name: chaos-patch
parameters:
  cluster: { type: string }
targets: { tags: { Cluster: '{{ cluster }}' } }
defaults: { rateControl: { maxConcurrency: '100%', maxErrors: '0' } }
steps:
  - id: drain
    run: sleep 0.4; echo drained
  - id: patch
    run: sleep 0.6; echo patched
  - id: undrain
    run: sleep 0.2; echo back
`);

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

describe('process failures', () => {
  let stack: TestStack;
  let testFleet: TestFleet;
  beforeAll(async () => {
    stack = await connectTestStack();
    testFleet = await startTestFleet({ instances: clusters.flatMap((cluster) => instancesOf(cluster).map((id) => ({ id, tags: { Cluster: cluster } }))) });
  });
  afterAll(async () => {
    await testFleet?.dispose();
    await stack?.close();
  });

  it('a rollout survives its worker being SIGKILLed 20 times at seeded random moments: every step ran exactly once per instance', async () => {
    const random = seeded(20261122);
    const taskQueue = uniqueId('tq-chaos');
    const env = { AWS_ENDPOINT_URL_SSM: testFleet.fleet.endpoint };
    const handle = await stack.client.workflow.start(runbookRollout, {
      taskQueue,
      workflowId: uniqueId('chaos-rollout'),
      args: [
        {
          runbook: patchRunbook,
          clusters,
          parameters: {},
          waves: ['1', '100%'],
          maxInFlight: 3,
          errorBudget: '0',
          approvalBetweenWaves: false,
          initiator: 'chaos@example.com',
          options: { heartbeatTimeoutSeconds: 2 },
        },
      ],
    });
    let worker: WorkerProcess | undefined;
    const kills: number[] = [];
    for (let kill = 0; kill < 20; kill += 1) {
      worker = await spawnWorkerProcess({ taskQueue, env });
      const lifetimeMs = 200 + Math.floor(random() * 1_300);
      await new Promise((r) => setTimeout(r, lifetimeMs));
      await worker.kill('SIGKILL');
      kills.push(lifetimeMs);
    }
    worker = await spawnWorkerProcess({ taskQueue, env });
    try {
      const summary = await handle.result();
      expect(summary.status).toBe('succeeded');
      expect(summary.succeeded.sort()).toEqual(clusters);
    } finally {
      await worker.kill('SIGTERM');
    }
    expect(kills).toHaveLength(20);

    const executions = testFleet.fleet.executions().filter((e) => e.comment.startsWith(`ssmflow:${handle.workflowId}--`));
    for (const cluster of clusters) {
      for (const step of ['drain', 'patch', 'undrain']) {
        for (const instanceId of instancesOf(cluster)) {
          const ran = executions.filter((e) => stepCommentOf(e.comment) === `ssmflow:${handle.workflowId}--${cluster}/${step}/1` && e.instanceId === instanceId);
          expect({ cluster, step, instanceId, times: ran.length }).toEqual({ cluster, step, instanceId, times: 1 });
        }
      }
    }
    // Nothing beyond the first attempt of each step was ever needed, or sent.
    expect(executions.filter((e) => !stepCommentOf(e.comment).endsWith('/1'))).toEqual([]);
  }, 300_000); // 21 worker processes started one after another: slow on a loaded 2-core machine, so a wider hang guard

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
      const handle = await startRun(client, { runbook: patchRunbook, parameters: { cluster: 'k1' }, initiator: 'chaos@example.com', taskQueue, workflowId: uniqueId('restart'), options: { heartbeatTimeoutSeconds: 5 } });
      const deadline = Date.now() + 30_000;
      while (!testFleet.fleet.executions().some((e) => stepCommentOf(e.comment) === `ssmflow:${handle.workflowId}/patch/1`)) {
        if (Date.now() > deadline) throw new Error('patch step did not start');
        await new Promise((r) => setTimeout(r, 50));
      }
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
