// The lock table of the target-lock registry: which run holds which instances, who waits, and what
// happened. Pure and deterministic; the registry workflow (target-lock-registry.ts) owns one and
// applies every acquire and release to it one at a time, which is what makes locks race-free.

/** A run asking for its targets. `holder` is the run id (its workflow id). */
export interface LockRequest {
  holder: string;
  /** The Temporal run id of the holder, once known (a CLI acquiring before the start has none). */
  temporalRunId?: string;
  instanceIds: string[];
  /** Queue behind the current holders instead of being refused. */
  wait: boolean;
  runbook?: string;
  initiator?: string;
}

/** A holder, or a waiter in the queue. `since`: when granted (holder) or queued (waiter). */
export interface LockEntry {
  holder: string;
  temporalRunId?: string;
  instanceIds: string[];
  runbook?: string;
  initiator?: string;
  since: string;
}

export type LockEventKind = 'granted' | 'queued' | 'refused' | 'released' | 'freed-gone' | 'force-released';

export interface LockEvent {
  at: string;
  event: LockEventKind;
  holder: string;
  instanceIds: string[];
  /** Who forced a release, or the registry for a gone holder. */
  by?: string;
  reason?: string;
}

export interface LockTableState {
  holders: LockEntry[];
  /** First come, first served. */
  waiters: LockEntry[];
  /** The newest events, oldest first (capped at maxLockEvents). */
  events: LockEvent[];
}

/** A blocker as the refused or queued run learns it: the run that holds (or waits for) its instances. */
export interface LockBlocker extends LockEntry {
  /** Only the instances both want. */
  overlap: string[];
  /** True when the blocker is itself still waiting, ahead in the queue. */
  waiting: boolean;
}

export type AcquireAnswer =
  | { outcome: 'granted'; instanceIds: string[] }
  | { outcome: 'queued'; instanceIds: string[]; blockers: LockBlocker[] }
  | { outcome: 'refused'; instanceIds: string[]; blockers: LockBlocker[] };

export interface ReleaseAnswer {
  /** The instances the holder had (none when it held nothing: release is idempotent). */
  released: string[];
  /** Waiters granted because of this release; the registry wakes each. */
  granted: LockEntry[];
}

/** Refuses an acquire without a holder or instances, naming what is missing. */
export function checkAcquireRequest(request: LockRequest): void {
  if (!request?.holder?.trim()) throw new Error('acquireTargetLock needs "holder": the run id');
  if (!Array.isArray(request.instanceIds) || request.instanceIds.length === 0)
    throw new Error(`acquireTargetLock for ${request.holder} needs "instanceIds": the instances to lock`);
}

export const maxLockEvents = 200;

export function emptyLockTable(): LockTableState {
  return { holders: [], waiters: [], events: [] };
}

export class LockTable {
  readonly state: LockTableState;

  constructor(state: LockTableState = emptyLockTable()) {
    this.state = state;
  }

  hasEntries(): boolean {
    return this.state.holders.length > 0 || this.state.waiters.length > 0;
  }

  holding(holder: string): LockEntry | undefined {
    return this.state.holders.find((h) => h.holder === holder);
  }

  /** The holder of an instance, if any. */
  holderOf(instanceId: string): LockEntry | undefined {
    return this.state.holders.find((h) => h.instanceIds.includes(instanceId));
  }

  /**
   * All or nothing: grants every instance, or none. Idempotent for the same holder (a retried
   * activity, a run whose CLI acquired for it before it started). A request is granted only when
   * no holder and no earlier waiter wants any of its instances, so waiters are never starved.
   */
  acquire(request: LockRequest, now: string): AcquireAnswer {
    const held = this.holding(request.holder);
    if (held && request.temporalRunId) held.temporalRunId = request.temporalRunId;
    const wanted = [...new Set(request.instanceIds)].sort();
    const missing = wanted.filter((id) => !held?.instanceIds.includes(id));
    if (held && missing.length === 0) return { outcome: 'granted', instanceIds: held.instanceIds };
    const blockers = this.blockersOf(request.holder, missing);
    if (blockers.length === 0) {
      this.grant({ ...entryOf(request, now), instanceIds: wanted }, now);
      return { outcome: 'granted', instanceIds: this.holding(request.holder)?.instanceIds ?? wanted };
    }
    if (!request.wait) {
      this.record({ at: now, event: 'refused', holder: request.holder, instanceIds: wanted, reason: describeBlockers(blockers) });
      return { outcome: 'refused', instanceIds: wanted, blockers };
    }
    const queued = this.state.waiters.find((w) => w.holder === request.holder);
    if (queued) {
      queued.instanceIds = wanted;
      if (request.temporalRunId) queued.temporalRunId = request.temporalRunId;
    } else {
      this.state.waiters.push({ ...entryOf(request, now), instanceIds: wanted });
      this.record({ at: now, event: 'queued', holder: request.holder, instanceIds: wanted, reason: describeBlockers(blockers) });
    }
    return { outcome: 'queued', instanceIds: wanted, blockers };
  }

