// The Resource Groups Tagging API's GetResources over the fleet's instances: how ssmflow discovers
// clusters by tag (DescribeInstanceInformation does not return tags). EC2-style ids (i-) are
// `ec2:instance` resources, hybrid ids (mi-) `ssm:managed-instance`, as in a real account.
import { type FleetContext, type JsonObject } from '../context.js';
import { FLEET_ACCOUNT_ID, SsmError } from '../errors.js';
import { field } from '../validation.js';
import { paginate } from './pagination.js';

/** X-Amz-Target prefix of the Resource Groups Tagging API (AWS JSON 1.1). */
export const TAGGING_TARGET_PREFIX = 'ResourceGroupsTaggingAPI_20170126.';

interface TagFilter {
  Key: string;
  Values: string[];
}

const invalid = (message: string) => new SsmError('InvalidParameterException', message);

function resourceOf(id: string, region: string): { arn: string; type: string } {
  return id.startsWith('mi-')
    ? { arn: `arn:aws:ssm:${region}:${FLEET_ACCOUNT_ID}:managed-instance/${id}`, type: 'ssm:managed-instance' }
    : { arn: `arn:aws:ec2:${region}:${FLEET_ACCOUNT_ID}:instance/${id}`, type: 'ec2:instance' };
}

function readTagFilters(body: JsonObject): TagFilter[] {
  const raw = field<unknown[]>(body, 'TagFilters', 'array') ?? [];
  if (raw.length > 50) throw invalid('TagFilters can contain at most 50 keys.');
  return raw.map((f, i) => {
    if (typeof f !== 'object' || f === null) throw new SsmError('SerializationException', `TagFilters[${i}] must be an object`);
    const { Key, Values } = f as { Key?: unknown; Values?: unknown };
    if (typeof Key !== 'string' || Key.length < 1 || Key.length > 128)
      throw invalid(`TagFilters[${i}].Key must be a tag key of 1 to 128 characters.`);
    if (Values !== undefined && (!Array.isArray(Values) || Values.some((v) => typeof v !== 'string'))) {
      throw new SsmError('SerializationException', `TagFilters[${i}].Values must be a list of strings`);
    }
    const values = (Values as string[] | undefined) ?? [];
    if (values.length > 20) throw invalid(`TagFilters[${i}] (${Key}) can contain at most 20 values.`);
    return { Key, Values: values };
  });
}

function matchesType(type: string, filters: string[]): boolean {
  if (filters.length === 0) return true;
  const [service] = type.split(':');
  return filters.some((f) => f === type || f === service);
}

export function getResources(ctx: FleetContext, body: JsonObject): JsonObject {
  const tagFilters = readTagFilters(body);
  const typeFilters = field<string[]>(body, 'ResourceTypeFilters', 'array') ?? [];
  const arnList = field<string[]>(body, 'ResourceARNList', 'array');
  const perPage = field<number>(body, 'ResourcesPerPage', 'number');
  const tagsPerPage = field<number>(body, 'TagsPerPage', 'number');
  if (typeFilters.some((t) => typeof t !== 'string' || !/^[a-z0-9-]+(:[a-zA-Z0-9-]+)?$/.test(t))) {
    throw invalid(`ResourceTypeFilters must be service[:resourceType] strings such as ec2:instance (got ${JSON.stringify(typeFilters)}).`);
  }
  if (perPage !== undefined && (!Number.isInteger(perPage) || perPage < 1 || perPage > 100))
    throw invalid('ResourcesPerPage must be between 1 and 100.');
  if (tagsPerPage !== undefined && (!Number.isInteger(tagsPerPage) || tagsPerPage < 100 || tagsPerPage > 500))
    throw invalid('TagsPerPage must be between 100 and 500.');
  if (perPage !== undefined && tagsPerPage !== undefined) throw invalid('You can specify ResourcesPerPage or TagsPerPage, but not both.');
  if (arnList !== undefined && (tagFilters.length > 0 || typeFilters.length > 0)) {
    throw invalid('ResourceARNList cannot be used together with TagFilters or ResourceTypeFilters.');
  }
  if (arnList !== undefined && (arnList.length < 1 || arnList.length > 100)) throw invalid('ResourceARNList must contain 1 to 100 ARNs.');

  const region = ctx.config.region;
  const mappings = ctx.instances.list
    .map((instance) => ({ ...resourceOf(instance.id, region), tags: instance.tags ?? {} }))
    .filter((r) => {
      if (arnList !== undefined) return arnList.includes(r.arn);
      // Resources that never had a tag are not listed, as in a real account.
      if (Object.keys(r.tags).length === 0) return false;
      if (!matchesType(r.type, typeFilters)) return false;
      return tagFilters.every((f) => f.Key in r.tags && (f.Values.length === 0 || f.Values.includes(r.tags[f.Key] as string)));
    })
    .map((r) => ({ ResourceARN: r.arn, Tags: Object.entries(r.tags).map(([Key, Value]) => ({ Key, Value })) }));

  const token = field<string>(body, 'PaginationToken', 'string');
  let page: typeof mappings;
  let nextToken: string | undefined;
  try {
    ({ page, nextToken } = paginate(mappings, { tagFilters, typeFilters, arnList }, perPage ?? 50, token === '' ? undefined : token));
  } catch {
    throw invalid('The PaginationToken is not valid for this request.');
  }
  // The service answers an empty string, not an absent token, on the last page.
  return { PaginationToken: nextToken ?? '', ResourceTagMappingList: page };
}
