// Messages of the rollout workflow, shared by the workflow and its clients.
import { defineQuery, defineUpdate } from '@temporalio/workflow';
import type { OperatorRequest } from './run-state.js';
import type { RolloutState } from './rollout-state.js';

export const rolloutStateQuery = defineQuery<RolloutState>('rolloutState');
/** Let the next wave start. */
export const approveWaveUpdate = defineUpdate<RolloutState, [OperatorRequest]>('approveWave');
/** Start no new cluster until resumed; runs already started go on. Needs a reason. */
export const pauseRolloutUpdate = defineUpdate<RolloutState, [OperatorRequest]>('pauseRollout');
/**
 * Go on after the error budget halted the rollout (optionally with a larger budget), or after a
 * pause (then a reason is required).
 */
export const resumeRolloutUpdate = defineUpdate<RolloutState, [OperatorRequest & { errorBudget?: string }]>('resumeRollout');
