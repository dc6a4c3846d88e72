// Finding a rollout's clusters by tag. SSM's instance listing carries no tags, so discovery asks
// the Resource Groups Tagging API for EC2 instances and hybrid managed instances with the tag key
// and groups them by its value: one cluster per value, as `Targets: tag:<key>=<value>` addresses it.
import {
  paginateGetResources,
  type ResourceGroupsTaggingAPIClient,
  type ResourceTagMapping,
} from '@aws-sdk/client-resource-groups-tagging-api';

export interface ClusterDiscoveryRequest {
  /** The tag whose value names the cluster, e.g. `Cluster`. */
  tagKey: string;
  /** Further tags an instance must carry, e.g. `{ key: 'Env', values: ['prod'] }` (any of the values). */
  tagFilters?: { key: string; values: string[] }[];
}

export interface DiscoveredCluster {
  name: string;
  instances: number;
}

export interface ClusterDiscoveryResult {
  tagKey: string;
  /** Sorted by name, so the same fleet always gives the same waves and canary. */
  clusters: DiscoveredCluster[];
  instances: number;
  /** Instances whose tag value is empty: they name no cluster and are left out. */
  emptyValueInstances: number;
}

/** Instance resource types SSM Run Command can target. */
export const INSTANCE_RESOURCE_TYPES = ['ec2:instance', 'ssm:managed-instance'];

/** Groups tagged instances by the value of `tagKey`. */
export function groupInstancesByTag(mappings: ResourceTagMapping[], tagKey: string): Omit<ClusterDiscoveryResult, 'tagKey'> {
  const counts = new Map<string, number>();
  let emptyValueInstances = 0;
  for (const mapping of mappings) {
    const value = mapping.Tags?.find((t) => t.Key === tagKey)?.Value?.trim();
    if (value === undefined) continue;
    if (value === '') {
      emptyValueInstances += 1;
      continue;
    }
    counts.set(value, (counts.get(value) ?? 0) + 1);
  }
  const clusters = [...counts.entries()]
    .map(([name, instances]) => ({ name, instances }))
    .sort((a, b) => (a.name < b.name ? -1 : a.name > b.name ? 1 : 0));
  return { clusters, instances: clusters.reduce((sum, c) => sum + c.instances, 0), emptyValueInstances };
}

/** Lists every instance carrying the tag (and the extra filters), page by page, and groups them. */
export async function discoverClustersByTag(
  tagging: ResourceGroupsTaggingAPIClient,
  request: ClusterDiscoveryRequest,
): Promise<ClusterDiscoveryResult> {
  const mappings: ResourceTagMapping[] = [];
  const pages = paginateGetResources(
    { client: tagging, pageSize: 100 },
    {
      TagFilters: [{ Key: request.tagKey }, ...(request.tagFilters ?? []).map((f) => ({ Key: f.key, Values: f.values }))],
      ResourceTypeFilters: INSTANCE_RESOURCE_TYPES,
    },
  );
  for await (const page of pages) mappings.push(...(page.ResourceTagMappingList ?? []));
  return { tagKey: request.tagKey, ...groupInstancesByTag(mappings, request.tagKey) };
}
