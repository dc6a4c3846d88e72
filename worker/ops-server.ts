// The worker's operations endpoint on one port: /metrics (ssmflow's metrics followed by the SDK's,
// so Prometheus needs one scrape target per worker), /healthz (liveness) and /readyz (readiness).
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import type { State as WorkerState } from '@temporalio/worker';
import type { SsmflowMetrics } from './metrics.js';

export interface WorkerHealth {
  /** The Temporal worker's state; undefined before it is created. */
  workerState(): WorkerState | undefined;
  /** True from the first shutdown signal on. */
  shuttingDown(): boolean;
}

export interface OpsServerOptions {
  host: string;
  port: number;
  metrics: SsmflowMetrics;
  /** host:port of Core's Prometheus exporter, merged into /metrics; undefined when it is off. */
  sdkMetricsAddress?: string;
  health: WorkerHealth;
}

export interface OpsServer {
  readonly address: string;
  close(): Promise<void>;
}

// Alive while starting, running or draining: a liveness probe must not kill a draining worker.
const aliveStates = new Set<WorkerState | undefined>([undefined, 'INITIALIZED', 'RUNNING', 'STOPPING', 'DRAINING', 'DRAINED']);

export async function startOpsServer(options: OpsServerOptions): Promise<OpsServer> {
  const server: Server = createServer((req, res) => {
    const path = (req.url ?? '/').split('?')[0];
    if (req.method !== 'GET' && req.method !== 'HEAD') {
      res.writeHead(405, { allow: 'GET, HEAD' }).end();
      return;
    }
    if (path === '/metrics') {
      void metricsText(options).then(
        (text) => res.writeHead(200, { 'content-type': options.metrics.registry.contentType }).end(text),
        (err: unknown) =>
          res.writeHead(500, { 'content-type': 'text/plain' }).end(`metrics collection failed: ${(err as Error).message}\n`),
      );
      return;
    }
    if (path === '/healthz' || path === '/readyz') {
      const state = options.health.workerState();
      const shuttingDown = options.health.shuttingDown();
      const ok = path === '/healthz' ? aliveStates.has(state) : state === 'RUNNING' && !shuttingDown;
      res
        .writeHead(ok ? 200 : 503, { 'content-type': 'application/json' })
        .end(JSON.stringify({ status: ok ? 'ok' : 'unavailable', workerState: state ?? 'STARTING', shuttingDown }) + '\n');
      return;
    }
    res.writeHead(404, { 'content-type': 'text/plain' }).end('ssmflow worker: /metrics, /healthz, /readyz\n');
  });
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(options.port, options.host, () => resolve());
  });
  const bound = server.address() as AddressInfo;
  return {
    address: `${bound.address}:${bound.port}`,
    close: () => new Promise<void>((resolve) => server.close(() => resolve())),
  };
}

async function metricsText(options: OpsServerOptions): Promise<string> {
  const ours = await options.metrics.registry.metrics();
  if (!options.sdkMetricsAddress) return ours;
  try {
    const response = await fetch(`http://${options.sdkMetricsAddress}/metrics`, { signal: AbortSignal.timeout(2_000) });
    if (!response.ok) throw new Error(`HTTP ${response.status}`);
    return `${ours}\n${await response.text()}`;
  } catch (err) {
    // ssmflow's figures are still worth serving when Core's exporter does not answer.
    return `${ours}\n# SDK metrics unavailable from ${options.sdkMetricsAddress}: ${(err as Error).message}\n`;
  }
}

/** Splits "host:port" (IPv6 in brackets) for listen(). */
export function splitHostPort(address: string): { host: string; port: number } {
  const at = address.lastIndexOf(':');
  return { host: address.slice(0, at).replace(/^\[|\]$/g, ''), port: Number(address.slice(at + 1)) };
}
