// The probeOutputBucket activity: the probe of aws/output-bucket.ts, its problems made
// non-retryable failures of the same type names.
import type { S3Client } from '@aws-sdk/client-s3';
import { ApplicationFailure } from '@temporalio/activity';
import { OutputBucketProblem, probeOutputBucket, type OutputBucketProbeInput, type OutputBucketProbeResult } from '../aws/output-bucket.js';

export function createOutputBucketActivities(s3: S3Client) {
  return {
    async probeOutputBucket(input: OutputBucketProbeInput): Promise<OutputBucketProbeResult> {
      try {
        return await probeOutputBucket(s3, input);
      } catch (err) {
        if (err instanceof OutputBucketProblem) throw ApplicationFailure.nonRetryable(err.message, err.kind);
        throw err;
      }
    },
  };
}

export type OutputBucketActivities = ReturnType<typeof createOutputBucketActivities>;
