// ssmflow's own Prometheus metrics (prom-client). The SDK's runtime metrics (temporal_*) come
// from Core's exporter and are merged into the same /metrics response by the ops server.
import { collectDefaultMetrics, Counter, Gauge, Histogram, Registry } from 'prom-client';
import { runStatuses } from '../workflows/run-state.js';

/** Runs per SsmflowStatus, as a visibility count; undefined when visibility cannot answer. */
export type RunCounter = () => Promise<Record<string, number> | undefined>;

export class SsmflowMetrics {
  readonly registry = new Registry();

  readonly ssmCalls = new Counter({
    name: 'ssmflow_ssm_calls_total',
    help: 'SSM API requests sent by this worker, by operation (each SDK retry counts once more).',
    labelNames: ['operation'],
    registers: [this.registry],
  });

  readonly ssmThrottles = new Counter({
    name: 'ssmflow_ssm_throttles_total',
    help: 'ThrottlingException answers seen: by the status poller (it backs off), or surfacing from an activity after SDK retries.',
    labelNames: ['source'],
    registers: [this.registry],
  });

  readonly commandsSent = new Counter({
    name: 'ssmflow_commands_sent_total',
    help: 'SendCommand requests made by this worker (new SSM commands; a retried step that finds its earlier command sends none).',
    registers: [this.registry],
  });

  readonly commandsFinished = new Counter({
    name: 'ssmflow_commands_finished_total',
    help: 'SSM commands whose wait ended on this worker, by terminal status.',
    labelNames: ['status'],
    registers: [this.registry],
  });

  readonly stepDuration = new Histogram({
    name: 'ssmflow_step_duration_seconds',
    help: 'Command requested to terminal, per step command (runCommand) or per waitUntil step (runCheckUntilSuccess), by status.',
    labelNames: ['activity', 'status'],
    buckets: [1, 5, 15, 30, 60, 120, 300, 600, 1_800, 3_600, 7_200, 14_400],
    registers: [this.registry],
  });

  readonly activityFailures = new Counter({
    name: 'ssmflow_activity_failures_total',
    help: 'ssmflow activity attempts that failed, by activity and failure type.',
    labelNames: ['activity', 'type'],
    registers: [this.registry],
  });

  private waitingCommands: () => number = () => 0;

  constructor(options: { processMetrics?: boolean } = {}) {
    const waiting = () => this.waitingCommands();
    new Gauge({
      name: 'ssmflow_commands_waiting',
      help: 'SSM commands the worker-wide status poller is waiting on now.',
      registers: [this.registry],
      // prom-client calls collect() on every scrape.
      collect() {
        this.set(waiting());
      },
    });
    if (options.processMetrics ?? true) collectDefaultMetrics({ register: this.registry });
  }

  /** Reads the poller's backlog at scrape time. */
  watchWaitingCommands(count: () => number): void {
    this.waitingCommands = count;
  }

  /**
   * ssmflow_runs{status}: runs in the namespace by SsmflowStatus, from Temporal visibility (the
   * same figure on every worker; aggregate with max()). Cached so scrapes cost at most one round
   * of count queries per `cacheMs`.
   */
  countRunsWith(counter: RunCounter, cacheMs = 5_000): void {
    let cached: { at: number; counts: Record<string, number> | undefined } | undefined;
    new Gauge({
      name: 'ssmflow_runs',
      help: 'Runs in the namespace by SsmflowStatus (Temporal visibility; same value on every worker).',
      labelNames: ['status'],
      registers: [this.registry],
      async collect() {
        if (!cached || Date.now() - cached.at > cacheMs) cached = { at: Date.now(), counts: await counter().catch(() => undefined) };
        this.reset();
        if (!cached.counts) return;
        for (const status of runStatuses) this.set({ status }, cached.counts[status] ?? 0);
      },
    });
  }
}
