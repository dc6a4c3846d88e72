import type { ResourceGroupsTaggingAPIClient } from '@aws-sdk/client-resource-groups-tagging-api';
import type { S3Client } from '@aws-sdk/client-s3';
import type { SSMClient } from '@aws-sdk/client-ssm';
import { createSsmClient, createTaggingClient } from '../aws/clients.js';
import { CommandStatusPoller } from '../aws/ssm/command-status-poller.js';
import type { NotificationSettings } from '../core/notification-settings.js';
import { createDiscoveryActivities } from './discover-clusters.js';
import { createNotificationActivities } from './notifications/deliver-notification.js';
import { createOutputBucketActivities } from './output-bucket.js';
import { createSsmActivities } from './ssm/ssm-activities.js';
import { createTargetInstanceActivities } from './target-instances.js';
import type { SendOnceOptions } from './ssm/send-once.js';

export interface ActivityDependencies {
  s3: S3Client;
  ssm?: SSMClient;
  /** SendCommand's client without SDK retries; derived from `ssm` when not given. */
  ssmSend?: SSMClient;
  /** Cluster discovery by tag; created here when not given. */
  tagging?: ResourceGroupsTaggingAPIClient;
  /** One per worker process; created here when not given. */
  poller?: CommandStatusPoller;
  /** The listing-lag bound and send timeouts of the send-once protocol (worker.ssmListingLag). */
  sendOnce?: Partial<SendOnceOptions>;
  /** Webhooks to notify (the notifications section); absent: none, nobody is told. */
  notifications?: NotificationSettings;
}

const noNotifications: NotificationSettings = { webhooks: [], deliveryTimeoutMs: 24 * 3600_000 };

/** All activities the worker registers, wired to their AWS clients. */
export function createActivities(deps: ActivityDependencies) {
  const ssm = deps.ssm ?? createSsmClient();
  const poller = deps.poller ?? new CommandStatusPoller(ssm);
  return {
    ...createOutputBucketActivities(deps.s3),
    ...createSsmActivities({
      ssm,
      s3: deps.s3,
      poller,
      ...(deps.ssmSend ? { ssmSend: deps.ssmSend } : {}),
      ...(deps.sendOnce ? { sendOnce: deps.sendOnce } : {}),
    }),
    ...createDiscoveryActivities(deps.tagging ?? createTaggingClient()),
    ...createTargetInstanceActivities(ssm),
    ...createNotificationActivities(deps.notifications ?? noNotifications),
  };
}
