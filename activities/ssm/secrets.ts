import { GetParametersCommand, type SSMClient } from '@aws-sdk/client-ssm';
import { ApplicationFailure } from '@temporalio/activity';

/**
 * Reads secret parameters (SecureString, decrypted) for the one activity that sends them. Values
 * are returned to the caller only: never heartbeated, logged or returned to the workflow.
 * @param secrets placeholder name → Parameter Store name
 */
export async function readSecrets(ssm: SSMClient, secrets: Record<string, string>): Promise<Record<string, string>> {
  const byParameterName = new Map<string, string[]>();
  for (const [placeholder, parameterName] of Object.entries(secrets)) {
    byParameterName.set(parameterName, [...(byParameterName.get(parameterName) ?? []), placeholder]);
  }
  const names = [...byParameterName.keys()];
  const values: Record<string, string> = {};
  for (let i = 0; i < names.length; i += 10) {
    const batch = names.slice(i, i + 10); // GetParameters takes at most 10 names.
    const result = await ssm.send(new GetParametersCommand({ Names: batch, WithDecryption: true }));
    if (result.InvalidParameters?.length) {
      throw ApplicationFailure.nonRetryable(
        `Parameter Store has no parameter ${result.InvalidParameters.join(', ')}: create it (aws ssm put-parameter --type SecureString) or fix the secret's parameterStore path in the runbook`,
        'SecretParameterNotFound',
      );
    }
    for (const parameter of result.Parameters ?? []) {
      for (const placeholder of byParameterName.get(parameter.Name ?? '') ?? []) values[placeholder] = parameter.Value ?? '';
    }
  }
  return values;
}
