// Messages of the rollout workflow, shared by the workflow and its clients.
import { defineQuery, defineUpdate } from '@temporalio/workflow';
import type { OperatorRequest } from './run-state.js';
import type { RolloutState } from './rollout-state.js';

export const rolloutStateQuery = defineQuery<RolloutState>('rolloutState');
/** Let the next wave start. */
export const approveWaveUpdate = defineUpdate<RolloutState, [OperatorRequest]>('approveWave');
/** Go on after the error budget halted the rollout, optionally with a larger budget. */
export const resumeRolloutUpdate = defineUpdate<RolloutState, [OperatorRequest & { errorBudget?: string }]>('resumeRollout');
