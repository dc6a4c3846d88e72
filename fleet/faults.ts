import { type FaultConfig } from './config.js';

/** A small seeded PRNG (mulberry32) so fault decisions replay identically for the same seed. */
export function seededRandom(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

/** A runtime change of faults: `global` replaces the global faults; each instance entry replaces (or, with null, clears) that instance's. */
export interface FaultPatch {
  global?: FaultConfig | null;
  instances?: Record<string, FaultConfig | null>;
  /** Restart the random sequence, e.g. to make a throttling storm reproducible from this point. */
  seed?: number;
}

function throttleRate(throttle: FaultConfig['throttle'], operation: string): number {
  if (throttle === undefined) return 0;
  if (typeof throttle === 'number') return throttle;
  return throttle[operation] ?? throttle['*'] ?? 0;
}

/** Holds the global and per-instance faults, changeable while the fleet runs. */
export class FaultInjector {
  private global: FaultConfig;
  private readonly perInstance = new Map<string, FaultConfig>();
  private random: () => number;
  private readonly listeners: (() => void)[] = [];

  constructor(global: FaultConfig, perInstance: Iterable<[string, FaultConfig]>, seed: number) {
    this.global = global;
    for (const [id, f] of perInstance) this.perInstance.set(id, f);
    this.random = seededRandom(seed);
  }

  /** Called after every change, so waiting deliveries can be retried when an instance comes back. */
  onChange(listener: () => void): void {
    this.listeners.push(listener);
  }

  apply(patch: FaultPatch): void {
    if (patch.global !== undefined) this.global = patch.global ?? {};
    for (const [id, f] of Object.entries(patch.instances ?? {})) {
      if (f === null) this.perInstance.delete(id);
      else this.perInstance.set(id, f);
    }
    if (patch.seed !== undefined) this.random = seededRandom(patch.seed);
    for (const l of this.listeners) l();
  }

  /** The faults in force for one instance: its own settings override the global ones field by field. */
  forInstance(instanceId: string): FaultConfig {
    const own = this.perInstance.get(instanceId);
    return own ? { ...this.global, ...own } : this.global;
  }

  snapshot(): { global: FaultConfig; instances: Record<string, FaultConfig> } {
    return { global: this.global, instances: Object.fromEntries(this.perInstance) };
  }

  /** Decides whether this call is throttled: the global rate, or the highest rate of an instance it names. */
  shouldThrottle(operation: string, instanceIds: readonly string[]): boolean {
    let rate = throttleRate(this.global.throttle, operation);
    for (const id of instanceIds) rate = Math.max(rate, throttleRate(this.perInstance.get(id)?.throttle, operation));
    if (rate <= 0) return false;
    return this.random() < rate;
  }
}
