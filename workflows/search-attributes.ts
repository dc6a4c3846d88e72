import { defineSearchAttributeKey, SearchAttributeType } from '@temporalio/common';

// Custom search attributes so `ssmflow list --status paused-on-failure` is a visibility query.
export const runbookKey = defineSearchAttributeKey('SsmflowRunbook', SearchAttributeType.KEYWORD);
export const clusterKey = defineSearchAttributeKey('SsmflowCluster', SearchAttributeType.KEYWORD);
export const statusKey = defineSearchAttributeKey('SsmflowStatus', SearchAttributeType.KEYWORD);
export const initiatorKey = defineSearchAttributeKey('SsmflowInitiator', SearchAttributeType.KEYWORD);

export const ssmflowSearchAttributes = [runbookKey, clusterKey, statusKey, initiatorKey] as const;
