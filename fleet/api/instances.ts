import { type FleetContext, type JsonObject } from '../context.js';
import { SsmError } from '../errors.js';
import { invalidInstances } from '../targets.js';
import { ConstraintCheck, field } from '../validation.js';
import { paginate } from './pagination.js';

const FILTER_KEYS = [
  'ActivationIds',
  'AgentVersion',
  'AssociationStatus',
  'IamRole',
  'InstanceIds',
  'PingStatus',
  'PlatformTypes',
  'ResourceType',
  'SourceIds',
  'SourceTypes',
  'tag-key',
];
const LEGACY_KEYS = [
  'InstanceIds',
  'AgentVersion',
  'PingStatus',
  'PlatformTypes',
  'ActivationIds',
  'IamRole',
  'ResourceType',
  'AssociationStatus',
];

interface InstanceFilter {
  key: string;
  values: string[];
}

export function describeInstanceInformation(ctx: FleetContext, body: JsonObject): JsonObject {
  const filtersRaw = field<{ Key?: string; Values?: string[] }[]>(body, 'Filters', 'array');
  const legacyRaw = field<{ key?: string; valueSet?: string[] }[]>(body, 'InstanceInformationFilterList', 'array');
  const max = field<number>(body, 'MaxResults', 'number');
  const check = new ConstraintCheck()
    .range(max, 'maxResults', 5, 50)
    .count(filtersRaw, 'filters', 0, 200)
    .count(legacyRaw, 'instanceInformationFilterList', 0, 200);
  (filtersRaw ?? []).forEach((f, i) => check.count(f.Values ?? [], `filters.${i + 1}.member.values`, 1, 100));
  check.done();
  if (filtersRaw && legacyRaw) {
    throw new SsmError('ValidationException', 'InstanceInformationFilterList and Filters cannot be used together.');
  }
  const filters: InstanceFilter[] = [];
  for (const f of filtersRaw ?? []) {
    const key = f.Key ?? '';
    if (!key.startsWith('tag:') && !FILTER_KEYS.includes(key))
      throw new SsmError('InvalidFilterKey', `The filter key ${key} is not valid.`);
    filters.push({ key, values: f.Values ?? [] });
  }
  for (const f of legacyRaw ?? []) {
    const key = f.key ?? '';
    if (!LEGACY_KEYS.includes(key)) throw new SsmError('InvalidFilterKey', `The filter key ${key} is not valid.`);
    filters.push({ key, values: f.valueSet ?? [] });
  }
  const tagFilters = filters.filter((f) => f.key.startsWith('tag:') || f.key === 'tag-key');
  if (tagFilters.length > 0 && tagFilters.length < filters.length) {
    throw new SsmError('InvalidFilterKey', 'Tag filters cannot be combined with other filter types.');
  }
  let ids = ctx.instances.list.map((i) => i.id);
  for (const f of filters) {
    if (f.key === 'InstanceIds') {
      const unknown = f.values.filter((id) => !ctx.instances.has(id));
      if (unknown.length > 0) throw invalidInstances(unknown);
    }
    if (f.key === 'PingStatus' && f.values.some((v) => !['Online', 'ConnectionLost', 'Inactive'].includes(v))) {
      throw new SsmError('InvalidInstanceInformationFilterValue', `PingStatus values must be Online, ConnectionLost or Inactive.`);
    }
    ids = ids.filter((id) => {
      const info = ctx.instances.describe(id);
      const tags = ctx.instances.get(id)?.tags ?? {};
      switch (f.key) {
        case 'InstanceIds':
        case 'SourceIds':
          return f.values.includes(id);
        case 'PingStatus':
          return f.values.includes(String(info.PingStatus));
        case 'PlatformTypes':
          return f.values.includes('Linux');
        case 'ResourceType':
          return f.values.includes(String(info.ResourceType));
        case 'SourceTypes':
          return f.values.includes(String(info.SourceType));
        case 'AgentVersion':
          return f.values.includes(String(info.AgentVersion));
        case 'tag-key':
          return f.values.some((k) => k in tags);
        default:
          if (f.key.startsWith('tag:')) {
            const v = tags[f.key.slice(4)];
            return v !== undefined && f.values.includes(v);
          }
          // ActivationIds, IamRole, AssociationStatus: fleet instances have none.
          return false;
      }
    });
  }
  const { page, nextToken } = paginate(ids, { filters }, max ?? 10, field<string>(body, 'NextToken', 'string'));
  return { InstanceInformationList: page.map((id) => ctx.instances.describe(id)), ...(nextToken ? { NextToken: nextToken } : {}) };
}