  /**
   * Frees what `holder` holds and takes it out of the queue; grants the waiters that can go now.
   * Idempotent: releasing a holder that holds nothing changes nothing and records nothing.
   */
  release(
    holder: string,
    now: string,
    how: { event?: 'released' | 'freed-gone' | 'force-released'; by?: string; reason?: string } = {},
  ): ReleaseAnswer {
    const held = this.holding(holder);
    const queued = this.state.waiters.find((w) => w.holder === holder);
    if (!held && !queued) return { released: [], granted: [] };
    this.state.holders = this.state.holders.filter((h) => h.holder !== holder);
    this.state.waiters = this.state.waiters.filter((w) => w.holder !== holder);
    this.record({
      at: now,
      event: how.event ?? 'released',
      holder,
      instanceIds: held?.instanceIds ?? queued?.instanceIds ?? [],
      ...(how.by ? { by: how.by } : {}),
      ...(how.reason ? { reason: how.reason } : {}),
    });
    return { released: held?.instanceIds ?? [], granted: this.grantWaiters(now) };
  }

  /** Grants, in queue order, every waiter that no holder and no earlier waiter blocks. */
  grantWaiters(now: string): LockEntry[] {
    const granted: LockEntry[] = [];
    for (const waiter of [...this.state.waiters]) {
      if (this.blockersOf(waiter.holder, waiter.instanceIds).length) continue;
      this.state.waiters = this.state.waiters.filter((w) => w !== waiter);
      this.grant({ ...waiter, since: now }, now);
      granted.push(waiter);
    }
    return granted;
  }

  /** The holders, and the waiters ahead of `holder` in the queue, that want any of `instanceIds`. */
  blockersOf(holder: string, instanceIds: readonly string[]): LockBlocker[] {
    const position = this.state.waiters.findIndex((w) => w.holder === holder);
    const ahead = position === -1 ? this.state.waiters : this.state.waiters.slice(0, position);
    const blockers: LockBlocker[] = [];
    for (const [entries, waiting] of [
      [this.state.holders, false],
      [ahead, true],
    ] as const) {
      for (const entry of entries) {
        if (entry.holder === holder) continue;
        const overlap = entry.instanceIds.filter((id) => instanceIds.includes(id));
        if (overlap.length) blockers.push({ ...entry, overlap, waiting });
      }
    }
    return blockers;
  }

  private grant(entry: LockEntry, now: string): void {
    const held = this.holding(entry.holder);
    if (held) {
      held.instanceIds = [...new Set([...held.instanceIds, ...entry.instanceIds])].sort();
      if (entry.temporalRunId) held.temporalRunId = entry.temporalRunId;
    } else {
      this.state.holders.push(entry);
    }
    this.state.waiters = this.state.waiters.filter((w) => w.holder !== entry.holder);
    this.record({ at: now, event: 'granted', holder: entry.holder, instanceIds: entry.instanceIds });
  }

  private record(event: LockEvent): void {
    this.state.events.push(event);
    if (this.state.events.length > maxLockEvents) this.state.events.splice(0, this.state.events.length - maxLockEvents);
  }
}

function entryOf(request: LockRequest, now: string): LockEntry {
  return {
    holder: request.holder,
    ...(request.temporalRunId ? { temporalRunId: request.temporalRunId } : {}),
    instanceIds: request.instanceIds,
    ...(request.runbook ? { runbook: request.runbook } : {}),
    ...(request.initiator ? { initiator: request.initiator } : {}),
    since: now,
  };
}

/** "held by run-a (i-1, i-2); queued before by run-b (i-3)" */
export function describeBlockers(blockers: readonly LockBlocker[]): string {
  return blockers.map((b) => `${b.waiting ? 'queued before by' : 'held by'} ${b.holder} (${b.overlap.join(', ')})`).join('; ');
}

/** What the registry learned about a holder's workflow execution (describeLockHolders). */
export interface HolderExecution {
  holder: string;
  /** open: running (possibly a newer run of the same id, e.g. after a reset); not-found: never started or deleted. */
  state: 'open' | 'closed' | 'not-found';
  /** Temporal's close status (TERMINATED, COMPLETED, ...) for a closed one. */
  closeStatus?: string;
}

/**
 * A CLI acquires for a run before starting it, so a holder not found yet may be about to start:
 * it is gone only once this grace has passed since it acquired.
 */
export const notStartedGraceMs = 2 * 60_000;

/**
 * The entries whose run can no longer release: its execution closed (terminated, timed out, or
 * ended by code that never released), or it never started within the grace. An execution still
 * open under the holder id keeps the lock even when its Temporal run id changed: a reset run goes
 * on with the steps of the run it replaced, so its targets must stay locked.
 */
export function goneEntries(
  entries: readonly LockEntry[],
  executions: readonly HolderExecution[],
  nowMs: number,
): { entry: LockEntry; reason: string }[] {
  const gone: { entry: LockEntry; reason: string }[] = [];
  for (const entry of entries) {
    const execution = executions.find((e) => e.holder === entry.holder);
    if (!execution || execution.state === 'open') continue;
    if (execution.state === 'closed') {
      gone.push({ entry, reason: `run ${entry.holder} has ended (${execution.closeStatus ?? 'closed'}) without releasing its lock` });
    } else if (nowMs - Date.parse(entry.since) >= notStartedGraceMs) {
      gone.push({ entry, reason: `run ${entry.holder} does not exist (it never started, or was deleted)` });
    }
  }
  return gone;
}
