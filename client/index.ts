// The typed API of the `ssmflow` package (its "exports" entry), for portals and tools that embed
// ssmflow instead of shelling out to the CLI. The CLI is built on these same functions.
//
//   import { parseRunbook, withTemporal, startRun, readRun } from 'ssmflow';
//
// Runs started here are the CLI's runs: same workflow, input, search attributes and audit trail.

// Connecting: the CLI's flags and environment (TEMPORAL_ADDRESS, TLS, API key, encryption keys).
export { connectToTemporal, connectionOptions, withTemporal } from './connection.js';
export type { Connected } from './connection.js';
export { defaultTaskQueue } from './connection-flags.js';
export type { ConnectionFlags } from './connection-flags.js';
// A payload converter with ssmflow's encryption, for callers that build their own Temporal Client.
export { dataConverterFromConfig, dataConverterFromEnv } from '../core/data-converter.js';

// Runbooks: parse and validate before starting anything.
export { parseRunbook } from '../runbook/load.js';
export type { ParseRunbookResult } from '../runbook/load.js';
export { loadRunbookFile } from '../runbook/load-file.js';
export { validateRunbookFiles } from '../runbook/validate-command.js';
export type { RunbookFileReport, ValidateRunbookFilesResult } from '../runbook/validate-command.js';
export type { NormalizedRunbook, ParameterValue, ParameterValues, RunbookError } from '../runbook/types.js';

// Runs: start, read, follow and steer one run.
export { OperatorActionRejected, ParameterInputError, runControls, startRun } from './runs.js';
export type { StartRunOptions } from './runs.js';
export { describeRun, followRun, isAtRest, isTerminal, readRun, viewFromState } from './run-view.js';
export type { InstanceView, RunView, StepView } from './run-view.js';
export { runStatuses, terminalRunStatuses } from '../workflows/run-state.js';
export type { AuditEntry, OperatorRequest, RetryRequest, RunFailure, RunState, RunStatus, StepState } from '../workflows/run-state.js';

// Rollouts: one runbook across many clusters in waves.
export { RolloutInputError, rolloutControls, startRollout } from './rollouts.js';
export type { StartRolloutOptions } from './rollouts.js';
export type { RolloutState } from '../workflows/rollout-state.js';

// The messages a run and a rollout answer, for callers that use a Temporal Client directly.
export { abortUpdate, approveUpdate, retryUpdate, rollbackUpdate, runStateQuery, skipUpdate } from '../workflows/run-messages.js';
export { approveWaveUpdate, resumeRolloutUpdate, rolloutStateQuery } from '../workflows/rollout-messages.js';

// Notifications: the event a webhook receives, and checking the signature of the JSON format.
export { verifyWebhookSignature, signatureHeader, timestampHeader, deliveryHeader, eventHeader } from '../core/webhook-signature.js';
export type { NotificationEvent, NotificationKind } from '../core/notification-event.js';
export type { NotificationView } from './notification-deliveries.js';
