import type { S3Client } from '@aws-sdk/client-s3';
import { createOutputBucketActivities } from './output-bucket.js';

export interface ActivityDependencies {
  s3: S3Client;
}

/** All activities the worker registers, wired to their AWS clients. */
export function createActivities(deps: ActivityDependencies) {
  return {
    ...createOutputBucketActivities(deps.s3),
  };
}

export type SsmflowActivities = ReturnType<typeof createActivities>;
