import { type FleetAgent } from './agent.js';
import { type FaultInjector } from './faults.js';
import { type FleetInstances } from './instances.js';
import { type ExecutionJournal } from './journal.js';
import {
  type CommandRecord,
  type InvocationDetail,
  type InvocationRecord,
  STATUS_OF_DETAIL,
  countInvocations,
  finalCommandStatus,
  isTerminal,
  rateLimit,
} from './records.js';
import { killProcessGroup } from './step-process.js';
import { type CommandStore } from './store.js';

/** Per running command: the rate-control ramp and the two deadline timers. Nothing exists for idle instances. */
interface ActiveCommand {
  cmd: CommandRecord;
  invs: InvocationRecord[];
  cap: number;
  maxErrors: number;
  nextIndex: number;
  waveSize: number;
  wave: Set<string>;
  waveAcked: number;
  acked: Set<string>;
  inFlight: Set<string>;
  open: number;
  /** The delivery window closed (or the command expired): nothing more is sent. */
  closed: boolean;
  /** The service has created the invocations (after the visibility delay); only then are they sent. */
  created: boolean;
  deliveryTimers: Map<string, NodeJS.Timeout>;
  timers: NodeJS.Timeout[];
}

/**
 * The service side of Run Command: sends invocations under MaxConcurrency (1, then doubling up
 * to the cap) and MaxErrors, delivers to reachable agents, enforces the delivery window and the
 * command's expiry, applies CancelCommand, and settles the command status.
 */
export class CommandDispatcher {
  private readonly active = new Map<string, ActiveCommand>();

  constructor(
    private readonly store: CommandStore,
    private readonly instances: FleetInstances,
    private readonly faults: FaultInjector,
    private readonly agent: FleetAgent,
    private readonly journal: ExecutionJournal,
  ) {
    // An instance coming back online gets its Delayed invocations.
    faults.onChange(() => this.retryDelayed());
  }

  /** Starts dispatching a freshly sent command. */
  start(cmd: CommandRecord): void {
    this.activate(cmd, 1);
  }

  private activate(cmd: CommandRecord, waveSize: number): void {
    const invs = this.store.invocationsOf(cmd.commandId);
    const cap = rateLimit(cmd.maxConcurrency, invs.length, 'concurrency');
    const state: ActiveCommand = {
      cmd,
      invs,
      cap,
      maxErrors: rateLimit(cmd.maxErrors, invs.length, 'errors'),
      nextIndex: 0,
      waveSize: Math.min(waveSize, cap),
      wave: new Set(),
      waveAcked: 0,
      acked: new Set(),
      inFlight: new Set(),
      open: invs.filter((i) => !isTerminal(i)).length,
      closed: false,
      created: false,
      deliveryTimers: new Map(),
      timers: [],
    };
    this.active.set(cmd.commandId, state);
    const at = (when: number, fn: () => void) => {
      const t = setTimeout(fn, Math.max(0, when - Date.now()));
      t.unref();
      state.timers.push(t);
    };
    at(cmd.deliveryDeadline, () => this.deliveryWindowClosed(state));
    at(cmd.expiresAt, () => this.expired(state));
    this.checkDone(state);
    // Invocations can only be delivered once the service has created them (they may be listed later still).
    const createdAt = invs[0]?.createdAt ?? invs[0]?.visibleAt ?? 0;
    const created = () => {
      state.created = true;
      this.pump(state);
    };
    if (createdAt > Date.now()) at(createdAt, created);
    else created();
  }

