import {
  ListCommandInvocationsCommand,
  ListCommandsCommand,
  type Command,
  type CommandInvocation,
  type SSMClient,
} from '@aws-sdk/client-ssm';
import { classifySsmError } from './classify-error.js';

const terminalStatuses = new Set(['Success', 'Failed', 'TimedOut', 'Cancelled']);
/** ListCommands and ListCommandInvocations return at most 50 items a page. */
const pageSize = 50;

export function isTerminalCommand(command: Command): boolean {
  return terminalStatuses.has(command.Status ?? '');
}

/** What a waiter gets once its command is terminal. */
export interface TerminalCommand {
  command: Command;
  /**
   * Every invocation of the command (ListCommandInvocations with Details), when the poller read
   * them in one listing together with other commands' invocations; otherwise the caller reads them.
   */
  invocations?: CommandInvocation[];
}

export interface PollerOptions {
  /** Interval right after a change or a new command: how fast a finished step is noticed. */
  minIntervalMs: number;
  /** Interval reached when nothing changes for a while. */
  maxIdleIntervalMs: number;
  /** Ceiling of the back-off while SSM answers ThrottlingException. */
  maxThrottledIntervalMs: number;
  /**
   * Up to this many waiting commands are polled one by one; more are found in one listing of
   * executing commands. Likewise up to this many finished commands are read one by one; more are
   * read in one listing of completed commands.
   */
  batchThreshold: number;
  /** Final reads of finished commands made at once. */
  readConcurrency: number;
  /**
   * Widens the RequestedDateTime window of the batched reads: it covers coarse timestamp filters
   * and waiters whose send time came from the worker's clock.
   */
  requestedAtSlackMs: number;
  /**
   * A command SSM says it does not know (InvalidCommandId) fails its waiter only once it is this
   * much older than its send time: reads right after SendCommand are eventually consistent.
   */
  unknownCommandGraceMs: number;
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
  requestedAtSlackMs: 1_000,
  unknownCommandGraceMs: 30_000,
  random: Math.random,
  log: () => undefined,
};

/** Rounds a finished command may go unseen by the batched read before it is read on its own. */
const missedRoundsBeforeOwnRead = 2;

interface Waiter {
  commandId: string;
  requestedAtMs: number;
  /** Consecutive rounds in which it had left the executing list but the batched read did not find it. */
  missedRounds: number;
  resolvers: Resolver[];
}

interface Resolver {
  resolve: (result: TerminalCommand) => void;
  reject: (err: unknown) => void;
  /** Removes the abort listener, so a long waitUntil loop does not pile them up on one signal. */
  detach: () => void;
}

/** Rejects the waiter of a command SSM does not know, naming it. */
export class UnknownCommandError extends Error {
  constructor(readonly commandId: string) {
    super(
      `SSM does not know command ${commandId} (InvalidCommandId): it was never created in this account and region, or is older than SSM keeps`,
    );
    this.name = 'InvalidCommandId';
  }
}

const requestedMs = (command: Command, fallback: number) => command.RequestedDateTime?.getTime() ?? fallback;

/**
 * One poller per worker process serves every activity waiting on a command. A round costs one
 * ListCommands page per 50 commands still executing (ExecutionStage=Executing), whatever the
 * number of waiters. Commands that left that list are read one by one when few, else from one
 * listing of completed commands sent in the same time window, together with their invocations
 * (ListCommandInvocations over that window) when that takes fewer calls than one read per command.
 * Intervals adapt: short after a change, longer when idle, backing off with jitter under throttling.
 */
export class CommandStatusPoller {
  private readonly options: PollerOptions;
  private readonly waiters = new Map<string, Waiter>();
  private timer: NodeJS.Timeout | undefined;
  private timerDueAt = 0;
  private lastRoundStartedAt = Number.NEGATIVE_INFINITY;
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
  async waitForTerminal(commandId: string, requestedAtMs: number, signal?: AbortSignal): Promise<Command> {
    return (await this.waitForResults(commandId, requestedAtMs, signal)).command;
  }

