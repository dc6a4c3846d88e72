// Unit tests of the SSM activities with aws-sdk-client-mock: edge sequences the local fleet does
// not produce on demand. The same code runs against the fleet in test-ssm-activities.test.ts.
import { S3Client } from '@aws-sdk/client-s3';
import { CancelCommandCommand, GetParametersCommand, ListCommandInvocationsCommand, ListCommandsCommand, SendCommandCommand, SSMClient } from '@aws-sdk/client-ssm';
import { ApplicationFailure } from '@temporalio/common';
import { mockClient } from 'aws-sdk-client-mock';
import { afterEach, describe, expect, it } from 'vitest';
import { classifySsmError, toActivityFailure } from '../activities/ssm/classify-error.js';
import { CommandStatusPoller } from '../activities/ssm/command-status-poller.js';
import { idempotencyComment } from '../activities/ssm/idempotency-comment.js';
import { lastBytes } from '../activities/ssm/invocation-results.js';
import { createSsmActivities } from '../activities/ssm/ssm-activities.js';
import type { RunCommandInput } from '../activities/ssm/types.js';
import { secretPlaceholder } from '../runbook/secrets.js';
import { activityEnvironment, runActivity } from './harness/activity-env.js';

const ssm = new SSMClient({ region: 'us-east-1', credentials: { accessKeyId: 'x', secretAccessKey: 'x' } });
const s3 = new S3Client({ region: 'us-east-1', credentials: { accessKeyId: 'x', secretAccessKey: 'x' } });
const ssmMock = mockClient(ssm);
const fastPoll = { minIntervalMs: 5, maxIdleIntervalMs: 10, maxThrottledIntervalMs: 40, random: () => 0.5 };
const throttling = Object.assign(new Error('Rate exceeded'), { name: 'ThrottlingException', $metadata: { httpStatusCode: 400 } });

afterEach(() => ssmMock.reset());

const input: RunCommandInput = {
  idempotencyKey: 'run-1/backup/1',
  description: 'pg-upgrade/backup',
  document: { kind: 'shell', commands: [`echo ${secretPlaceholder('dbPassword')}`] },
  targets: { tags: { Cluster: ['c1'] } },
  rateControl: { maxConcurrency: '1', maxErrors: '0' },
  executionTimeoutSeconds: 60,
  secrets: { dbPassword: '/db/c1/password' },
};


describe('command status poller', () => {
  it('keeps waiting through ThrottlingException and resolves when the command turns terminal', async () => {
    ssmMock
      .on(ListCommandsCommand)
      .resolvesOnce({ Commands: [{ CommandId: 'c-1', Status: 'InProgress' }] })
      .rejectsOnce(throttling)
      .rejectsOnce(throttling)
      .resolves({ Commands: [{ CommandId: 'c-1', Status: 'Success' }] });
    const poller = new CommandStatusPoller(ssm, fastPoll);
    const command = await poller.waitForTerminal('c-1', Date.now());
    expect(command.Status).toBe('Success');
    expect(ssmMock.commandCalls(ListCommandsCommand).length).toBe(4);
    expect(poller.waitingCount).toBe(0);
  });

  it('serves many waiters from one listing of executing commands and reads the finished ones from one listing of completed commands', async () => {
    const ids = Array.from({ length: 10 }, (_, i) => `c-${i}`);
    let round = 0;
    ssmMock.on(ListCommandsCommand).callsFake((request: { CommandId?: string; Filters?: { key: string; value: string }[] }) => {
      if (request.CommandId) return { Commands: [{ CommandId: request.CommandId, Status: 'Success' }] };
      const stage = request.Filters?.find((f) => f.key === 'ExecutionStage')?.value;
      if (stage === 'Executing') round += 1;
      // Round 1: all executing. Round 2: c-0..c-4 finished. Round 3: all finished.
      const executing = round === 1 ? ids : round === 2 ? ids.slice(5) : [];
      const list = stage === 'Executing' ? executing : ids.filter((id) => !executing.includes(id));
      return { Commands: list.map((id) => ({ CommandId: id, Status: stage === 'Executing' ? 'InProgress' : 'Success' })) };
    });
    const poller = new CommandStatusPoller(ssm, fastPoll);
    const results = await Promise.all(ids.map((id) => poller.waitForTerminal(id, Date.now())));
    expect(results.map((c) => c.Status)).toEqual(ids.map(() => 'Success'));
    const calls = ssmMock.commandCalls(ListCommandsCommand).map((c) => c.args[0].input);
    const stageOf = (c: (typeof calls)[number]) => c.Filters?.find((f) => f.key === 'ExecutionStage')?.value;
    expect(calls.filter((c) => stageOf(c) === 'Executing')).toHaveLength(3);
    // Five finished at once: one listing of completed commands each time, not one read per command.
    expect(calls.filter((c) => stageOf(c) === 'Complete')).toHaveLength(2);
    expect(calls.filter((c) => c.CommandId)).toHaveLength(0);
  });

  it('stops waiting for a command whose activity was cancelled', async () => {
    ssmMock.on(ListCommandsCommand).resolves({ Commands: [{ CommandId: 'c-9', Status: 'InProgress' }] });
    const poller = new CommandStatusPoller(ssm, fastPoll);
    const abort = new AbortController();
    const waiting = poller.waitForTerminal('c-9', Date.now(), abort.signal);
    abort.abort(new Error('cancelled by test'));
    await expect(waiting).rejects.toThrow('cancelled by test');
    expect(poller.waitingCount).toBe(0);
  });
});

