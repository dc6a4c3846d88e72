// Messages of the runbook run workflow, shared by the workflow and its clients.
import { defineQuery, defineUpdate } from '@temporalio/workflow';
import type { OperatorRequest, RetryRequest, RunState } from './run-state.js';

export const runStateQuery = defineQuery<RunState>('runState');

/** Approve (or, with `reject`, refuse) the approval step the run waits on. */
export const approveUpdate = defineUpdate<RunState, [OperatorRequest & { reject?: boolean }]>('approve');
/** Run the failed step again (optionally with changed parameters). */
export const retryUpdate = defineUpdate<RunState, [RetryRequest]>('retry');
/** Leave the failed step as it is and go on with the next one. */
export const skipUpdate = defineUpdate<RunState, [OperatorRequest]>('skip');
/** Undo: run the rollback of the failed step and of every completed step, newest first. */
export const rollbackUpdate = defineUpdate<RunState, [OperatorRequest]>('rollback');
/** Stop the run where it is, without rolling back. */
export const abortUpdate = defineUpdate<RunState, [OperatorRequest]>('abort');
/** Hold the run before its next step (the step running now finishes first) until resume. Needs a reason. */
export const pauseUpdate = defineUpdate<RunState, [OperatorRequest]>('pause');
/** Go on after a pause, or withdraw a pause that has not taken hold yet. Needs a reason. */
export const resumeUpdate = defineUpdate<RunState, [OperatorRequest]>('resume');
