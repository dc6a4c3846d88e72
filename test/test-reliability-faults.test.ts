// Reliability: real runs (real activities, local fleet, S3 emulator, dev server) under the faults
// production brings. After each, the run is in the state it should be, and the fleet's journal
// shows no (command, instance) executed twice.
import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { historyToJSON } from '@temporalio/common/lib/proto-utils.js';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { runControls, startRun } from '../client/runs.js';
import { startS3Emulator } from '../local/s3-emulator.js';
import { createS3Client } from '../aws/clients.js';
import { startFleet, type RunningFleet } from '../fleet/server.js';
import { fleetClient, startTestFleet, type TestFleet } from '../fleet/test-support.js';
import { parseRunbook } from '../runbook/load.js';
import type { NormalizedRunbook } from '../runbook/types.js';
import type { RunState, RunStatus } from '../workflows/run-state.js';
import { historyText } from './harness/history-text.js';
import { connectTestStack, uniqueId, type TestStack } from './harness/stack.js';
import { stepCommentOf } from '../aws/ssm/idempotency-comment.js';
import { recordSsmAttempts, type SsmAttempt } from './harness/ssm-attempts.js';
import { eventuallyTrue } from './harness/eventually.js';
import { waitForRunStatus } from './harness/run-waits.js';

const ids = ['i-0e00000000000000a', 'i-0e00000000000000b'];

function runbookFrom(text: string): NormalizedRunbook {
  const parsed = parseRunbook(text, 'reliability.yaml');
  if ('errors' in parsed) throw new Error(JSON.stringify(parsed.errors));
  return parsed.normalized;
}

const threeSteps = (middle = 'sleep 1') =>
  runbookFrom(`apiVersion: ssmflow/v1
name: three-steps
parameters:
  cluster: { type: string }
  note: { type: string, default: none }
targets: { tags: { Cluster: '{{ cluster }}' } }
defaults: { rateControl: { maxConcurrency: '100%', maxErrors: '0' } }
steps:
  - id: one
    run: echo one {{ note }}
  - id: two
    run: ${middle}
  - id: three
    run: echo three
`);

function assertNoDuplicateExecutions(fleet: RunningFleet, runId: string): void {
  const runs = fleet.executions().filter((e) => e.comment.startsWith(`ssmflow:${runId}/`));
  const seen = new Map<string, number>();
  for (const r of runs) seen.set(`${r.comment}|${r.instanceId}`, (seen.get(`${r.comment}|${r.instanceId}`) ?? 0) + 1);
  const duplicates = [...seen.entries()].filter(([, n]) => n > 1);
  expect(duplicates).toEqual([]);
}

const waitForStatus = (controls: ReturnType<typeof runControls>, status: RunStatus): Promise<RunState> =>
  waitForRunStatus(controls, status, { timeoutMs: 90_000, intervalMs: 150 });

function countBy(values: string[]): Record<string, number> {
  const counts: Record<string, number> = {};
  for (const v of values) counts[v] = (counts[v] ?? 0) + 1;
  return counts;
}

const waitFor = (condition: () => boolean, what: string): Promise<void> =>
  eventuallyTrue(condition, { description: what, timeoutMs: 30_000 });

