import { DescribeInstanceInformationCommand, type InstanceInformation, type SSMClient } from '@aws-sdk/client-ssm';
import type { CommandTargets } from './types.js';

/** Every managed instance a target selector matches (tag filters or ids), all pages. */
export async function describeInstances(ssm: SSMClient, targets: CommandTargets): Promise<InstanceInformation[]> {
  const filters =
    'instanceIds' in targets
      ? [{ Key: 'InstanceIds', Values: targets.instanceIds }]
      : Object.entries(targets.tags).map(([key, values]) => ({ Key: `tag:${key}`, Values: values }));
  const instances: InstanceInformation[] = [];
  let nextToken: string | undefined;
  do {
    const page = await ssm.send(new DescribeInstanceInformationCommand({ Filters: filters, MaxResults: 50, NextToken: nextToken }));
    instances.push(...(page.InstanceInformationList ?? []));
    nextToken = page.NextToken;
  } while (nextToken);
  return instances;
}
