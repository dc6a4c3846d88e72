// Unit tests of the worker-wide command status poller's batched reads, against a mocked SSM client
// that answers ListCommands / ListCommandInvocations from a small table of commands. The same
// poller runs against the local fleet in test-ssm-activities.test.ts.
import { S3Client } from '@aws-sdk/client-s3';
import {
  ListCommandInvocationsCommand,
  ListCommandsCommand,
  SendCommandCommand,
  SSMClient,
  type Command,
  type CommandInvocation,
} from '@aws-sdk/client-ssm';
import { mockClient } from 'aws-sdk-client-mock';
import { afterEach, describe, expect, it, vi } from 'vitest';
import { CommandStatusPoller } from '../aws/ssm/command-status-poller.js';
import { createSsmActivities } from '../activities/ssm/ssm-activities.js';
import type { RunCommandInput } from '../aws/ssm/types.js';
import { activityEnvironment, runActivity } from './harness/activity-env.js';

const ssm = new SSMClient({ region: 'us-east-1', credentials: { accessKeyId: 'x', secretAccessKey: 'x' } });
const s3 = new S3Client({ region: 'us-east-1', credentials: { accessKeyId: 'x', secretAccessKey: 'x' } });
const ssmMock = mockClient(ssm);
const fastPoll = { minIntervalMs: 5, maxIdleIntervalMs: 10, maxThrottledIntervalMs: 40, random: () => 0.5 };
const t0 = Date.parse('2026-11-22T08:00:00.000Z');

afterEach(() => {
  ssmMock.reset();
  vi.useRealTimers();
});

interface FakeCommand {
  id: string;
  requestedAt: number;
  targets: number;
  /** Polling rounds (listings of executing commands) after which it is finished. */
  finishesAfterRound: number;
  /** Invocations ListCommandInvocations shows; defaults to `targets`. */
  listedInvocations?: number;
  /** Left out of the listing of completed commands (as an eventually consistent read might). */
  hiddenFromCompleteListing?: boolean;
}

type Filter = { key?: string; value?: string };
const filter = (filters: Filter[] | undefined, key: string) => filters?.find((f) => f.key === key)?.value;
const inWindow = (at: number, filters: Filter[] | undefined) => {
  const after = filter(filters, 'InvokedAfter');
  const before = filter(filters, 'InvokedBefore');
  return (!after || at >= Date.parse(after)) && (!before || at <= Date.parse(before));
};
function page<T>(items: T[], request: { MaxResults?: number; NextToken?: string }) {
  const offset = Number(request.NextToken ?? 0);
  const size = request.MaxResults ?? 50;
  const next = offset + size < items.length ? String(offset + size) : undefined;
  return { items: items.slice(offset, offset + size), ...(next ? { NextToken: next } : {}) };
}

/** Serves SSM reads from `commands`; a round is counted at each listing of executing commands. */
function fakeSsm(commands: FakeCommand[]): { round: () => number } {
  let round = 0;
  const finished = (c: FakeCommand) => round > c.finishesAfterRound;
  const shape = (c: FakeCommand): Command => ({
    CommandId: c.id,
    Status: finished(c) ? 'Success' : 'InProgress',
    RequestedDateTime: new Date(c.requestedAt),
    TargetCount: c.targets,
    CompletedCount: finished(c) ? c.targets : 0,
  });
  ssmMock
    .on(ListCommandsCommand)
    .callsFake((request: { CommandId?: string; Filters?: Filter[]; MaxResults?: number; NextToken?: string }) => {
      if (request.CommandId) return { Commands: commands.filter((c) => c.id === request.CommandId).map(shape) };
      const stage = filter(request.Filters, 'ExecutionStage');
      if (stage === 'Executing' && !request.NextToken) round += 1;
      const matching = commands.filter(
        (c) =>
          inWindow(c.requestedAt, request.Filters) && (stage === 'Executing' ? !finished(c) : finished(c) && !c.hiddenFromCompleteListing),
      );
      const { items, NextToken } = page(matching, request);
      return { Commands: items.map(shape), ...(NextToken ? { NextToken } : {}) };
    });
  ssmMock
    .on(ListCommandInvocationsCommand)
    .callsFake((request: { CommandId?: string; Filters?: Filter[]; MaxResults?: number; NextToken?: string }) => {
      const all: CommandInvocation[] = commands
        .filter((c) => (!request.CommandId || c.id === request.CommandId) && inWindow(c.requestedAt, request.Filters))
        .flatMap((c) =>
          Array.from({ length: c.listedInvocations ?? c.targets }, (_, i) => ({
            CommandId: c.id,
            InstanceId: `i-${String(i).padStart(17, '0')}`,
            Status: finished(c) ? 'Success' : 'InProgress',
            StatusDetails: finished(c) ? 'Success' : 'InProgress',
            CommandPlugins: [{ Name: 'aws:runShellScript', ResponseCode: 0, Output: `out of ${c.id}` }],
          })),
        );
      const { items, NextToken } = page(all, request);
      return { CommandInvocations: items, ...(NextToken ? { NextToken } : {}) };
    });
  return { round: () => round };
}

