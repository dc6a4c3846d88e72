import { readFileSync } from 'node:fs';
import { parse as parseYaml } from 'yaml';
import { INSTANCE_ID_PATTERN } from './validation.js';

/** Faults injected into one instance (or, as global faults, into every instance). */
export interface FaultConfig {
  /** The instance's agent is unreachable: PingStatus ConnectionLost, nothing is delivered. */
  offline?: boolean;
  /**
   * Fraction (0..1) of API calls answered with ThrottlingException: one number for every
   * operation, or per operation name (`SendCommand`, `GetCommandInvocation`, … and `*`).
   * Per-instance throttling applies to calls that name the instance (InstanceId / InstanceIds).
   */
  throttle?: number | Record<string, number>;
  /** Extra time a command spends Pending before the agent receives it. */
  deliveryDelayMs?: number;
  /** The agent restarts this long after a step's process started, killing that process. */
  agentRestart?: { afterMs: number };
  /** Time between delivery (InProgress) and the process actually starting. */
  slowStartMs?: number;
  /**
   * Fraction (0..1) of API calls whose response is lost: the operation runs and commits (a
   * SendCommand creates and dispatches its command), then the connection is destroyed without
   * an answer, so the client sees a socket hang up / ECONNRESET. One number for every operation
   * or per operation name (and `*`), as `throttle`. Per-instance rates apply to calls naming the
   * instance. Calls that fail answer their error as usual (nothing was committed).
   */
  dropResponseAfterCommit?: number | Record<string, number>;
  /**
   * Global only. Maximum time a new command stays absent from ListCommands listings (queries
   * without CommandId): each command gets a seeded random lag in [0, listingLagMs] at creation.
   */
  listingLagMs?: number;
  /**
   * Global only. Maximum extra time, a seeded random amount per invocation in [0, N], added to
   * the invocation's visibility (after invocationVisibilityDelayMs): until then it is missing
   * from ListCommandInvocations and GetCommandInvocation answers InvocationDoesNotExist, even
   * if it has already run and the command is complete.
   */
  invocationListingLagMs?: number;
}

/** Faults that only make sense for the whole service, not per instance. */
export const GLOBAL_ONLY_FAULTS = ['listingLagMs', 'invocationListingLagMs'] as const;

export type PingStatus = 'Online' | 'ConnectionLost' | 'Inactive';

export interface InstanceConfig {
  id: string;
  tags: Record<string, string>;
  pingStatus: PingStatus;
  faults?: FaultConfig;
}

export interface ParameterConfig {
  name: string;
  type: 'String' | 'StringList' | 'SecureString';
  value: string;
}

export interface DocumentConfig {
  name: string;
  /** A schema 2.2 Command document, as a JSON/YAML string or an already parsed object. */
  content: string | Record<string, unknown>;
}

export interface FleetConfig {
  instances: InstanceConfig[];
  documents: DocumentConfig[];
  parameters: ParameterConfig[];
  faults: FaultConfig;
  seed: number;
  region: string;
  maxRunningProcesses: number;
  invocationVisibilityDelayMs: number;
  /**
   * Test-only: wall-clock milliseconds per SSM "second" for TimeoutSeconds and execution
   * timeouts (1000 = real time). 10 makes the API minimum TimeoutSeconds=30 expire in 0.3 s.
   */
  millisPerSecond: number;
  /** S3 endpoint for command output; AWS_ENDPOINT_URL_S3 when absent. */
  s3Endpoint?: string;
}

export class FleetConfigError extends Error {
  constructor(
    /** The offending field, e.g. `instances[3].id`. */
    readonly field: string,
    /** What is wrong with it, without the field. */
    readonly problem: string,
  ) {
    super(`fleet config: ${field}: ${problem}`);
    this.name = 'FleetConfigError';
  }
}

type Json = Record<string, unknown>;

const isObject = (v: unknown): v is Json => typeof v === 'object' && v !== null && !Array.isArray(v);

function expectObject(v: unknown, field: string): Json {
  if (!isObject(v)) throw new FleetConfigError(field, 'must be a mapping');
  return v;
}

