// Every workflow the ssmflow worker registers; this file is the bundle's entry point.
export { adHocCommand } from './ad-hoc-command.js';
export { checkOutputBucket } from './check-output-bucket.js';
export { runbookRun } from './runbook-run.js';
export { runbookRollout } from './rollout.js';
export { targetLockRegistry } from './target-lock-registry.js';
export { notificationDelivery } from './notification-delivery.js';