const commandReads = () => ssmMock.commandCalls(ListCommandsCommand).filter((c) => c.args[0].input.CommandId).length;
const completeListings = () =>
  ssmMock.commandCalls(ListCommandsCommand).filter((c) => filter(c.args[0].input.Filters, 'ExecutionStage') === 'Complete');

describe('command status poller: batched reads of finished commands', () => {
  it('reads many finished commands and their invocations in one listing each, not one read per command', async () => {
    const commands = Array.from({ length: 6 }, (_, i) => ({ id: `c-${i}`, requestedAt: t0 + i * 10, targets: 2, finishesAfterRound: 1 }));
    fakeSsm(commands);
    const poller = new CommandStatusPoller(ssm, fastPoll);
    const results = await Promise.all(commands.map((c) => poller.waitForResults(c.id, c.requestedAt)));

    expect(results.map((r) => r.command.Status)).toEqual(commands.map(() => 'Success'));
    expect(results.map((r) => r.invocations?.map((i) => i.CommandId))).toEqual(commands.map((c) => [c.id, c.id]));
    expect(commandReads()).toBe(0);
    expect(completeListings()).toHaveLength(1);
    // The listing is narrowed to the finished commands' send times (with the slack).
    expect(filter(completeListings()[0]?.args[0].input.Filters, 'InvokedAfter')).toBe(new Date(t0 - 1_000).toISOString());
    expect(filter(completeListings()[0]?.args[0].input.Filters, 'InvokedBefore')).toBe(new Date(t0 + 50 + 1_000).toISOString());
    const invocationListings = ssmMock.commandCalls(ListCommandInvocationsCommand).map((c) => c.args[0].input);
    expect(invocationListings).toHaveLength(1);
    expect(invocationListings[0]).toMatchObject({ Details: true });
    expect(invocationListings[0]?.CommandId).toBeUndefined();
  });

  it('leaves a command whose invocations are not all listed yet to the caller', async () => {
    const commands = Array.from({ length: 5 }, (_, i) => ({
      id: `c-${i}`,
      requestedAt: t0 + i,
      targets: 3,
      finishesAfterRound: 1,
      ...(i === 2 ? { listedInvocations: 2 } : {}),
    }));
    fakeSsm(commands);
    const poller = new CommandStatusPoller(ssm, fastPoll);
    const results = await Promise.all(commands.map((c) => poller.waitForResults(c.id, c.requestedAt)));

    expect(results[2]?.invocations).toBeUndefined();
    expect(results.filter((r) => r.invocations?.length === 3)).toHaveLength(4);
  });

  it('does not list invocations across commands when the window holds more than one read per command would', async () => {
    // Four small finished commands sent amid one still running on 1,000 instances.
    const finishing = Array.from({ length: 4 }, (_, i) => ({ id: `c-${i}`, requestedAt: t0 + i, targets: 1, finishesAfterRound: 1 }));
    const big = { id: 'c-big', requestedAt: t0 + 2, targets: 1_000, finishesAfterRound: 1_000 };
    fakeSsm([...finishing, big]);
    const poller = new CommandStatusPoller(ssm, fastPoll);
    void poller.waitForResults(big.id, big.requestedAt).catch(() => undefined);
    const results = await Promise.all(finishing.map((c) => poller.waitForResults(c.id, c.requestedAt)));
    poller.stop();

    expect(results.every((r) => r.command.Status === 'Success' && r.invocations === undefined)).toBe(true);
    expect(ssmMock.commandCalls(ListCommandInvocationsCommand)).toHaveLength(0);
  });

  it('reads a finished command on its own when the listing of completed commands keeps missing it', async () => {
    // Four more commands finish in each of rounds 2, 3 and 4, so every round has enough for a listing.
    const hidden = { id: 'c-hidden', requestedAt: t0, targets: 1, finishesAfterRound: 1, hiddenFromCompleteListing: true };
    const others = Array.from({ length: 12 }, (_, i) => ({
      id: `c-${i}`,
      requestedAt: t0 + i,
      targets: 1,
      finishesAfterRound: 1 + Math.floor(i / 4),
    }));
    fakeSsm([hidden, ...others]);
    const poller = new CommandStatusPoller(ssm, fastPoll);
    const results = await Promise.all([hidden, ...others].map((c) => poller.waitForResults(c.id, c.requestedAt)));

    expect(results.map((r) => r.command.Status)).toEqual([hidden, ...others].map(() => 'Success'));
    // Missed by two listings, then read once on its own, in the round that lists c-8..c-11.
    const reads = ssmMock.commandCalls(ListCommandsCommand).filter((c) => c.args[0].input.CommandId);
    expect(reads.map((c) => c.args[0].input.CommandId)).toEqual(['c-hidden']);
    expect(completeListings()).toHaveLength(3);
  });

  it('keeps polling while new commands arrive faster than the polling interval', async () => {
    vi.useFakeTimers();
    const commands = Array.from({ length: 40 }, (_, i) => ({ id: `c-${i}`, requestedAt: t0 + i, targets: 1, finishesAfterRound: 1_000 }));
    const ssmState = fakeSsm(commands);
    const poller = new CommandStatusPoller(ssm, { minIntervalMs: 100, maxIdleIntervalMs: 500, random: () => 0.5 });
    // A new waiter every 20 ms for 800 ms: re-arming the timer on each would never let a round run.
    for (const c of commands) {
      void poller.waitForResults(c.id, c.requestedAt).catch(() => undefined);
      await vi.advanceTimersByTimeAsync(20);
    }
    poller.stop();
    expect(ssmState.round()).toBeGreaterThanOrEqual(4);
  });
});

