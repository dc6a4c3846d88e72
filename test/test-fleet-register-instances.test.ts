// Instances registered while the fleet runs (POST /_fleet/instances, fleet.registerInstances):
// targetable at once by the stock SDKs (SendCommand by tag and by id, DescribeInstanceInformation,
// the tagging API's GetResources), kept across a restart on the same state dir, refused with a
// 400 naming the field when the input is wrong.
import { GetResourcesCommand, ResourceGroupsTaggingAPIClient } from '@aws-sdk/client-resource-groups-tagging-api';
import { DescribeInstanceInformationCommand, GetCommandInvocationCommand, SendCommandCommand, type SSMClient } from '@aws-sdk/client-ssm';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { FleetConfigError } from '../fleet/config.js';
import { FleetRegistrationError, registerFleetInstances } from '../fleet/register-client.js';
import { fleetClient, startTestFleet, type TestFleet, waitForCommand } from '../fleet/test-support.js';

const CONFIGURED = 'i-0e00000000000c0f1';
const PRIMARY = 'i-0e00000000000a001';
const REPLICA = 'mi-0e00000000000a002';
const LATE = 'i-0e00000000000a003';

const thrown = (fn: () => unknown): unknown => {
  try {
    fn();
  } catch (err) {
    return err;
  }
  return undefined;
};

const config = { invocationVisibilityDelayMs: 50, instances: [{ id: CONFIGURED, tags: { Cluster: 'configured' } }] };

