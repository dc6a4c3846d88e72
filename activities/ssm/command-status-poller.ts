import { ListCommandsCommand, type Command, type SSMClient } from '@aws-sdk/client-ssm';
import { classifySsmError } from './classify-error.js';

const terminalStatuses = new Set(['Success', 'Failed', 'TimedOut', 'Cancelled']);

export function isTerminalCommand(command: Command): boolean {
  return terminalStatuses.has(command.Status ?? '');
}

export interface PollerOptions {
  /** Interval right after a change or a new command: how fast a finished step is noticed. */
  minIntervalMs: number;
  /** Interval reached when nothing changes for a while. */
  maxIdleIntervalMs: number;
  /** Ceiling of the back-off while SSM answers ThrottlingException. */
  maxThrottledIntervalMs: number;
  /** Up to this many waiting commands are polled one by one; more are read in one listing. */
  batchThreshold: number;
  /** Final reads of finished commands made at once. */
  readConcurrency: number;
  random: () => number;
  log: (message: string) => void;
}

// One listing serves every waiting command, so polling often costs the same at 1 or 100 clusters;
// it is what keeps the gap between one step ending and the next starting short.
const defaultOptions: PollerOptions = {
  minIntervalMs: 100,
  maxIdleIntervalMs: 500,
  maxThrottledIntervalMs: 20_000,
  batchThreshold: 3,
  readConcurrency: 8,
  random: Math.random,
  log: () => undefined,
};

interface Waiter {
  commandId: string;
  requestedAtMs: number;
  resolvers: { resolve: (command: Command) => void; reject: (err: unknown) => void }[];
}

/**
 * One poller per worker process serves every activity waiting on a command. Each round costs one
 * ListCommands page per 50 commands still executing (ExecutionStage=Executing), whatever the
 * number of waiters, plus one ListCommands per command that has left that list, to read its final
 * state. Intervals adapt: short after a change, longer when idle, backing off with jitter under
 * throttling.
 */
export class CommandStatusPoller {
  private readonly options: PollerOptions;
  private readonly waiters = new Map<string, Waiter>();
  private timer: NodeJS.Timeout | undefined;
  private intervalMs: number;
  private polling = false;
  private stopped = false;

  constructor(
    private readonly ssm: SSMClient,
    options: Partial<PollerOptions> = {},
  ) {
    this.options = { ...defaultOptions, ...options };
    this.intervalMs = this.options.minIntervalMs;
  }

  /** Resolves with the command once it is terminal; rejects only if `signal` aborts. */
  waitForTerminal(commandId: string, requestedAtMs: number, signal?: AbortSignal): Promise<Command> {
    return new Promise<Command>((resolve, reject) => {
      if (this.stopped) return reject(new Error('command status poller is stopped (worker shutting down)'));
      let waiter = this.waiters.get(commandId);
      if (!waiter) {
        waiter = { commandId, requestedAtMs, resolvers: [] };
        this.waiters.set(commandId, waiter);
      }
      const entry = { resolve, reject };
      waiter.resolvers.push(entry);
      signal?.addEventListener(
        'abort',
        () => {
          const current = this.waiters.get(commandId);
          if (current) {
            current.resolvers = current.resolvers.filter((r) => r !== entry);
            if (current.resolvers.length === 0) this.waiters.delete(commandId);
          }
          reject(signal.reason);
        },
        { once: true },
      );
      // A new command is likely to finish soon: look again quickly.
      this.intervalMs = this.options.minIntervalMs;
      this.schedule();
    });
  }

  get waitingCount(): number {
    return this.waiters.size;
  }

  stop(): void {
    this.stopped = true;
    if (this.timer) clearTimeout(this.timer);
    for (const waiter of this.waiters.values()) {
      for (const r of waiter.resolvers) r.reject(new Error('command status poller stopped (worker shutting down)'));
    }
    this.waiters.clear();
  }

  private schedule(): void {
    if (this.polling || this.stopped || this.waiters.size === 0) return;
    if (this.timer) clearTimeout(this.timer);
    const jitter = 0.8 + this.options.random() * 0.4;
    this.timer = setTimeout(() => void this.pollOnce(), Math.round(this.intervalMs * jitter));
    this.timer.unref?.();
  }

  private async pollOnce(): Promise<void> {
    this.timer = undefined;
    if (this.waiters.size === 0 || this.stopped) return;
    this.polling = true;
    let changed = false;
    try {
      const candidates = this.waiters.size <= this.options.batchThreshold ? [...this.waiters.keys()] : await this.commandsNoLongerExecuting();
      // Final reads go a few at a time: one by one, a round with many finished commands would
      // take as many round trips, and every waiter would wait for the slowest of them.
      for (let i = 0; i < candidates.length; i += this.options.readConcurrency) {
        const reads = candidates.slice(i, i + this.options.readConcurrency).filter((id) => this.waiters.has(id));
        const commands = await Promise.all(reads.map((id) => this.readCommand(id)));
        commands.forEach((command, index) => {
          if (command && isTerminalCommand(command)) {
            this.settle(reads[index] as string, command);
            changed = true;
          }
        });
      }
      this.intervalMs = changed ? this.options.minIntervalMs : Math.min(this.options.maxIdleIntervalMs, Math.round(this.intervalMs * 1.5));
    } catch (err) {
      if (classifySsmError(err) === 'throttled') {
        this.intervalMs = Math.min(this.options.maxThrottledIntervalMs, Math.max(this.options.minIntervalMs, this.intervalMs) * 2);
        this.options.log(`SSM throttled the status poller; next look in ~${this.intervalMs} ms`);
      } else {
        this.intervalMs = Math.min(this.options.maxThrottledIntervalMs, Math.max(1_000, this.intervalMs * 2));
        this.options.log(`status poll failed (${(err as Error).name ?? 'Error'}: ${(err as Error).message}); retrying in ~${this.intervalMs} ms`);
      }
    } finally {
      this.polling = false;
      this.schedule();
    }
  }

  /** Waiting commands absent from the listing of executing commands: finished, or not listed yet. */
  private async commandsNoLongerExecuting(): Promise<string[]> {
    const oldest = Math.min(...[...this.waiters.values()].map((w) => w.requestedAtMs));
    const executing = new Set<string>();
    let nextToken: string | undefined;
    do {
      const page = await this.ssm.send(
        new ListCommandsCommand({
          Filters: [
            { key: 'ExecutionStage', value: 'Executing' },
            // A minute of slack for clock skew between worker and SSM.
            { key: 'InvokedAfter', value: new Date(oldest - 60_000).toISOString() },
          ],
          MaxResults: 50,
          NextToken: nextToken,
        }),
      );
      for (const command of page.Commands ?? []) if (command.CommandId) executing.add(command.CommandId);
      nextToken = page.NextToken;
    } while (nextToken);
    return [...this.waiters.keys()].filter((id) => !executing.has(id));
  }

  private async readCommand(commandId: string): Promise<Command | undefined> {
    const result = await this.ssm.send(new ListCommandsCommand({ CommandId: commandId }));
    return result.Commands?.[0];
  }

  private settle(commandId: string, command: Command): void {
    const waiter = this.waiters.get(commandId);
    this.waiters.delete(commandId);
    for (const r of waiter?.resolvers ?? []) r.resolve(command);
  }
}
