// The tests' polling helper: what it returns, and what its failures say.
import { describe, expect, it } from 'vitest';
import { eventually, EventuallyFailed, eventuallyTrue, holdsWithin } from './harness/eventually.js';

describe('eventually', () => {
  it('returns the first value other than undefined', async () => {
    let probes = 0;
    const value = await eventually(() => (++probes === 3 ? { probes } : undefined), { intervalMs: 1 });
    expect(value).toEqual({ probes: 3 });
  });

  it('with until, returns the first value it accepts', async () => {
    let n = 0;
    expect(await eventually(async () => ++n, { until: (v) => v >= 4, intervalMs: 1 })).toBe(4);
  });

  it('times out naming what it waited for and the value it saw last', async () => {
    let n = 0;
    const failure = await eventually(() => ({ status: 'running', n: ++n }), {
      until: (s) => s.status === 'done',
      timeoutMs: 50,
      intervalMs: 5,
      description: 'run r1 to be done',
    }).catch((err: unknown) => err);
    expect(failure).toBeInstanceOf(EventuallyFailed);
    expect((failure as Error).message).toMatch(
      /^timed out after \d+ ms waiting for run r1 to be done: the probe last returned \{ status: 'running', n: \d+ \}$/,
    );
    expect(n).toBeGreaterThan(1);
  });

  it('an error ends the wait at once, as it is', async () => {
    let probes = 0;
    const thrown = new Error('assertion inside the probe');
    await expect(
      eventually(() => {
        probes += 1;
        throw thrown;
      }),
    ).rejects.toBe(thrown);
    expect(probes).toBe(1);
  });

  it('with retryErrors, errors mean "not yet" and the last one is in the failure and its cause', async () => {
    let n = 0;
    expect(
      await eventually(
        () => {
          if (++n < 3) throw new Error('not listed yet');
          return n;
        },
        { retryErrors: true, intervalMs: 1 },
      ),
    ).toBe(3);
    const failure = (await eventually(
      () => {
        throw new RangeError(`InvocationDoesNotExist ${++n}`);
      },
      { retryErrors: true, timeoutMs: 30, intervalMs: 5, description: 'the invocation' },
    ).catch((err: unknown) => err)) as Error;
    expect(failure.message).toMatch(/waiting for the invocation: the probe last threw RangeError: InvocationDoesNotExist \d+$/);
    expect((failure.cause as Error).message).toBe(`InvocationDoesNotExist ${n}`);
  });

  it('hopeless gives up at once on a value that cannot turn into the one awaited', async () => {
    let probes = 0;
    const failure = await eventually(() => ({ status: 'failed', probe: ++probes }), {
      until: (s) => s.status === 'paused',
      hopeless: (s) => s.status === 'failed',
      description: 'the run to pause',
    }).catch((err: unknown) => err);
    expect((failure as Error).message).toMatch(
      /^gave up waiting for the run to pause after \d+ ms: the probe last returned \{ status: 'failed', probe: 1 \}$/,
    );
    expect(probes).toBe(1);
  });

  it('eventuallyTrue waits for a condition; holdsWithin says whether it came to hold in time', async () => {
    let n = 0;
    await eventuallyTrue(() => ++n === 3, { intervalMs: 1 });
    expect(n).toBe(3);
    await expect(eventuallyTrue(() => false, { timeoutMs: 20, description: 'never' })).rejects.toThrow(
      /waiting for never: the probe last returned false$/,
    );
    expect(await holdsWithin(async () => true)).toBe(true);
    expect(await holdsWithin(() => false, { timeoutMs: 20 })).toBe(false);
    await expect(holdsWithin(() => Promise.reject(new Error('broken probe')), { timeoutMs: 20 })).rejects.toThrow('broken probe');
  });
});
