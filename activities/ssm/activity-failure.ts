import { ApplicationFailure } from '@temporalio/activity';
import { classifySsmError, ssmErrorFix, type AwsErrorShape } from '../../aws/ssm/classify-error.js';

/**
 * Turns an SSM error into the failure the workflow sees: non-retryable with the fix for bad input,
 * retryable (with the context) for throttling, 5xx and network trouble.
 */
export function toActivityFailure(err: unknown, context: string): ApplicationFailure {
  const e = err as AwsErrorShape;
  const name = e?.name ?? 'Error';
  const message = `${context}: ${name}: ${e?.message ?? String(err)}`;
  if (classifySsmError(err) === 'bad-input') {
    return ApplicationFailure.create({ message: `${message} (fix: ${ssmErrorFix(name)})`, type: `Ssm${name}`, nonRetryable: true });
  }
  return ApplicationFailure.create({ message, type: `Ssm${name}`, nonRetryable: false });
}