describe('runCommand sends at most once per idempotency key', () => {
  it('resumes from the heartbeat checkpoint of an earlier attempt without sending or searching', async () => {
    ssmMock.on(ListCommandsCommand).resolves({ Commands: [{ CommandId: 'c-7', Status: 'Success', TargetCount: 1 }] });
    ssmMock.on(ListCommandInvocationsCommand).resolves({ CommandInvocations: [] });
    const { runCommand } = createSsmActivities({ ssm, s3, poller: new CommandStatusPoller(ssm, fastPoll) });
    const result = await runActivity(activityEnvironment({ attempt: 2, heartbeatDetails: { commandId: 'c-7', requestedAtMs: Date.now() } }), runCommand, input);
    expect(result.commandId).toBe('c-7');
    expect(result.reusedEarlierSend).toBe(true);
    expect(ssmMock.commandCalls(SendCommandCommand)).toHaveLength(0);
    expect(ssmMock.commandCalls(GetParametersCommand)).toHaveLength(0);
  });

  it('finds the command a crashed attempt sent (by its Comment, across pages) instead of sending again', async () => {
    const comment = idempotencyComment(input.idempotencyKey);
    ssmMock.on(ListCommandsCommand).callsFake((request: { CommandId?: string; NextToken?: string }) => {
      if (request.CommandId) return { Commands: [{ CommandId: request.CommandId, Status: 'Success' }] };
      if (!request.NextToken) return { Commands: [{ CommandId: 'other', Comment: 'ssmflow:someone-else' }], NextToken: 'page-2' };
      return { Commands: [{ CommandId: 'c-earlier', Comment: comment, RequestedDateTime: new Date() }] };
    });
    ssmMock.on(ListCommandInvocationsCommand).resolves({ CommandInvocations: [] });
    const { runCommand } = createSsmActivities({ ssm, s3, poller: new CommandStatusPoller(ssm, fastPoll) });
    const result = await runActivity(activityEnvironment({ attempt: 3 }), runCommand, input);
    expect(result.commandId).toBe('c-earlier');
    expect(result.reusedEarlierSend).toBe(true);
    expect(ssmMock.commandCalls(SendCommandCommand)).toHaveLength(0);
  });

  it('sends with the secret substituted, shell-quoted, and never returns it', async () => {
    ssmMock.on(GetParametersCommand).resolves({ Parameters: [{ Name: '/db/c1/password', Value: "s3cr'et", Type: 'SecureString' }], InvalidParameters: [] });
    ssmMock.on(SendCommandCommand).resolves({ Command: { CommandId: 'c-new', RequestedDateTime: new Date() } });
    ssmMock.on(ListCommandsCommand).resolves({ Commands: [{ CommandId: 'c-new', Status: 'Success' }] });
    ssmMock.on(ListCommandInvocationsCommand).resolves({ CommandInvocations: [] });
    const { runCommand } = createSsmActivities({ ssm, s3, poller: new CommandStatusPoller(ssm, fastPoll) });
    const result = await runActivity(activityEnvironment(), runCommand, input);
    const sent = ssmMock.commandCalls(SendCommandCommand)[0]?.args[0].input;
    expect(sent?.Parameters?.commands).toEqual([`echo 's3cr'\\''et'`]);
    expect(sent?.Comment).toBe(idempotencyComment(input.idempotencyKey));
    expect(ssmMock.commandCalls(GetParametersCommand)[0]?.args[0].input).toMatchObject({ WithDecryption: true });
    expect(JSON.stringify(result)).not.toContain('s3cr');
  });

  it('fails without sending when a secret parameter does not exist, naming it and the fix', async () => {
    ssmMock.on(GetParametersCommand).resolves({ Parameters: [], InvalidParameters: ['/db/c1/password'] });
    const { runCommand } = createSsmActivities({ ssm, s3, poller: new CommandStatusPoller(ssm, fastPoll) });
    const failure = await runActivity(activityEnvironment(), runCommand, input).catch((err: unknown) => err);
    expect(failure).toBeInstanceOf(ApplicationFailure);
    expect((failure as ApplicationFailure).nonRetryable).toBe(true);
    expect((failure as ApplicationFailure).message).toContain('/db/c1/password');
    expect(ssmMock.commandCalls(SendCommandCommand)).toHaveLength(0);
  });

  it('cancels the SSM command when the activity is cancelled', async () => {
    ssmMock.on(SendCommandCommand).resolves({ Command: { CommandId: 'c-long', RequestedDateTime: new Date() } });
    ssmMock.on(GetParametersCommand).resolves({ Parameters: [{ Name: '/db/c1/password', Value: 'x' }], InvalidParameters: [] });
    ssmMock.on(ListCommandsCommand).resolves({ Commands: [{ CommandId: 'c-long', Status: 'InProgress' }] });
    ssmMock.on(CancelCommandCommand).resolves({});
    const { runCommand } = createSsmActivities({ ssm, s3, poller: new CommandStatusPoller(ssm, fastPoll) });
    const env = activityEnvironment();
    const running = runActivity(env, runCommand, input).catch((err: unknown) => err);
    await new Promise((r) => setTimeout(r, 50));
    env.cancel();
    const failure = await running;
    expect((failure as Error).name).toBe('CancelledFailure');
    expect(ssmMock.commandCalls(CancelCommandCommand)[0]?.args[0].input).toEqual({ CommandId: 'c-long' });
  });
});

