// The tests' one way to wait for something that happens in another process or task: poll a probe
// until it holds, or fail saying what was awaited and what the probe last saw.
import { inspect } from 'node:util';

export interface EventuallyOptions<T> {
  /** What is awaited, for the failure message: "run x to be paused-on-failure". */
  description?: string;
  /** How long to keep polling; 20 s unless told. */
  timeoutMs?: number;
  /** The pause between two probes; 25 ms unless told. */
  intervalMs?: number;
  /** True when a value shows the wait can no longer succeed (the run ended): fail at once. */
  hopeless?: (value: T) => boolean;
  /**
   * A probe that throws counts as "not yet" (the command is not listed yet), and its last error is
   * in the failure. Otherwise (the default) the error ends the wait at once, as it is: an
   * assertion inside a probe fails the test the first time it fails.
   */
  retryErrors?: boolean;
}

/** Thrown when the wait fails; `cause` is the probe's last error, if it threw last. */
export class EventuallyFailed extends Error {
  override name = 'EventuallyFailed';
}

type Probe<T> = () => T | Promise<T>;

/** Polls `probe` until `until` holds for its value and returns that value. */
export function eventually<T>(probe: Probe<T>, options: EventuallyOptions<T> & { until: (value: T) => boolean }): Promise<T>;
/** Polls `probe` until it returns something other than undefined, and returns that. */
export function eventually<T>(probe: Probe<T | undefined>, options?: EventuallyOptions<T | undefined>): Promise<T>;
export async function eventually<T>(
  probe: Probe<T | undefined>,
  options: EventuallyOptions<T | undefined> & { until?: (value: T | undefined) => boolean } = {},
): Promise<T | undefined> {
  const {
    description = 'the condition',
    timeoutMs = 20_000,
    intervalMs = 25,
    hopeless,
    retryErrors = false,
    until = (value) => value !== undefined,
  } = options;
  const started = Date.now();
  let last: { value: T | undefined } | { error: unknown } | undefined;
  for (;;) {
    try {
      const value = await probe();
      if (until(value)) return value;
      last = { value };
      if (hopeless?.(value))
        throw new EventuallyFailed(`gave up waiting for ${description} after ${Date.now() - started} ms: ${seen(last)}`);
    } catch (error) {
      if (error instanceof EventuallyFailed || !retryErrors) throw error;
      last = { error };
    }
    const waited = Date.now() - started;
    if (waited >= timeoutMs) {
      throw new EventuallyFailed(
        `timed out after ${waited} ms waiting for ${description}: ${seen(last)}`,
        'error' in last ? { cause: last.error } : undefined,
      );
    }
    await new Promise((resolve) => setTimeout(resolve, Math.min(intervalMs, timeoutMs - waited)));
  }
}

function seen(last: { value: unknown } | { error: unknown }): string {
  if ('error' in last)
    return `the probe last threw ${last.error instanceof Error ? `${last.error.name}: ${last.error.message}` : inspect(last.error)}`;
  const shown = inspect(last.value, { depth: 4, breakLength: Infinity, maxStringLength: 2_000, maxArrayLength: 20 });
  return `the probe last returned ${shown.length > 4_000 ? `${shown.slice(0, 4_000)}…` : shown}`;
}

/** Polls a yes/no condition until it holds. */
export async function eventuallyTrue(holds: Probe<boolean>, options: Omit<EventuallyOptions<boolean>, 'hopeless'> = {}): Promise<void> {
  await eventually(holds, { ...options, until: (held) => held });
}

/** Whether a condition came to hold within the timeout: for waits that go on either way. */
export function holdsWithin(holds: Probe<boolean>, options: Omit<EventuallyOptions<boolean>, 'hopeless'> = {}): Promise<boolean> {
  return eventuallyTrue(holds, options).then(
    () => true,
    (error: unknown) => {
      if (error instanceof EventuallyFailed) return false;
      throw error;
    },
  );
}
