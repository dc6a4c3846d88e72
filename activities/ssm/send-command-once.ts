import { ListCommandsCommand, SendCommandCommand, type Command, type SSMClient, type SendCommandCommandInput } from '@aws-sdk/client-ssm';
import { idempotencyComment } from './idempotency-comment.js';
import type { RunCommandInput } from './types.js';

/** Minimum delivery window SSM accepts (TimeoutSeconds). */
const minDeliveryTimeoutSeconds = 30;

export function buildSendCommandRequest(input: RunCommandInput, commands: string[] | undefined): SendCommandCommandInput {
  const { document } = input;
  const parameters =
    document.kind === 'shell'
      ? {
          commands: commands ?? document.commands,
          executionTimeout: [String(input.executionTimeoutSeconds)],
          ...(document.workingDirectory ? { workingDirectory: [document.workingDirectory] } : {}),
        }
      : document.parameters;
  const targets =
    'instanceIds' in input.targets
      ? { InstanceIds: input.targets.instanceIds }
      : { Targets: Object.entries(input.targets.tags).map(([key, values]) => ({ Key: `tag:${key}`, Values: values })) };
  return {
    DocumentName: document.kind === 'shell' ? 'AWS-RunShellScript' : document.name,
    Parameters: parameters,
    ...targets,
    Comment: idempotencyComment(input.idempotencyKey),
    MaxConcurrency: input.rateControl.maxConcurrency,
    MaxErrors: input.rateControl.maxErrors,
    TimeoutSeconds: Math.max(minDeliveryTimeoutSeconds, input.deliveryTimeoutSeconds ?? 600),
    ...(input.output ? { OutputS3BucketName: input.output.bucket, OutputS3KeyPrefix: input.output.keyPrefix } : {}),
  };
}

/**
 * Finds a command an earlier attempt sent for this key. SendCommand has no idempotency token, so
 * the Comment carries the key and recent commands of the same document are searched for it.
 */
export async function findCommandSentEarlier(ssm: SSMClient, input: RunCommandInput, sentNoEarlierThanMs: number): Promise<Command | undefined> {
  const comment = idempotencyComment(input.idempotencyKey);
  const documentName = input.document.kind === 'shell' ? 'AWS-RunShellScript' : input.document.name;
  let nextToken: string | undefined;
  do {
    const page = await ssm.send(
      new ListCommandsCommand({
        Filters: [
          // Five minutes of slack for clock skew between the worker and SSM.
          { key: 'InvokedAfter', value: new Date(sentNoEarlierThanMs - 5 * 60_000).toISOString() },
          { key: 'DocumentName', value: documentName },
        ],
        MaxResults: 50,
        NextToken: nextToken,
      }),
    );
    const match = page.Commands?.find((c) => c.Comment === comment);
    if (match) return match;
    nextToken = page.NextToken;
  } while (nextToken);
  return undefined;
}

export async function sendCommand(ssm: SSMClient, request: SendCommandCommandInput): Promise<Command> {
  const response = await ssm.send(new SendCommandCommand(request));
  if (!response.Command?.CommandId) throw new Error('SendCommand returned no CommandId');
  return response.Command;
}
