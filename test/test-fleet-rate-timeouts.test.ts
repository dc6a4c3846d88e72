import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import {
  CancelCommandCommand,
  GetCommandInvocationCommand,
  ListCommandInvocationsCommand,
  ListCommandsCommand,
  SendCommandCommand,
  type SSMClient,
  waitUntilCommandExecuted,
} from '@aws-sdk/client-ssm';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type ExecutionRecord } from '../fleet/journal.js';
import { startTestFleet, type TestFleet, waitForCommand } from '../fleet/test-support.js';
import { eventually } from './harness/eventually.js';

const id = (n: number) => `i-0r${String(n).padStart(15, '0')}`;
const OFFLINE = 'i-0ff00000000000001';
const GONE = 'i-0ff00000000000002';

/** A process is gone when /proc has no entry or only a zombie left for the reaper. */
function processGone(pid: number): boolean {
  try {
    return /State:\s+Z/.test(readFileSync(`/proc/${pid}/status`, 'utf8'));
  } catch {
    return true;
  }
}

/** Largest number of journal records whose [startedAt, endedAt] intervals overlap. */
function maxOverlap(records: ExecutionRecord[]): number {
  const events = records.flatMap((r) => [
    [Date.parse(r.startedAt), 1],
    [Date.parse(r.endedAt ?? r.startedAt), -1],
  ]);
  events.sort((a, b) => (a[0] ?? 0) - (b[0] ?? 0) || (a[1] ?? 0) - (b[1] ?? 0));
  let now = 0;
  let max = 0;
  for (const [, d] of events) max = Math.max(max, (now += d ?? 0));
  return max;
}

