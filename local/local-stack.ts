import { join } from 'node:path';
import { CreateBucketCommand } from '@aws-sdk/client-s3';
import { createS3Client } from '../activities/aws-clients.js';
import { projectRoot } from './project-root.js';
import { preferredPort } from './port-available.js';
import { startS3Emulator, type S3Emulator } from './s3-emulator.js';
import { startTemporalDevServer, type TemporalDevServer } from './temporal-dev-server.js';
import { localAwsEnvironment } from './local-aws-env.js';

export interface LocalStack {
  temporal: TemporalDevServer;
  s3: S3Emulator;
  outputBucket: string;
  /** Environment for a worker or CLI in another shell. */
  env: Record<string, string>;
  stop(): Promise<void>;
}

export interface LocalStackOptions {
  stateDir?: string;
  temporalPort?: number;
  uiPort?: number;
  s3Port?: number;
  outputBucket?: string;
}

/**
 * The local default stack of DESIGN.md: a Temporal dev server persisting to .ssmflow/temporal.db
 * (so runs survive a restart), the S3 emulator with the output bucket. Preferred ports are used
 * when free, so a second stack on the same machine still starts.
 */
export async function startLocalStack(options: LocalStackOptions = {}): Promise<LocalStack> {
  const stateDir = options.stateDir ?? join(projectRoot, '.ssmflow');
  const [temporalPort, uiPort, s3Port] = [
    await preferredPort(options.temporalPort ?? 7233),
    await preferredPort(options.uiPort ?? 8233),
    await preferredPort(options.s3Port ?? 4566),
  ];
  const [temporal, s3] = await Promise.all([
    startTemporalDevServer({ port: temporalPort, uiPort, dbFile: join(stateDir, 'temporal.db') }),
    startS3Emulator({ port: s3Port }),
  ]);
  const outputBucket = options.outputBucket ?? 'ssmflow-output';
  // This process talks to the local endpoints too (bucket creation, in-process workers).
  for (const [key, value] of Object.entries(localAwsEnvironment({}))) process.env[key] ??= value;
  const s3Client = createS3Client({ endpoint: s3.endpoint });
  try {
    await s3Client.send(new CreateBucketCommand({ Bucket: outputBucket }));
  } finally {
    s3Client.destroy();
  }
  const env = {
    TEMPORAL_ADDRESS: temporal.address,
    TEMPORAL_NAMESPACE: temporal.namespace,
    SSMFLOW_OUTPUT_BUCKET: outputBucket,
    ...localAwsEnvironment({ s3: s3.endpoint }),
  };
  return {
    temporal,
    s3,
    outputBucket,
    env,
    stop: async () => {
      await Promise.all([temporal.stop(), s3.stop()]);
    },
  };
}
