import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import {
  DescribeInstanceInformationCommand,
  GetCommandInvocationCommand,
  GetParameterCommand,
  GetParametersCommand,
  ListCommandsCommand,
  PutParameterCommand,
  SendCommandCommand,
  type SSMClient,
} from '@aws-sdk/client-ssm';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type ExecutionRecord } from '../fleet/journal.js';
import { startFleet } from '../fleet/server.js';
import { fleetClient, startTestFleet, type TestFleet, waitForCommand } from '../fleet/test-support.js';
import { eventually } from './harness/eventually.js';

const N1 = 'i-0fa000000000000a1';
const N2 = 'i-0fa000000000000a2';
const N3 = 'i-0fa000000000000a3';

const send = async (ssm: SSMClient, instanceIds: string[], commands: string[]) =>
  (await ssm.send(new SendCommandCommand({ DocumentName: 'AWS-RunShellScript', InstanceIds: instanceIds, Parameters: { commands } })))
    .Command?.CommandId ?? '';

describe('fleet: fault injection', () => {
  let t: TestFleet;
  let ssm: SSMClient;
  beforeAll(async () => {
    t = await startTestFleet({
      seed: 42,
      invocationVisibilityDelayMs: 0,
      instances: [
        { id: N1, tags: { Role: 'a' } },
        { id: N2, tags: { Role: 'a' }, faults: { slowStartMs: 600 } },
        { id: N3, tags: { Role: 'b' } },
      ],
    });
    ssm = t.ssm;
  });
  afterAll(() => t.dispose());

  it('throttles a fraction of calls per operation with ThrottlingException "Rate exceeded", reproducibly for a seed', async () => {
    const pattern = async (client: SSMClient) => {
      const out: boolean[] = [];
      for (let i = 0; i < 40; i++) {
        const r = await client.send(new DescribeInstanceInformationCommand({})).catch((e: Error) => e);
        if (r instanceof Error) expect([r.name, r.message]).toEqual(['ThrottlingException', 'Rate exceeded']);
        out.push(r instanceof Error);
      }
      return out;
    };
    t.fleet.setFaults({ global: { throttle: { DescribeInstanceInformation: 0.3 } }, seed: 9 });
    const first = await pattern(ssm);
    t.fleet.setFaults({ seed: 9 });
    const second = await pattern(ssm);
    expect(second).toEqual(first);
    expect(first.filter(Boolean).length).toBeGreaterThan(3);
    expect(first.filter(Boolean).length).toBeLessThan(30);
    // Other operations are untouched by a per-operation rate.
    await ssm.send(new ListCommandsCommand({}));
    // Through HTTP: throttle every call naming one instance, then clear everything.
    const post = (body: unknown) => fetch(`${t.fleet.endpoint}/_fleet/faults`, { method: 'POST', body: JSON.stringify(body) });
    expect((await post({ global: null, instances: { [N3]: { throttle: 1 } } })).status).toBe(200);
    const named = await ssm.send(new DescribeInstanceInformationCommand({ Filters: [{ Key: 'InstanceIds', Values: [N1] }] }));
    expect(named.InstanceInformationList).toHaveLength(1);
    const cmd = await send(ssm, [N1], ['true']);
    const throttled = await ssm.send(new GetCommandInvocationCommand({ CommandId: cmd, InstanceId: N3 })).catch((e: Error) => e);
    expect((throttled as Error).name).toBe('ThrottlingException');
    expect((await post({ instances: { [N3]: null } })).status).toBe(200);
    expect((await post({ global: { throttle: 7 } })).status).toBe(400);
    // The SDK's own retries ride out light throttling.
    t.fleet.setFaults({ global: { throttle: 0.3 }, seed: 3 });
    const retrying = fleetClient(t.fleet.endpoint, 10);
    for (let i = 0; i < 10; i++) await retrying.send(new ListCommandsCommand({ MaxResults: 1 }));
    retrying.destroy();
    t.fleet.setFaults({ global: null });
  });

  it('takes an instance offline at runtime (ConnectionLost, Delayed) and delivers when it is back', async () => {
    const post = await fetch(`${t.fleet.endpoint}/_fleet/faults`, {
      method: 'POST',
      body: JSON.stringify({ instances: { [N3]: { offline: true } } }),
    });
    expect(post.status).toBe(200);
    const info = await ssm.send(new DescribeInstanceInformationCommand({ Filters: [{ Key: 'PingStatus', Values: ['ConnectionLost'] }] }));
    expect(info.InstanceInformationList?.map((i) => i.InstanceId)).toEqual([N3]);
    const cmd = await send(ssm, [N3], ['echo back']);
    await eventually(async () =>
      (await ssm.send(new GetCommandInvocationCommand({ CommandId: cmd, InstanceId: N3 }))).Status === 'Delayed' ? true : undefined,
    );
    expect(t.fleet.executions().filter((e) => e.commandId === cmd)).toEqual([]);
    t.fleet.setFaults({ instances: { [N3]: null } });
    expect(await waitForCommand(ssm, cmd)).toMatchObject({ Status: 'Success' });
  });

  it('holds a delivery with deliveryDelayMs (Pending) and a start with slowStartMs (InProgress, -1, not started)', async () => {
    t.fleet.setFaults({ instances: { [N1]: { deliveryDelayMs: 500 } } });
    const delayed = await send(ssm, [N1], ['true']);
    const pending = await ssm.send(new GetCommandInvocationCommand({ CommandId: delayed, InstanceId: N1 }));
    expect(pending).toMatchObject({ Status: 'Pending', ResponseCode: -1 });
    expect(await waitForCommand(ssm, delayed)).toMatchObject({ Status: 'Success' });
    t.fleet.setFaults({ instances: { [N1]: null } });

    const slow = await send(ssm, [N2], ['true']);
    const starting = await eventually(async () => {
      const r = await ssm.send(new GetCommandInvocationCommand({ CommandId: slow, InstanceId: N2 }));
      return r.Status === 'InProgress' ? r : undefined;
    });
    expect(starting).toMatchObject({ ResponseCode: -1, ExecutionStartDateTime: '' });
    expect(t.fleet.executions().filter((e) => e.commandId === slow)).toEqual([]);
    expect(await waitForCommand(ssm, slow)).toMatchObject({ Status: 'Success' });
  });

  it('kills the running process when the agent restarts: Failed, 137, once in the journal', async () => {
    t.fleet.setFaults({ instances: { [N1]: { agentRestart: { afterMs: 200 } } } });
    const cmd = await send(ssm, [N1], ['echo before', 'sleep 30', 'echo after']);
    expect(await waitForCommand(ssm, cmd)).toMatchObject({ Status: 'Failed', ErrorCount: 1 });
    const inv = await ssm.send(new GetCommandInvocationCommand({ CommandId: cmd, InstanceId: N1 }));
    expect(inv).toMatchObject({ Status: 'Failed', StatusDetails: 'Failed', ResponseCode: 137, StandardOutputContent: 'before\n' });
    expect(inv.StandardErrorContent).toContain('agent restarted');
    expect(t.fleet.executions().filter((e) => e.commandId === cmd)).toMatchObject([{ instanceId: N1, status: 'Failed', exitCode: 137 }]);
    t.fleet.setFaults({ instances: { [N1]: null } });
  });
});

