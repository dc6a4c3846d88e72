import {
  type CommandInvocation,
  DescribeInstanceInformationCommand,
  type DescribeInstanceInformationCommandInput,
  GetCommandInvocationCommand,
  ListCommandInvocationsCommand,
  ListCommandsCommand,
  SendCommandCommand,
  type SSMClient,
  waitUntilCommandExecuted,
} from '@aws-sdk/client-ssm';
import { Agent, request } from 'node:http';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startTestFleet, type TestFleet, waitForCommand } from '../fleet/test-support.js';
import { eventually } from './harness/eventually.js';

const WEB1 = 'i-0c00000000000web1';
const WEB2 = 'i-0c00000000000web2';
const DB1 = 'i-0c000000000000db1';
const MI = 'mi-0c000000000000db2';

describe('fleet: Run Command through the stock SDK', () => {
  let t: TestFleet;
  let ssm: SSMClient;
  beforeAll(async () => {
    t = await startTestFleet({
      invocationVisibilityDelayMs: 400,
      instances: [
        { id: WEB1, tags: { Role: 'web', Cluster: 'c1' } },
        { id: WEB2, tags: { Role: 'web', Cluster: 'c2' } },
        { id: DB1, tags: { Role: 'db', Cluster: 'c1', 'team-name': 'data' } },
        { id: MI, tags: { Role: 'db', Cluster: 'c2' } },
        { count: 12, idPrefix: 'i-0d', tags: { Role: 'batch' } },
      ],
    });
    ssm = t.ssm;
  });
  afterAll(() => t.dispose());

  const run = async (input: Partial<ConstructorParameters<typeof SendCommandCommand>[0]>) => {
    const out = await ssm.send(new SendCommandCommand({ DocumentName: 'AWS-RunShellScript', ...input }));
    return out.Command?.CommandId ?? '';
  };
  const invocation = (CommandId: string, InstanceId: string) => ssm.send(new GetCommandInvocationCommand({ CommandId, InstanceId }));

  it('targets by tag (values ORed, keys ANDed) and by the InstanceIds key, echoing Targets', async () => {
    const byTag = await run({
      Targets: [
        { Key: 'tag:Role', Values: ['web', 'db'] },
        { Key: 'tag:Cluster', Values: ['c1'] },
      ],
      Parameters: { commands: ['true'] },
    });
    const cmd = await waitForCommand(ssm, byTag);
    expect(cmd).toMatchObject({
      Status: 'Success',
      StatusDetails: 'Success',
      TargetCount: 2,
      CompletedCount: 2,
      ErrorCount: 0,
      InstanceIds: [],
    });
    expect(cmd.Targets).toEqual([
      { Key: 'tag:Role', Values: ['web', 'db'] },
      { Key: 'tag:Cluster', Values: ['c1'] },
    ]);
    const invs = (await ssm.send(new ListCommandInvocationsCommand({ CommandId: byTag }))).CommandInvocations ?? [];
    expect(invs.map((i) => i.InstanceId).sort()).toEqual([DB1, WEB1].sort());
    for (const key of ['InstanceIds', 'instanceids']) {
      const id = await run({ Targets: [{ Key: key, Values: [MI, WEB2] }], Parameters: { commands: ['true'] } });
      expect(await waitForCommand(ssm, id)).toMatchObject({ Status: 'Success', TargetCount: 2 });
    }
    const none = await run({ Targets: [{ Key: 'tag:Role', Values: ['nothing'] }], Parameters: { commands: ['true'] } });
    expect(await waitForCommand(ssm, none)).toMatchObject({ Status: 'Failed', StatusDetails: 'NoInstancesInTag', TargetCount: 0 });
  });

  it('hides a new invocation for a short window: InvocationDoesNotExist and an empty list, ResponseCode -1 until done', async () => {
    const id = await run({ InstanceIds: [WEB1], Parameters: { commands: ['sleep 0.6', 'echo done'] } });
    const early = await invocation(id, WEB1).catch((e: Error) => e);
    expect((early as Error).name).toBe('InvocationDoesNotExist');
    expect((await ssm.send(new ListCommandInvocationsCommand({ CommandId: id }))).CommandInvocations).toEqual([]);
    const running = await eventually(() => invocation(id, WEB1), {
      until: (r) => r.Status === 'InProgress',
      retryErrors: true,
      description: 'the invocation to show InProgress',
    });
    expect(running).toMatchObject({ ResponseCode: -1, StandardOutputContent: '', ExecutionEndDateTime: '' });
    await waitUntilCommandExecuted({ client: ssm, maxWaitTime: 30, minDelay: 1, maxDelay: 1 }, { CommandId: id, InstanceId: WEB1 });
    const done = await invocation(id, WEB1);
    expect(done).toMatchObject({
      Status: 'Success',
      StatusDetails: 'Success',
      ResponseCode: 0,
      StandardOutputContent: 'done\n',
      PluginName: 'aws:runShellScript',
    });
    expect(done.ExecutionStartDateTime).toMatch(/^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{3}Z$/);
    expect(done.ExecutionElapsedTime).toMatch(/^PT\d+\.\d{3}S$/);
  });

  it('makes the waiter fail on a failed command, and reports exit codes as the agent does', async () => {
    const id = await run({ InstanceIds: [WEB1, WEB2], Parameters: { commands: ['echo oops >&2', 'exit 3'] } });
    const failure = await waitUntilCommandExecuted(
      { client: ssm, maxWaitTime: 30, minDelay: 1, maxDelay: 1 },
      { CommandId: id, InstanceId: WEB1 },
    ).catch((e: Error) => e);
    expect(failure).toBeInstanceOf(Error);
    expect(String((failure as Error).message)).toContain('FAILURE');
    expect(await invocation(id, WEB1)).toMatchObject({
      Status: 'Failed',
      StatusDetails: 'Failed',
      ResponseCode: 3,
      StandardErrorContent: 'oops\n',
    });
    expect(await waitForCommand(ssm, id)).toMatchObject({ Status: 'Failed', StatusDetails: 'Failed', ErrorCount: 2, CompletedCount: 2 });

    // 137 from the script itself is read as the agent's own kill: timed out.
    const oom = await run({ InstanceIds: [WEB1], Parameters: { commands: ['exit 137'] } });
    await waitForCommand(ssm, oom);
    expect(await invocation(oom, WEB1)).toMatchObject({ Status: 'TimedOut', StatusDetails: 'ExecutionTimedOut', ResponseCode: 137 });

    // 194 asks the agent for a reboot and a re-run of the script: in a sandbox, the step runs again.
    const reboot = await run({
      InstanceIds: [WEB2],
      Parameters: { commands: ['if [ ! -f rebooted ]; then touch rebooted; exit 194; fi', 'echo after-reboot'] },
    });
    await waitForCommand(ssm, reboot);
    expect(await invocation(reboot, WEB2)).toMatchObject({ Status: 'Success', StandardOutputContent: 'after-reboot\n' });
    expect(
      t.fleet
        .executions()
        .filter((e) => e.commandId === reboot)
        .map((e) => e.exitCode),
    ).toEqual([194, 0]);
  });

  it('runs sh in the sandbox with the agent environment plus FLEET_INSTANCE_DIR and FLEET_TAG_*', async () => {
    const id = await run({
      InstanceIds: [DB1],
      Parameters: {
        commands: [
          'mkdir -p work && cd work && pwd',
          'echo "$SSM_COMMAND_ID|$AWS_SSM_INSTANCE_ID|$AWS_SSM_REGION_NAME|$AWS_SSM_PLATFORM_NAME|$FLEET_TAG_ROLE|$FLEET_TAG_TEAM_NAME"',
          'echo "$FLEET_INSTANCE_DIR"',
          'test -n "$PATH" && test -n "$HOME" && echo env-ok',
          'ps -o comm= -p $$',
        ],
      },
    });
    await waitForCommand(ssm, id);
    const out = (await invocation(id, DB1)).StandardOutputContent ?? '';
    const [pwd, env, dir, ok, shell] = out.trim().split('\n');
    expect(dir).toBe(`${t.stateDir}/instances/${DB1}`);
    expect(pwd).toBe(`${dir}/work`);
    expect(env).toBe(`${id}|${DB1}|us-east-1|linux|db|data`);
    expect(ok).toBe('env-ok');
    expect(shell).toBe('sh');
    const wd = await run({ InstanceIds: [DB1], Parameters: { commands: ['pwd'], workingDirectory: ['work'] } });
    await waitForCommand(ssm, wd);
    expect((await invocation(wd, DB1)).StandardOutputContent).toBe(`${dir}/work\n`);
    const missing = await run({ InstanceIds: [DB1], Parameters: { commands: ['pwd'], workingDirectory: ['/no/such/dir'] } });
    await waitForCommand(ssm, missing);
    expect(await invocation(missing, DB1)).toMatchObject({ Status: 'Failed', ResponseCode: 1 });
  });

  it('truncates output like the agent: 24,000 / 8,000 with --output truncated--, and 2,400 in CommandPlugins Output', async () => {
    const id = await run({
      InstanceIds: [WEB2],
      Parameters: { commands: ["head -c 30000 /dev/zero | tr '\\0' a", "head -c 9000 /dev/zero | tr '\\0' b >&2"] },
    });
    await waitForCommand(ssm, id);
    const inv = await invocation(id, WEB2);
    expect(inv.StandardOutputContent).toHaveLength(24_000);
    expect(inv.StandardOutputContent?.endsWith('a--output truncated--')).toBe(true);
    expect(inv.StandardErrorContent).toHaveLength(8_000);
    expect(inv.StandardErrorContent?.endsWith('--output truncated--')).toBe(true);
    const exact = await run({
      InstanceIds: [WEB2],
      Parameters: { commands: ["head -c 24000 /dev/zero | tr '\\0' c", "head -c 23999 /dev/zero | tr '\\0' d >&2"] },
    });
    await waitForCommand(ssm, exact);
    const e = await invocation(exact, WEB2);
    expect(e.StandardOutputContent?.endsWith('--output truncated--')).toBe(true);
    expect(e.StandardErrorContent).toHaveLength(8_000);

    const listed = (await ssm.send(new ListCommandInvocationsCommand({ CommandId: id, Details: true })))
      .CommandInvocations?.[0] as CommandInvocation;
    const plugin = listed.CommandPlugins?.[0];
    expect(plugin?.Output?.length).toBeLessThanOrEqual(2_500);
    expect(plugin?.Output).toContain('\n---Output truncated---\n----------ERROR-------\n');
    expect(plugin?.Output?.endsWith('\n---Error truncated----')).toBe(true);
    expect(plugin).toMatchObject({ Name: 'aws:runShellScript', Status: 'Success', ResponseCode: 0 });
    expect(plugin?.ResponseStartDateTime).toBeInstanceOf(Date);
    const brief = (await ssm.send(new ListCommandInvocationsCommand({ CommandId: id }))).CommandInvocations?.[0];
    expect(brief?.CommandPlugins).toEqual([]);
  });

  it('paginates and filters ListCommands and ListCommandInvocations', async () => {
    const id = await run({ Targets: [{ Key: 'tag:Role', Values: ['batch'] }], Parameters: { commands: ['true'] }, Comment: 'paging' });
    await waitForCommand(ssm, id);
    const first = await ssm.send(new ListCommandInvocationsCommand({ CommandId: id, MaxResults: 5 }));
    expect(first.CommandInvocations).toHaveLength(5);
    const seen = new Set((first.CommandInvocations ?? []).map((i) => i.InstanceId));
    let token = first.NextToken;
    while (token) {
      const page = await ssm.send(new ListCommandInvocationsCommand({ CommandId: id, MaxResults: 5, NextToken: token }));
      for (const i of page.CommandInvocations ?? []) seen.add(i.InstanceId);
      token = page.NextToken;
    }
    expect(seen.size).toBe(12);
    const bad = await ssm.send(new ListCommandInvocationsCommand({ CommandId: id, NextToken: 'garbage' })).catch((e: Error) => e);
    expect((bad as Error).name).toBe('InvalidNextToken');
    const failedOnly = await ssm.send(new ListCommandsCommand({ Filters: [{ key: 'Status', value: 'Failed' }] }));
    expect((failedOnly.Commands ?? []).every((c) => c.Status === 'Failed')).toBe(true);
    const complete = await ssm.send(new ListCommandsCommand({ Filters: [{ key: 'ExecutionStage', value: 'Complete' }], MaxResults: 50 }));
    expect(complete.Commands?.[0]?.CommandId).toBe(id);
    const forInstance = await ssm.send(new ListCommandsCommand({ InstanceId: WEB1 }));
    expect((forInstance.Commands ?? []).length).toBeGreaterThan(0);
    expect((forInstance.Commands ?? []).every((c) => c.CommandId !== id)).toBe(true);
    const badKey = await ssm.send(new ListCommandsCommand({ Filters: [{ key: 'Nope' as 'Status', value: 'x' }] })).catch((e: Error) => e);
    expect((badKey as Error).name).toBe('InvalidFilterKey');
  });

  it('describes instances with tag, tag-key, PingStatus and InstanceIds filters and pages with MaxResults', async () => {
    const d = (input: DescribeInstanceInformationCommandInput) => ssm.send(new DescribeInstanceInformationCommand(input));
    const web = await d({ Filters: [{ Key: 'tag:Role', Values: ['web'] }] });
    expect(web.InstanceInformationList?.map((i) => i.InstanceId)).toEqual([WEB1, WEB2]);
    expect(web.InstanceInformationList?.[0]).toMatchObject({ PingStatus: 'Online', PlatformType: 'Linux', ResourceType: 'EC2Instance' });
    expect(web.InstanceInformationList?.[0]?.LastPingDateTime).toBeInstanceOf(Date);
    expect((await d({ Filters: [{ Key: 'tag-key', Values: ['team-name'] }] })).InstanceInformationList?.map((i) => i.InstanceId)).toEqual([
      DB1,
    ]);
    expect((await d({ Filters: [{ Key: 'InstanceIds', Values: [MI] }] })).InstanceInformationList?.[0]).toMatchObject({
      ResourceType: 'ManagedInstance',
    });
    const online = await d({ Filters: [{ Key: 'PingStatus', Values: ['Online'] }], MaxResults: 5 });
    expect(online.InstanceInformationList).toHaveLength(5);
    expect(online.NextToken).toBeTruthy();
    const all: string[] = [];
    let token: string | undefined;
    do {
      const page = await d({ MaxResults: 50, ...(token ? { NextToken: token } : {}) });
      all.push(...(page.InstanceInformationList ?? []).map((i) => i.InstanceId ?? ''));
      token = page.NextToken;
    } while (token);
    expect(all).toHaveLength(16);
    expect((await d({}).then((r) => r.InstanceInformationList))?.length).toBe(10);
    const mixed = await d({
      Filters: [
        { Key: 'tag:Role', Values: ['web'] },
        { Key: 'PingStatus', Values: ['Online'] },
      ],
    }).catch((e: Error) => e);
    expect((mixed as Error).name).toBe('InvalidFilterKey');
    expect(((await d({ MaxResults: 2 }).catch((e: Error) => e)) as Error).name).toBe('ValidationException');
    expect(((await d({ Filters: [{ Key: 'InstanceIds', Values: ['i-0123456789abcdef9'] }] }).catch((e: Error) => e)) as Error).name).toBe(
      'InvalidInstanceId',
    );
  });

  it('keeps an idle connection open, so a client reusing it after a pause is not reset', async () => {
    const agent = new Agent({ keepAlive: true, maxSockets: 1 });
    const listCommands = () =>
      new Promise<number>((done, fail) => {
        const req = request(
          t.fleet.endpoint,
          { method: 'POST', agent, headers: { 'content-type': 'application/x-amz-json-1.1', 'x-amz-target': 'AmazonSSM.ListCommands' } },
          (res) => {
            res.resume();
            res.on('end', () => (res.statusCode === 200 ? done(req.socket?.localPort ?? -1) : fail(new Error(`HTTP ${res.statusCode}`))));
          },
        );
        req.on('error', fail);
        req.end('{}');
      });
    try {
      const firstPort = await listCommands();
      // Longer than the 5 s idle close the fleet used to make.
      await new Promise((r) => setTimeout(r, 6_000));
      expect(await listCommands()).toBe(firstPort);
    } finally {
      agent.destroy();
    }
  });
});