describe('fleet: rate controls, timeouts and cancellation', () => {
  let t: TestFleet;
  let ssm: SSMClient;
  beforeAll(async () => {
    t = await startTestFleet({
      // 20 ms per SSM second: TimeoutSeconds=30 closes the delivery window after 0.6 s, executionTimeout 5 kills after 0.1 s.
      millisPerSecond: 20,
      invocationVisibilityDelayMs: 0,
      instances: [
        { count: 10, idPrefix: 'i-0r', tags: { Group: 'ramp' } },
        { id: OFFLINE, tags: { Group: 'edge' }, pingStatus: 'ConnectionLost' },
        { id: GONE, tags: { Group: 'edge' }, pingStatus: 'Inactive' },
      ],
    });
    ssm = t.ssm;
  });
  afterAll(() => t.dispose());

  const send = async (input: Partial<ConstructorParameters<typeof SendCommandCommand>[0]>) =>
    (await ssm.send(new SendCommandCommand({ DocumentName: 'AWS-RunShellScript', ...input }))).Command?.CommandId ?? '';
  const journalOf = (commandId: string) => t.fleet.executions().filter((e) => e.commandId === commandId);

  it('ramps up from one instance and never runs more than MaxConcurrency at once', async () => {
    // The first target's delivery is slow; nothing else may start until it is acknowledged.
    t.fleet.setFaults({ instances: { [id(1)]: { deliveryDelayMs: 400 } } });
    const cmd = await send({
      Targets: [{ Key: 'tag:Group', Values: ['ramp'] }],
      MaxConcurrency: '3',
      Parameters: { commands: ['sleep 0.2'] },
    });
    let sampledWhileFirstPending = 0;
    await eventually(async () => {
      // The journal is read first: if the first target is still Pending afterwards, it was then too.
      const startedBefore = journalOf(cmd);
      const first = await ssm.send(new GetCommandInvocationCommand({ CommandId: cmd, InstanceId: id(1) }));
      if (first.Status !== 'Pending') return true;
      sampledWhileFirstPending++;
      expect(startedBefore).toEqual([]);
      return undefined;
    });
    expect(sampledWhileFirstPending).toBeGreaterThan(0);
    expect(await waitForCommand(ssm, cmd)).toMatchObject({ Status: 'Success', CompletedCount: 10, MaxConcurrency: '3' });
    const runs = journalOf(cmd);
    expect(runs).toHaveLength(10);
    expect(maxOverlap(runs)).toBeLessThanOrEqual(3);
    t.fleet.setFaults({ instances: { [id(1)]: null } });
  });

  it('stops at MaxErrors and terminates the targets never sent', async () => {
    const cmd = await send({
      Targets: [{ Key: 'tag:Group', Values: ['ramp'] }],
      MaxConcurrency: '1',
      MaxErrors: '1',
      Parameters: { commands: ['exit 2'] },
    });
    const done = await waitForCommand(ssm, cmd);
    expect(done).toMatchObject({ Status: 'Failed', StatusDetails: 'Failed', ErrorCount: 2, CompletedCount: 10, TargetCount: 10 });
    expect(journalOf(cmd)).toHaveLength(2);
    const invs = (await ssm.send(new ListCommandInvocationsCommand({ CommandId: cmd }))).CommandInvocations ?? [];
    expect(invs.filter((i) => i.StatusDetails === 'Terminated')).toHaveLength(8);
    expect(invs.find((i) => i.StatusDetails === 'Terminated')).toMatchObject({ Status: 'Failed' });
    const terminated = await ssm.send(new GetCommandInvocationCommand({ CommandId: cmd, InstanceId: id(10) }));
    expect(terminated).toMatchObject({ StatusDetails: 'Terminated', ResponseCode: -1 });
    // A percentage budget: 20% of 10 tolerates two failures, with only one failing target the command is Incomplete.
    const pct = await send({
      Targets: [{ Key: 'tag:Group', Values: ['ramp'] }],
      MaxErrors: '20%',
      Parameters: { commands: ['[ "$AWS_SSM_INSTANCE_ID" != i-0r000000000000003 ]'] },
    });
    expect(await waitForCommand(ssm, pct)).toMatchObject({ Status: 'Failed', StatusDetails: 'Incomplete', ErrorCount: 1 });
  });

  it('kills the whole process group at executionTimeout (the grandchild too): ExecutionTimedOut, 137', async () => {
    const cmd = await send({
      InstanceIds: [id(2)],
      Parameters: { commands: ['sh -c "sleep 300 & echo \\$! > grandchild.pid; wait" &', 'sleep 300'], executionTimeout: ['5'] },
    });
    const failure = await waitUntilCommandExecuted(
      { client: ssm, maxWaitTime: 30, minDelay: 1, maxDelay: 1 },
      { CommandId: cmd, InstanceId: id(2) },
    ).catch((e: Error) => e);
    expect(failure).toBeInstanceOf(Error);
    const inv = await ssm.send(new GetCommandInvocationCommand({ CommandId: cmd, InstanceId: id(2) }));
    expect(inv).toMatchObject({ Status: 'TimedOut', StatusDetails: 'ExecutionTimedOut', ResponseCode: 137 });
    const pidFile = join(t.stateDir, 'instances', id(2), 'grandchild.pid');
    expect(existsSync(pidFile)).toBe(true);
    const grandchild = Number(readFileSync(pidFile, 'utf8').trim());
    await eventually(() => (processGone(grandchild) ? true : undefined), { timeoutMs: 5_000, description: 'grandchild to die' });
    expect(await waitForCommand(ssm, cmd)).toMatchObject({ Status: 'TimedOut', StatusDetails: 'ExecutionTimedOut', ErrorCount: 1 });
    expect(journalOf(cmd)[0]).toMatchObject({ status: 'TimedOut', exitCode: 137 });
  });

  it('times out delivery to an offline instance (Delayed → DeliveryTimedOut) and reports an Inactive one Undeliverable', async () => {
    const cmd = await send({ InstanceIds: [OFFLINE, GONE, id(3)], TimeoutSeconds: 30, Parameters: { commands: ['true'] } });
    await eventually(async () => {
      const r = await ssm.send(new GetCommandInvocationCommand({ CommandId: cmd, InstanceId: OFFLINE }));
      return r.Status === 'Delayed' ? r : undefined;
    });
    const done = await waitForCommand(ssm, cmd);
    expect(done).toMatchObject({
      Status: 'TimedOut',
      StatusDetails: 'DeliveryTimedOut',
      DeliveryTimedOutCount: 1,
      ErrorCount: 0,
      CompletedCount: 3,
    });
    expect(await ssm.send(new GetCommandInvocationCommand({ CommandId: cmd, InstanceId: OFFLINE }))).toMatchObject({
      Status: 'TimedOut',
      StatusDetails: 'DeliveryTimedOut',
      ResponseCode: -1,
    });
    expect(await ssm.send(new GetCommandInvocationCommand({ CommandId: cmd, InstanceId: GONE }))).toMatchObject({
      Status: 'Failed',
      StatusDetails: 'Undeliverable',
      ResponseCode: -1,
    });
    expect(journalOf(cmd).map((e) => e.instanceId)).toEqual([id(3)]);
    expect(done.ExpiresAfter && done.RequestedDateTime ? done.ExpiresAfter.getTime() - done.RequestedDateTime.getTime() : 0).toBe(
      (30 + 3600) * 20,
    );
  });

  it('cancels: running processes go Cancelling → Cancelled, unsent invocations end Cancelled with -1', async () => {
    const cmd = await send({
      Targets: [{ Key: 'tag:Group', Values: ['ramp'] }],
      MaxConcurrency: '1',
      Parameters: { commands: ['echo $$ > running.pid', 'sleep 300'] },
    });
    const running = await eventually(() => journalOf(cmd)[0]);
    const pidFile = join(t.stateDir, 'instances', running.instanceId, 'running.pid');
    // Started is not yet running the first line: wait for it, so there is a process to cancel.
    await eventually(() => (existsSync(pidFile) && readFileSync(pidFile, 'utf8').trim() !== '' ? true : undefined), {
      timeoutMs: 20_000,
      description: 'the command to write its pid',
    });
    await ssm.send(new CancelCommandCommand({ CommandId: cmd }));
    const states = new Set<string>();
    const done = await eventually(async () => {
      const c = (await ssm.send(new ListCommandsCommand({ CommandId: cmd }))).Commands?.[0];
      states.add(c?.Status ?? '');
      return c?.Status === 'Cancelled' ? c : undefined;
    });
    expect(done).toMatchObject({ Status: 'Cancelled', StatusDetails: 'Cancelled', CompletedCount: 10, ErrorCount: 0 });
    const first = await ssm.send(new GetCommandInvocationCommand({ CommandId: cmd, InstanceId: running.instanceId }));
    expect(first).toMatchObject({ Status: 'Cancelled', ResponseCode: 137 });
    const pid = Number(readFileSync(pidFile, 'utf8'));
    await eventually(() => (processGone(pid) ? true : undefined), { timeoutMs: 5_000, description: 'cancelled process to die' });
    const others = (await ssm.send(new ListCommandInvocationsCommand({ CommandId: cmd }))).CommandInvocations ?? [];
    expect(others.every((i) => i.Status === 'Cancelled')).toBe(true);
    const unsent = others.find((i) => i.InstanceId !== running.instanceId);
    expect(await ssm.send(new GetCommandInvocationCommand({ CommandId: cmd, InstanceId: unsent?.InstanceId }))).toMatchObject({
      ResponseCode: -1,
    });
    expect(journalOf(cmd)).toHaveLength(1);
    expect(journalOf(cmd)[0]).toMatchObject({ status: 'Cancelled' });
    // Cancelling a finished command is accepted and changes nothing.
    await ssm.send(new CancelCommandCommand({ CommandId: cmd }));
    const waiter = await waitUntilCommandExecuted(
      { client: ssm, maxWaitTime: 10, minDelay: 1, maxDelay: 1 },
      { CommandId: cmd, InstanceId: running.instanceId },
    ).catch((e: Error) => e);
    expect(String((waiter as Error).message)).toContain('FAILURE');
  });
});