  /** Like waitForTerminal, with the command's invocations when the poller read them anyway. */
  waitForResults(commandId: string, requestedAtMs: number, signal?: AbortSignal): Promise<TerminalCommand> {
    return new Promise<TerminalCommand>((resolve, reject) => {
      if (this.stopped) return reject(new Error('command status poller is stopped (worker shutting down)'));
      if (signal?.aborted) return reject(signal.reason);
      let waiter = this.waiters.get(commandId);
      if (!waiter) {
        waiter = { commandId, requestedAtMs, missedRounds: 0, resolvers: [] };
        this.waiters.set(commandId, waiter);
      }
      const onAbort = () => {
        const current = this.waiters.get(commandId);
        if (current) {
          current.resolvers = current.resolvers.filter((r) => r !== entry);
          if (current.resolvers.length === 0) this.waiters.delete(commandId);
        }
        reject(signal?.reason);
      };
      const entry: Resolver = { resolve, reject, detach: () => signal?.removeEventListener('abort', onAbort) };
      waiter.resolvers.push(entry);
      signal?.addEventListener('abort', onAbort, { once: true });
      // A new command is likely to finish soon: look again quickly (but not before it can have run).
      this.intervalMs = this.options.minIntervalMs;
      this.schedule(Date.now() + this.options.minIntervalMs);
    });
  }

  get waitingCount(): number {
    return this.waiters.size;
  }

  stop(): void {
    this.stopped = true;
    if (this.timer) clearTimeout(this.timer);
    for (const waiter of this.waiters.values()) {
      for (const r of waiter.resolvers) {
        r.detach();
        r.reject(new Error('command status poller stopped (worker shutting down)'));
      }
    }
    this.waiters.clear();
  }

  private schedule(notBefore = Date.now()): void {
    if (this.polling || this.stopped || this.waiters.size === 0) return;
    const jitter = 0.8 + this.options.random() * 0.4;
    // Spaced from the start of the last round: after a slow round the next one starts at once.
    const dueAt = Math.max(notBefore, this.lastRoundStartedAt + Math.round(this.intervalMs * jitter));
    // Only ever bring the next round forward. Re-arming it for every new waiter would starve
    // polling while a hundred clusters send commands a few milliseconds apart.
    if (this.timer && this.timerDueAt <= dueAt) return;
    if (this.timer) clearTimeout(this.timer);
    this.timerDueAt = dueAt;
    this.timer = setTimeout(() => void this.pollOnce(), Math.max(0, dueAt - Date.now()));
    this.timer.unref?.();
  }

  private async pollOnce(): Promise<void> {
    this.timer = undefined;
    if (this.waiters.size === 0 || this.stopped) return;
    this.polling = true;
    this.lastRoundStartedAt = Date.now();
    try {
      const changed = await this.round();
      this.intervalMs = changed ? this.options.minIntervalMs : Math.min(this.options.maxIdleIntervalMs, Math.round(this.intervalMs * 1.5));
    } catch (err) {
      if (classifySsmError(err) === 'throttled') {
        this.intervalMs = Math.min(this.options.maxThrottledIntervalMs, Math.max(this.options.minIntervalMs, this.intervalMs) * 2);
        this.options.log(`SSM throttled the status poller; next look in ~${this.intervalMs} ms`);
      } else {
        this.intervalMs = Math.min(this.options.maxThrottledIntervalMs, Math.max(1_000, this.intervalMs * 2));
        this.options.log(
          `status poll failed (${(err as Error).name ?? 'Error'}: ${(err as Error).message}); retrying in ~${this.intervalMs} ms`,
        );
      }
    } finally {
      this.polling = false;
      this.schedule();
    }
  }

  /** One look at every waiting command; true when some finished. */
  private async round(): Promise<boolean> {
    if (this.waiters.size <= this.options.batchThreshold) return this.settleAll(await this.readEach([...this.waiters.keys()]));
    const { candidates, executing } = await this.commandsNoLongerExecuting();
    if (candidates.length === 0) return false;
    const overdue = candidates.filter((w) => w.missedRounds >= missedRoundsBeforeOwnRead);
    const recent = candidates.filter((w) => w.missedRounds < missedRoundsBeforeOwnRead);
    if (recent.length <= this.options.batchThreshold) return this.settleAll(await this.readEach(candidates.map((w) => w.commandId)));

    const { finished, listed } = await this.listCompleted(recent).catch((err: unknown) => {
      // The overdue ones are still read below; the rest wait a round.
      this.options.log(`listing of completed commands failed (${(err as Error).name ?? 'Error'}: ${(err as Error).message})`);
      return { finished: new Map<string, Command>(), listed: new Map<string, Command>() };
    });
    for (const w of recent) if (!finished.has(w.commandId)) w.missedRounds += 1;
    // Not found by the listing two rounds running (eventual consistency, clock skew): read it directly.
    for (const [id, command] of await this.readEach(overdue.map((w) => w.commandId))) finished.set(id, command);
    const fromListing = [...finished.values()].filter((c) => listed.has(c.CommandId ?? ''));
    const invocations = await this.listInvocations(fromListing, [...executing, ...listed.values()]).catch((err: unknown) => {
      // The activities read their own invocations instead.
      this.options.log(
        `batched read of finished commands' invocations failed (${(err as Error).name ?? 'Error'}: ${(err as Error).message})`,
      );
      return new Map<string, CommandInvocation[]>();
    });
    return this.settleAll(finished, invocations);
  }

