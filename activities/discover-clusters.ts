// The discoverClusters activity: cluster discovery by tag (aws/cluster-discovery.ts), with errors
// that no retry fixes made non-retryable and worded with their fix.
import type { ResourceGroupsTaggingAPIClient } from '@aws-sdk/client-resource-groups-tagging-api';
import { ApplicationFailure } from '@temporalio/activity';
import { discoverClustersByTag, type ClusterDiscoveryRequest, type ClusterDiscoveryResult } from '../aws/cluster-discovery.js';

// Errors no retry fixes, with what to change.
const discoveryFixes: Record<string, string> = {
  InvalidParameterException: 'fix the tag key or filters (at most 50 filters of up to 20 values each)',
  AccessDeniedException: 'the worker role needs tag:GetResources (see docs/deploy.md)',
  UnrecognizedClientException: 'the worker has no valid AWS credentials for the Resource Groups Tagging API',
};

export function createDiscoveryActivities(tagging: ResourceGroupsTaggingAPIClient) {
  return {
    async discoverClusters(request: ClusterDiscoveryRequest): Promise<ClusterDiscoveryResult> {
      try {
        return await discoverClustersByTag(tagging, request);
      } catch (err) {
        const name = (err as Error).name ?? 'Error';
        const message = `discovering clusters by tag ${request.tagKey}: ${name}: ${(err as Error).message}`;
        const fix = discoveryFixes[name];
        throw ApplicationFailure.create({
          message: fix ? `${message} (fix: ${fix})` : message,
          type: `Tagging${name}`,
          nonRetryable: fix !== undefined,
        });
      }
    },
  };
}

export type DiscoveryActivities = ReturnType<typeof createDiscoveryActivities>;
