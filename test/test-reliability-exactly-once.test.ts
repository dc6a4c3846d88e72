// Exactly once across runs: a workflow id used again must not mistake the earlier run's commands
// for its own. Real activities against the local fleet; the fleet's journal is the proof.
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startRun } from '../client/runs.js';
import { fleetClient, startTestFleet, type TestFleet } from '../fleet/test-support.js';
import { parseRunbook } from '../runbook/load.js';
import type { CommandResult } from '../aws/ssm/types.js';
import { activitySpans, listCommandsSince } from './harness/run-evidence.js';
import { recordSsmAttempts, type SsmAttempt } from './harness/ssm-attempts.js';
import { connectTestStack, uniqueId, type TestStack } from './harness/stack.js';
import { eventuallyTrue } from './harness/eventually.js';

const ids = ['i-0a9a100000000000a', 'i-0a9a100000000000b'];
const steps = ['stamp', 'check'];

const parsed = parseRunbook(
  `apiVersion: ssmflow/v1
name: reuse-id
parameters:
  cluster: { type: string }
targets: { tags: { Cluster: '{{ cluster }}' } }
steps:
  - id: stamp
    run: echo "$SSM_COMMAND_ID" >> "$FLEET_INSTANCE_DIR/stamps" && echo stamped
  - id: check
    run: echo checked
`,
  'reuse-id.yaml',
);
if ('errors' in parsed) throw new Error(JSON.stringify(parsed.errors));
const runbook = parsed.normalized;

describe('a workflow id used again', () => {
  let stack: TestStack;
  let testFleet: TestFleet;
  beforeAll(async () => {
    stack = await connectTestStack();
    testFleet = await startTestFleet({ instances: ids.map((id) => ({ id, tags: { Cluster: 'again' } })) });
  });
  afterAll(async () => {
    await testFleet?.dispose();
    await stack?.close();
  });

  it("a second run under a finished run's workflow id, whose first send attempt never reached SSM, runs every step on every instance itself", async () => {
    const testStartedAt = Date.now();
    const workflowId = uniqueId('reused-id');
    const ssmSend = fleetClient(testFleet.fleet.endpoint, 1);
    const sends: SsmAttempt[] = recordSsmAttempts(ssmSend);
    const { worker, taskQueue } = await stack.createWorker({
      dependencies: {
        s3: stack.s3,
        ssm: fleetClient(testFleet.fleet.endpoint, 3),
        ssmSend,
        // Four refused sends end an activity attempt; the retry looks its key up for 3 s first.
        sendOnce: { listingLagMs: 3_000, maxSendsPerAttempt: 4 },
      },
    });
    const launch = { runbook, parameters: { cluster: 'again' }, initiator: 'oncall@example.com', taskQueue, workflowId };
    const { first, second } = await worker.runUntil(async () => {
      const firstHandle = await startRun(stack.client, launch);
      const firstRunId = (await firstHandle.describe()).runId;
      const firstSummary = await firstHandle.result();
      expect(firstSummary.status).toBe('succeeded');
      // SSM refuses every SendCommand until the second run's first activity attempt has given up.
      testFleet.fleet.setFaults({ global: { throttle: { SendCommand: 1 } } });
      let secondHandle: Awaited<ReturnType<typeof startRun>>;
      let secondRunId: string;
      try {
        secondHandle = await startRun(stack.client, launch);
        secondRunId = (await secondHandle.describe()).runId;
        await eventuallyTrue(
          () =>
            sends.filter((s) => s.comment === `ssmflow:${workflowId}/stamp/1@${secondRunId}` && s.error === 'ThrottlingException').length >=
            4,
          {
            description: 'four refused sends',
            timeoutMs: 60_000,
          },
        );
      } finally {
        testFleet.fleet.setFaults({ global: null });
      }
      return {
        first: { runId: firstRunId, summary: firstSummary },
        second: { runId: secondRunId, summary: await secondHandle.result() },
      };
    });
    expect(second.runId).not.toBe(first.runId);
    const keyOf = (runId: string, step: string) => `ssmflow:${workflowId}/${step}/1@${runId}`;

    // The scenario happened: attempt 1 of the second run's first step was refused four times and
    // sent nothing; attempt 2 looked the key up, found nothing of its own, and sent it.
    expect(sends.filter((s) => s.comment === keyOf(second.runId, 'stamp')).map((s) => s.error ?? 'sent')).toEqual([
      'ThrottlingException',
      'ThrottlingException',
      'ThrottlingException',
      'ThrottlingException',
      'sent',
    ]);
    const spans = activitySpans(await stack.client.workflow.getHandle(workflowId, second.runId).fetchHistory());
    const stampSpan = spans.find(
      (s) => (s.input as { idempotencyKey?: string } | undefined)?.idempotencyKey === `${workflowId}/stamp/1@${second.runId}`,
    );
    expect(stampSpan?.attempt).toBe(2);
    expect((stampSpan?.result as CommandResult | undefined)?.reusedEarlierSend).toBe(false);

    // SSM holds exactly one command per (run, step), and the journal one execution of each per instance.
    const commands = (await listCommandsSince(testFleet.ssm, testStartedAt)).filter((c) => c.Comment?.startsWith(`ssmflow:${workflowId}/`));
    expect(commands.map((c) => c.Comment).sort()).toEqual(
      [first.runId, second.runId].flatMap((runId) => steps.map((step) => keyOf(runId, step))).sort(),
    );
    const executions = testFleet.fleet.executions().filter((e) => e.comment.startsWith(`ssmflow:${workflowId}/`));
    for (const run of [first, second]) {
      for (const [index, step] of steps.entries()) {
        const command = commands.find((c) => c.Comment === keyOf(run.runId, step));
        const ran = executions.filter((e) => e.comment === keyOf(run.runId, step));
        expect(ran.map((e) => `${e.instanceId} ${e.status} ${e.commandId}`).sort()).toEqual(
          ids.map((id) => `${id} Success ${command?.CommandId}`),
        );
        // The run's own summary names the command that ran.
        expect(run.summary.steps[index]).toMatchObject({ id: step, status: 'succeeded', attempts: 1, commandIds: [command?.CommandId] });
      }
    }
    expect(second.summary.status).toBe('succeeded');
    // And the instances saw it: each stamp file holds the first run's command id, then the second's.
    const stampCommands = [first, second].map((run) => commands.find((c) => c.Comment === keyOf(run.runId, 'stamp'))?.CommandId);
    for (const id of ids)
      expect(
        readFileSync(join(testFleet.stateDir, 'instances', id, 'stamps'), 'utf8')
          .trim()
          .split('\n'),
      ).toEqual(stampCommands);
    ssmSend.destroy();
  });
});
