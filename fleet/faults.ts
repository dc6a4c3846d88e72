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

/** Fault fields that are a fraction of API calls, per operation or for all. */
type RateFault = 'throttle' | 'dropResponseAfterCommit';

function rateFor(rates: number | Record<string, number> | undefined, operation: string): number {
  if (rates === undefined) return 0;
  if (typeof rates === 'number') return rates;
  return rates[operation] ?? rates['*'] ?? 0;
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

  /** Draws a decision for a per-call fault: the global rate, or the highest rate of an instance the call names. */
  private decide(fault: RateFault, operation: string, instanceIds: readonly string[]): boolean {
    let rate = rateFor(this.global[fault], operation);
    for (const id of instanceIds) rate = Math.max(rate, rateFor(this.perInstance.get(id)?.[fault], operation));
    // No draw when the fault is off, so enabling one fault does not shift another's sequence.
    if (rate <= 0) return false;
    return this.random() < rate;
  }

  /** Decides whether this call is throttled. */
  shouldThrottle(operation: string, instanceIds: readonly string[]): boolean {
    return this.decide('throttle', operation, instanceIds);
  }

  /** Decides whether this call's response is lost after the operation has committed. */
  shouldDropResponse(operation: string, instanceIds: readonly string[]): boolean {
    return this.decide('dropResponseAfterCommit', operation, instanceIds);
  }

  /** A new command's delay before ListCommands lists it: seeded, in [0, listingLagMs]; 0 without drawing when off. */
  commandListingLag(): number {
    return this.lag(this.global.listingLagMs);
  }

  /** An invocation's extra delay before it is visible: seeded, in [0, invocationListingLagMs]; 0 without drawing when off. */
  invocationListingLag(): number {
    return this.lag(this.global.invocationListingLagMs);
  }

  private lag(max: number | undefined): number {
    if (max === undefined || max <= 0) return 0;
    return Math.round(this.random() * max);
  }
}