function optionalNumber(o: Json, key: string, field: string, min: number, max = Number.MAX_SAFE_INTEGER): number | undefined {
  const v = o[key];
  if (v === undefined) return undefined;
  if (typeof v !== 'number' || !Number.isFinite(v) || v < min || v > max) {
    throw new FleetConfigError(`${field}.${key}`, `must be a number between ${min} and ${max}`);
  }
  return v;
}

function checkKeys(o: Json, allowed: readonly string[], field: string): void {
  for (const key of Object.keys(o)) {
    if (!allowed.includes(key)) throw new FleetConfigError(`${field}.${key}`, `unknown field (allowed: ${allowed.join(', ')})`);
  }
}

/** A fraction for every operation (one number) or per operation name, as `throttle` takes it. */
function parseRates(v: unknown, field: string): number | Record<string, number> {
  const rate = (x: unknown, f: string): number => {
    if (typeof x !== 'number' || !(x >= 0 && x <= 1)) throw new FleetConfigError(f, 'must be a fraction between 0 and 1');
    return x;
  };
  if (typeof v === 'number') return rate(v, field);
  if (!isObject(v)) throw new FleetConfigError(field, 'must be a fraction between 0 and 1, or a mapping of operation names to fractions');
  const per = v;
  return Object.fromEntries(Object.entries(per).map(([op, x]) => [op, rate(x, `${field}.${op}`)]));
}

/**
 * Validates a fault config. `scope` is `instance` for an instance's own faults, which may not set
 * the service-wide ones (GLOBAL_ONLY_FAULTS).
 */
export function parseFaults(v: unknown, field: string, scope: 'global' | 'instance' = 'global'): FaultConfig {
  const o = expectObject(v, field);
  checkKeys(
    o,
    [
      'offline',
      'throttle',
      'deliveryDelayMs',
      'agentRestart',
      'slowStartMs',
      'dropResponseAfterCommit',
      'listingLagMs',
      'invocationListingLagMs',
    ],
    field,
  );
  if (scope === 'instance') {
    for (const key of GLOBAL_ONLY_FAULTS) {
      if (o[key] !== undefined)
        throw new FleetConfigError(`${field}.${key}`, 'is a global fault only (set it in the global faults, not per instance)');
    }
  }
  const faults: FaultConfig = {};
  if (o.offline !== undefined) {
    if (typeof o.offline !== 'boolean') throw new FleetConfigError(`${field}.offline`, 'must be true or false');
    faults.offline = o.offline;
  }
  if (o.throttle !== undefined) faults.throttle = parseRates(o.throttle, `${field}.throttle`);
  if (o.dropResponseAfterCommit !== undefined)
    faults.dropResponseAfterCommit = parseRates(o.dropResponseAfterCommit, `${field}.dropResponseAfterCommit`);
  const delay = optionalNumber(o, 'deliveryDelayMs', field, 0);
  if (delay !== undefined) faults.deliveryDelayMs = delay;
  const slow = optionalNumber(o, 'slowStartMs', field, 0);
  if (slow !== undefined) faults.slowStartMs = slow;
  const listingLag = optionalNumber(o, 'listingLagMs', field, 0);
  if (listingLag !== undefined) faults.listingLagMs = listingLag;
  const invocationLag = optionalNumber(o, 'invocationListingLagMs', field, 0);
  if (invocationLag !== undefined) faults.invocationListingLagMs = invocationLag;
  if (o.agentRestart !== undefined) {
    const r = expectObject(o.agentRestart, `${field}.agentRestart`);
    checkKeys(r, ['afterMs'], `${field}.agentRestart`);
    const afterMs = optionalNumber(r, 'afterMs', `${field}.agentRestart`, 0);
    if (afterMs === undefined) throw new FleetConfigError(`${field}.agentRestart.afterMs`, 'is required');
    faults.agentRestart = { afterMs };
  }
  return faults;
}

function parseTags(v: unknown, field: string): Record<string, string> {
  if (v === undefined) return {};
  const o = expectObject(v, field);
  const tags: Record<string, string> = {};
  for (const [k, value] of Object.entries(o)) {
    if (typeof value !== 'string' && typeof value !== 'number' && typeof value !== 'boolean') {
      throw new FleetConfigError(`${field}.${k}`, 'tag values must be strings');
    }
    tags[k] = String(value);
  }
  return tags;
}

