import { randomUUID } from 'node:crypto';
import { DeleteObjectCommand, GetObjectCommand, PutObjectCommand, type S3Client } from '@aws-sdk/client-s3';

export interface OutputBucketProbeInput {
  bucket: string;
  /** Key prefix ssmflow writes command output under. */
  prefix: string;
}

export interface OutputBucketProbeResult {
  bucket: string;
  key: string;
  bytes: number;
  checkedAt: string;
}

/** Why the output bucket cannot be used; no retry fixes any of these. */
export class OutputBucketProblem extends Error {
  constructor(
    readonly kind: 'OutputBucketCorrupt' | 'OutputBucketMissing' | 'OutputBucketAccessDenied',
    message: string,
  ) {
    super(message);
    this.name = 'OutputBucketProblem';
  }
}

/**
 * Proves ssmflow can write, read back and delete under the output prefix, so a run does not
 * discover a missing bucket or permission only after its first command.
 */
export async function probeOutputBucket(s3: S3Client, { bucket, prefix }: OutputBucketProbeInput): Promise<OutputBucketProbeResult> {
  const key = `${prefix.replace(/\/+$/, '')}/_ssmflow-probe/${randomUUID()}`;
  const body = `ssmflow output bucket probe ${new Date().toISOString()}`;
  try {
    await s3.send(new PutObjectCommand({ Bucket: bucket, Key: key, Body: body, ContentType: 'text/plain' }));
    const read = await s3.send(new GetObjectCommand({ Bucket: bucket, Key: key }));
    const text = (await read.Body?.transformToString('utf8')) ?? '';
    if (text !== body) {
      throw new OutputBucketProblem(
        'OutputBucketCorrupt',
        `s3://${bucket}/${key} read back ${text.length} bytes that differ from what was written`,
      );
    }
    await s3.send(new DeleteObjectCommand({ Bucket: bucket, Key: key }));
    return { bucket, key, bytes: Buffer.byteLength(body), checkedAt: new Date().toISOString() };
  } catch (err) {
    const name = (err as { name?: string }).name;
    if (name === 'NoSuchBucket') {
      throw new OutputBucketProblem(
        'OutputBucketMissing',
        `Output bucket ${bucket} does not exist. Create it, or set SSMFLOW_OUTPUT_BUCKET to an existing bucket.`,
      );
    }
    if (name === 'AccessDenied') {
      throw new OutputBucketProblem(
        'OutputBucketAccessDenied',
        `The worker may not write s3://${bucket}/${prefix}: grant s3:PutObject, s3:GetObject and s3:DeleteObject on that prefix (docs/deploy.md).`,
      );
    }
    throw err;
  }
}
