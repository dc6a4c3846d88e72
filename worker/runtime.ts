import { makeTelemetryFilterString, Runtime } from '@temporalio/worker';
import type { SsmflowSettings } from '../core/config.js';
import { temporalLoggerFor, type SsmflowLogger } from './logging.js';

/**
 * Installs the SDK runtime once, before any connection: logs (SDK and Core) go to the JSON
 * logger, Core's Prometheus exporter listens on sdkMetricsAddress (merged into /metrics by the
 * ops server). Signals are left to ssmflow's own shutdown handler.
 */
export function installWorkerRuntime(observability: SsmflowSettings['observability'], logger: SsmflowLogger): Runtime {
  return Runtime.install({
    logger: temporalLoggerFor(logger),
    shutdownSignals: [],
    telemetryOptions: {
      logging: { forward: {}, filter: makeTelemetryFilterString({ core: 'WARN', other: 'ERROR' }) },
      ...(observability.sdkMetricsAddress !== 'off' ? { metrics: { prometheus: { bindAddress: observability.sdkMetricsAddress } } } : {}),
    },
  });
}