describe('fleet: Parameter Store and {{ssm:…}}', () => {
  let t: TestFleet;
  let ssm: SSMClient;
  beforeAll(async () => {
    t = await startTestFleet({
      invocationVisibilityDelayMs: 0,
      instances: [{ id: N1, tags: {} }],
      parameters: [
        { name: '/app/greeting', type: 'String', value: 'hello' },
        { name: '/app/hosts', type: 'StringList', value: 'a,b,c' },
        { name: '/app/secret', type: 'SecureString', value: 'hunter2' },
      ],
    });
    ssm = t.ssm;
  });
  afterAll(() => t.dispose());

  it('stores versions, honours Overwrite, hides SecureString plaintext without decryption', async () => {
    expect((await ssm.send(new GetParameterCommand({ Name: '/app/greeting' }))).Parameter).toMatchObject({
      Type: 'String',
      Value: 'hello',
      Version: 1,
      DataType: 'text',
    });
    const exists = await ssm.send(new PutParameterCommand({ Name: '/app/greeting', Value: 'hi', Type: 'String' })).catch((e: Error) => e);
    expect((exists as Error).name).toBe('ParameterAlreadyExists');
    expect(await ssm.send(new PutParameterCommand({ Name: '/app/greeting', Value: 'hi', Overwrite: true }))).toMatchObject({
      Version: 2,
      Tier: 'Standard',
    });
    expect((await ssm.send(new GetParameterCommand({ Name: '/app/greeting' }))).Parameter?.Value).toBe('hi');
    expect((await ssm.send(new GetParameterCommand({ Name: '/app/greeting:1' }))).Parameter).toMatchObject({
      Value: 'hello',
      Version: 1,
      Selector: ':1',
    });
    const secret = (await ssm.send(new GetParameterCommand({ Name: '/app/secret' }))).Parameter;
    expect(secret?.Type).toBe('SecureString');
    expect(secret?.Value).not.toContain('hunter2');
    expect((await ssm.send(new GetParameterCommand({ Name: '/app/secret', WithDecryption: true }))).Parameter?.Value).toBe('hunter2');
    expect(((await ssm.send(new GetParameterCommand({ Name: '/nope' })).catch((e: Error) => e)) as Error).name).toBe('ParameterNotFound');
    expect(((await ssm.send(new PutParameterCommand({ Name: '/new', Value: 'x' })).catch((e: Error) => e)) as Error).name).toBe(
      'ValidationException',
    );
    const many = await ssm.send(new GetParametersCommand({ Names: ['/app/hosts', '/missing', '/app/greeting'] }));
    expect(many.Parameters?.map((p) => [p.Name, p.Value])).toEqual([
      ['/app/greeting', 'hi'],
      ['/app/hosts', 'a,b,c'],
    ]);
    expect(many.InvalidParameters).toEqual(['/missing']);
    const tooMany = await ssm
      .send(new GetParametersCommand({ Names: Array.from({ length: 11 }, (_, i) => `/p${i}`) }))
      .catch((e: Error) => e);
    expect((tooMany as Error).name).toBe('ValidationException');
  });

  it('resolves {{ssm:name}} on the node, refusing SecureString and unknown names as the agent does', async () => {
    const ok = await send(ssm, [N1], ['echo {{ssm:/app/greeting}} {{ ssm:/app/greeting:1 }} {{ssm:/app/hosts}}']);
    await waitForCommand(ssm, ok);
    expect((await ssm.send(new GetCommandInvocationCommand({ CommandId: ok, InstanceId: N1 }))).StandardOutputContent).toBe(
      'hi hello a,b,c\n',
    );
    const secure = await send(ssm, [N1], ['echo {{ssm:/app/secret}}']);
    await waitForCommand(ssm, secure);
    const refused = await ssm.send(new GetCommandInvocationCommand({ CommandId: secure, InstanceId: N1 }));
    expect(refused).toMatchObject({
      Status: 'Failed',
      StandardErrorContent: 'Parameters [/app/secret] of type SecureString are not supported',
    });
    const unknown = await send(ssm, [N1], ['echo {{ssm:/app/none}}']);
    await waitForCommand(ssm, unknown);
    expect((await ssm.send(new GetCommandInvocationCommand({ CommandId: unknown, InstanceId: N1 }))).StandardErrorContent).toBe(
      'Input contains invalid parameters [/app/none]',
    );
    expect(t.fleet.executions().filter((e) => e.commandId === secure || e.commandId === unknown)).toEqual([]);
  });
});

