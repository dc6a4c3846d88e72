// The SSM activities through a real worker, the real Temporal dev server, the local fleet (stock
// @aws-sdk/client-ssm) and the S3 emulator. Workers run in child processes where a test kills them.
import { randomUUID } from 'node:crypto';
import { GetObjectCommand } from '@aws-sdk/client-s3';
import { SendCommandCommand, waitUntilCommandExecuted, type SSMClient } from '@aws-sdk/client-ssm';
import { WorkflowFailedError } from '@temporalio/client';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createS3Client } from '../aws/clients.js';
import { CommandStatusPoller } from '../aws/ssm/command-status-poller.js';
import { countSsmCalls } from '../aws/ssm/ssm-call-counter.js';
import { createSsmActivities } from '../activities/ssm/ssm-activities.js';
import type { RunCommandInput } from '../aws/ssm/types.js';
import { startS3Emulator } from '../local/s3-emulator.js';
import { fleetClient, startTestFleet, type TestFleet } from '../fleet/test-support.js';
import { adHocCommand } from '../workflows/index.js';
import { activityEnvironment, runActivity } from './harness/activity-env.js';
import { connectTestStack, uniqueId, type TestStack } from './harness/stack.js';
import { spawnWorkerProcess } from './harness/worker-process.js';
import { eventuallyTrue } from './harness/eventually.js';

const clusterIds = (cluster: string, count: number) =>
  Array.from({ length: count }, (_, i) => `i-${cluster}${String(i).padStart(17 - cluster.length, '0')}`);