function parsePingStatus(v: unknown, field: string): PingStatus {
  if (v === undefined) return 'Online';
  if (v === 'Online' || v === 'ConnectionLost' || v === 'Inactive') return v;
  throw new FleetConfigError(field, 'must be Online, ConnectionLost or Inactive');
}

/** Instance ids for the compact `{ count, idPrefix }` form: the prefix, then a zero-padded index. */
function generatedIds(count: number, idPrefix: string, field: string): string[] {
  const kind = idPrefix.startsWith('mi-') ? 'mi-' : idPrefix.startsWith('i-') ? 'i-' : undefined;
  if (!kind) throw new FleetConfigError(`${field}.idPrefix`, "must start with 'i-' or 'mi-'");
  const width = 17 - (idPrefix.length - kind.length);
  if (width < String(count).length || !/^\w*$/.test(idPrefix.slice(kind.length))) {
    throw new FleetConfigError(`${field}.idPrefix`, `leaves no room for ${count} ids of 17 word characters after '${kind}'`);
  }
  return Array.from({ length: count }, (_, i) => idPrefix + String(i + 1).padStart(width, '0'));
}

function parseInstances(v: unknown): InstanceConfig[] {
  if (v === undefined) return [];
  if (!Array.isArray(v)) throw new FleetConfigError('instances', 'must be a list');
  const out: InstanceConfig[] = [];
  v.forEach((entry, i) => {
    const field = `instances[${i}]`;
    const o = expectObject(entry, field);
    if (o.count !== undefined) {
      const faults = o.faults === undefined ? undefined : parseFaults(o.faults, `${field}.faults`, 'instance');
      const pingStatus = parsePingStatus(o.pingStatus, `${field}.pingStatus`);
      checkKeys(o, ['count', 'idPrefix', 'tags', 'pingStatus', 'faults'], field);
      const count = optionalNumber(o, 'count', field, 1, 100_000) ?? 0;
      if (!Number.isInteger(count)) throw new FleetConfigError(`${field}.count`, 'must be a whole number');
      if (o.idPrefix !== undefined && typeof o.idPrefix !== 'string') throw new FleetConfigError(`${field}.idPrefix`, 'must be a string');
      const prefix = (o.idPrefix as string | undefined) ?? `i-0f1ee7${i.toString(16).padStart(2, '0')}`;
      generatedIds(count, prefix, field).forEach((id, n) => {
        // `{index}` in a tag value becomes the instance's 1-based position, e.g. Name: node-{index}.
        const tags = Object.fromEntries(
          Object.entries(parseTags(o.tags, `${field}.tags`)).map(([k, t]) => [k, t.replaceAll('{index}', String(n + 1))]),
        );
        out.push({ id, tags, pingStatus, ...(faults ? { faults } : {}) });
      });
      return;
    }
    out.push(parseInstance(o, field));
  });
  rejectDuplicateIds(out, 'instances');
  return out;
}

/**
 * One instance in the explicit form `{ id, tags?, pingStatus?, faults? }`, as a config file lists
 * it and as `POST /_fleet/instances` registers it; errors name `field` (e.g. `instances[2]`).
 */
export function parseInstance(entry: unknown, field: string): InstanceConfig {
  const o = expectObject(entry, field);
  checkKeys(o, ['id', 'tags', 'pingStatus', 'faults'], field);
  if (typeof o.id !== 'string' || !INSTANCE_ID_PATTERN.test(o.id)) {
    throw new FleetConfigError(
      `${field}.id`,
      `'${String(o.id)}' is not a valid instance id (i- with 8 or 17 word characters, or mi- with 17)`,
    );
  }
  const faults = o.faults === undefined ? undefined : parseFaults(o.faults, `${field}.faults`, 'instance');
  const pingStatus = parsePingStatus(o.pingStatus, `${field}.pingStatus`);
  return { id: o.id, tags: parseTags(o.tags, `${field}.tags`), pingStatus, ...(faults ? { faults } : {}) };
}

