// SIGTERM/SIGINT: stop polling, give running activities the grace time to finish (they keep
// heartbeating), then hand the SSM waits still open to other workers, and exit within the force time.
import type { CommandStatusPoller } from '../aws/ssm/command-status-poller.js';
import type { SsmflowLogger } from './logging.js';

export interface ShutdownTimes {
  /** How long running activities may take to finish on their own. */
  graceMs: number;
  /** The hard cap on the whole shutdown (the SDK fails the worker after it). */
  forceMs: number;
}

/**
 * The SDK's grace time for these settings. ssmflow stops the status poller at `graceMs`: each
 * waiting step then fails retryably with its CommandId already heartbeated, and another worker
 * resumes the wait. The SDK's own grace ends a little later, because its WORKER_SHUTDOWN
 * cancellation would reach a waiting step as a cancel, and a cancelled step cancels its SSM command.
 */
export function sdkShutdownTimes(times: ShutdownTimes): { shutdownGraceTime: number; shutdownForceTime: number } {
  const margin = Math.min(5_000, Math.floor((times.forceMs - times.graceMs) / 2));
  return { shutdownGraceTime: times.graceMs + margin, shutdownForceTime: times.forceMs };
}

export interface ShutdownHandle {
  readonly started: boolean;
  dispose(): void;
}

export function handleShutdownSignals(options: {
  times: ShutdownTimes;
  poller: CommandStatusPoller;
  logger: SsmflowLogger;
  /** Stops polling; the worker's run() resolves once it has drained. */
  shutdownWorker: () => void;
  signals?: NodeJS.Signals[];
}): ShutdownHandle {
  const { times, poller, logger } = options;
  const signals = options.signals ?? ['SIGTERM', 'SIGINT'];
  let started = false;
  let handOverTimer: NodeJS.Timeout | undefined;

  const onSignal = (signal: NodeJS.Signals) => {
    if (started) {
      logger.warn({ signal }, 'second shutdown signal: exiting without waiting for activities');
      process.exit(1);
    }
    started = true;
    logger.info(
      { signal, graceMs: times.graceMs, forceMs: times.forceMs, waitingCommands: poller.waitingCount },
      'shutdown requested: stopped polling, letting running activities finish',
    );
    options.shutdownWorker();
    handOverTimer = setTimeout(() => {
      if (poller.waitingCount > 0)
        logger.info(
          { waitingCommands: poller.waitingCount },
          'grace time over: handing SSM command waits to other workers (they resume from the heartbeated CommandId)',
        );
      poller.stop();
    }, times.graceMs);
    handOverTimer.unref();
  };
  for (const signal of signals) process.on(signal, onSignal);
  return {
    get started() {
      return started;
    },
    dispose() {
      if (handOverTimer) clearTimeout(handOverTimer);
      for (const signal of signals) process.off(signal, onSignal);
    },
  };
}
