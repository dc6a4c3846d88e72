import { createReadStream } from 'node:fs';
import { stat } from 'node:fs/promises';
import { HeadBucketCommand, PutObjectCommand, S3Client } from '@aws-sdk/client-s3';
import { SsmError } from './errors.js';

/** Uploads command output to S3 the way the agent does, to the S3 endpoint the fleet was given (never real AWS). */
export class S3OutputUploader {
  private client: S3Client | undefined;

  constructor(
    private readonly endpoint: string | undefined,
    private readonly region: string,
  ) {}

  private s3(): S3Client {
    if (!this.endpoint) {
      throw new SsmError(
        'InvalidOutputFolder',
        'The local fleet has no S3 endpoint: set AWS_ENDPOINT_URL_S3 (or s3Endpoint in the fleet config).',
      );
    }
    this.client ??= new S3Client({
      region: this.region,
      endpoint: this.endpoint,
      forcePathStyle: true,
      credentials: {
        accessKeyId: process.env.AWS_ACCESS_KEY_ID ?? 'fleet',
        secretAccessKey: process.env.AWS_SECRET_ACCESS_KEY ?? 'fleet',
        ...(process.env.AWS_SESSION_TOKEN ? { sessionToken: process.env.AWS_SESSION_TOKEN } : {}),
      },
    });
    return this.client;
  }

  /** SendCommand's InvalidOutputFolder check: the bucket must exist. */
  async checkBucket(bucket: string): Promise<void> {
    try {
      await this.s3().send(new HeadBucketCommand({ Bucket: bucket }));
    } catch (err) {
      if (err instanceof SsmError) throw err;
      throw new SsmError('InvalidOutputFolder', `The S3 bucket ${bucket} does not exist or is not reachable.`);
    }
  }

  /** Uploads a stream file if it is non-empty (the agent skips empty streams). Returns whether an object was written. */
  async uploadIfNonEmpty(bucket: string, key: string, file: string): Promise<boolean> {
    const size = (await stat(file).catch(() => undefined))?.size ?? 0;
    if (size === 0) return false;
    await this.s3().send(new PutObjectCommand({ Bucket: bucket, Key: key, Body: createReadStream(file), ContentLength: size }));
    return true;
  }

  close(): void {
    this.client?.destroy();
  }
}