describe('fleet: instances registered at run time', () => {
  let t: TestFleet;
  let ssm: SSMClient;
  let tagging: ResourceGroupsTaggingAPIClient;
  beforeAll(async () => {
    t = await startTestFleet(config);
    ssm = t.ssm;
    tagging = new ResourceGroupsTaggingAPIClient({
      endpoint: t.fleet.endpoint,
      region: 'us-east-1',
      maxAttempts: 1,
      credentials: { accessKeyId: 'x', secretAccessKey: 'x' },
    });
  });
  afterAll(async () => {
    tagging?.destroy();
    ssm?.destroy();
    await t?.dispose();
  });

  const sendByTag = async (cluster: string, commands: string[]) => {
    const out = await ssm.send(
      new SendCommandCommand({
        DocumentName: 'AWS-RunShellScript',
        Targets: [{ Key: 'tag:Cluster', Values: [cluster] }],
        Parameters: { commands },
      }),
    );
    return out.Command?.CommandId ?? '';
  };
  const stdoutOf = async (CommandId: string, InstanceId: string) =>
    (await ssm.send(new GetCommandInvocationCommand({ CommandId, InstanceId }))).StandardOutputContent;
  const describeCluster = async (client: SSMClient, cluster: string) =>
    (
      (await client.send(new DescribeInstanceInformationCommand({ Filters: [{ Key: 'tag:Cluster', Values: [cluster] }] })))
        .InstanceInformationList ?? []
    )
      .map((i) => i.InstanceId)
      .sort();
  const taggedArns = async (cluster: string) =>
    ((await tagging.send(new GetResourcesCommand({ TagFilters: [{ Key: 'Cluster', Values: [cluster] }] }))).ResourceTagMappingList ?? [])
      .map((m) => m.ResourceARN)
      .sort();

  it('a SendCommand by tag reaches instances registered over HTTP, and every listing shows them at once', async () => {
    const before = await sendByTag('pg-reg', ['true']);
    expect(await waitForCommand(ssm, before)).toMatchObject({ Status: 'Failed', StatusDetails: 'NoInstancesInTag', TargetCount: 0 });

    const registered = await registerFleetInstances(t.fleet.endpoint, [
      { id: PRIMARY, tags: { Cluster: 'pg-reg', Role: 'primary' } },
      { id: REPLICA, tags: { Cluster: 'pg-reg', Role: 'replica' } },
    ]);
    expect(registered).toEqual([
      { id: PRIMARY, tags: { Cluster: 'pg-reg', Role: 'primary' }, pingStatus: 'Online' },
      { id: REPLICA, tags: { Cluster: 'pg-reg', Role: 'replica' }, pingStatus: 'Online' },
    ]);

    const id = await sendByTag('pg-reg', ['echo "$AWS_SSM_INSTANCE_ID is $FLEET_TAG_ROLE"']);
    expect(await waitForCommand(ssm, id)).toMatchObject({ Status: 'Success', TargetCount: 2, CompletedCount: 2 });
    expect(await stdoutOf(id, PRIMARY)).toBe(`${PRIMARY} is primary\n`);
    expect(await stdoutOf(id, REPLICA)).toBe(`${REPLICA} is replica\n`);

    expect(await describeCluster(ssm, 'pg-reg')).toEqual([PRIMARY, REPLICA].sort());
    expect(await taggedArns('pg-reg')).toEqual(
      [`arn:aws:ec2:us-east-1:000000000000:instance/${PRIMARY}`, `arn:aws:ssm:us-east-1:000000000000:managed-instance/${REPLICA}`].sort(),
    );
    // The configured instance is still there, in its place.
    expect(t.fleet.instances().map((i) => i.id)).toEqual([CONFIGURED, PRIMARY, REPLICA]);
  });

  it('registering a known id replaces it (tags, faults); the in-process method does the same as the route', async () => {
    t.fleet.registerInstances([{ id: REPLICA, tags: { Cluster: 'pg-other' }, faults: { offline: true } }]);
    expect(await describeCluster(ssm, 'pg-reg')).toEqual([PRIMARY]);
    const info = (await ssm.send(new DescribeInstanceInformationCommand({ Filters: [{ Key: 'InstanceIds', Values: [REPLICA] }] })))
      .InstanceInformationList?.[0];
    expect(info?.PingStatus).toBe('ConnectionLost');
    // Registered again without faults: its faults are cleared, it is Online.
    t.fleet.registerInstances([
      { id: REPLICA, tags: { Cluster: 'pg-reg', Role: 'replica' } },
      { id: LATE, tags: { Cluster: 'pg-reg', Role: 'late' } },
    ]);
    const id = await sendByTag('pg-reg', ['echo "$FLEET_TAG_ROLE"']);
    expect(await waitForCommand(ssm, id)).toMatchObject({ Status: 'Success', TargetCount: 3 });
    expect(await stdoutOf(id, LATE)).toBe('late\n');
    expect(t.fleet.instances().map((i) => i.id)).toEqual([CONFIGURED, PRIMARY, REPLICA, LATE]);
  });

  it('a restarted fleet on the same state dir still has the registered instances, as last registered', async () => {
    await t.fleet.stop();
    ssm.destroy();
    t = await startTestFleet(config, { stateDir: t.stateDir });
    ssm = fleetClient(t.fleet.endpoint);
    tagging.destroy();
    tagging = new ResourceGroupsTaggingAPIClient({
      endpoint: t.fleet.endpoint,
      region: 'us-east-1',
      maxAttempts: 1,
      credentials: { accessKeyId: 'x', secretAccessKey: 'x' },
    });

    expect(t.fleet.instances().map((i) => i.id)).toEqual([CONFIGURED, PRIMARY, REPLICA, LATE]);
    expect(await describeCluster(ssm, 'pg-reg')).toEqual([PRIMARY, REPLICA, LATE].sort());
    expect(await taggedArns('configured')).toEqual([`arn:aws:ec2:us-east-1:000000000000:instance/${CONFIGURED}`]);
    const out = await ssm.send(
      new SendCommandCommand({
        DocumentName: 'AWS-RunShellScript',
        InstanceIds: [REPLICA, LATE],
        Parameters: { commands: ['echo "$FLEET_TAG_ROLE"'] },
      }),
    );
    const id = out.Command?.CommandId ?? '';
    expect(await waitForCommand(ssm, id)).toMatchObject({ Status: 'Success', TargetCount: 2 });
    expect(await stdoutOf(id, REPLICA)).toBe('replica\n');
  });

  it('bad input is a 400 naming the field, and registers nothing of that request', async () => {
    const post = async (body: string) => {
      const res = await fetch(`${t.fleet.endpoint}/_fleet/instances`, {
        method: 'POST',
        headers: { 'content-type': 'application/json' },
        body,
      });
      return { status: res.status, body: (await res.json()) as { message: string; field?: string } };
    };
    const cases: [unknown, string, RegExp][] = [
      [
        {
          instances: [
            { id: 'i-0e00000000000b001', tags: { Cluster: 'bad' } },
            { id: 'web-1', tags: {} },
          ],
        },
        'instances[1].id',
        /'web-1' is not a valid instance id/,
      ],
      [
        { instances: [{ id: 'i-0e00000000000b001', tags: { Cluster: { nested: true } } }] },
        'instances[0].tags.Cluster',
        /tag values must be strings/,
      ],
      [
        { instances: [{ id: 'i-0e00000000000b001', pingStatus: 'Sleeping' }] },
        'instances[0].pingStatus',
        /Online, ConnectionLost or Inactive/,
      ],
      [
        { instances: [{ id: 'i-0e00000000000b001', faults: { listingLagMs: 5 } }] },
        'instances[0].faults.listingLagMs',
        /global fault only/,
      ],
      [{ instances: [{ id: 'i-0e00000000000b001', colour: 'red' }] }, 'instances[0].colour', /unknown field/],
      [
        { instances: [{ id: 'i-0e00000000000b001' }, { id: 'i-0e00000000000b001' }] },
        'instances',
        /duplicate instance id i-0e00000000000b001/,
      ],
      [{ instances: { id: 'i-0e00000000000b001' } }, 'instances', /must be a list/],
      [{ instance: [] }, 'instance', /unknown field/],
      [[], '(body)', /JSON object/],
    ];
    for (const [body, field, message] of cases) {
      const res = await post(JSON.stringify(body));
      expect(res, JSON.stringify(body)).toMatchObject({ status: 400, body: { field, message: expect.stringMatching(message) } });
    }
    expect(await post('{"instances": [')).toMatchObject({
      status: 400,
      body: { field: '(body)', message: expect.stringMatching(/not JSON/) },
    });
    // The valid first entry of a refused request was not registered.
    expect(t.fleet.instances().map((i) => i.id)).not.toContain('i-0e00000000000b001');
    expect(await describeCluster(ssm, 'bad')).toEqual([]);

    const fromClient = await registerFleetInstances(t.fleet.endpoint, [{ id: 'i-nope', tags: {} }]).then(
      () => undefined,
      (err: unknown) => err,
    );
    expect(fromClient).toBeInstanceOf(FleetRegistrationError);
    expect(fromClient).toMatchObject({
      status: 400,
      field: 'instances[0].id',
      message: expect.stringMatching(/HTTP 400.*instances\[0\]\.id/),
    });

    const inProcess = thrown(() =>
      t.fleet.registerInstances([
        { id: 'i-0e00000000000b002', tags: { Cluster: 'x' } },
        { id: 'i-0e00000000000b003', pingStatus: 'Gone' as 'Online' },
      ]),
    );
    expect(inProcess).toBeInstanceOf(FleetConfigError);
    expect(inProcess).toMatchObject({ field: 'instances[1].pingStatus' });
    expect(t.fleet.instances().map((i) => i.id)).toEqual([CONFIGURED, PRIMARY, REPLICA, LATE]);
  });
});
