import type { SSMClient } from '@aws-sdk/client-ssm';
import { Client } from '@temporalio/client';
import { NativeConnection, type Worker } from '@temporalio/worker';
import { createS3Client, createSsmClient } from '../aws/clients.js';
import { CommandStatusPoller } from '../aws/ssm/command-status-poller.js';
import { copyCallCounters, countSsmCalls } from '../aws/ssm/ssm-call-counter.js';
import { runStatuses } from '../workflows/run-state.js';
import { loadSettings } from '../core/config.js';
import { createSsmflowWorker } from './create-worker.js';
import { dataConverterFromConfig } from '../core/data-converter.js';
import { resolveNotificationSettings } from '../core/notification-settings.js';
import { handleShutdownSignals, sdkShutdownTimes } from './graceful-shutdown.js';
import { createJsonLogger } from './logging.js';
import { SsmflowMetrics } from './metrics.js';
import { splitHostPort, startOpsServer } from './ops-server.js';
import { installWorkerRuntime } from './runtime.js';
import { describeConnection, nativeConnectionOptions } from '../core/temporal-connection.js';
import { tracingFromSettings } from './tracing.js';
import { prebuiltWorkflowBundle } from './workflow-source.js';

export interface RunWorkerOptions {
  /** A YAML config file; defaults to SSMFLOW_CONFIG. */
  configFile?: string;
  /** Called once the worker polls, with the ops endpoint's bound address. */
  onReady?: (info: { opsAddress?: string }) => void;
  /** The SSM client to use (tests wrap one); otherwise the standard credential chain and region. */
  ssm?: SSMClient;
  /** The client SendCommand goes through (no SDK retries); derived from `ssm` when not given. */
  ssmSend?: SSMClient;
}

/**
 * Runs a worker until SIGTERM/SIGINT, then drains it within the configured shutdown times.
 * Resolves after a clean drain; rejects on bad configuration or when the force time ran out.
 */
export async function runWorker(env: NodeJS.ProcessEnv = process.env, options: RunWorkerOptions = {}): Promise<void> {
  const settings = loadSettings({ env, configFile: options.configFile });
  // Bad keys (and webhooks whose HMAC key is missing) fail here, before anything connects.
  const dataConverter = dataConverterFromConfig(settings.encryption);
  const notifications = resolveNotificationSettings(settings.notifications, env);
  const logger = createJsonLogger(settings.observability.logLevel);
  installWorkerRuntime(settings.observability, logger);

  const metrics = new SsmflowMetrics();
  const ssm = options.ssm ?? createSsmClient();
  const s3 = createS3Client();
  countSsmCalls(ssm, (operation) => {
    metrics.ssmCalls.inc({ operation });
    if (operation === 'SendCommand') metrics.commandsSent.inc();
  });
  // A send client given by the caller was derived before these counters existed.
  if (options.ssmSend) copyCallCounters(ssm, options.ssmSend);
  const pollerLog = logger.child({ component: 'command-status-poller' });
  const poller = new CommandStatusPoller(ssm, {
    log: (message) => {
      if (/throttled/i.test(message)) metrics.ssmThrottles.inc({ source: 'poller' });
      pollerLog.warn(message);
    },
  });
  metrics.watchWaitingCommands(() => poller.waitingCount);
  const tracing = tracingFromSettings(settings.observability.tracing);

  const connection = await NativeConnection.connect(nativeConnectionOptions(settings.temporal));
  const { namespace, taskQueue } = settings.temporal;
  if (settings.observability.runsGauge) {
    const client = new Client({ connection, namespace, dataConverter });
    metrics.countRunsWith(async () => {
      const counts = await Promise.all(
        runStatuses.map(async (status) => [status, (await client.workflow.count(`SsmflowStatus = '${status}'`)).count] as const),
      );
      return Object.fromEntries(counts);
    });
  }

  let worker: Worker | undefined;
  let shutdown: ReturnType<typeof handleShutdownSignals> | undefined;
  const ops =
    settings.observability.httpAddress === 'off'
      ? undefined
      : await startOpsServer({
          ...splitHostPort(settings.observability.httpAddress),
          metrics,
          sdkMetricsAddress: settings.observability.sdkMetricsAddress === 'off' ? undefined : settings.observability.sdkMetricsAddress,
          health: { workerState: () => worker?.getState(), shuttingDown: () => shutdown?.started ?? false },
        });
  try {
    const times = { graceMs: settings.worker.shutdownGraceTime, forceMs: settings.worker.shutdownForceTime };
    const workflowBundle = settings.worker.workflowBundle ?? prebuiltWorkflowBundle();
    worker = await createSsmflowWorker({
      connection,
      namespace,
      taskQueue,
      workflowBundlePath: workflowBundle,
      dependencies: {
        s3,
        ssm,
        ...(options.ssmSend ? { ssmSend: options.ssmSend } : {}),
        poller,
        sendOnce: { listingLagMs: settings.worker.ssmListingLag },
        notifications,
      },
      dataConverter,
      metrics,
      ...(tracing ? { plugins: [tracing.plugin] } : {}),
      tuning: {
        maxConcurrentActivityTaskExecutions: settings.worker.maxConcurrentActivities,
        maxConcurrentWorkflowTaskExecutions: settings.worker.maxConcurrentWorkflowTasks,
        ...(settings.worker.maxCachedWorkflows !== undefined ? { maxCachedWorkflows: settings.worker.maxCachedWorkflows } : {}),
        ...sdkShutdownTimes(times),
      },
    });
    const running = worker;
    shutdown = handleShutdownSignals({ times, poller, logger, shutdownWorker: () => running.shutdown() });
    logger.info(
      {
        ...describeConnection(settings.temporal),
        opsAddress: ops?.address,
        encryption: dataConverter.payloadCodecs ? 'aes-256-gcm' : 'off',
        tracing: tracing ? settings.observability.tracing.exporter : 'off',
        // Names only: a webhook URL may hold its secret.
        webhooks: notifications.webhooks.map((hook) => `${hook.name} (${hook.format})`),
        workflowCode: workflowBundle ?? 'bundled from the sources at start',
      },
      'ssmflow worker polling',
    );
    options.onReady?.({ opsAddress: ops?.address });
    await running.run();
    logger.info('ssmflow worker drained and stopped');
  } finally {
    shutdown?.dispose();
    poller.stop();
    await tracing?.shutdown().catch(() => undefined);
    await ops?.close();
    await connection.close();
    // Idle keep-alive sockets would otherwise hold the process open after the drain.
    s3.destroy();
    if (!options.ssm) ssm.destroy();
  }
}
