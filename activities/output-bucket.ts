import { randomUUID } from 'node:crypto';
import { DeleteObjectCommand, GetObjectCommand, PutObjectCommand, type S3Client } from '@aws-sdk/client-s3';
import { ApplicationFailure } from '@temporalio/activity';

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

/**
 * Proves the worker can write, read back and delete under the output prefix, so a run does not
 * discover a missing bucket or permission only after its first command.
 */
export function createOutputBucketActivities(s3: S3Client) {
  return {
    async probeOutputBucket({ bucket, prefix }: OutputBucketProbeInput): Promise<OutputBucketProbeResult> {
      const key = `${prefix.replace(/\/+$/, '')}/_ssmflow-probe/${randomUUID()}`;
      const body = `ssmflow output bucket probe ${new Date().toISOString()}`;
      try {
        await s3.send(new PutObjectCommand({ Bucket: bucket, Key: key, Body: body, ContentType: 'text/plain' }));
        const read = await s3.send(new GetObjectCommand({ Bucket: bucket, Key: key }));
        const text = (await read.Body?.transformToString('utf8')) ?? '';
        if (text !== body) {
          throw ApplicationFailure.nonRetryable(`s3://${bucket}/${key} read back ${text.length} bytes that differ from what was written`, 'OutputBucketCorrupt');
        }
        await s3.send(new DeleteObjectCommand({ Bucket: bucket, Key: key }));
        return { bucket, key, bytes: Buffer.byteLength(body), checkedAt: new Date().toISOString() };
      } catch (err) {
        const name = (err as { name?: string }).name;
        if (name === 'NoSuchBucket') {
          throw ApplicationFailure.nonRetryable(
            `Output bucket ${bucket} does not exist. Create it, or set SSMFLOW_OUTPUT_BUCKET to an existing bucket.`,
            'OutputBucketMissing',
          );
        }
        if (name === 'AccessDenied') {
          throw ApplicationFailure.nonRetryable(
            `The worker may not write s3://${bucket}/${prefix}: grant s3:PutObject, s3:GetObject and s3:DeleteObject on that prefix (docs/deploy.md).`,
            'OutputBucketAccessDenied',
          );
        }
        throw err;
      }
    },
  };
}

export type OutputBucketActivities = ReturnType<typeof createOutputBucketActivities>;
