import { ResourceGroupsTaggingAPIClient } from '@aws-sdk/client-resource-groups-tagging-api';
import { S3Client } from '@aws-sdk/client-s3';
import { SSMClient, type SSMClientConfig } from '@aws-sdk/client-ssm';
import { copyCallCounters } from './ssm/ssm-call-counter.js';

// The SDK reads AWS_ENDPOINT_URL_SSM / AWS_ENDPOINT_URL_S3 itself; an explicit endpoint (tests)
// overrides them. Emulators on 127.0.0.1 need path-style S3 addressing.
export function createS3Client(options: { endpoint?: string; region?: string } = {}): S3Client {
  const endpoint = options.endpoint ?? process.env.AWS_ENDPOINT_URL_S3;
  return new S3Client({
    region: options.region ?? awsRegion(),
    ...(endpoint ? { endpoint, forcePathStyle: true } : {}),
  });
}

export function createSsmClient(options: { endpoint?: string; region?: string } = {}): SSMClient {
  const endpoint = options.endpoint ?? process.env.AWS_ENDPOINT_URL_SSM;
  return new SSMClient({ region: options.region ?? awsRegion(), ...(endpoint ? { endpoint } : {}) });
}

/** For cluster discovery by tag; the SDK reads AWS_ENDPOINT_URL_RESOURCE_GROUPS_TAGGING_API itself. */
export function createTaggingClient(options: { endpoint?: string; region?: string } = {}): ResourceGroupsTaggingAPIClient {
  const endpoint = options.endpoint ?? process.env.AWS_ENDPOINT_URL_RESOURCE_GROUPS_TAGGING_API;
  return new ResourceGroupsTaggingAPIClient({ region: options.region ?? awsRegion(), ...(endpoint ? { endpoint } : {}) });
}

export function awsRegion(): string {
  return process.env.AWS_REGION ?? process.env.AWS_DEFAULT_REGION ?? 'us-east-1';
}

/**
 * A client for SendCommand alone: same region, endpoint, credentials and call counters, one HTTP
 * attempt per call. The SDK's own retry of an unanswered SendCommand is what creates duplicates.
 */
export function withoutSdkRetries(ssm: SSMClient): SSMClient {
  const once = new SSMClient({ ...(ssm.config as unknown as SSMClientConfig), maxAttempts: 1, retryStrategy: undefined });
  copyCallCounters(ssm, once);
  return once;
}
