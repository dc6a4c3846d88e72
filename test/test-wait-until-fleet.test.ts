// waitUntil steps against the local fleet, with the real worker, Temporal dev server and CLI: a
// check that says "give up" ends the step at once, and a check's latest line shows in
// `ssmflow status` while the step waits.
import { mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { Client } from '@temporalio/client';
import type { Worker } from '@temporalio/worker';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { CommandStatusPoller } from '../aws/ssm/command-status-poller.js';
import { createSsmActivities } from '../activities/ssm/ssm-activities.js';
import type { WaitProgress } from '../aws/ssm/types.js';
import { startRun } from '../client/runs.js';
import { fleetClient, startTestFleet, type TestFleet } from '../fleet/test-support.js';
import { parseRunbook } from '../runbook/load.js';
import type { NormalizedRunbook } from '../runbook/types.js';
import { dataConverterFromEnv } from '../core/data-converter.js';
import { activityEnvironment, runActivity } from './harness/activity-env.js';
import { runCli } from './harness/cli.js';
import { connectTestStack, uniqueId, type TestStack } from './harness/stack.js';
import { eventually } from './harness/eventually.js';

const instanceId = 'i-0e1000000000000e1';

function runbook(waitUntil: string, extra = ''): NormalizedRunbook {
  const parsed = parseRunbook(
    `apiVersion: ssmflow/v1
name: pg-online
targets: { instanceIds: [${instanceId}] }
steps:
  - id: wait-caught-up
${extra}    waitUntil:
${waitUntil}
`,
    'pg-online.yaml',
  );
  if ('errors' in parsed) throw new Error(JSON.stringify(parsed.errors));
  return parsed.normalized;
}

interface StatusJson {
  status: string;
  currentStepId?: string;
  steps: { id: string; status: string; progress?: WaitProgress }[];
}

describe('waitUntil against the local fleet', () => {
  let stack: TestStack;
  let testFleet: TestFleet;
  let worker: Worker;
  let workerRun: Promise<void>;
  let taskQueue: string;
  const sandbox = () => join(testFleet.stateDir, 'instances', instanceId);
  const commandsOf = (workflowId: string) => testFleet.fleet.executions().filter((e) => e.comment.startsWith(`ssmflow:${workflowId}/`));

  beforeAll(async () => {
    stack = await connectTestStack();
    testFleet = await startTestFleet({ s3Endpoint: stack.s3Endpoint, instances: [{ id: instanceId, tags: { Cluster: 'pg' } }] });
    const created = await stack.createWorker({ dependencies: { s3: stack.s3, ssm: fleetClient(testFleet.fleet.endpoint, 3) } });
    worker = created.worker;
    taskQueue = created.taskQueue;
    workerRun = worker.run();
  });
  afterAll(async () => {
    worker?.shutdown();
    await workerRun;
    await testFleet?.dispose();
    await stack?.close();
  });

  it('a check exiting giveUpExitCode fails the step at once, quoting its output; no further check and no retry is sent', async () => {
    // Check 1: not caught up yet (exit 1). Check 2: DDL changed on the source (exit 3). Later checks would pass.
    const book = runbook(
      `      run: |
        n=$(( $(cat give-up-checks 2>/dev/null || echo 0) + 1 )); echo $n > give-up-checks
        if [ $n -eq 1 ]; then echo "LAG 4096 bytes (threshold 1024)"; exit 1; fi
        if [ $n -eq 2 ]; then echo "LAG 2048 bytes (threshold 1024)"; echo "DDL changed table public.orders on the source" >&2; exit 3; fi
        echo "LAG 0 bytes"
      interval: 1s
      timeout: 5m
      giveUpExitCode: 3`,
      `    onFailure: abort\n    retry: { maxAttempts: 3, initialInterval: 1s }\n`,
    );
    const workflowId = uniqueId('giveup');
    const handle = await startRun(stack.client, { runbook: book, parameters: {}, initiator: 'dba@example.com', taskQueue, workflowId });
    const summary = await handle.result();

    expect(summary.status).toBe('failed');
    expect(summary.failure?.stepId).toBe('wait-caught-up');
    expect(summary.failure?.message).toMatch(
      new RegExp(
        `^gave up after 2 checks: ${instanceId} exited 3: LAG 2048 bytes \\(threshold 1024\\) / DDL changed table public\\.orders on the source \\(command [0-9a-f-]+\\)$`,
      ),
    );
    const step = summary.steps.find((s) => s.id === 'wait-caught-up');
    expect(step).toMatchObject({ status: 'failed', attempts: 1 });

    // What ran on the instance: two checks of attempt 1, nothing after the one that gave up.
    const ran = commandsOf(workflowId);
    expect(ran.map((e) => e.comment.replace(/@[0-9a-f-]{36}/, ''))).toEqual([
      `ssmflow:${workflowId}/wait-caught-up/1/check-1`,
      `ssmflow:${workflowId}/wait-caught-up/1/check-2`,
    ]);
    expect(ran.map((e) => e.exitCode)).toEqual([1, 3]);
    expect(new Set(ran.map((e) => e.commandId)).size).toBe(2);
  });

  it('shows what the last check printed in `ssmflow status` while the step waits', async () => {
    mkdirSync(sandbox(), { recursive: true });
    const book = runbook(
      `      run: |
        n=$(( $(cat lag-checks 2>/dev/null || echo 0) + 1 )); echo $n > lag-checks
        echo "connecting to the source"
        echo "LAG $(( 1048576 - n )) bytes (threshold 65536)"
        test -f caught-up
      interval: 1s
      timeout: 10m`,
    );
    const workflowId = uniqueId('lag');
    const handle = await startRun(stack.client, { runbook: book, parameters: {}, initiator: 'dba@example.com', taskQueue, workflowId });
    const env = { TEMPORAL_ADDRESS: stack.temporalAddress, SSMFLOW_TASK_QUEUE: taskQueue };
    const statusJson = async () => {
      const result = await runCli(['status', workflowId, '--json'], env);
      expect(result.code, result.stderr).toBe(0);
      return result.json<StatusJson>();
    };

    // The line changes from check to check, and status follows it.
    const first = await eventually(async () => (await statusJson()).steps[0]?.progress, {
      timeoutMs: 60_000,
      description: 'progress in status --json',
    });
    const later = await eventually(
      async () => {
        const progress = (await statusJson()).steps[0]?.progress;
        return progress && progress.check > first.check ? progress : undefined;
      },
      { timeoutMs: 60_000, description: 'a later check in status --json' },
    );
    for (const progress of [first, later]) {
      expect(progress).toMatchObject({
        instanceCount: 1,
        passed: 0,
        instances: [{ instanceId, exitCode: 1, line: `LAG ${1048576 - progress.check} bytes (threshold 65536)` }],
      });
      expect(progress.elapsedMs).toBeGreaterThan(0);
    }
    expect(later.instances[0]?.line).not.toBe(first.instances[0]?.line);

    const text = await runCli(['status', workflowId], env);
    expect(text.code, text.stderr).toBe(0);
    expect(text.stdout).toMatch(new RegExp(`waiting: check \\d+ after \\d+s — ${instanceId}: LAG \\d+ bytes \\(threshold 65536\\)`));
    console.log(`ssmflow status ${workflowId}\n${text.stdout}`);

    writeFileSync(join(sandbox(), 'caught-up'), '');
    const summary = await handle.result();
    expect(summary.status).toBe('succeeded');
    // Finished: the step no longer waits, so there is no progress to show.
    const done = await statusJson();
    expect(done.steps[0]).toMatchObject({ status: 'succeeded' });
    expect(done.steps[0]?.progress).toBeUndefined();
  });

  it('reads the progress through the payload codec when runs are encrypted', async () => {
    mkdirSync(sandbox(), { recursive: true });
    const keys = { SSMFLOW_ENCRYPTION_KEYS: `k1=${Buffer.alloc(32, 7).toString('base64')}`, SSMFLOW_ENCRYPTION_KEY_ID: 'k1' };
    const dataConverter = dataConverterFromEnv({ env: keys });
    const encrypted = await stack.createWorker({
      dependencies: { s3: stack.s3, ssm: fleetClient(testFleet.fleet.endpoint, 3) },
      dataConverter,
    });
    const client = new Client({ connection: stack.client.connection, namespace: 'default', dataConverter });
    const book = runbook(
      `      run: |
        echo "LAG 777 bytes (threshold 65536)"
        test -f secret-caught-up
      interval: 1s
      timeout: 10m`,
    );
    const workflowId = uniqueId('enc-lag');
    const handle = await startRun(client, {
      runbook: book,
      parameters: {},
      initiator: 'dba@example.com',
      taskQueue: encrypted.taskQueue,
      workflowId,
    });
    await encrypted.worker.runUntil(async () => {
      // The heartbeat Temporal holds is ciphertext...
      const payload = await eventually(async () => (await handle.describe()).raw.pendingActivities?.[0]?.heartbeatDetails?.payloads?.[0], {
        timeoutMs: 60_000,
        description: 'a heartbeat',
      });
      expect(Buffer.from(payload.metadata?.encoding ?? []).toString()).not.toBe('json/plain');
      expect(Buffer.from(payload.data ?? []).toString('latin1')).not.toContain('LAG 777');
      // ...which status decodes with the keys the worker uses.
      const env = { TEMPORAL_ADDRESS: stack.temporalAddress, ...keys };
      const progress = await eventually(
        async () => {
          const result = await runCli(['status', workflowId, '--json'], env);
          expect(result.code, result.stderr).toBe(0);
          return result.json<StatusJson>().steps[0]?.progress;
        },
        { timeoutMs: 60_000, description: 'progress in status --json' },
      );
      expect(progress.instances).toEqual([{ instanceId, exitCode: 1, line: 'LAG 777 bytes (threshold 65536)' }]);
      writeFileSync(join(sandbox(), 'secret-caught-up'), '');
      expect((await handle.result()).status).toBe('succeeded');
    });
  });

  it('a retried attempt resumes from a checkpoint without progress (an older worker’s) and heartbeats the progress beside it', async () => {
    mkdirSync(sandbox(), { recursive: true });
    const ssm = fleetClient(testFleet.fleet.endpoint, 3);
    const poller = new CommandStatusPoller(ssm);
    const activities = createSsmActivities({ ssm, s3: stack.s3, poller, sendOnce: { listingLagMs: 500 } });
    const startedAtMs = Date.now() - 5_000;
    // What a worker before this change heartbeated between checks: { check, startedAtMs }.
    const env = activityEnvironment({ attempt: 2, heartbeatDetails: { check: 4, startedAtMs } });
    const heartbeats: Record<string, unknown>[] = [];
    env.on('heartbeat', (details: Record<string, unknown>) => heartbeats.push(details));
    const key = uniqueId('resume');
    try {
      const result = await runActivity(env, activities.runCheckUntilSuccess, {
        idempotencyKey: key,
        description: 'pg-online/wait-caught-up',
        document: {
          kind: 'shell',
          commands: ['n=$(( $(cat resume-checks 2>/dev/null || echo 0) + 1 )); echo $n > resume-checks', 'echo "LAG $n"', 'test $n -ge 2'],
        },
        targets: { instanceIds: [instanceId] },
        rateControl: { maxConcurrency: '1', maxErrors: '0' },
        executionTimeoutSeconds: 60,
        intervalMs: 200,
        timeoutMs: 60_000,
      });
      expect(result).toMatchObject({ satisfied: true, checks: 5 });
      expect(result.elapsedMs).toBeGreaterThanOrEqual(5_000);
    } finally {
      poller.stop();
    }
    expect(
      testFleet.fleet
        .executions()
        .filter((e) => e.comment.startsWith(`ssmflow:${key}/`))
        .map((e) => e.comment),
    ).toEqual([`ssmflow:${key}/check-4`, `ssmflow:${key}/check-5`]);
    // Every heartbeat keeps the resume checkpoint; once check 4 has finished they also carry its line.
    expect(heartbeats.every((h) => typeof h.check === 'number' && h.startedAtMs === startedAtMs)).toBe(true);
    const withProgress = heartbeats.filter((h) => h.lastCheck);
    expect(withProgress.length).toBeGreaterThan(0);
    expect(withProgress.at(-1)).toMatchObject({
      check: 5,
      lastCheck: { check: 4, instances: [{ instanceId, exitCode: 1, line: 'LAG 1' }] },
    });
  });
});