/** An instance id may appear once in a list of instances. */
export function rejectDuplicateIds(instances: readonly InstanceConfig[], field: string): void {
  const seen = new Set<string>();
  for (const inst of instances) {
    if (seen.has(inst.id)) throw new FleetConfigError(field, `duplicate instance id ${inst.id}`);
    seen.add(inst.id);
  }
}

function parseDocuments(v: unknown): DocumentConfig[] {
  if (v === undefined) return [];
  if (!Array.isArray(v)) throw new FleetConfigError('documents', 'must be a list');
  return v.map((entry, i) => {
    const o = expectObject(entry, `documents[${i}]`);
    checkKeys(o, ['name', 'content'], `documents[${i}]`);
    if (typeof o.name !== 'string') throw new FleetConfigError(`documents[${i}].name`, 'must be a string');
    if (typeof o.content !== 'string' && !isObject(o.content))
      throw new FleetConfigError(`documents[${i}].content`, 'must be a string or a mapping');
    return { name: o.name, content: o.content };
  });
}

function parseParameters(v: unknown): ParameterConfig[] {
  if (v === undefined) return [];
  if (!Array.isArray(v)) throw new FleetConfigError('parameters', 'must be a list');
  return v.map((entry, i) => {
    const field = `parameters[${i}]`;
    const o = expectObject(entry, field);
    checkKeys(o, ['name', 'type', 'value'], field);
    if (typeof o.name !== 'string' || o.name === '') throw new FleetConfigError(`${field}.name`, 'must be a non-empty string');
    const type = o.type ?? 'String';
    if (type !== 'String' && type !== 'StringList' && type !== 'SecureString') {
      throw new FleetConfigError(`${field}.type`, 'must be String, StringList or SecureString');
    }
    const value = Array.isArray(o.value) && type === 'StringList' ? o.value.map(String).join(',') : o.value;
    if (typeof value !== 'string' && typeof value !== 'number') throw new FleetConfigError(`${field}.value`, 'must be a string');
    return { name: o.name, type, value: String(value) };
  });
}

/** Validates a parsed config object; every error names the offending field. */
export function parseFleetConfig(raw: unknown): FleetConfig {
  const o = raw === null || raw === undefined ? {} : expectObject(raw, '(root)');
  checkKeys(
    o,
    [
      'instances',
      'documents',
      'parameters',
      'faults',
      'seed',
      'region',
      'maxRunningProcesses',
      'invocationVisibilityDelayMs',
      'millisPerSecond',
      's3Endpoint',
    ],
    'config',
  );
  if (o.region !== undefined && (typeof o.region !== 'string' || !/^[a-z]{2}(-[a-z]+)+-\d+$/.test(o.region))) {
    throw new FleetConfigError('region', `'${String(o.region)}' is not a region name like us-east-1`);
  }
  if (o.s3Endpoint !== undefined && typeof o.s3Endpoint !== 'string') throw new FleetConfigError('s3Endpoint', 'must be a URL');
  const config: FleetConfig = {
    instances: parseInstances(o.instances),
    documents: parseDocuments(o.documents),
    parameters: parseParameters(o.parameters),
    faults: o.faults === undefined ? {} : parseFaults(o.faults, 'faults'),
    seed: optionalNumber(o, 'seed', 'config', 0) ?? 1,
    region: (o.region as string | undefined) ?? 'us-east-1',
    maxRunningProcesses: optionalNumber(o, 'maxRunningProcesses', 'config', 1, 4096) ?? 32,
    invocationVisibilityDelayMs: optionalNumber(o, 'invocationVisibilityDelayMs', 'config', 0) ?? 300,
    millisPerSecond: optionalNumber(o, 'millisPerSecond', 'config', 1) ?? 1000,
  };
  if (typeof o.s3Endpoint === 'string') config.s3Endpoint = o.s3Endpoint;
  return config;
}

export function loadFleetConfig(path: string): FleetConfig {
  let raw: unknown;
  try {
    raw = parseYaml(readFileSync(path, 'utf8'));
  } catch (err) {
    throw new FleetConfigError(path, `cannot read YAML: ${(err as Error).message}`);
  }
  return parseFleetConfig(raw);
}
