// Cluster discovery by tag: the fleet's Resource Groups Tagging API GetResources through the stock
// @aws-sdk/client-resource-groups-tagging-api, and the grouping ssmflow builds on it.
import { GetResourcesCommand, ResourceGroupsTaggingAPIClient } from '@aws-sdk/client-resource-groups-tagging-api';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { discoverClustersByTag, groupInstancesByTag } from '../aws/cluster-discovery.js';
import { rejection, startTestFleet, type TestFleet } from '../fleet/test-support.js';

// 250 instances in 25 clusters of 10 (more than two pages of 100), a hybrid node, an empty value, an untagged node.
const clusterName = (n: number) => `pg-${String(n).padStart(2, '0')}`;
const fleetInstances = [
  ...Array.from({ length: 250 }, (_, i) => ({
    id: `i-0b${String(i + 1).padStart(15, '0')}`,
    tags: { Cluster: clusterName(Math.floor(i / 10) + 1), Env: i < 100 ? 'staging' : 'prod' },
  })),
  { id: 'mi-0b0000000000000e1', tags: { Cluster: 'edge', Env: 'prod' } },
  { id: 'i-0b0000000000e0002', tags: { Cluster: '', Env: 'prod' } },
  { id: 'i-0b0000000000e0003' },
];

describe('discovery by tag on the local fleet', () => {
  let t: TestFleet;
  let tagging: ResourceGroupsTaggingAPIClient;
  beforeAll(async () => {
    t = await startTestFleet({ region: 'eu-west-1', instances: fleetInstances });
    tagging = new ResourceGroupsTaggingAPIClient({
      endpoint: t.fleet.endpoint,
      region: 'eu-west-1',
      maxAttempts: 1,
      credentials: { accessKeyId: 'x', secretAccessKey: 'x' },
    });
  });
  afterAll(async () => {
    tagging?.destroy();
    await t?.dispose();
  });

  it('GetResources pages through tagged instances with their ARNs and tags, as the service does', async () => {
    const first = await tagging.send(new GetResourcesCommand({ TagFilters: [{ Key: 'Cluster' }], ResourcesPerPage: 100 }));
    expect(first.ResourceTagMappingList).toHaveLength(100);
    expect(first.ResourceTagMappingList?.[0]).toEqual({
      ResourceARN: 'arn:aws:ec2:eu-west-1:000000000000:instance/i-0b000000000000001',
      Tags: [
        { Key: 'Cluster', Value: 'pg-01' },
        { Key: 'Env', Value: 'staging' },
      ],
    });
    expect(first.PaginationToken).toBeTruthy();
    const all = [...(first.ResourceTagMappingList ?? [])];
    let token = first.PaginationToken;
    while (token) {
      const page = await tagging.send(
        new GetResourcesCommand({ TagFilters: [{ Key: 'Cluster' }], ResourcesPerPage: 100, PaginationToken: token }),
      );
      all.push(...(page.ResourceTagMappingList ?? []));
      token = page.PaginationToken;
    }
    // Every instance with the key (also the empty value), none without it; the last page says so with "".
    expect(all).toHaveLength(252);
    expect(all.map((m) => m.ResourceARN)).toContain('arn:aws:ssm:eu-west-1:000000000000:managed-instance/mi-0b0000000000000e1');
  });

  it('GetResources filters by tag values (any of them, every key) and by resource type', async () => {
    const prodEdge = await tagging.send(
      new GetResourcesCommand({
        TagFilters: [
          { Key: 'Env', Values: ['prod'] },
          { Key: 'Cluster', Values: ['edge', 'pg-25'] },
        ],
      }),
    );
    expect(prodEdge.ResourceTagMappingList).toHaveLength(11);
    const hybrid = await tagging.send(
      new GetResourcesCommand({ TagFilters: [{ Key: 'Cluster' }], ResourceTypeFilters: ['ssm:managed-instance'] }),
    );
    expect(hybrid.ResourceTagMappingList?.map((m) => m.ResourceARN)).toEqual([
      'arn:aws:ssm:eu-west-1:000000000000:managed-instance/mi-0b0000000000000e1',
    ]);
    const buckets = await tagging.send(new GetResourcesCommand({ TagFilters: [{ Key: 'Cluster' }], ResourceTypeFilters: ['s3'] }));
    expect(buckets.ResourceTagMappingList).toEqual([]);
    expect(buckets.PaginationToken).toBe('');
  });

  it('GetResources refuses what the service refuses, naming the parameter', async () => {
    expect(await rejection(tagging.send(new GetResourcesCommand({ ResourcesPerPage: 0 })))).toMatchObject({
      name: 'InvalidParameterException',
      message: expect.stringMatching(/ResourcesPerPage/),
    });
    expect(
      await rejection(
        tagging.send(new GetResourcesCommand({ TagFilters: [{ Key: 'Cluster', Values: Array.from({ length: 21 }, (_, i) => `v${i}`) }] })),
      ),
    ).toMatchObject({ name: 'InvalidParameterException', message: expect.stringMatching(/at most 20 values/) });
    expect(
      await rejection(
        tagging.send(
          new GetResourcesCommand({
            ResourceARNList: ['arn:aws:ec2:eu-west-1:000000000000:instance/i-0b000000000000001'],
            TagFilters: [{ Key: 'Env' }],
          }),
        ),
      ),
    ).toMatchObject({
      name: 'InvalidParameterException',
    });
    expect(
      await rejection(tagging.send(new GetResourcesCommand({ TagFilters: [{ Key: 'Cluster' }], PaginationToken: 'not-a-token' }))),
    ).toMatchObject({ name: 'InvalidParameterException' });
  });

  it('discoverClustersByTag groups every page by the tag value, in name order, with instance counts', async () => {
    const found = await discoverClustersByTag(tagging, { tagKey: 'Cluster' });
    expect(found.clusters).toHaveLength(26);
    expect(found.clusters.slice(0, 2)).toEqual([
      { name: 'edge', instances: 1 },
      { name: 'pg-01', instances: 10 },
    ]);
    expect(found.clusters.at(-1)).toEqual({ name: 'pg-25', instances: 10 });
    expect(found.instances).toBe(251);
    expect(found.emptyValueInstances).toBe(1);

    const prod = await discoverClustersByTag(tagging, { tagKey: 'Cluster', tagFilters: [{ key: 'Env', values: ['prod'] }] });
    expect(prod.clusters.map((c) => c.name)).toEqual(['edge', ...Array.from({ length: 15 }, (_, i) => clusterName(i + 11))]);
  });
});

describe('groupInstancesByTag', () => {
  it('one cluster per trimmed value; instances without the key or with an empty value name no cluster', () => {
    const grouped = groupInstancesByTag(
      [
        { ResourceARN: 'a', Tags: [{ Key: 'Cluster', Value: 'b-2' }] },
        { ResourceARN: 'b', Tags: [{ Key: 'Cluster', Value: ' a-1 ' }] },
        { ResourceARN: 'c', Tags: [{ Key: 'Cluster', Value: 'b-2' }] },
        { ResourceARN: 'd', Tags: [{ Key: 'cluster', Value: 'lower-case key' }] },
        { ResourceARN: 'e', Tags: [{ Key: 'Cluster', Value: '  ' }] },
        { ResourceARN: 'f' },
      ],
      'Cluster',
    );
    expect(grouped).toEqual({
      clusters: [
        { name: 'a-1', instances: 1 },
        { name: 'b-2', instances: 2 },
      ],
      instances: 3,
      emptyValueInstances: 1,
    });
  });
});
