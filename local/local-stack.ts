import { join } from 'node:path';
import { CreateBucketCommand } from '@aws-sdk/client-s3';
import { createS3Client } from '../aws/clients.js';
import { type FleetConfig, loadFleetConfig } from '../fleet/config.js';
import { type RunningFleet, startFleet } from '../fleet/server.js';
import { freePort } from './free-port.js';
import { projectRoot } from './project-root.js';
import { preferredPort } from './port-available.js';
import { startS3Emulator, type S3Emulator } from './s3-emulator.js';
import { startTemporalDevServer, type TemporalDevServer } from './temporal-dev-server.js';
import { localAwsEnvironment } from './local-aws-env.js';

/** The fleet `ssmflow dev` starts without --fleet: three instances tagged Env=dev (runbooks/examples/hello.yaml's default). */
export const defaultDevFleetConfigPath = join(projectRoot, 'fleet', 'examples', 'dev.yaml');

export function loadDefaultDevFleetConfig(): FleetConfig {
  return loadFleetConfig(defaultDevFleetConfigPath);
}

export interface LocalStack {
  temporal: TemporalDevServer;
  s3: S3Emulator;
  /** The local SSM fleet, when the stack was asked to start one. */
  fleet?: RunningFleet;
  outputBucket: string;
  /** Environment for a worker or CLI in another shell. */
  env: Record<string, string>;
  stop(): Promise<void>;
}

export interface LocalStackOptions {
  stateDir?: string;
  /** Preferred ports, used when free (else any free one); 0 = any free port. */
  temporalPort?: number;
  /** Temporal Web UI port; 0 = no UI (headless). */
  uiPort?: number;
  s3Port?: number;
  outputBucket?: string;
  /**
   * Also run the local SSM fleet in this process, state in `<stateDir>/fleet`, writing command
   * output to this stack's S3 emulator unless the config names another S3 endpoint.
   */
  fleet?: { config: FleetConfig; port?: number };
}

/** The preferred port when free, else any free one; 0 asks for any free one. */
const pickPort = (preferred: number) => (preferred === 0 ? freePort() : preferredPort(preferred));

/**
 * The local default stack (docs/architecture.md, "The rooms"): a Temporal dev server persisting to .ssmflow/temporal.db
 * (so runs survive a restart), the S3 emulator with the output bucket, and (when asked) the local
 * fleet. Preferred ports are used when free, so a second stack on the same machine still starts.
 */
export async function startLocalStack(options: LocalStackOptions = {}): Promise<LocalStack> {
  const stateDir = options.stateDir ?? join(projectRoot, '.ssmflow');
  const [temporalPort, uiPort, s3Port] = [
    await pickPort(options.temporalPort ?? 7233),
    options.uiPort === 0 ? 0 : await preferredPort(options.uiPort ?? 8233),
    await pickPort(options.s3Port ?? 4566),
  ];
  // Started side by side; if one fails, the others are stopped before the error is thrown.
  const started = await Promise.allSettled([
    startTemporalDevServer({ port: temporalPort, uiPort, dbFile: join(stateDir, 'temporal.db') }),
    startS3Emulator({ port: s3Port }),
  ]);
  const [temporalResult, s3Result] = started;
  if (temporalResult.status === 'rejected' || s3Result.status === 'rejected') {
    await Promise.all(started.map((r) => (r.status === 'fulfilled' ? r.value.stop() : Promise.resolve())));
    throw ((temporalResult.status === 'rejected' ? temporalResult : s3Result) as PromiseRejectedResult).reason;
  }
  const temporal = temporalResult.value;
  const s3 = s3Result.value;
  const stopEmulators = () => Promise.all([temporal.stop(), s3.stop()]).then(() => undefined);
  const outputBucket = options.outputBucket ?? 'ssmflow-output';
  let fleet: RunningFleet | undefined;
  try {
    // This process talks to the local endpoints too (bucket creation, in-process workers).
    for (const [key, value] of Object.entries(localAwsEnvironment({}))) process.env[key] ??= value;
    const s3Client = createS3Client({ endpoint: s3.endpoint });
    try {
      await s3Client.send(new CreateBucketCommand({ Bucket: outputBucket }));
    } finally {
      s3Client.destroy();
    }
    if (options.fleet) {
      const { config, port } = options.fleet;
      fleet = await startFleet({
        stateDir: join(stateDir, 'fleet'),
        port: await pickPort(port ?? 4580),
        config: { ...config, s3Endpoint: config.s3Endpoint ?? s3.endpoint },
      });
    }
  } catch (err) {
    await stopEmulators();
    throw err;
  }
  const env = {
    TEMPORAL_ADDRESS: temporal.address,
    TEMPORAL_NAMESPACE: temporal.namespace,
    SSMFLOW_OUTPUT_BUCKET: outputBucket,
    ...localAwsEnvironment({ s3: s3.endpoint, ...(fleet ? { ssm: fleet.endpoint } : {}) }),
  };
  return {
    temporal,
    s3,
    ...(fleet ? { fleet } : {}),
    outputBucket,
    env,
    stop: async () => {
      // The fleet first: its running steps may still upload output to S3 until they are killed.
      await fleet?.stop();
      await stopEmulators();
    },
  };
}