describe('SSM activities against the local fleet', () => {
  let stack: TestStack;
  let testFleet: TestFleet;
  let bucket: string;

  beforeAll(async () => {
    stack = await connectTestStack();
    bucket = await stack.createBucket('ssm-output');
    testFleet = await startTestFleet({
      s3Endpoint: stack.s3Endpoint,
      instances: [
        ...clusterIds('a1', 3).map((id) => ({ id, tags: { Cluster: 'alpha' } })),
        ...clusterIds('b2', 3).map((id) => ({ id, tags: { Cluster: 'beta' } })),
        { id: clusterIds('c3', 1)[0], tags: { Cluster: 'gamma' }, faults: { offline: true } },
        { count: 100, idPrefix: 'i-0d', tags: { Cluster: 'many' } },
      ],
    });
  });
  afterAll(async () => {
    await testFleet?.dispose();
    await stack?.close();
  });

  const workerEnv = () => ({ AWS_ENDPOINT_URL_SSM: testFleet.fleet.endpoint, AWS_ENDPOINT_URL_S3: stack.s3Endpoint });
  const commandInput = (overrides: Partial<RunCommandInput> = {}): RunCommandInput => ({
    idempotencyKey: uniqueId('run'),
    description: 'test/step',
    document: { kind: 'shell', commands: ['echo "hello from $AWS_SSM_INSTANCE_ID"', 'echo "to stderr" >&2'] },
    targets: { tags: { Cluster: ['alpha'] } },
    rateControl: { maxConcurrency: '50', maxErrors: '0' },
    executionTimeoutSeconds: 60,
    output: { bucket, keyPrefix: 'runs/test' },
    ...overrides,
  });
  const executionsOf = (comment: string) => testFleet.fleet.executions().filter((e) => e.comment === comment);

  it('runs a command on every tagged instance and returns per-instance results, with full output in S3', async () => {
    const ssm = fleetClient(testFleet.fleet.endpoint, 3);
    const { worker, taskQueue } = await stack.createWorker({ dependencies: { s3: stack.s3, ssm } });
    const input = commandInput();
    const result = await worker.runUntil(
      stack.client.workflow.execute(adHocCommand, { taskQueue, workflowId: uniqueId('adhoc'), args: [{ command: input }] }),
    );

    expect(result.status).toBe('Success');
    expect(result.reusedEarlierSend).toBe(false);
    expect(result.invocations.map((i) => i.instanceId).sort()).toEqual(clusterIds('a1', 3));
    for (const invocation of result.invocations) {
      expect(invocation).toMatchObject({ status: 'Success', statusDetails: 'Success', exitCode: 0, outputTruncated: false });
      expect(invocation.outputTail).toContain(`hello from ${invocation.instanceId}`);
      const key = `${invocation.output?.s3KeyPrefix}/stdout`;
      expect(key).toBe(`runs/test/${result.commandId}/${invocation.instanceId}/awsrunShellScript/0.awsrunShellScript/stdout`);
      const object = await stack.s3.send(new GetObjectCommand({ Bucket: bucket, Key: key }));
      expect(await object.Body?.transformToString()).toBe(`hello from ${invocation.instanceId}\n`);
    }
  });

  it('reports a failing instance with its exit code and the end of its output', async () => {
    const ssm = fleetClient(testFleet.fleet.endpoint, 3);
    const { worker, taskQueue } = await stack.createWorker({ dependencies: { s3: stack.s3, ssm } });
    const input = commandInput({
      document: {
        kind: 'shell',
        commands: ['seq 1 20000', `if [ "$AWS_SSM_INSTANCE_ID" = "${clusterIds('b2', 3)[1]}" ]; then echo "disk full" >&2; exit 3; fi`],
      },
      targets: { tags: { Cluster: ['beta'] } },
      rateControl: { maxConcurrency: '3', maxErrors: '3' },
    });
    const result = await worker.runUntil(
      stack.client.workflow.execute(adHocCommand, { taskQueue, workflowId: uniqueId('adhoc'), args: [{ command: input }] }),
    );
    expect(result.status).toBe('Failed');
    const failed = result.invocations.find((i) => i.instanceId === clusterIds('b2', 3)[1]);
    expect(failed).toMatchObject({ status: 'Failed', exitCode: 3, outputTruncated: true });
    // The API keeps only the start of 100 KB of output; the tail comes from S3 and ends with the error.
    expect(failed?.outputTail).toMatch(/20000\n----------ERROR-------\ndisk full\n$/);
    expect(Buffer.byteLength(failed?.outputTail ?? '')).toBeLessThanOrEqual(2_048);
  });

  it('fails fast, naming the fix, when the document does not exist', async () => {
    const ssm = fleetClient(testFleet.fleet.endpoint, 3);
    const { worker, taskQueue } = await stack.createWorker({ dependencies: { s3: stack.s3, ssm } });
    const input = commandInput({ document: { kind: 'document', name: 'Team-DoesNotExist', parameters: {} } });
    const handle = await stack.client.workflow.start(adHocCommand, {
      taskQueue,
      workflowId: uniqueId('adhoc'),
      args: [{ command: input }],
    });
    const failure = await worker.runUntil(handle.result().catch((err: unknown) => err));
    expect(failure).toBeInstanceOf(WorkflowFailedError);
    const cause = (failure as WorkflowFailedError).cause?.cause as Error;
    expect(cause.message).toMatch(/InvalidDocument.*fix: the SSM document does not exist/);
    expect(executionsOf(`ssmflow:${input.idempotencyKey}`)).toHaveLength(0);
  });

  it('a worker SIGKILLed right after SendCommand: the next worker reuses the command, each instance ran it once', async () => {
    const taskQueue = uniqueId('tq-crash-send');
    const crashing = await spawnWorkerProcess({ taskQueue, env: { ...workerEnv(), SSMFLOW_TEST_CRASH_AFTER_SEND: '1' } });
    const input = commandInput({ document: { kind: 'shell', commands: ['sleep 1', 'echo "ran on $AWS_SSM_INSTANCE_ID"'] } });
    const handle = await stack.client.workflow.start(adHocCommand, {
      taskQueue,
      workflowId: uniqueId('adhoc-crash-send'),
      args: [{ command: input, heartbeatTimeoutSeconds: 3 }],
    });
    expect((await crashing.exited).signal).toBe('SIGKILL');
    const successor = await spawnWorkerProcess({ taskQueue, env: workerEnv() });
    try {
      const result = await handle.result();
      expect(result.status).toBe('Success');
      expect(result.reusedEarlierSend).toBe(true);
      const runs = executionsOf(`ssmflow:${input.idempotencyKey}`);
      expect(runs.map((r) => r.instanceId).sort()).toEqual(clusterIds('a1', 3));
      expect(new Set(runs.map((r) => r.commandId))).toEqual(new Set([result.commandId]));
    } finally {
      await successor.kill('SIGTERM');
    }
  });

  it('a worker SIGKILLed while waiting: the next worker resumes the wait, each instance ran it once', async () => {
    const taskQueue = uniqueId('tq-crash-wait');
    const first = await spawnWorkerProcess({ taskQueue, env: workerEnv() });
    const input = commandInput({ document: { kind: 'shell', commands: ['sleep 4', 'echo finished'] } });
    const handle = await stack.client.workflow.start(adHocCommand, {
      taskQueue,
      workflowId: uniqueId('adhoc-crash-wait'),
      args: [{ command: input, heartbeatTimeoutSeconds: 3 }],
    });
    await waitFor(() => executionsOf(`ssmflow:${input.idempotencyKey}`).length === 3, 'the command to start on all three instances');
    await first.kill('SIGKILL');
    const successor = await spawnWorkerProcess({ taskQueue, env: workerEnv() });
    try {
      const result = await handle.result();
      expect(result.status).toBe('Success');
      expect(result.reusedEarlierSend).toBe(true);
      expect(result.invocations.map((i) => i.outputTail)).toEqual(['finished\n', 'finished\n', 'finished\n']);
      const runs = executionsOf(`ssmflow:${input.idempotencyKey}`);
      expect(runs.map((r) => r.instanceId).sort()).toEqual(clusterIds('a1', 3));
    } finally {
      await successor.kill('SIGTERM');
    }
  });

  it('cancelling the run cancels the command in SSM', async () => {
    const ssm = fleetClient(testFleet.fleet.endpoint, 3);
    const { worker, taskQueue } = await stack.createWorker({ dependencies: { s3: stack.s3, ssm } });
    const input = commandInput({ document: { kind: 'shell', commands: ['sleep 30'] } });
    const handle = await stack.client.workflow.start(adHocCommand, {
      taskQueue,
      workflowId: uniqueId('adhoc-cancel'),
      args: [{ command: input }],
    });
    await worker.runUntil(async () => {
      await waitFor(() => executionsOf(`ssmflow:${input.idempotencyKey}`).length === 3, 'the command to start');
      await handle.cancel();
      await handle.result().catch(() => undefined);
      await waitFor(
        () => executionsOf(`ssmflow:${input.idempotencyKey}`).every((r) => r.status === 'Cancelled'),
        'the processes to be cancelled',
      );
    });
    expect((await handle.describe()).status.name).toBe('CANCELLED');
  });

  it('resolves targets with offline instances reported, and waits for instances to come online', async () => {
    const ssm = fleetClient(testFleet.fleet.endpoint, 3);
    const activities = createSsmActivities({ ssm, s3: stack.s3, poller: new CommandStatusPoller(ssm) });
    const env = activityEnvironment();
    const gammaId = clusterIds('c3', 1)[0] ?? '';
    expect(await runActivity(env, activities.resolveTargets, { tags: { Cluster: ['gamma'] } })).toMatchObject({
      online: [],
      offline: [{ instanceId: gammaId, pingStatus: 'ConnectionLost' }],
    });
    expect((await runActivity(env, activities.resolveTargets, { tags: { Cluster: ['alpha'] } })).online).toEqual(clusterIds('a1', 3));

    const waiting = runActivity(env, activities.waitForInstancesOnline, { instanceIds: [gammaId], pollIntervalMs: 100 });
    setTimeout(() => testFleet.fleet.setFaults({ instances: { [gammaId]: null } }), 300);
    await expect(waiting).resolves.toHaveProperty('onlineAt');
  });

  it('getCommandOutput reads S3, and says so when it has to fall back to the truncated API copy', async () => {
    const ssm = fleetClient(testFleet.fleet.endpoint, 3);
    const instanceId = clusterIds('a1', 1)[0] ?? '';
    const sent = await ssm.send(
      new SendCommandCommand({
        DocumentName: 'AWS-RunShellScript',
        InstanceIds: [instanceId],
        Parameters: { commands: ['seq 1 10000'] },
        OutputS3BucketName: bucket,
        OutputS3KeyPrefix: 'fallback',
      }),
    );
    const commandId = sent.Command?.CommandId ?? '';
    await waitUntilCommandExecuted({ client: ssm, maxWaitTime: 60, minDelay: 1 }, { CommandId: commandId, InstanceId: instanceId });
    const env = activityEnvironment();
    const output = { bucket, s3KeyPrefix: `fallback/${commandId}/${instanceId}/awsrunShellScript/0.awsrunShellScript` };

    const withS3 = createSsmActivities({ ssm, s3: stack.s3, poller: new CommandStatusPoller(ssm) });
    const full = await runActivity(env, withS3.getCommandOutput, { commandId, instanceId, output });
    expect(full.source).toBe('s3');
    expect(full.stdout.split('\n').length).toBe(10_001);

    // An S3 endpoint that has gone away.
    const goneS3 = await startS3Emulator();
    const unreachable = createS3Client({ endpoint: goneS3.endpoint });
    await goneS3.stop();
    const withoutS3 = createSsmActivities({ ssm, s3: unreachable, poller: new CommandStatusPoller(ssm) });
    const fallback = await runActivity(env, withoutS3.getCommandOutput, { commandId, instanceId, output });
    expect(fallback.source).toBe('ssm-api');
    expect(fallback.note).toMatch(/S3 was unavailable.*cut at 24,000 characters/);
    expect(fallback.stdout.length).toBeLessThanOrEqual(24_000);
    expect(fallback.stdout.startsWith('1\n2\n3\n')).toBe(true);
    unreachable.destroy();
  });

  it('a poisoned poller: a waiter on a command SSM never created fails alone, naming it; 20 real commands beside it finish', async () => {
    const manyIds = (await listManyInstanceIds(testFleet.ssm)).slice(0, 20);
    const ssm = fleetClient(testFleet.fleet.endpoint, 3);
    // A grace far longer than the real commands take even on a loaded machine: the test shows they
    // finish while the unknown one still waits, not how fast.
    const poller = new CommandStatusPoller(ssm, { unknownCommandGraceMs: 15_000 });
    const sent = await Promise.all(
      manyIds.map(
        async (instanceId) =>
          (
            await ssm.send(
              new SendCommandCommand({
                DocumentName: 'AWS-RunShellScript',
                InstanceIds: [instanceId],
                Parameters: { commands: ['sleep 1'] },
              }),
            )
          ).Command?.CommandId ?? '',
      ),
    );
    const bogus = randomUUID();
    let badSettled = false;
    const bad = poller.waitForTerminal(bogus, Date.now()).then(
      () => new Error('expected the unknown command to fail its waiter'),
      (err: unknown) => {
        badSettled = true;
        return err as Error;
      },
    );
    const finished = await Promise.all(sent.map((id) => poller.waitForTerminal(id, Date.now())));
    // The real commands were not held up by the unknown one (it is still in its grace time).
    expect(badSettled).toBe(false);
    expect(finished.map((c) => c.Status)).toEqual(sent.map(() => 'Success'));
    const failure = await bad;
    expect(failure.name).toBe('InvalidCommandId');
    expect(failure.message).toContain(bogus);
    expect(poller.waitingCount).toBe(0);
    poller.stop();
  });

  it('100 commands waiting at once in one worker cost far fewer SSM reads than one waiter per invocation', async () => {
    const manyIds = await listManyInstanceIds(testFleet.ssm);
    expect(manyIds).toHaveLength(100);
    const ssm = fleetClient(testFleet.fleet.endpoint, 3);
    const calls = countSsmCalls(ssm);
    const { worker, taskQueue } = await stack.createWorker({ dependencies: { s3: stack.s3, ssm } });
    const command = (instanceId: string) =>
      commandInput({ document: { kind: 'shell', commands: ['sleep 2'] }, targets: { instanceIds: [instanceId] }, output: undefined });
    const results = await worker.runUntil(
      Promise.all(
        manyIds.map((id) =>
          stack.client.workflow.execute(adHocCommand, { taskQueue, workflowId: uniqueId('adhoc-many'), args: [{ command: command(id) }] }),
        ),
      ),
    );
    expect(results.every((r) => r.status === 'Success')).toBe(true);
    const ours = calls.byOperation();
    const ourReads = (ours.ListCommands ?? 0) + (ours.ListCommandInvocations ?? 0) + (ours.GetCommandInvocation ?? 0);

    // The seed team's way: one SDK waiter per invocation, on the same fleet and the same work.
    const baselineClient = fleetClient(testFleet.fleet.endpoint, 3);
    const baselineCalls = countSsmCalls(baselineClient);
    await Promise.all(
      manyIds.map(async (instanceId) => {
        const sent = await baselineClient.send(
          new SendCommandCommand({ DocumentName: 'AWS-RunShellScript', InstanceIds: [instanceId], Parameters: { commands: ['sleep 2'] } }),
        );
        await waitUntilCommandExecuted(
          { client: baselineClient, maxWaitTime: 300, minDelay: 1, maxDelay: 5 },
          { CommandId: sent.Command?.CommandId, InstanceId: instanceId },
        );
      }),
    );
    const baselineReads = baselineCalls.byOperation().GetCommandInvocation ?? 0;
    console.log(
      `100 concurrent waits: ssmflow ${ourReads} SSM reads (${JSON.stringify(ours)}); waitUntilCommandExecuted per invocation: ${baselineReads} reads`,
    );
    expect(ourReads).toBeLessThan(baselineReads);
    // No per-invocation polling at all, and one ListCommandInvocations per finished command (a few
    // more when a read fails and is retried). The shared ListCommands rounds depend on how long the
    // commands take, not on how many there are, so they are not counted against a fixed bound.
    expect(ours.GetCommandInvocation ?? 0).toBe(0);
    expect(ours.ListCommandInvocations ?? 0).toBeLessThanOrEqual(100 + 10);
    baselineClient.destroy();
  });
});

const waitFor = (condition: () => boolean, what: string): Promise<void> =>
  eventuallyTrue(condition, { description: what, timeoutMs: 30_000 });

async function listManyInstanceIds(ssm: SSMClient): Promise<string[]> {
  const { DescribeInstanceInformationCommand } = await import('@aws-sdk/client-ssm');
  const ids: string[] = [];
  let NextToken: string | undefined;
  do {
    const page = await ssm.send(
      new DescribeInstanceInformationCommand({ Filters: [{ Key: 'tag:Cluster', Values: ['many'] }], MaxResults: 50, NextToken }),
    );
    ids.push(...(page.InstanceInformationList ?? []).map((i) => i.InstanceId ?? ''));
    NextToken = page.NextToken;
  } while (NextToken);
  return ids;
}