describe('runCommand uses the invocations the poller already read', () => {
  const input: RunCommandInput = {
    idempotencyKey: 'run-1/step-1/1',
    description: 'bench/step-1',
    document: { kind: 'shell', commands: ['echo hi'] },
    targets: { tags: { Cluster: ['c1'] } },
    rateControl: { maxConcurrency: '100%', maxErrors: '0' },
    executionTimeoutSeconds: 60,
  };

  it('returns every instance result without its own ListCommandInvocations', async () => {
    const poller = new CommandStatusPoller(ssm, fastPoll);
    const command: Command = { CommandId: 'c-1', Status: 'Success', TargetCount: 2, CompletedCount: 2, RequestedDateTime: new Date(t0) };
    const invocations: CommandInvocation[] = ['i-00000000000000001', 'i-00000000000000002'].map((InstanceId) => ({
      CommandId: 'c-1',
      InstanceId,
      Status: 'Success',
      StatusDetails: 'Success',
      CommandPlugins: [{ Name: 'aws:runShellScript', ResponseCode: 0, Output: `hi from ${InstanceId}` }],
    }));
    vi.spyOn(poller, 'waitForResults').mockResolvedValue({ command, invocations });
    ssmMock.on(SendCommandCommand).resolves({ Command: { CommandId: 'c-1', RequestedDateTime: new Date(t0) } });
    const { runCommand } = createSsmActivities({ ssm, ssmSend: ssm, s3, poller });
    const result = await runActivity(activityEnvironment(), runCommand, input);

    expect(result.invocations.map((i) => i.outputTail)).toEqual(['hi from i-00000000000000001', 'hi from i-00000000000000002']);
    expect(ssmMock.commandCalls(ListCommandInvocationsCommand)).toHaveLength(0);
  });

  it('reads them itself when the poller has fewer than the command targeted', async () => {
    const poller = new CommandStatusPoller(ssm, fastPoll);
    const command: Command = { CommandId: 'c-2', Status: 'Success', TargetCount: 2, CompletedCount: 2, RequestedDateTime: new Date(t0) };
    const one: CommandInvocation = {
      CommandId: 'c-2',
      InstanceId: 'i-00000000000000001',
      Status: 'Success',
      CommandPlugins: [{ Name: 'aws:runShellScript', ResponseCode: 0, Output: 'a' }],
    };
    const two: CommandInvocation = {
      ...one,
      InstanceId: 'i-00000000000000002',
      CommandPlugins: [{ Name: 'aws:runShellScript', ResponseCode: 0, Output: 'b' }],
    };
    vi.spyOn(poller, 'waitForResults').mockResolvedValue({ command, invocations: [one] });
    ssmMock.on(SendCommandCommand).resolves({ Command: { CommandId: 'c-2', RequestedDateTime: new Date(t0) } });
    ssmMock.on(ListCommandInvocationsCommand).resolves({ CommandInvocations: [one, two] });
    const { runCommand } = createSsmActivities({ ssm, ssmSend: ssm, s3, poller });
    const result = await runActivity(activityEnvironment(), runCommand, input);

    expect(result.invocations.map((i) => i.outputTail)).toEqual(['a', 'b']);
    expect(ssmMock.commandCalls(ListCommandInvocationsCommand)[0]?.args[0].input).toMatchObject({ CommandId: 'c-2', Details: true });
  });
});
