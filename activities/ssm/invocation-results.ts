import { GetObjectCommand, type S3Client } from '@aws-sdk/client-s3';
import {
  ListCommandInvocationsCommand,
  type Command,
  type CommandInvocation,
  type CommandPlugin,
  type SSMClient,
} from '@aws-sdk/client-ssm';
import { ApplicationFailure } from '@temporalio/activity';
import type { CommandTargets, InvocationResult } from '../../aws/ssm/types.js';

/** How much of an instance's output the workflow keeps; the rest stays in S3. */
export const outputTailBytes = 2_048;
const truncationMarkers = ['---Output truncated---', '---Error truncated----', '--output truncated--'];

/** The S3 folder the agent writes one plugin step's stdout/stderr to (docs/ssm-semantics.md, "S3 output layout"). */
export function pluginOutputKeyPrefix(keyPrefix: string, commandId: string, instanceId: string, plugin: CommandPlugin): string {
  // Only aws:runShellScript steps are supported. AWS-RunShellScript (schema 1.2) reports the plugin
  // name and writes under step id 0.aws:runShellScript; schema 2.2 documents report the step name.
  const stepName = plugin.Name === 'aws:runShellScript' ? '0.aws:runShellScript' : (plugin.Name ?? '');
  return [keyPrefix.replace(/\/+$/, ''), commandId, instanceId, 'awsrunShellScript', stepName.replace(/:/g, '')].filter(Boolean).join('/');
}

/** How long a finished command's invocations may take to be listed before the step fails naming the missing ones. */
export const invocationListingWaitMs = 30_000;

/** The instances a command must report on, when the request named them (tag targets: SSM's TargetCount only). */
export function expectedInstanceIds(targets: CommandTargets, command: Command): string[] | undefined {
  if ('instanceIds' in targets) return [...new Set(targets.instanceIds)];
  return command.InstanceIds?.length ? [...new Set(command.InstanceIds)] : undefined;
}

/** One invocation per instance (a listing that repeats one keeps the last), and who is still missing. */
export function matchInvocations(
  invocations: CommandInvocation[],
  expectedIds: string[] | undefined,
  targetCount: number,
): { byInstance: CommandInvocation[]; missing: string[]; shortBy: number } {
  const byId = new Map<string, CommandInvocation>();
  for (const invocation of invocations) byId.set(invocation.InstanceId ?? '', invocation);
  const missing = (expectedIds ?? []).filter((id) => !byId.has(id));
  const shortBy = Math.max(0, Math.max(targetCount, expectedIds?.length ?? 0) - byId.size, missing.length);
  return { byInstance: [...byId.values()], missing, shortBy };
}

/**
 * Every invocation of a finished command, matched by instance id: from the status poller's batched
 * read when it holds all of them, else one paginated ListCommandInvocations (with Details), listed
 * again while some are not visible yet. Fails (retryable, naming them) rather than report fewer
 * instances than the command targeted.
 */
export interface InvocationExpectations {
  commandId: string;
  /** The instances the request named; undefined for tag targets. */
  expectedIds: string[] | undefined;
  /** SSM's TargetCount. */
  targetCount: number;
}

export interface CollectOptions {
  output?: { bucket: string; keyPrefix: string };
  /** The status poller's batched read, used when it holds every invocation. */
  alreadyRead?: CommandInvocation[];
  /** Called while listing again, so the activity heartbeats. */
  onWait?: () => void;
  waitMs?: number;
  /** Names the instances that never showed up when the request did not name them (tag targets). */
  describeMissing?: (seen: string[]) => Promise<string[]>;
}

export async function collectInvocationResults(
  ssm: SSMClient,
  s3: S3Client | undefined,
  expect: InvocationExpectations,
  options: CollectOptions = {},
): Promise<InvocationResult[]> {
  const { commandId, expectedIds, targetCount } = expect;
  const { output, alreadyRead, onWait = () => undefined } = options;
  const fromPoller = alreadyRead?.every((i) => i.CommandId === commandId) ? alreadyRead : undefined;
  let matched = fromPoller ? matchInvocations(fromPoller, expectedIds, targetCount) : undefined;
  if (!matched || matched.shortBy > 0) matched = matchInvocations(await listInvocations(ssm, commandId), expectedIds, targetCount);
  // Reads are eventually consistent: a command can read as finished before all its invocations
  // are listed. Look again, more slowly each time, for a bounded while.
  const deadline = Date.now() + (options.waitMs ?? invocationListingWaitMs);
  for (let round = 1; matched.shortBy > 0 && Date.now() < deadline; round += 1) {
    onWait();
    await new Promise((r) => setTimeout(r, Math.min(2_000, 100 * 2 ** round, Math.max(0, deadline - Date.now()))));
    matched = matchInvocations(await listInvocations(ssm, commandId), expectedIds, targetCount);
  }
  if (matched.shortBy > 0) {
    const seen = matched.byInstance.map((i) => i.InstanceId ?? '');
    const named = matched.missing.length ? matched.missing : ((await options.describeMissing?.(seen).catch(() => [])) ?? []);
    throw ApplicationFailure.create({
      type: 'SsmInvocationsMissing',
      nonRetryable: false,
      message:
        `SSM command ${commandId} finished but lists ${seen.length} of ${seen.length + matched.shortBy} targeted instances after ${Math.round((options.waitMs ?? invocationListingWaitMs) / 1000)} s` +
        `${named.length ? `; missing: ${named.join(', ')}` : ''}. The next attempt waits for the same command again (nothing is re-sent)`,
    });
  }
  return Promise.all(matched.byInstance.map((invocation) => toInvocationResult(invocation, s3, commandId, output)));
}

async function listInvocations(ssm: SSMClient, commandId: string): Promise<CommandInvocation[]> {
  const invocations: CommandInvocation[] = [];
  let nextToken: string | undefined;
  do {
    const page = await ssm.send(
      new ListCommandInvocationsCommand({ CommandId: commandId, Details: true, MaxResults: 50, NextToken: nextToken }),
    );
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