  /** Waiting commands absent from the listing of executing commands: finished, or not listed yet. */
  private async commandsNoLongerExecuting(): Promise<{ candidates: Waiter[]; executing: Command[] }> {
    const oldest = Math.min(...[...this.waiters.values()].map((w) => w.requestedAtMs));
    const executing = new Map<string, Command>();
    let nextToken: string | undefined;
    do {
      const page = await this.ssm.send(
        new ListCommandsCommand({
          Filters: [
            { key: 'ExecutionStage', value: 'Executing' },
            // A minute of slack for clock skew between worker and SSM.
            { key: 'InvokedAfter', value: new Date(oldest - 60_000).toISOString() },
          ],
          MaxResults: pageSize,
          NextToken: nextToken,
        }),
      );
      for (const command of page.Commands ?? []) if (command.CommandId) executing.set(command.CommandId, command);
      nextToken = page.NextToken;
    } while (nextToken);
    const candidates: Waiter[] = [];
    for (const waiter of this.waiters.values()) {
      if (!executing.has(waiter.commandId)) candidates.push(waiter);
      // Seen executing again: its misses were listing lag, not a finished command gone unseen.
      else waiter.missedRounds = 0;
    }
    return { candidates, executing: [...executing.values()] };
  }

  /**
   * Completed commands sent in the candidates' time window, paged until every candidate is found.
   * Gives up after as many pages as one read per candidate would cost; the rest wait a round.
   */
  private async listCompleted(candidates: Waiter[]): Promise<{ finished: Map<string, Command>; listed: Map<string, Command> }> {
    const times = candidates.map((w) => w.requestedAtMs);
    const slack = this.options.requestedAtSlackMs;
    const wanted = new Set(candidates.map((w) => w.commandId));
    const finished = new Map<string, Command>();
    const listed = new Map<string, Command>();
    let nextToken: string | undefined;
    let pages = 0;
    do {
      const page = await this.ssm.send(
        new ListCommandsCommand({
          Filters: [
            { key: 'ExecutionStage', value: 'Complete' },
            { key: 'InvokedAfter', value: new Date(Math.min(...times) - slack).toISOString() },
            { key: 'InvokedBefore', value: new Date(Math.max(...times) + slack).toISOString() },
          ],
          MaxResults: pageSize,
          NextToken: nextToken,
        }),
      );
      pages += 1;
      for (const command of page.Commands ?? []) {
        if (!command.CommandId) continue;
        listed.set(command.CommandId, command);
        if (wanted.has(command.CommandId) && isTerminalCommand(command)) finished.set(command.CommandId, command);
      }
      nextToken = page.NextToken;
    } while (nextToken && finished.size < wanted.size && pages < candidates.length);
    return { finished, listed };
  }

