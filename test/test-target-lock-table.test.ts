// The lock table alone: all-or-nothing grants, the FIFO queue, idempotent acquire and release, and
// which holders count as gone. The registry workflow applies exactly these decisions.
import { describe, expect, it } from 'vitest';
import { goneEntries, LockTable, maxLockEvents, notStartedGraceMs, type LockRequest } from '../workflows/target-lock-table.js';

const t0 = '2025-06-07T02:00:00.000Z';
const t1 = '2025-06-07T02:05:00.000Z';
const request = (holder: string, instanceIds: string[], wait = false): LockRequest => ({ holder, instanceIds, wait, runbook: 'rb' });

describe('target lock table', () => {
  it('grants disjoint runs, refuses an overlapping one naming the holder and the shared instances, and changes nothing for it', () => {
    const table = new LockTable();
    expect(table.acquire(request('run-a', ['i-2', 'i-1']), t0)).toEqual({ outcome: 'granted', instanceIds: ['i-1', 'i-2'] });
    expect(table.acquire(request('run-b', ['i-3']), t0).outcome).toBe('granted');
    const refused = table.acquire(request('run-c', ['i-3', 'i-4', 'i-1']), t1);
    expect(refused.outcome).toBe('refused');
    if (refused.outcome !== 'refused') return;
    expect(refused.blockers.map((b) => [b.holder, b.overlap, b.waiting])).toEqual([
      ['run-a', ['i-1'], false],
      ['run-b', ['i-3'], false],
    ]);
    // All or nothing: i-4 was free but is not held by run-c.
    expect(table.holderOf('i-4')).toBeUndefined();
    expect(table.state.waiters).toEqual([]);
    expect(table.state.events.at(-1)).toMatchObject({ event: 'refused', holder: 'run-c' });
  });

  it('is idempotent for the same holder: a retried acquire is granted again, and the Temporal run id is learned', () => {
    const table = new LockTable();
    table.acquire(request('run-a', ['i-1']), t0);
    const again = table.acquire({ ...request('run-a', ['i-1']), temporalRunId: 'r-1' }, t1);
    expect(again).toEqual({ outcome: 'granted', instanceIds: ['i-1'] });
    expect(table.state.holders).toEqual([{ holder: 'run-a', instanceIds: ['i-1'], runbook: 'rb', since: t0, temporalRunId: 'r-1' }]);
    expect(table.state.events.filter((e) => e.event === 'granted')).toHaveLength(1);
  });

  it('queues waiters first come, first served and grants them as holders release; a later free request does not jump an earlier waiter', () => {
    const table = new LockTable();
    table.acquire(request('run-a', ['i-1', 'i-2']), t0);
    expect(table.acquire(request('run-b', ['i-1'], true), t0).outcome).toBe('queued');
    expect(table.acquire(request('run-c', ['i-1', 'i-3'], true), t0).outcome).toBe('queued');
    // i-1 is wanted by run-b, queued first: run-d, not waiting, is refused naming the waiter.
    const jumped = table.acquire(request('run-d', ['i-2']), t0);
    expect(jumped.outcome).toBe('refused');
    const behindWaiter = table.acquire(request('run-e', ['i-3']), t0);
    expect(behindWaiter.outcome === 'refused' && behindWaiter.blockers.map((b) => [b.holder, b.waiting])).toEqual([['run-c', true]]);

    const released = table.release('run-a', t1);
    expect(released.released).toEqual(['i-1', 'i-2']);
    expect(released.granted.map((g) => g.holder)).toEqual(['run-b']);
    expect(table.state.waiters.map((w) => w.holder)).toEqual(['run-c']);
    expect(table.acquire(request('run-b', ['i-1'], true), t1).outcome).toBe('granted');

    expect(table.release('run-b', t1).granted.map((g) => g.holder)).toEqual(['run-c']);
    expect(table.holderOf('i-3')?.holder).toBe('run-c');
  });

  it('releases idempotently, and a waiter that releases leaves the queue', () => {
    const table = new LockTable();
    table.acquire(request('run-a', ['i-1']), t0);
    table.acquire(request('run-b', ['i-1'], true), t0);
    expect(table.release('run-b', t1)).toEqual({ released: [], granted: [] });
    expect(table.state.waiters).toEqual([]);
    const events = table.state.events.length;
    expect(table.release('run-b', t1)).toEqual({ released: [], granted: [] });
    expect(table.state.events).toHaveLength(events);
  });

  it('records a gone holder and a forced release with who and why, and grants the waiter behind them', () => {
    const table = new LockTable();
    table.acquire(request('run-a', ['i-1']), t0);
    table.acquire(request('run-b', ['i-1'], true), t0);
    const freed = table.release('run-a', t1, {
      event: 'freed-gone',
      by: 'ssmflow-target-locks',
      reason: 'run run-a has ended (TERMINATED)',
    });
    expect(freed.granted.map((g) => g.holder)).toEqual(['run-b']);
    table.release('run-b', t1, { event: 'force-released', by: 'alice', reason: 'INC-42' });
    expect(table.state.events.filter((e) => e.event === 'freed-gone' || e.event === 'force-released')).toEqual([
      {
        at: t1,
        event: 'freed-gone',
        holder: 'run-a',
        instanceIds: ['i-1'],
        by: 'ssmflow-target-locks',
        reason: 'run run-a has ended (TERMINATED)',
      },
      { at: t1, event: 'force-released', holder: 'run-b', instanceIds: ['i-1'], by: 'alice', reason: 'INC-42' },
    ]);
    expect(table.hasEntries()).toBe(false);
  });

  it('keeps only the newest events', () => {
    const table = new LockTable();
    for (let i = 0; i < maxLockEvents + 10; i += 1) table.release(table.acquire(request(`run-${i}`, ['i-1']), t0) && `run-${i}`, t0);
    expect(table.state.events).toHaveLength(maxLockEvents);
    expect(table.state.events.at(-1)).toMatchObject({ event: 'released', holder: `run-${maxLockEvents + 9}` });
  });

  it('finds gone holders: closed executions at once, never-started ones only after the grace; open ones (even reset) keep the lock', () => {
    const entries = [
      { holder: 'closed', instanceIds: ['i-1'], since: t0 },
      { holder: 'open', instanceIds: ['i-2'], since: t0 },
      { holder: 'young', instanceIds: ['i-3'], since: t1 },
      { holder: 'old', instanceIds: ['i-4'], since: t0 },
    ];
    const executions = [
      { holder: 'closed', state: 'closed' as const, closeStatus: 'TERMINATED' },
      { holder: 'open', state: 'open' as const },
      { holder: 'young', state: 'not-found' as const },
      { holder: 'old', state: 'not-found' as const },
    ];
    const now = Date.parse(t1) + notStartedGraceMs - 1;
    expect(goneEntries(entries, executions, now).map((g) => [g.entry.holder, g.reason])).toEqual([
      ['closed', 'run closed has ended (TERMINATED) without releasing its lock'],
      ['old', 'run old does not exist (it never started, or was deleted)'],
    ]);
  });
});