  /**
   * After a fleet restart: a process that was running when the fleet died is killed and reported
   * Failed (137), as the agent reports a command its restart interrupted; undelivered and
   * not-yet-started invocations are delivered again; the ramp resumes at the size it had reached.
   */
  resumeAfterRestart(): void {
    for (const cmd of this.store.allCommands()) {
      if (cmd.final) continue;
      const invs = this.store.invocationsOf(cmd.commandId);
      const reachedWave = invs.filter((i) => i.dispatched).length;
      for (const inv of invs) {
        if (isTerminal(inv)) continue;
        const interrupted = inv.runningPgid !== undefined || inv.plugins.some((p) => p.status === 'InProgress');
        if (inv.runningPgid !== undefined) killProcessGroup(inv.runningPgid);
        if (inv.statusDetails === 'Cancelling') {
          this.settle(inv, 'Cancelled', 137);
        } else if (interrupted) {
          for (const rec of this.journal.list()) {
            if (rec.commandId === inv.commandId && rec.instanceId === inv.instanceId && rec.status === 'running') {
              this.journal.ended(rec.executionId, 137, 'Failed');
            }
          }
          this.settle(inv, 'Failed', 137, 'The SSM agent restarted while this command was running; the process was killed.');
        } else if (inv.deliveredAt !== undefined || inv.statusDetails === 'Delayed') {
          // Delivered but not started: send again after the restart.
          inv.deliveredAt = undefined;
          inv.dispatched = false;
          inv.status = 'Pending';
          inv.statusDetails = 'Pending';
          this.store.saveInvocation(inv);
        }
      }
      this.activate(cmd, Math.max(1, reachedWave));
    }
  }

  private pump(state: ActiveCommand): void {
    const { cmd, invs } = state;
    if (cmd.final || cmd.cancelRequested || cmd.stopped || state.closed) return;
    if (!state.created) return;
    while (state.nextIndex < invs.length) {
      if (state.inFlight.size >= state.cap) return;
      if (state.wave.size >= state.waveSize) {
        // The ramp: the next, twice as large wave goes out once the current one is acknowledged.
        if (state.waveAcked < state.wave.size) return;
        state.waveSize = Math.min(state.cap, state.waveSize * 2);
        state.wave = new Set();
        state.waveAcked = 0;
      }
      const inv = invs[state.nextIndex++];
      if (!inv || isTerminal(inv) || inv.dispatched) continue;
      state.wave.add(inv.instanceId);
      state.inFlight.add(inv.instanceId);
      this.dispatch(state, inv);
    }
  }

  private ack(state: ActiveCommand, inv: InvocationRecord): void {
    if (state.acked.has(inv.instanceId)) return;
    state.acked.add(inv.instanceId);
    if (state.wave.has(inv.instanceId)) state.waveAcked++;
  }

  private dispatch(state: ActiveCommand, inv: InvocationRecord): void {
    inv.dispatched = true;
    const ping = this.instances.pingStatus(inv.instanceId);
    if (ping === 'Inactive') {
      this.finish(state, inv, 'Undeliverable');
      return;
    }
    if (ping === 'ConnectionLost') {
      this.markDelayed(state, inv);
      return;
    }
    this.deliverAfterDelay(state, inv);
  }

  /** The send failed (agent unreachable): Delayed, retried when the instance is back, until the window closes. */
  private markDelayed(state: ActiveCommand, inv: InvocationRecord): void {
    inv.status = 'Delayed';
    inv.statusDetails = 'Delayed';
    this.store.saveInvocation(inv);
    this.ack(state, inv);
    this.pump(state);
  }

  private deliverAfterDelay(state: ActiveCommand, inv: InvocationRecord): void {
    const delay = this.faults.forInstance(inv.instanceId).deliveryDelayMs ?? 0;
    if (delay <= 0) {
      this.deliver(state, inv);
      return;
    }
    if (state.deliveryTimers.has(inv.instanceId)) return;
    const t = setTimeout(() => {
      state.deliveryTimers.delete(inv.instanceId);
      this.deliver(state, inv);
    }, delay);
    state.deliveryTimers.set(inv.instanceId, t);
  }

  private deliver(state: ActiveCommand, inv: InvocationRecord): void {
    if (isTerminal(inv) || inv.deliveredAt !== undefined || state.cmd.final) return;
    if (!this.instances.reachable(inv.instanceId)) {
      this.markDelayed(state, inv);
      return;
    }
    inv.deliveredAt = Date.now();
    inv.status = 'InProgress';
    inv.statusDetails = 'InProgress';
    this.store.saveInvocation(inv);
    this.ack(state, inv);
    this.agent.run(state.cmd, inv);
    this.pump(state);
  }

  private retryDelayed(): void {
    for (const state of this.active.values()) {
      for (const inv of state.invs) {
        if (inv.statusDetails === 'Delayed' && this.instances.reachable(inv.instanceId)) this.deliverAfterDelay(state, inv);
      }
    }
  }