  /**
   * The invocations of finished commands from ListCommandInvocations over their time window, when
   * that is cheaper than one listing per command: `known` (every command seen in the window) says
   * how many invocations the window holds. Only complete sets are returned.
   */
  private async listInvocations(finished: Command[], known: Command[]): Promise<Map<string, CommandInvocation[]>> {
    const result = new Map<string, CommandInvocation[]>();
    if (finished.length <= 1) return result;
    const now = Date.now();
    const slack = this.options.requestedAtSlackMs;
    const times = finished.map((c) => requestedMs(c, now));
    const after = Math.min(...times) - slack;
    const before = Math.max(...times) + slack;
    const inWindow = new Map(
      [...known, ...finished]
        .filter((c) => c.CommandId && requestedMs(c, now) >= after && requestedMs(c, now) <= before)
        .map((c) => [c.CommandId, c]),
    );
    const estimatedPages = Math.ceil([...inWindow.values()].reduce((sum, c) => sum + (c.TargetCount ?? 0), 0) / pageSize);
    const ownReads = finished.reduce((sum, c) => sum + Math.max(1, Math.ceil((c.TargetCount ?? 0) / pageSize)), 0);
    if (estimatedPages >= ownReads) return result;

    const expected = new Map(finished.map((c) => [c.CommandId ?? '', c.TargetCount ?? 0]));
    const collected = new Map<string, CommandInvocation[]>();
    const complete = () => [...expected].every(([id, count]) => (collected.get(id)?.length ?? 0) >= count);
    let nextToken: string | undefined;
    let pages = 0;
    do {
      const page = await this.ssm.send(
        new ListCommandInvocationsCommand({
          Details: true,
          Filters: [
            { key: 'InvokedAfter', value: new Date(after).toISOString() },
            { key: 'InvokedBefore', value: new Date(before).toISOString() },
          ],
          MaxResults: pageSize,
          NextToken: nextToken,
        }),
      );
      pages += 1;
      for (const invocation of page.CommandInvocations ?? []) {
        const id = invocation.CommandId ?? '';
        if (!expected.has(id)) continue;
        const list = collected.get(id);
        if (list) list.push(invocation);
        else collected.set(id, [invocation]);
      }
      nextToken = page.NextToken;
      // The estimate only knows the commands it saw: never spend more than the reads it saves.
    } while (nextToken && !complete() && pages < ownReads);
    for (const [id, count] of expected) {
      const invocations = collected.get(id) ?? [];
      if (invocations.length >= count && count > 0) result.set(id, invocations);
    }
    return result;
  }

  /**
   * One ListCommands(CommandId) per command, a few at a time; only terminal commands are returned.
   * A failed read costs only its own command a round; a command SSM does not know (past its grace
   * time) fails its own waiters, and nobody else's.
   */
  private async readEach(commandIds: string[]): Promise<Map<string, Command>> {
    const finished = new Map<string, Command>();
    // A few at a time: one by one, a round with many finished commands would take as many round
    // trips, and every waiter would wait for the slowest of them.
    for (let i = 0; i < commandIds.length; i += this.options.readConcurrency) {
      const reads = commandIds.slice(i, i + this.options.readConcurrency).filter((id) => this.waiters.has(id));
      const results = await Promise.allSettled(
        reads.map(async (id) => (await this.ssm.send(new ListCommandsCommand({ CommandId: id }))).Commands?.[0]),
      );
      results.forEach((result, index) => {
        const commandId = reads[index] as string;
        if (result.status === 'fulfilled') {
          if (result.value && isTerminalCommand(result.value)) finished.set(commandId, result.value);
          return;
        }
        const err = result.reason as { name?: string; message?: string };
        const waiter = this.waiters.get(commandId);
        if (err?.name === 'InvalidCommandId' && waiter && Date.now() - waiter.requestedAtMs >= this.options.unknownCommandGraceMs) {
          this.rejectWaiter(waiter, new UnknownCommandError(commandId));
        } else if (classifySsmError(err) === 'throttled') {
          // Slow the next round down, as a throttled listing would.
          this.intervalMs = Math.min(this.options.maxThrottledIntervalMs, Math.max(this.options.minIntervalMs, this.intervalMs) * 2);
          this.options.log(`SSM throttled the status read of ${commandId}; next look in ~${this.intervalMs} ms`);
        } else if (err?.name !== 'InvalidCommandId') {
          this.options.log(
            `status read of ${commandId} failed (${err?.name ?? 'Error'}: ${err?.message ?? String(err)}); it is read again next round`,
          );
        }
      });
    }
    return finished;
  }

  private rejectWaiter(waiter: Waiter, err: Error): void {
    this.waiters.delete(waiter.commandId);
    for (const r of waiter.resolvers) {
      r.detach();
      r.reject(err);
    }
  }

  private settleAll(finished: Map<string, Command>, invocations?: Map<string, CommandInvocation[]>): boolean {
    for (const [commandId, command] of finished) {
      const waiter = this.waiters.get(commandId);
      this.waiters.delete(commandId);
      const found = invocations?.get(commandId);
      for (const r of waiter?.resolvers ?? []) {
        r.detach();
        r.resolve(found ? { command, invocations: found } : { command });
      }
    }
    return finished.size > 0;
  }
}
