// The run workflow with its real activities against the local fleet: commands really run in the
// instances' sandboxes, and the fleet's journal shows what ran where, and how often.
import { existsSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { runControls, startRun } from '../client/runs.js';
import { fleetClient, startTestFleet, type TestFleet } from '../fleet/test-support.js';
import { parseRunbook } from '../runbook/load.js';
import type { NormalizedRunbook } from '../runbook/types.js';
import type { RunState, RunStatus } from '../workflows/run-state.js';
import { connectTestStack, uniqueId, type TestStack } from './harness/stack.js';
import { stepCommentOf } from '../aws/ssm/idempotency-comment.js';
import { waitForRunStatus } from './harness/run-waits.js';

const instanceIds = ['i-0f00000000000000a', 'i-0f00000000000000b', 'i-0f00000000000000c'];

const deployRunbook = (() => {
  const parsed = parseRunbook(
    `apiVersion: ssmflow/v1
name: deploy-config
parameters:
  cluster: { type: string, pattern: '^[a-z0-9-]+$' }
  version: { type: integer, default: 1 }
targets: { tags: { Cluster: '{{ cluster }}' } }
defaults:
  onFailure: pause
  rateControl: { maxConcurrency: '50%', maxErrors: '0' }
steps:
  - id: write-config
    run: echo version={{ version }} > "$FLEET_INSTANCE_DIR/app.conf"
    rollback: { run: rm -f "$FLEET_INSTANCE_DIR/app.conf" }
  - id: start-warmup
    run: (sleep 1; touch "$FLEET_INSTANCE_DIR/warm") > /dev/null 2>&1 &
  - id: wait-warm
    waitUntil: { run: test -f "$FLEET_INSTANCE_DIR/warm", interval: 1s, timeout: 1m }
  - id: activate
    run:
      - test -f "$FLEET_INSTANCE_DIR/allow-activate" || { echo "activation not allowed on $AWS_SSM_INSTANCE_ID" >&2; exit 4; }
      - cp "$FLEET_INSTANCE_DIR/app.conf" "$FLEET_INSTANCE_DIR/active.conf"
    rollback: { run: rm -f "$FLEET_INSTANCE_DIR/active.conf" }
`,
    'deploy-config.yaml',
  );
  if ('errors' in parsed) throw new Error(JSON.stringify(parsed.errors));
  return parsed.normalized;
})();

describe('runbook runs against the local fleet', () => {
  let stack: TestStack;
  let testFleet: TestFleet;
  let bucket: string;
  const sandbox = (id: string) => join(testFleet.stateDir, 'instances', id);

  beforeAll(async () => {
    stack = await connectTestStack();
    bucket = await stack.createBucket('run-output');
    testFleet = await startTestFleet({
      s3Endpoint: stack.s3Endpoint,
      instances: instanceIds.map((id) => ({ id, tags: { Cluster: 'web-1' } })),
    });
  });
  afterAll(async () => {
    await testFleet?.dispose();
    await stack?.close();
  });

  async function startDeploy(runbook: NormalizedRunbook, parameters: Record<string, string | number>) {
    const ssm = fleetClient(testFleet.fleet.endpoint, 3);
    const { worker, taskQueue } = await stack.createWorker({ dependencies: { s3: stack.s3, ssm } });
    const handle = await startRun(stack.client, {
      runbook,
      parameters,
      initiator: 'platform@example.com',
      taskQueue,
      workflowId: uniqueId('deploy'),
      output: { bucket, keyPrefix: 'ssmflow/runs' },
    });
    return { worker, handle, controls: runControls(stack.client, handle.workflowId) };
  }

  it('pauses on a failing step, and after the operator fixes the cause, retry finishes the run; no command ran twice on an instance', async () => {
    const { worker, handle, controls } = await startDeploy(deployRunbook, { cluster: 'web-1', version: 7 });
    const state = await worker.runUntil(async () => {
      const paused = await waitForStatus(controls, 'paused-on-failure');
      expect(paused.currentStepId).toBe('activate');
      // maxErrors 0: after the first failure SSM sends to no one else; the rest end Terminated, never run.
      const failed = paused.failure?.instances ?? [];
      expect(failed.map((i) => i.instanceId)).toEqual(instanceIds);
      expect(failed.filter((i) => i.exitCode === 4).length).toBeGreaterThanOrEqual(1);
      expect(failed.filter((i) => i.exitCode !== 4).every((i) => i.statusDetails === 'Terminated' && i.exitCode === -1)).toBe(true);
      expect(failed.at(-1)).toMatchObject({ statusDetails: 'Terminated', exitCode: -1 });
      expect(paused.failure?.message).toContain('activation not allowed on');
      expect(paused.steps.find((s) => s.id === 'wait-warm')?.status).toBe('succeeded');

      for (const id of instanceIds) writeFileSync(join(sandbox(id), 'allow-activate'), '');
      await controls.retry({ by: 'oncall@example.com', reason: 'allowed activation' });
      const summary = await handle.result();
      expect(summary.status).toBe('succeeded');
      return controls.state();
    });
    for (const id of instanceIds) expect(readFileSync(join(sandbox(id), 'active.conf'), 'utf8')).toBe('version=7\n');

    // Exactly one process per (command, instance): nothing was sent twice.
    const runs = testFleet.fleet.executions().filter((e) => e.comment.startsWith(`ssmflow:${handle.workflowId}/`));
    const perCommandAndInstance = new Map<string, number>();
    for (const r of runs)
      perCommandAndInstance.set(`${r.commandId}/${r.instanceId}`, (perCommandAndInstance.get(`${r.commandId}/${r.instanceId}`) ?? 0) + 1);
    expect([...perCommandAndInstance.values()].every((n) => n === 1)).toBe(true);
    const activations = runs.filter((r) => r.comment.includes('/activate/'));
    const onAttempt = (n: number) =>
      activations.filter((r) => stepCommentOf(r.comment).endsWith(`/activate/${n}`)).map((r) => r.instanceId);
    expect(onAttempt(1).length).toBeLessThan(instanceIds.length);
    expect(onAttempt(2).sort()).toEqual(instanceIds);

    const commandEntries = state.audit.filter((e) => e.type === 'command');
    expect(commandEntries.map((e) => (e.type === 'command' ? `${e.stepId}:${e.phase}:${e.status}` : ''))).toEqual([
      'write-config:step:Success',
      'start-warmup:step:Success',
      'wait-warm:check:Success',
      'activate:step:Failed',
      'activate:step:Success',
    ]);
    const first = commandEntries[0];
    expect(first?.type === 'command' && first.targets).toBe('tag:Cluster=web-1');
    expect(first?.type === 'command' && first.instances[0]?.output).toMatch(
      new RegExp(`^s3://${bucket}/ssmflow/runs/${handle.workflowId}/`),
    );
    expect(state.audit.find((e) => e.type === 'operator')).toMatchObject({
      action: 'retry',
      by: 'oncall@example.com',
      reason: 'allowed activation',
    });
  });

  it('rolls back on the operator’s word: the failing step and the completed ones are undone on every instance', async () => {
    for (const id of instanceIds) {
      const allow = join(sandbox(id), 'allow-activate');
      if (existsSync(allow)) writeFileSync(allow, '');
    }
    const blocking = {
      ...deployRunbook,
      steps: deployRunbook.steps.map((s) =>
        s.id === 'activate' && s.kind === 'run' ? { ...s, commands: ['echo "cannot activate" >&2', 'exit 9'] } : s,
      ),
    };
    const { worker, handle, controls } = await startDeploy(blocking, { cluster: 'web-1', version: 8 });
    await worker.runUntil(async () => {
      await waitForStatus(controls, 'paused-on-failure');
      for (const id of instanceIds) expect(readFileSync(join(sandbox(id), 'app.conf'), 'utf8')).toBe('version=8\n');
      await controls.rollback({ by: 'oncall@example.com', reason: 'abandon release 8' });
      const summary = await handle.result();
      expect(summary.status).toBe('rolled-back');
      expect(summary.steps.map((s) => [s.id, s.status])).toEqual([
        ['write-config', 'rolled-back'],
        ['start-warmup', 'succeeded'],
        ['wait-warm', 'succeeded'],
        ['activate', 'rolled-back'],
      ]);
    });
    for (const id of instanceIds) {
      expect(existsSync(join(sandbox(id), 'app.conf'))).toBe(false);
      expect(existsSync(join(sandbox(id), 'active.conf'))).toBe(false);
    }
  });
});

const waitForStatus = (controls: ReturnType<typeof runControls>, status: RunStatus): Promise<RunState> =>
  waitForRunStatus(controls, status, { timeoutMs: 60_000, intervalMs: 150 });