  /** Terminal status for an invocation that never ran (or whose run is abandoned). */
  private settle(inv: InvocationRecord, detail: InvocationDetail, code = -1, message?: string): void {
    inv.status = STATUS_OF_DETAIL[detail];
    inv.statusDetails = detail;
    inv.runningPgid = undefined;
    const pluginStatus = detail === 'DeliveryTimedOut' ? 'TimedOut' : detail === 'Cancelled' ? 'Cancelled' : 'Failed';
    for (const p of inv.plugins) {
      if (p.status === 'Pending' || p.status === 'InProgress') {
        p.status = pluginStatus;
        p.statusDetails = detail;
        p.responseCode = p.status === 'Cancelled' && p.startedAt === undefined ? -1 : code;
        if (p.startedAt !== undefined) p.finishedAt = Date.now();
        if (message) p.stderr = p.stderr ? `${p.stderr}\n${message}` : message;
      }
    }
    this.store.saveInvocation(inv);
  }

  private finish(state: ActiveCommand, inv: InvocationRecord, detail: InvocationDetail): void {
    const t = state.deliveryTimers.get(inv.instanceId);
    if (t) clearTimeout(t);
    state.deliveryTimers.delete(inv.instanceId);
    this.settle(inv, detail);
    this.finished(state.cmd, inv);
  }

  /** Every terminal invocation passes here: MaxErrors bookkeeping, the ramp, and the command's end. */
  finished(cmd: CommandRecord, inv: InvocationRecord): void {
    const state = this.active.get(cmd.commandId);
    if (!state) return;
    this.ack(state, inv);
    state.inFlight.delete(inv.instanceId);
    state.open--;
    if (!cmd.stopped && countInvocations(state.invs).errorCount > state.maxErrors) {
      // MaxErrors exceeded: nothing more is sent; what was never sent ends Terminated.
      cmd.stopped = true;
      this.store.saveCommand(cmd);
      for (const other of state.invs) {
        if (!other.dispatched && !isTerminal(other)) this.finish(state, other, 'Terminated');
      }
    }
    this.pump(state);
    this.checkDone(state);
  }

  private checkDone(state: ActiveCommand): void {
    if (state.open > 0 || state.cmd.final) return;
    state.cmd.final = finalCommandStatus(state.cmd, state.invs);
    this.store.saveCommand(state.cmd);
    for (const t of state.timers) clearTimeout(t);
    this.active.delete(state.cmd.commandId);
  }

  private deliveryWindowClosed(state: ActiveCommand): void {
    state.closed = true;
    for (const inv of state.invs) {
      if (!isTerminal(inv) && inv.deliveredAt === undefined) this.finish(state, inv, 'DeliveryTimedOut');
    }
  }

  /** ExpiresAfter passed: whatever is still open ends DeliveryTimedOut. */
  private expired(state: ActiveCommand): void {
    state.closed = true;
    for (const inv of state.invs) {
      if (isTerminal(inv)) continue;
      this.agent.abandon(inv);
      this.finish(state, inv, 'DeliveryTimedOut');
    }
  }

  /** CancelCommand: undelivered invocations end Cancelled at once, running ones go through Cancelling. */
  cancel(cmd: CommandRecord, instanceIds: readonly string[] | undefined): void {
    const state = this.active.get(cmd.commandId);
    if (!state) return;
    if (!instanceIds || instanceIds.length === 0) {
      cmd.cancelRequested = true;
      this.store.saveCommand(cmd);
    }
    for (const inv of state.invs) {
      if (isTerminal(inv) || (instanceIds && instanceIds.length > 0 && !instanceIds.includes(inv.instanceId))) continue;
      if (inv.deliveredAt !== undefined && this.agent.isRunning(inv)) this.agent.cancel(inv);
      else this.finish(state, inv, 'Cancelled');
    }
  }

  stopAll(): void {
    for (const state of this.active.values()) {
      for (const t of state.timers) clearTimeout(t);
      for (const t of state.deliveryTimers.values()) clearTimeout(t);
    }
    this.active.clear();
    this.agent.abandonAll();
  }
}
