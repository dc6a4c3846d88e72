// The exit code of an error, and what to tell the person (no stack traces for expected errors).
// Loaded only when a command fails: knowing Temporal's error classes means loading its client.
import {
  ScheduleAlreadyRunning,
  ScheduleNotFoundError,
  WorkflowExecutionAlreadyStartedError,
  WorkflowNotFoundError,
} from '@temporalio/client';
import { ConfigErrors } from '../core/config.js';
import { CliInputError, CliOperationFailed } from './cli-errors.js';
import { exitCode } from './exit-status.js';
import { OperatorActionRejected, ParameterInputError } from './runs.js';

export function explainError(err: unknown): { exitCode: number; message: string } {
  const withFix = (message: string, fix?: string) => (fix ? `${message}\n    fix: ${fix}` : message);
  if (err instanceof CliInputError) return { exitCode: exitCode.badInput, message: withFix(err.message, err.fix) };
  if (err instanceof CliOperationFailed) return { exitCode: exitCode.failed, message: withFix(err.message, err.fix) };
  if (err instanceof ParameterInputError) return { exitCode: exitCode.badInput, message: err.message };
  if (err instanceof ConfigErrors) return { exitCode: exitCode.badInput, message: err.message };
  if (err instanceof OperatorActionRejected)
    return {
      exitCode: exitCode.badInput,
      message: withFix(`${err.action} refused: ${err.message}`, `see where the run is with \`ssmflow status ${err.runId}\``),
    };
  if (err instanceof WorkflowNotFoundError)
    return { exitCode: exitCode.badInput, message: withFix(`no run with id "${err.workflowId}"`, 'list runs with `ssmflow list`') };
  if (err instanceof WorkflowExecutionAlreadyStartedError)
    return {
      exitCode: exitCode.badInput,
      message: withFix(`a run with id "${err.workflowId}" already exists`, 'choose another --id, or leave --id out for a generated one'),
    };
  if (err instanceof ScheduleNotFoundError)
    return {
      exitCode: exitCode.badInput,
      message: withFix(`no schedule with id "${err.scheduleId}"`, 'list schedules with `ssmflow schedule list`'),
    };
  if (err instanceof ScheduleAlreadyRunning)
    return {
      exitCode: exitCode.badInput,
      message: withFix(
        `a schedule with id "${err.scheduleId}" already exists`,
        `choose another id, or delete it first: ssmflow schedule delete ${err.scheduleId}`,
      ),
    };
  const message = err instanceof Error ? err.message : String(err);
  return { exitCode: exitCode.failed, message: process.env.SSMFLOW_DEBUG && err instanceof Error && err.stack ? err.stack : message };
}