describe('error classification', () => {
  it('treats throttling as retryable and bad input as non-retryable with a fix', () => {
    expect(classifySsmError(throttling)).toBe('throttled');
    expect(classifySsmError(Object.assign(new Error('boom'), { name: 'InternalServerError', $metadata: { httpStatusCode: 500 } }))).toBe('transient');
    expect(classifySsmError(Object.assign(new Error('socket hang up'), { name: 'Error' }))).toBe('transient');
    const invalidDocument = toActivityFailure(Object.assign(new Error('Document not found'), { name: 'InvalidDocument' }), 'sending step pg/backup');
    expect(invalidDocument.nonRetryable).toBe(true);
    expect(invalidDocument.type).toBe('SsmInvalidDocument');
    expect(invalidDocument.message).toMatch(/sending step pg\/backup: InvalidDocument: Document not found \(fix: .*create it or fix the document name/);
    expect(toActivityFailure(throttling, 'x').nonRetryable).toBe(false);
  });
});

describe('idempotency comment and output tails', () => {
  it('is deterministic, within SSM’s 100 characters, and distinct for long keys', () => {
    expect(idempotencyComment('run/step/1')).toBe('ssmflow:run/step/1');
    const a = idempotencyComment(`${'x'.repeat(120)}/a`);
    const b = idempotencyComment(`${'x'.repeat(120)}/b`);
    expect(a.length).toBeLessThanOrEqual(100);
    expect(a).not.toBe(b);
    expect(idempotencyComment(`${'x'.repeat(120)}/a`)).toBe(a);
  });

  it('keeps the last bytes of output without splitting a character', () => {
    expect(lastBytes('hello', 10)).toBe('hello');
    expect(lastBytes('abcdef', 3)).toBe('def');
    const tail = lastBytes(`${'é'.repeat(10)}`, 5);
    expect(tail).toBe('éé');
  });
});
