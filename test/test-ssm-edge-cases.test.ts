// Unit tests of the SSM activities with aws-sdk-client-mock: edge sequences the local fleet does
// not produce on demand. The same code runs against the fleet in test-ssm-activities.test.ts.
import { S3Client } from '@aws-sdk/client-s3';
import {
  CancelCommandCommand,
  GetParametersCommand,
  ListCommandInvocationsCommand,
  ListCommandsCommand,
  SendCommandCommand,
  SSMClient,
  type CommandInvocation,
} from '@aws-sdk/client-ssm';
import { ApplicationFailure } from '@temporalio/common';
import { mockClient } from 'aws-sdk-client-mock';
import { afterEach, describe, expect, it } from 'vitest';
import { toActivityFailure } from '../activities/ssm/activity-failure.js';
import { classifySsmError } from '../aws/ssm/classify-error.js';
import { CommandStatusPoller } from '../aws/ssm/command-status-poller.js';
import { idempotencyComment } from '../aws/ssm/idempotency-comment.js';
import { lastBytes } from '../activities/ssm/invocation-results.js';
import { createSsmActivities } from '../activities/ssm/ssm-activities.js';
import type { RunCommandInput } from '../aws/ssm/types.js';
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

  it("a command SSM does not know fails only its own waiter; the round keeps the others' results", async () => {
    ssmMock.on(ListCommandsCommand).callsFake((request: { CommandId?: string }) => {
      if (request.CommandId === 'c-bad')
        throw Object.assign(new Error(''), { name: 'InvalidCommandId', $metadata: { httpStatusCode: 400 } });
      return { Commands: [{ CommandId: request.CommandId, Status: 'Success' }] };
    });
    const poller = new CommandStatusPoller(ssm, { ...fastPoll, unknownCommandGraceMs: 50 });
    const good = ['c-1', 'c-2'].map((id) => poller.waitForTerminal(id, Date.now()));
    const bad = poller.waitForTerminal('c-bad', Date.now()).catch((err: unknown) => err);
    expect((await Promise.all(good)).map((c) => c.Status)).toEqual(['Success', 'Success']);
    const failure = (await bad) as Error;
    expect(failure.name).toBe('InvalidCommandId');
    expect(failure.message).toContain('c-bad');
    expect(poller.waitingCount).toBe(0);
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
  // Listing lag bounded at 200 ms here; real SSM gets 30 s (worker.ssmListingLag).
  const sendOnce = {
    listingLagMs: 200,
    lookupIntervalMs: 20,
    random: () => 0.5,
    sleep: (ms: number) => new Promise<void>((r) => setTimeout(r, Math.min(ms, 20))),
  };
  const activities = () => createSsmActivities({ ssm, ssmSend: ssm, s3, poller: new CommandStatusPoller(ssm, fastPoll), sendOnce });
  const comment = idempotencyComment(input.idempotencyKey);
  const oneInvocation = (commandId: string): { CommandInvocations: CommandInvocation[] } => ({
    CommandInvocations: [{ CommandId: commandId, InstanceId: 'i-00000000000000001', Status: 'Success', StatusDetails: 'Success' }],
  });
  const connectionReset = () => Object.assign(new Error('socket hang up'), { name: 'Error', code: 'ECONNRESET' });

  it('resumes from the heartbeat checkpoint of an earlier attempt without sending or searching', async () => {
    ssmMock.on(ListCommandsCommand).resolves({ Commands: [{ CommandId: 'c-7', Status: 'Success', TargetCount: 1 }] });
    ssmMock.on(ListCommandInvocationsCommand).resolves(oneInvocation('c-7'));
    const result = await runActivity(
      activityEnvironment({ attempt: 2, heartbeatDetails: { commandId: 'c-7', requestedAtMs: Date.now() } }),
      activities().runCommand,
      input,
    );
    expect(result.commandId).toBe('c-7');
    expect(result.reusedEarlierSend).toBe(true);
    expect(ssmMock.commandCalls(SendCommandCommand)).toHaveLength(0);
    expect(ssmMock.commandCalls(ListCommandsCommand).filter((c) => !c.args[0].input.CommandId)).toHaveLength(0);
  });

  it('finds the command a crashed attempt sent (by its Comment, across pages) instead of sending again', async () => {
    ssmMock.on(ListCommandsCommand).callsFake((request: { CommandId?: string; NextToken?: string }) => {
      if (request.CommandId) return { Commands: [{ CommandId: request.CommandId, Status: 'Success' }] };
      if (!request.NextToken) return { Commands: [{ CommandId: 'other', Comment: 'ssmflow:someone-else' }], NextToken: 'page-2' };
      return { Commands: [{ CommandId: 'c-earlier', Comment: comment, RequestedDateTime: new Date() }] };
    });
    ssmMock.on(ListCommandInvocationsCommand).resolves({ CommandInvocations: [] });
    const result = await runActivity(activityEnvironment({ attempt: 3 }), activities().runCommand, input);
    expect(result.commandId).toBe('c-earlier');
    expect(result.reusedEarlierSend).toBe(true);
    expect(ssmMock.commandCalls(SendCommandCommand)).toHaveLength(0);
  });

  it('a retried attempt whose lookup stays empty for the whole listing lag sends, and checks the key again afterwards', async () => {
    let created = false;
    const lookups = { before: 0, after: 0 };
    ssmMock.on(ListCommandsCommand).callsFake((request: { CommandId?: string }) => {
      if (request.CommandId) return { Commands: [{ CommandId: request.CommandId, Status: 'Success' }] };
      lookups[created ? 'after' : 'before'] += 1;
      return { Commands: created ? [{ CommandId: 'c-new', Comment: comment, RequestedDateTime: new Date() }] : [] };
    });
    ssmMock.on(SendCommandCommand).callsFake(() => {
      created = true;
      return { Command: { CommandId: 'c-new', RequestedDateTime: new Date() } };
    });
    ssmMock.on(ListCommandInvocationsCommand).resolves({ CommandInvocations: [] });
    const startedAt = Date.now();
    const result = await runActivity(activityEnvironment({ attempt: 2 }), activities().runCommand, input);
    expect(result.commandId).toBe('c-new');
    expect(Date.now() - startedAt).toBeGreaterThanOrEqual(190);
    // Looked up before sending, and once more after the listing lag to be sure the key names one command.
    expect(lookups.before).toBeGreaterThanOrEqual(1);
    expect(lookups.after).toBe(1);
    expect(ssmMock.commandCalls(SendCommandCommand)).toHaveLength(1);
  });

  it('a send whose response is lost is looked up, found, and never sent twice', async () => {
    let created = 0;
    ssmMock.on(SendCommandCommand).callsFake(() => {
      created += 1;
      throw connectionReset();
    });
    ssmMock.on(ListCommandsCommand).callsFake((request: { CommandId?: string }) => {
      if (request.CommandId) return { Commands: [{ CommandId: request.CommandId, Status: 'Success' }] };
      return { Commands: created ? [{ CommandId: 'c-committed', Comment: comment, RequestedDateTime: new Date() }] : [] };
    });
    ssmMock.on(ListCommandInvocationsCommand).resolves({ CommandInvocations: [] });
    const result = await runActivity(activityEnvironment(), activities().runCommand, input);
    expect(result).toMatchObject({ commandId: 'c-committed', reusedEarlierSend: true });
    expect(created).toBe(1);
  });

  it('a lost response for a command SSM never created is sent again once the listing lag has passed', async () => {
    ssmMock
      .on(SendCommandCommand)
      .rejectsOnce(
        Object.assign(new Error('Internal error'), { name: 'InternalServerError', $fault: 'server', $metadata: { httpStatusCode: 500 } }),
      )
      .resolves({ Command: { CommandId: 'c-second', RequestedDateTime: new Date() } });
    ssmMock
      .on(ListCommandsCommand)
      .callsFake((request: { CommandId?: string }) =>
        request.CommandId ? { Commands: [{ CommandId: request.CommandId, Status: 'Success' }] } : { Commands: [] },
      );
    ssmMock.on(ListCommandInvocationsCommand).resolves({ CommandInvocations: [] });
    const result = await runActivity(activityEnvironment(), activities().runCommand, input);
    expect(result.commandId).toBe('c-second');
    expect(ssmMock.commandCalls(SendCommandCommand)).toHaveLength(2);
  });

  it('two commands under one key: the newer is cancelled, both are named, and the step fails without retry', async () => {
    const older = new Date(Date.now() - 1_000);
    ssmMock.on(ListCommandsCommand).resolves({
      Commands: [
        { CommandId: 'c-newer', Comment: comment, RequestedDateTime: new Date() },
        { CommandId: 'c-older', Comment: comment, RequestedDateTime: older },
      ],
    });
    ssmMock.on(CancelCommandCommand).resolves({});
    const failure = (await runActivity(activityEnvironment({ attempt: 2 }), activities().runCommand, input).catch(
      (err: unknown) => err,
    )) as ApplicationFailure;
    expect(failure).toBeInstanceOf(ApplicationFailure);
    expect(failure).toMatchObject({ type: 'SsmDuplicateCommand', nonRetryable: true });
    expect(failure.message).toMatch(/kept c-older, cancelled c-newer/);
    expect(failure.details?.[0]).toEqual({
      idempotencyKey: input.idempotencyKey,
      keptCommandId: 'c-older',
      cancelledCommandIds: ['c-newer'],
    });
    expect(ssmMock.commandCalls(CancelCommandCommand).map((c) => c.args[0].input.CommandId)).toEqual(['c-newer']);
    expect(ssmMock.commandCalls(SendCommandCommand)).toHaveLength(0);
  });

  it('one command shown on two pages of a shifting listing is one command, not a duplicate to cancel', async () => {
    ssmMock.on(ListCommandsCommand).callsFake((request: { CommandId?: string; NextToken?: string }) => {
      if (request.CommandId) return { Commands: [{ CommandId: request.CommandId, Status: 'Success' }] };
      const sent = { CommandId: 'c-only', Comment: comment, RequestedDateTime: new Date() };
      return request.NextToken ? { Commands: [sent] } : { Commands: [sent], NextToken: 'page-2' };
    });
    ssmMock.on(ListCommandInvocationsCommand).resolves(oneInvocation('c-only'));
    const result = await runActivity(activityEnvironment({ attempt: 2 }), activities().runCommand, input);
    expect(result).toMatchObject({ commandId: 'c-only', reusedEarlierSend: true });
    expect(ssmMock.commandCalls(CancelCommandCommand)).toHaveLength(0);
    expect(ssmMock.commandCalls(SendCommandCommand)).toHaveLength(0);
  });

  it('a refused send (validation) is neither looked up nor sent again', async () => {
    ssmMock.on(SendCommandCommand).rejects(
      Object.assign(new Error("Value 'x' at 'timeoutSeconds' failed to satisfy constraint"), {
        name: 'ValidationException',
        $fault: 'client',
        $metadata: { httpStatusCode: 400 },
      }),
    );
    const failure = (await runActivity(activityEnvironment(), activities().runCommand, input).catch(
      (err: unknown) => err,
    )) as ApplicationFailure;
    expect(failure).toMatchObject({ type: 'SsmValidationException', nonRetryable: true });
    expect(ssmMock.commandCalls(SendCommandCommand)).toHaveLength(1);
    expect(ssmMock.commandCalls(ListCommandsCommand)).toHaveLength(0);
  });

  it('sends only the Parameter Store name of a secret: the instance reads the value itself', async () => {
    ssmMock.on(SendCommandCommand).resolves({ Command: { CommandId: 'c-new', RequestedDateTime: new Date() } });
    ssmMock.on(ListCommandsCommand).resolves({ Commands: [{ CommandId: 'c-new', Status: 'Success' }] });
    ssmMock.on(ListCommandInvocationsCommand).resolves({ CommandInvocations: [] });
    await runActivity(activityEnvironment(), activities().runCommand, input);
    const sent = ssmMock.commandCalls(SendCommandCommand)[0]?.args[0].input;
    expect(sent?.Parameters?.commands?.[0]).toContain("aws ssm get-parameter --name '/db/c1/password' --with-decryption");
    expect(sent?.Parameters?.commands?.[1]).toBe('echo "$SSMFLOW_SECRET_dbPassword"');
    expect(sent?.Comment).toBe(idempotencyComment(input.idempotencyKey));
    expect(ssmMock.commandCalls(GetParametersCommand)).toHaveLength(0);
  });

  it('fails the step naming the instances a finished command never listed, instead of reporting fewer', async () => {
    const byIds = { ...input, targets: { instanceIds: ['i-00000000000000001', 'i-00000000000000002'] } };
    ssmMock.on(SendCommandCommand).resolves({ Command: { CommandId: 'c-short', RequestedDateTime: new Date() } });
    ssmMock.on(ListCommandsCommand).resolves({ Commands: [{ CommandId: 'c-short', Status: 'Success', TargetCount: 2 }] });
    // One instance listed twice, the other never.
    ssmMock
      .on(ListCommandInvocationsCommand)
      .resolves({ CommandInvocations: [oneInvocation('c-short').CommandInvocations[0]!, oneInvocation('c-short').CommandInvocations[0]!] });
    const { collectInvocationResults } = await import('../activities/ssm/invocation-results.js');
    const failure = (await collectInvocationResults(
      ssm,
      s3,
      { commandId: 'c-short', expectedIds: byIds.targets.instanceIds, targetCount: 2 },
      { waitMs: 300 },
    ).catch((err: unknown) => err)) as ApplicationFailure;
    expect(failure).toMatchObject({ type: 'SsmInvocationsMissing', nonRetryable: false });
    expect(failure.message).toMatch(/lists 1 of 2 targeted instances.*missing: i-00000000000000002/);
  });

  it('cancels the SSM command when the activity is cancelled', async () => {
    ssmMock.on(SendCommandCommand).resolves({ Command: { CommandId: 'c-long', RequestedDateTime: new Date() } });
    ssmMock.on(ListCommandsCommand).resolves({ Commands: [{ CommandId: 'c-long', Status: 'InProgress' }] });
    ssmMock.on(CancelCommandCommand).resolves({});
    const env = activityEnvironment();
    const running = runActivity(env, activities().runCommand, input).catch((err: unknown) => err);
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
    expect(classifySsmError(Object.assign(new Error('boom'), { name: 'InternalServerError', $metadata: { httpStatusCode: 500 } }))).toBe(
      'transient',
    );
    expect(classifySsmError(Object.assign(new Error('socket hang up'), { name: 'Error' }))).toBe('transient');
    const invalidDocument = toActivityFailure(
      Object.assign(new Error('Document not found'), { name: 'InvalidDocument' }),
      'sending step pg/backup',
    );
    expect(invalidDocument.nonRetryable).toBe(true);
    expect(invalidDocument.type).toBe('SsmInvalidDocument');
    expect(invalidDocument.message).toMatch(
      /sending step pg\/backup: InvalidDocument: Document not found \(fix: .*create it or fix the document name/,
    );
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
