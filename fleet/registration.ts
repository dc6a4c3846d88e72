// Instances registered while the fleet runs (`POST /_fleet/instances`, `fleet.registerInstances`):
// validated like config instances, persisted in the state dir so a restarted fleet still has them,
// and visible at once to targeting, DescribeInstanceInformation and GetResources.
import { join } from 'node:path';
import { FleetConfigError, type InstanceConfig, parseInstance, rejectDuplicateIds } from './config.js';
import { type FaultInjector } from './faults.js';
import { type FleetInstances } from './instances.js';
import { readJsonIfExists, writeJsonAtomicSync } from './persistence.js';

/** An instance as a caller registers it: the explicit form of a config file's `instances` entry. */
export interface InstanceRegistration {
  id: string;
  tags?: Record<string, string>;
  pingStatus?: InstanceConfig['pingStatus'];
  faults?: InstanceConfig['faults'];
}

const FILE = 'registered-instances.json';

/** Validates `{ "instances": [ { "id", "tags", … } ] }`; errors name the field (`instances[1].id`). */
export function parseRegistrationRequest(raw: unknown): InstanceConfig[] {
  if (typeof raw !== 'object' || raw === null || Array.isArray(raw))
    throw new FleetConfigError('(body)', 'must be a JSON object like { "instances": [ { "id": "i-…", "tags": { … } } ] }');
  const body = raw as Record<string, unknown>;
  for (const key of Object.keys(body)) {
    if (key !== 'instances') throw new FleetConfigError(key, 'unknown field (allowed: instances)');
  }
  return parseInstanceList(body.instances);
}

function parseInstanceList(v: unknown): InstanceConfig[] {
  if (!Array.isArray(v)) throw new FleetConfigError('instances', 'must be a list of { id, tags } objects');
  const parsed = v.map((entry, i) => parseInstance(entry, `instances[${i}]`));
  rejectDuplicateIds(parsed, 'instances');
  return parsed;
}

/** The instances registered at run time on this state dir, as they were last registered. */
export class RegisteredInstances {
  private readonly path: string;
  private readonly byId = new Map<string, InstanceConfig>();

  constructor(stateDir: string) {
    this.path = join(stateDir, FILE);
    const saved = readJsonIfExists<{ instances?: unknown }>(this.path);
    if (saved === undefined) return;
    try {
      for (const inst of parseInstanceList(saved.instances)) this.byId.set(inst.id, inst);
    } catch (err) {
      const problem = err instanceof FleetConfigError ? `${err.field}: ${err.problem}` : (err as Error).message;
      throw new FleetConfigError(this.path, `cannot read the registered instances (${problem}); fix or delete the file`);
    }
  }

  /** The config's instances with the registered ones on top: same id replaced in place, new ones last. */
  mergeInto(configured: readonly InstanceConfig[]): InstanceConfig[] {
    const merged = configured.map((inst) => this.byId.get(inst.id) ?? inst);
    const configuredIds = new Set(configured.map((inst) => inst.id));
    for (const inst of this.byId.values()) if (!configuredIds.has(inst.id)) merged.push(inst);
    return merged;
  }

  /**
   * Adds or replaces instances: on disk first (a failed write changes nothing), then for every
   * API call that follows. Their faults replace whatever faults those ids had.
   */
  register(instances: readonly InstanceConfig[], live: FleetInstances, faults: FaultInjector): void {
    const next = new Map(this.byId);
    // A re-registered id keeps its place in the file, so a restart lists instances in the order they ran with.
    for (const inst of instances) next.set(inst.id, inst);
    writeJsonAtomicSync(this.path, { instances: [...next.values()] });
    this.byId.clear();
    for (const [id, inst] of next) this.byId.set(id, inst);
    live.upsert(instances);
    if (instances.length > 0) faults.apply({ instances: Object.fromEntries(instances.map((inst) => [inst.id, inst.faults ?? null])) });
  }
}
