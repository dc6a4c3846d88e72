import { proxyActivities } from '@temporalio/workflow';
import type { OutputBucketActivities } from '../activities/output-bucket.js';
import type { OutputBucketProbeInput, OutputBucketProbeResult } from '../aws/output-bucket.js';

const { probeOutputBucket } = proxyActivities<OutputBucketActivities>({
  startToCloseTimeout: '30 seconds',
  retry: {
    maximumAttempts: 5,
    initialInterval: '1 second',
    nonRetryableErrorTypes: ['OutputBucketMissing', 'OutputBucketAccessDenied', 'OutputBucketCorrupt'],
  },
});

/** Preflight: the output bucket ssmflow writes full command output to is usable by the workers. */
export async function checkOutputBucket(input: OutputBucketProbeInput): Promise<OutputBucketProbeResult> {
  return probeOutputBucket(input);
}
