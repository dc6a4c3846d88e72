import { GetObjectCommand, type S3Client } from '@aws-sdk/client-s3';
import { ListCommandInvocationsCommand, type CommandInvocation, type CommandPlugin, type SSMClient } from '@aws-sdk/client-ssm';
import type { InvocationResult } from './types.js';

/** How much of an instance's output the workflow keeps; the rest stays in S3. */
export const outputTailBytes = 2_048;
const truncationMarkers = ['---Output truncated---', '---Error truncated----', '--output truncated--'];

/** The S3 folder the agent writes one plugin step's stdout/stderr to (ssm-semantics §8). */
export function pluginOutputKeyPrefix(keyPrefix: string, commandId: string, instanceId: string, plugin: CommandPlugin): string {
  // Only aws:runShellScript steps are supported. AWS-RunShellScript (schema 1.2) reports the plugin
  // name and writes under step id 0.aws:runShellScript; schema 2.2 documents report the step name.
  const stepName = plugin.Name === 'aws:runShellScript' ? '0.aws:runShellScript' : (plugin.Name ?? '');
  return [keyPrefix.replace(/\/+$/, ''), commandId, instanceId, 'awsrunShellScript', stepName.replace(/:/g, '')].filter(Boolean).join('/');
}

/**
 * Every invocation of a finished command in one paginated ListCommandInvocations (with Details),
 * unless `alreadyRead` (the status poller's batched read) holds all of them.
 */
export async function collectInvocationResults(
  ssm: SSMClient,
  s3: S3Client | undefined,
  commandId: string,
  expectedCount: number,
  output: { bucket: string; keyPrefix: string } | undefined,
  alreadyRead?: CommandInvocation[],
): Promise<InvocationResult[]> {
  const complete = alreadyRead !== undefined && alreadyRead.length >= expectedCount && alreadyRead.every((i) => i.CommandId === commandId);
  let invocations = complete ? alreadyRead : await listInvocations(ssm, commandId);
  // Reads are eventually consistent: a command can read as finished before all its invocations
  // are listed. Look again briefly rather than report fewer instances than it targeted.
  for (let attempt = 1; invocations.length < expectedCount && attempt <= 8; attempt += 1) {
    await new Promise((r) => setTimeout(r, 100 * attempt));
    invocations = await listInvocations(ssm, commandId);
  }

  return Promise.all(invocations.map((invocation) => toInvocationResult(invocation, s3, commandId, output)));
}

async function listInvocations(ssm: SSMClient, commandId: string): Promise<CommandInvocation[]> {
  const invocations: CommandInvocation[] = [];
  let nextToken: string | undefined;
  do {
    const page = await ssm.send(new ListCommandInvocationsCommand({ CommandId: commandId, Details: true, MaxResults: 50, NextToken: nextToken }));
    invocations.push(...(page.CommandInvocations ?? []));
    nextToken = page.NextToken;
  } while (nextToken);
  return invocations;
}

async function toInvocationResult(
  invocation: CommandInvocation,
  s3: S3Client | undefined,
  commandId: string,
  output: { bucket: string; keyPrefix: string } | undefined,
): Promise<InvocationResult> {
  const instanceId = invocation.InstanceId ?? 'unknown';
  const plugins = invocation.CommandPlugins ?? [];
  const combined = plugins.map((p) => (plugins.length > 1 ? `[${p.Name}]\n${p.Output ?? ''}` : (p.Output ?? ''))).join('\n');
  const truncated = truncationMarkers.some((m) => combined.includes(m));
  let outputTail = lastBytes(combined, outputTailBytes);
  let s3KeyPrefix: string | undefined;
  const lastPlugin = plugins[plugins.length - 1];
  if (output && lastPlugin) {
    s3KeyPrefix = pluginOutputKeyPrefix(output.keyPrefix, commandId, instanceId, lastPlugin);
    if (truncated && s3) {
      // The API only keeps the start of long output; the operator needs its end.
      const [stdout, stderr] = await Promise.all([
        readTail(s3, output.bucket, `${s3KeyPrefix}/stdout`),
        readTail(s3, output.bucket, `${s3KeyPrefix}/stderr`),
      ]);
      if (stdout !== undefined || stderr !== undefined) {
        outputTail = lastBytes(joinStreams(stdout ?? '', stderr ?? ''), outputTailBytes);
      }
    }
  }
  const exitCodes = plugins.map((p) => p.ResponseCode ?? -1);
  const exitCode = exitCodes.find((c) => c !== 0 && c !== -1) ?? exitCodes.find((c) => c === 0) ?? -1;
  const starts = plugins.map((p) => p.ResponseStartDateTime).filter((d): d is Date => d instanceof Date);
  const ends = plugins.map((p) => p.ResponseFinishDateTime).filter((d): d is Date => d instanceof Date);
  return {
    instanceId,
    status: invocation.Status ?? 'Unknown',
    statusDetails: invocation.StatusDetails ?? '',
    exitCode,
    ...(starts[0] ? { startedAt: starts[0].toISOString() } : {}),
    ...(ends.length ? { endedAt: ends[ends.length - 1]?.toISOString() } : {}),
    outputTail,
    outputTruncated: truncated,
    ...(output
      ? {
          output: {
            ...(invocation.StandardOutputUrl ? { stdoutUrl: invocation.StandardOutputUrl } : {}),
            ...(invocation.StandardErrorUrl ? { stderrUrl: invocation.StandardErrorUrl } : {}),
            ...(s3KeyPrefix ? { s3KeyPrefix } : {}),
          },
        }
      : {}),
  };
}

async function readTail(s3: S3Client, bucket: string, key: string): Promise<string | undefined> {
  try {
    const object = await s3.send(new GetObjectCommand({ Bucket: bucket, Key: key, Range: `bytes=-${outputTailBytes}` }));
    return (await object.Body?.transformToString('utf8')) ?? '';
  } catch {
    // No object (the agent uploads only non-empty streams) or S3 unreachable: keep the API's text.
    return undefined;
  }
}

/** stdout then stderr, separated the way the agent separates them in CommandPlugins[].Output. */
function joinStreams(stdout: string, stderr: string): string {
  if (!stderr) return stdout;
  const separator = stdout && !stdout.endsWith('\n') ? '\n' : '';
  return `${stdout}${separator}----------ERROR-------\n${stderr}`;
}

export function lastBytes(text: string, maxBytes: number): string {
  const buffer = Buffer.from(text, 'utf8');
  if (buffer.length <= maxBytes) return text;
  // Drop a partial UTF-8 sequence at the cut.
  return buffer
    .subarray(buffer.length - maxBytes)
    .toString('utf8')
    .replace(/^\uFFFD+/, '');
}