describe('fleet: restart survival and the execution journal', () => {
  const stateDir = mkdtempSync(join(tmpdir(), 'fleet-restart-'));
  afterAll(() => rmSync(stateDir, { recursive: true, force: true }));
  const config = {
    invocationVisibilityDelayMs: 0,
    instances: [
      { id: N1, tags: {} },
      { id: N2, tags: {} },
    ],
  };

  it('keeps commands, invocations and output across a restart; an interrupted run ends Failed (137), never re-run', async () => {
    const first = await startFleet({ config, stateDir });
    const ssm1 = fleetClient(first.endpoint);
    const done = await send(ssm1, [N1], ['echo kept']);
    await waitForCommand(ssm1, done);
    const interrupted = await send(ssm1, [N2], ['sleep 30']);
    await eventually(() => first.executions().find((e) => e.commandId === interrupted));
    ssm1.destroy();
    await first.stop();

    const second = await startFleet({ config, stateDir });
    const ssm2 = fleetClient(second.endpoint);
    try {
      const listed = (await ssm2.send(new ListCommandsCommand({}))).Commands?.map((c) => c.CommandId);
      expect(listed).toEqual([interrupted, done]);
      expect((await ssm2.send(new GetCommandInvocationCommand({ CommandId: done, InstanceId: N1 }))).StandardOutputContent).toBe('kept\n');
      expect(await waitForCommand(ssm2, interrupted)).toMatchObject({ Status: 'Failed', ErrorCount: 1 });
      expect(await ssm2.send(new GetCommandInvocationCommand({ CommandId: interrupted, InstanceId: N2 }))).toMatchObject({
        Status: 'Failed',
        ResponseCode: 137,
      });

      const viaHttp = (await (await fetch(`${second.endpoint}/_fleet/executions`)).json()) as ExecutionRecord[];
      expect(viaHttp).toEqual(second.executions());
      expect(viaHttp.map((e) => [e.commandId, e.instanceId, e.status])).toEqual([
        [done, N1, 'Success'],
        [interrupted, N2, 'Failed'],
      ]);
      expect(viaHttp[0]).toMatchObject({ documentName: 'AWS-RunShellScript', comment: '', exitCode: 0 });
      const health = (await (await fetch(`${second.endpoint}/_fleet/health`)).json()) as { status: string; instances: number };
      expect(health).toMatchObject({ status: 'ok', instances: 2 });
    } finally {
      ssm2.destroy();
      await second.stop();
    }
  });
});
