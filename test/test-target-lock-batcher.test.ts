// The worker's lock batcher: requests that arrive while a batch is in flight go together in the
// next one, each caller gets its own answer in order, and a failed batch fails only its own callers.
import { describe, expect, it } from 'vitest';
import { TargetLockBatcher } from '../worker/target-lock-batcher.js';
import type { LockBatchAnswer, LockBatchOperation } from '../workflows/target-lock-messages.js';

const acquire = (holder: string): LockBatchOperation => ({ op: 'acquire', request: { holder, instanceIds: [`i-${holder}`], wait: false } });
const granted = (operation: LockBatchOperation): LockBatchAnswer =>
  operation.op === 'acquire' ? { outcome: 'granted', instanceIds: operation.request.instanceIds } : { released: [], granted: [] };

/** A registry stand-in whose answers the test releases by hand, recording each batch it got. */
function manualRegistry() {
  const batches: LockBatchOperation[][] = [];
  const answer: ((fail?: Error) => void)[] = [];
  const send = (operations: LockBatchOperation[]) =>
    new Promise<LockBatchAnswer[]>((resolve, reject) => {
      batches.push(operations);
      answer.push((fail) => (fail ? reject(fail) : resolve(operations.map(granted))));
    });
  return { batches, answer, send };
}

const tick = () => new Promise((r) => setTimeout(r, 0));

describe('TargetLockBatcher', () => {
  it('sends the first request at once and gathers those that arrive meanwhile into one next batch', async () => {
    const registry = manualRegistry();
    const batcher = new TargetLockBatcher(registry.send);
    const first = batcher.submit(acquire('a'));
    const rest = ['b', 'c', 'd'].map((h) => batcher.submit(acquire(h)));
    await tick();
    expect(registry.batches.map((b) => b.map((o) => o.request.holder))).toEqual([['a']]);
    registry.answer[0]?.();
    expect(await first).toEqual({ outcome: 'granted', instanceIds: ['i-a'] });
    await tick();
    expect(registry.batches.map((b) => b.map((o) => o.request.holder))).toEqual([['a'], ['b', 'c', 'd']]);
    registry.answer[1]?.();
    expect(await Promise.all(rest)).toEqual(['b', 'c', 'd'].map((h) => ({ outcome: 'granted', instanceIds: [`i-${h}`] })));
  });

  it('fails every caller of a failed batch, and only those; the next batch goes out', async () => {
    const registry = manualRegistry();
    const batcher = new TargetLockBatcher(registry.send);
    const first = batcher.submit(acquire('a'));
    await tick();
    const second = batcher.submit({ op: 'release', request: { holder: 'z' } });
    registry.answer[0]?.(new Error('registry unreachable'));
    await expect(first).rejects.toThrow('registry unreachable');
    await tick();
    expect(registry.batches).toHaveLength(2);
    registry.answer[1]?.();
    expect(await second).toEqual({ released: [], granted: [] });
  });

  it('rejects the callers of a batch the registry answered only in part, naming the shortfall', async () => {
    const batcher = new TargetLockBatcher(async (operations) => operations.slice(0, 1).map(granted));
    const both = [batcher.submit(acquire('a')), batcher.submit(acquire('b'))];
    expect(await both[0]).toEqual({ outcome: 'granted', instanceIds: ['i-a'] });
    // 'b' went out in the second batch of one, answered in full.
    expect(await both[1]).toEqual({ outcome: 'granted', instanceIds: ['i-b'] });
    const short = new TargetLockBatcher(async () => []);
    await expect(short.submit(acquire('c'))).rejects.toThrow('the lock registry answered 0 of 1 operations');
  });
});
