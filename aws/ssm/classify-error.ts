/** What a failed SSM call means for the caller: fix the input, or try again later. */
export type SsmErrorClass = 'bad-input' | 'throttled' | 'transient';

export interface AwsErrorShape {
  name?: string;
  message?: string;
  $metadata?: { httpStatusCode?: number };
  $retryable?: unknown;
}

// SSM exceptions that no retry can fix, with what the operator should change.
const badInputFixes: Record<string, string> = {
  InvalidDocument:
    'the SSM document does not exist in this account and region, or is not shared with it: create it or fix the document name in the runbook',
  InvalidDocumentVersion: 'that document version does not exist: use $DEFAULT, $LATEST or an existing version number',
  InvalidInstanceId: 'an instance is unknown to SSM, stopped, or its agent is not registered: check the ids/tags with `ssmflow plan`',
  DuplicateInstanceId: 'an instance id is listed twice: remove the duplicate',
  InvalidParameters: 'the document parameters do not match what the document declares: check names and required parameters',
  ValidationException: 'a request field breaks an SSM constraint: see the message for the field and its allowed pattern',
  InvalidOutputFolder: 'the output bucket does not exist or is not writable: check SSMFLOW_OUTPUT_BUCKET',
  MaxDocumentSizeExceeded: 'the rendered command exceeds 64 KB: move the script to the instances and call it, or use an SSM document',
  UnsupportedPlatformType: 'the document does not support the target platform: target Linux instances or use a matching document',
  InvalidRole: 'the notification role is not valid: fix the IAM role ARN',
  InvalidNotificationConfig: 'the notification configuration is not valid',
  InvalidCommandId: 'that command id is unknown to SSM (older than its retention, or from another account/region)',
  ParameterNotFound: 'a Parameter Store parameter the runbook refers to does not exist: create it or fix the parameterStore path',
  ParameterVersionNotFound: 'that Parameter Store version does not exist',
  InvalidKeyId: 'the KMS key of a SecureString parameter is not usable by the worker: grant kms:Decrypt',
  AccessDeniedException: 'the worker role lacks permission for this call: see docs/deploy.md for the IAM policy',
  InvalidFilterKey: 'an SSM list filter key is not valid',
  InvalidInstanceInformationFilterValue: 'an instance filter value is not valid (tag filters need Key=Value)',
};

export function classifySsmError(err: unknown): SsmErrorClass {
  const e = err as AwsErrorShape;
  if (e?.name === 'ThrottlingException' || e?.name === 'TooManyRequestsException' || /rate exceeded/i.test(e?.message ?? ''))
    return 'throttled';
  if (e?.name && e.name in badInputFixes) return 'bad-input';
  return 'transient';
}

/** What the operator should change for an SSM error no retry fixes; undefined for the others. */
export function ssmErrorFix(name: string): string | undefined {
  return badInputFixes[name];
}
