export interface WorkerConfig {
  temporalAddress: string;
  namespace: string;
  taskQueue: string;
  outputBucket?: string;
}

export class ConfigError extends Error {
  constructor(
    readonly setting: string,
    message: string,
  ) {
    super(`${setting}: ${message}`);
    this.name = 'ConfigError';
  }
}

const hostPort = /^[A-Za-z0-9.-]+:\d{1,5}$|^\[[0-9a-fA-F:]+\]:\d{1,5}$/;

/** Reads the worker's settings from the environment, naming the variable in any error. */
export function workerConfigFromEnv(env: NodeJS.ProcessEnv = process.env): WorkerConfig {
  const temporalAddress = env.TEMPORAL_ADDRESS ?? '127.0.0.1:7233';
  if (!hostPort.test(temporalAddress)) {
    throw new ConfigError('TEMPORAL_ADDRESS', `expected host:port (e.g. 127.0.0.1:7233), got "${temporalAddress}"`);
  }
  const taskQueue = env.SSMFLOW_TASK_QUEUE ?? 'ssmflow';
  if (!taskQueue.trim()) throw new ConfigError('SSMFLOW_TASK_QUEUE', 'must not be empty');
  return {
    temporalAddress,
    namespace: env.TEMPORAL_NAMESPACE ?? 'default',
    taskQueue,
    outputBucket: env.SSMFLOW_OUTPUT_BUCKET || undefined,
  };
}