describe('runs under faults', () => {
  let stack: TestStack;
  let testFleet: TestFleet;
  beforeAll(async () => {
    stack = await connectTestStack();
    testFleet = await startTestFleet({
      s3Endpoint: stack.s3Endpoint,
      // Ten times faster delivery/execution timeouts, so a 30 s delivery window lasts 3 s.
      millisPerSecond: 100,
      instances: ids.map((id) => ({ id, tags: { Cluster: 'rel' } })),
      parameters: [{ name: '/rel/db-password', type: 'SecureString', value: 'Sup3r-Secret-Value-42' }],
    });
  });
  afterAll(async () => {
    await testFleet?.dispose();
    await stack?.close();
  });

  async function start(runbook: NormalizedRunbook, parameters: Record<string, string>, output?: { bucket: string; keyPrefix: string }) {
    const { worker, taskQueue } = await stack.createWorker({
      dependencies: { s3: stack.s3, ssm: fleetClient(testFleet.fleet.endpoint, 3) },
    });
    const handle = await startRun(stack.client, {
      runbook,
      parameters: { cluster: 'rel', ...parameters },
      initiator: 'chaos@example.com',
      taskQueue,
      workflowId: uniqueId('rel'),
      // The shortest delivery window SSM allows (30 s; 3 s on this fleet's clock).
      options: { deliveryTimeoutSeconds: 30 },
      ...(output ? { output } : {}),
    });
    return { worker, handle, controls: runControls(stack.client, handle.workflowId) };
  }

  it('30% of SSM calls throttled for a minute: calls are retried after growing, jittered pauses, the runs succeed, nothing ran twice', async () => {
    // The worker's own clients (as in production: SDK retries for reads, none for SendCommand),
    // recording every HTTP attempt with its timing and SSM's answer.
    const ssm = fleetClient(testFleet.fleet.endpoint, 3);
    const ssmSend = fleetClient(testFleet.fleet.endpoint, 1);
    const attempts: SsmAttempt[] = [];
    recordSsmAttempts(ssm, attempts);
    recordSsmAttempts(ssmSend, attempts);
    // Seeded: the fleet draws the same throttling decisions, call by call, on every run.
    testFleet.fleet.setFaults({ global: { throttle: 0.3 }, seed: 7 });
    try {
      // Three runs on one worker, their middle step keeping them waiting on SSM for most of a
      // minute of storm (under this fleet's 10× time scale, 50 s stays inside the step's scaled
      // 60 s execution limit): enough calls to see how retries after throttles are spaced.
      const { worker, taskQueue } = await stack.createWorker({ dependencies: { s3: stack.s3, ssm, ssmSend } });
      const handles = await Promise.all(
        [1, 2, 3].map((n) =>
          startRun(stack.client, {
            // Three runs on the same instances at once: only read-only runs may overlap under target locks.
            runbook: { ...threeSteps('sleep 50'), readOnly: true },
            parameters: { cluster: 'rel', note: `storm-${n}` },
            initiator: 'chaos@example.com',
            taskQueue,
            workflowId: uniqueId('rel-storm'),
            options: { deliveryTimeoutSeconds: 30 },
          }),
        ),
      );
      const summaries = await worker.runUntil(Promise.all(handles.map((h) => h.result())));
      expect(summaries.map((s) => s.status)).toEqual(['succeeded', 'succeeded', 'succeeded']);
      for (const handle of handles) {
        assertNoDuplicateExecutions(testFleet.fleet, handle.workflowId);
        expect(testFleet.fleet.executions().filter((e) => e.comment.startsWith(`ssmflow:${handle.workflowId}/`))).toHaveLength(6);
      }
    } finally {
      testFleet.fleet.setFaults({ global: null });
      ssm.destroy();
      ssmSend.destroy();
    }

    // The storm happened: about the configured share of the worker's calls was refused.
    const throttled = attempts.filter((a) => a.error === 'ThrottlingException');
    expect(throttled.length).toBeGreaterThan(0);
    expect(throttled.length / attempts.length).toBeGreaterThan(0.2);
    expect(throttled.length / attempts.length).toBeLessThan(0.4);
    expect(attempts.filter((a) => a.error !== undefined && a.error !== 'ThrottlingException')).toEqual([]);

    // Retries of one call (same SDK invocation id): the pause before each, by how many throttles in a row preceded it.
    expect(attempts.every((a) => a.invocationId !== '')).toBe(true);
    const calls = new Map<string, SsmAttempt[]>();
    for (const a of attempts) calls.set(a.invocationId, [...(calls.get(a.invocationId) ?? []), a]);
    const pauses: number[][] = [[], []];
    for (const tries of calls.values()) {
      tries.sort((a, b) => a.attempt - b.attempt);
      for (const [i, next] of tries.entries()) {
        const previous = tries[i - 1];
        if (previous?.error === 'ThrottlingException') pauses[previous.attempt - 1]?.push(next.startedAt - previous.endedAt);
      }
    }
    const [afterOne = [], afterTwo = []] = pauses;
    const mean = (xs: number[]) => xs.reduce((a, b) => a + b, 0) / xs.length;
    // SendCommand is never retried by the SDK: the send path pauses itself between sends of one key.
    const sendsByKey = [...new Set(attempts.filter((a) => a.operation === 'SendCommand').map((a) => a.comment))].map((comment) =>
      attempts.filter((a) => a.comment === comment),
    );
    const sends = sendsByKey.map((tries) => tries.map((a) => a.error ?? 'sent'));
    const sendPauses = sendsByKey.flatMap((tries) =>
      tries.slice(1).map((next, i) => next.startedAt - (tries[i]?.endedAt ?? next.startedAt)),
    );
    console.log(
      `throttling: ${throttled.length} of ${attempts.length} SSM attempts throttled (${JSON.stringify(countBy(throttled.map((a) => a.operation)))}); ` +
        `pause after 1 throttle: n=${afterOne.length} mean ${Math.round(mean(afterOne))} ms, range ${Math.min(...afterOne)}–${Math.max(...afterOne)} ms, first ${afterOne.slice(0, 8).join(',')}; ` +
        `after 2 in a row: n=${afterTwo.length} mean ${Math.round(mean(afterTwo))} ms, range ${Math.min(...afterTwo)}–${Math.max(...afterTwo)} ms, ${afterTwo.join(',')}; ` +
        `sends per step: ${JSON.stringify(sends)}, pauses between sends of one step ${sendPauses.join(',')} ms`,
    );
    // Enough retries to judge, spread out (jitter, not one fixed delay), and longer after two throttles in a row than after one.
    expect(afterOne.length).toBeGreaterThanOrEqual(30);
    expect(afterTwo.length).toBeGreaterThanOrEqual(10);
    expect(Math.max(...afterOne) - Math.min(...afterOne)).toBeGreaterThan(100);
    expect(mean(afterTwo)).toBeGreaterThan(mean(afterOne));
  }, 300_000);

  it('instances going offline mid-step: the step fails with DeliveryTimedOut, the run pauses, and a retry after they return succeeds', async () => {
    const { worker, handle, controls } = await start(threeSteps('echo two'), {});
    await worker.runUntil(async () => {
      // Take the instances offline as soon as step one has run everywhere.
      await waitFor(
        () =>
          testFleet.fleet
            .executions()
            .filter((e) => stepCommentOf(e.comment) === `ssmflow:${handle.workflowId}/one/1` && e.status === 'Success').length === 2,
        'step one',
      );
      testFleet.fleet.setFaults({ instances: Object.fromEntries(ids.map((id) => [id, { offline: true }])) });
      const paused = await waitForStatus(controls, 'paused-on-failure');
      expect(paused.currentStepId).toBe('two');
      expect(paused.failure?.instances.map((i) => i.statusDetails)).toEqual(['DeliveryTimedOut', 'DeliveryTimedOut']);
      testFleet.fleet.setFaults({ instances: Object.fromEntries(ids.map((id) => [id, null])) });
      await controls.retry({ by: 'oncall', reason: 'instances back' });
      expect((await handle.result()).status).toBe('succeeded');
    });
    assertNoDuplicateExecutions(testFleet.fleet, handle.workflowId);
  });

  it('the fleet restarted mid-command: the interrupted step fails visibly (exit 137), and a retry finishes the run', async () => {
    const { worker, handle, controls } = await start(threeSteps('sleep 5'), {});
    await worker.runUntil(async () => {
      await waitFor(
        () => testFleet.fleet.executions().some((e) => stepCommentOf(e.comment) === `ssmflow:${handle.workflowId}/two/1`),
        'step two to start',
      );
      const { port, stateDir } = testFleet.fleet;
      await testFleet.fleet.stop();
      testFleet.fleet = await startFleet({
        stateDir,
        port,
        config: { s3Endpoint: stack.s3Endpoint, millisPerSecond: 100, instances: ids.map((id) => ({ id, tags: { Cluster: 'rel' } })) },
      });
      const paused = await waitForStatus(controls, 'paused-on-failure');
      expect(paused.failure?.instances.map((i) => i.exitCode)).toEqual([137, 137]);
      await controls.retry({ by: 'oncall', reason: 'fleet back' });
      expect((await handle.result()).status).toBe('succeeded');
    });
    assertNoDuplicateExecutions(testFleet.fleet, handle.workflowId);
  });

  it('S3 unavailable: the step fails saying the output bucket is unreachable, and succeeds on retry once S3 is back', async () => {
    const { CreateBucketCommand } = await import('@aws-sdk/client-s3');
    const ownS3 = await startS3Emulator();
    const s3 = createS3Client({ endpoint: ownS3.endpoint });
    const outputFleet = await startTestFleet({
      s3Endpoint: ownS3.endpoint,
      instances: [{ id: 'i-0e0000000000000f1', tags: { Cluster: 'rel' } }],
    });
    await ownS3.stop();
    const { worker, taskQueue } = await stack.createWorker({ dependencies: { s3, ssm: fleetClient(outputFleet.fleet.endpoint, 3) } });
    const handle = await startRun(stack.client, {
      runbook: threeSteps('echo two'),
      parameters: { cluster: 'rel' },
      initiator: 'chaos@example.com',
      taskQueue,
      workflowId: uniqueId('rel-s3'),
      output: { bucket: 'flaky-output', keyPrefix: 'runs' },
    });
    const controls = runControls(stack.client, handle.workflowId);
    let restarted: Awaited<ReturnType<typeof startS3Emulator>> | undefined;
    try {
      await worker.runUntil(async () => {
        const paused = await waitForStatus(controls, 'paused-on-failure');
        expect(paused.currentStepId).toBe('one');
        expect(paused.failure?.message).toMatch(/InvalidOutputFolder.*flaky-output.*not reachable.*SSMFLOW_OUTPUT_BUCKET/);
        restarted = await startS3Emulator({ port: ownS3.port });
        await s3.send(new CreateBucketCommand({ Bucket: 'flaky-output' }));
        await controls.retry({ by: 'oncall', reason: 'S3 back' });
        expect((await handle.result()).status).toBe('succeeded');
      });
      assertNoDuplicateExecutions(outputFleet.fleet, handle.workflowId);
    } finally {
      s3.destroy();
      await outputFleet.dispose();
      await restarted?.stop();
    }
  });

  it('shell injection through a parameter never executes; the value arrives literally', async () => {
    const canary = join(testFleet.stateDir, 'canary-injected');
    const hostile = `$(touch ${canary}); \`touch ${canary}\` '; touch ${canary}; echo '`;
    const { worker, handle, controls } = await start(threeSteps('echo two'), { note: hostile });
    const state = await worker.runUntil(async () => {
      expect((await handle.result()).status).toBe('succeeded');
      return controls.state();
    });
    expect(existsSync(canary)).toBe(false);
    for (const id of ids) expect(existsSync(join(testFleet.stateDir, 'instances', id, 'canary-injected'))).toBe(false);
    const one = state.steps.find((s) => s.id === 'one');
    expect(one?.instances.map((i) => i.outputTail)).toEqual(ids.map(() => `one ${hostile}\n`));
  });

  it('a SecureString secret reaches the instance but never the workflow history or the audit record', async () => {
    const runbook = runbookFrom(`apiVersion: ssmflow/v1
name: uses-secret
parameters:
  cluster: { type: string }
  dbPassword: { type: secret, parameterStore: '/{{ cluster }}/db-password' }
targets: { tags: { Cluster: '{{ cluster }}' } }
steps:
  - id: configure
    run: printf '%s' {{ dbPassword }} > "$FLEET_INSTANCE_DIR/secret-check" && echo configured
`);
    const { worker, handle, controls } = await start(runbook, {});
    const state = await worker.runUntil(async () => {
      expect((await handle.result()).status).toBe('succeeded');
      return controls.state();
    });
    const { readFileSync } = await import('node:fs');
    for (const id of ids)
      expect(readFileSync(join(testFleet.stateDir, 'instances', id, 'secret-check'), 'utf8')).toBe('Sup3r-Secret-Value-42');
    const history = historyToJSON(await handle.fetchHistory());
    expect(history).not.toContain('Sup3r-Secret-Value-42');
    expect(Buffer.from(history).toString('base64')).not.toContain(Buffer.from('Sup3r-Secret-Value-42').toString('base64'));
    // Payloads are base64 in history JSON: decode them all and look again.
    const decoded = historyText(await handle.fetchHistory());
    expect(decoded).toContain('/rel/db-password');
    expect(decoded).not.toContain('Sup3r-Secret-Value-42');
    expect(JSON.stringify(state)).not.toContain('Sup3r-Secret-Value-42');
    const audit = state.audit.find((e) => e.type === 'command');
    expect(audit?.type === 'command' && audit.commands).toEqual([
      `printf '%s' '****' > "$FLEET_INSTANCE_DIR/secret-check" && echo configured`,
    ]);
  });
});
