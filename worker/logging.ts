// Structured JSON logs, one object per line on stdout: what log shippers and `jq` expect. The
// SDK's own logs (workflow and activity logs carry workflowId, runId, activityId, …) and Core's
// native logs are routed through the same logger by Runtime.install.
import type { Logger as TemporalLogger, LogLevel as TemporalLogLevel, LogMetadata } from '@temporalio/common';
import { pino, type Logger, type LevelWithSilent } from 'pino';

export type SsmflowLogger = Logger;

export function createJsonLogger(level: LevelWithSilent, destination: NodeJS.WritableStream | number = 1): SsmflowLogger {
  return pino(
    {
      level,
      base: { service: 'ssmflow-worker', pid: process.pid },
      timestamp: pino.stdTimeFunctions.isoTime,
      formatters: { level: (label) => ({ level: label }) },
      serializers: { err: pino.stdSerializers.err, error: pino.stdSerializers.err },
    },
    // Synchronous writes: the last lines before a shutdown exit are the ones worth having.
    typeof destination === 'number' ? pino.destination({ fd: destination, sync: true }) : destination,
  );
}

const pinoLevel: Record<TemporalLogLevel, 'trace' | 'debug' | 'info' | 'warn' | 'error'> = {
  TRACE: 'trace',
  DEBUG: 'debug',
  INFO: 'info',
  WARN: 'warn',
  ERROR: 'error',
};

/** The Temporal SDK's Logger interface over pino, for Runtime.install({ logger }). */
export function temporalLoggerFor(logger: SsmflowLogger): TemporalLogger {
  const write = (level: TemporalLogLevel, message: string, meta?: LogMetadata) => {
    // Symbol keys (the SDK's native timestamp) are not JSON; pino drops them.
    logger[pinoLevel[level]]({ ...meta }, message);
  };
  return {
    log: write,
    trace: (message, meta) => write('TRACE', message, meta),
    debug: (message, meta) => write('DEBUG', message, meta),
    info: (message, meta) => write('INFO', message, meta),
    warn: (message, meta) => write('WARN', message, meta),
    error: (message, meta) => write('ERROR', message, meta),
  };
}
