// SendCommand has no idempotency token, so "send once" is built here: the command's Comment carries
// a run-unique key, every send is a single HTTP attempt (an SDK retry could create a second
// command), and any outcome that leaves it unknown whether SSM created the command is settled by
// looking the key up, waiting out ListCommands' listing lag, before anything is sent again.
import {
  CancelCommandCommand,
  ListCommandsCommand,
  SendCommandCommand,
  type Command,
  type SendCommandCommandInput,
  type SSMClient,
} from '@aws-sdk/client-ssm';
import { ApplicationFailure } from '@temporalio/activity';
import { classifySsmError } from '../../aws/ssm/classify-error.js';
import { idempotencyComment } from '../../aws/ssm/idempotency-comment.js';
import type { RunCommandInput } from '../../aws/ssm/types.js';
import { commandsReadingSecretsOnInstance } from '../../runbook/secrets.js';

/** Minimum delivery window SSM accepts (TimeoutSeconds). */
const minDeliveryTimeoutSeconds = 30;
/** How far before the activity was first scheduled a command of this key may carry a timestamp (clock skew). */
const clockSkewMs = 5 * 60_000;

export interface SendOnceOptions {
  /**
   * The longest a new command may stay out of ListCommands. A lookup that has not found the key
   * by then concludes the command was not created. Documented in docs/reliability.md.
   */
  listingLagMs: number;
  /** Pause between two lookups while waiting out the listing lag. */
  lookupIntervalMs: number;
  /** A SendCommand without an answer by then is treated as ambiguous (and looked up). */
  sendTimeoutMs: number;
  /** Sends tried in one activity attempt when earlier ones were throttled or found not created. */
  maxSendsPerAttempt: number;
  sleep: (ms: number) => Promise<void>;
  random: () => number;
  /** Called while waiting, so the activity heartbeats. */
  onWait: () => void;
}

export const defaultSendOnceOptions: SendOnceOptions = {
  listingLagMs: 30_000,
  lookupIntervalMs: 1_000,
  sendTimeoutMs: 30_000,
  maxSendsPerAttempt: 4,
  sleep: (ms) => new Promise((resolve) => setTimeout(resolve, ms)),
  random: Math.random,
  onWait: () => undefined,
};

/** How a send ended, for the caller's checkpoint and audit. */
export interface SentCommand {
  command: Command;
  /** The command was created by an earlier attempt (or an earlier, ambiguous send) and found by its key. */
  foundByKey: boolean;
  /**
   * A send that followed an outcome we could not see: if listing lag ever exceeded the bound, an
   * earlier command may still surface, so the caller verifies the key once more later.
   */
  needsDuplicateCheck: boolean;
}

export function documentNameOf(input: RunCommandInput): string {
  return input.document.kind === 'shell' ? 'AWS-RunShellScript' : input.document.name;
}

export function buildSendCommandRequest(input: RunCommandInput): SendCommandCommandInput {
  const { document } = input;
  const parameters =
    document.kind === 'shell'
      ? {
          // Secrets are read on the instance: the request carries their Parameter Store names only.
          commands: input.secrets ? commandsReadingSecretsOnInstance(document.commands, input.secrets) : document.commands,
          executionTimeout: [String(input.executionTimeoutSeconds)],
          ...(document.workingDirectory ? { workingDirectory: [document.workingDirectory] } : {}),
        }
      : document.parameters;
  const targets =
    'instanceIds' in input.targets
      ? { InstanceIds: input.targets.instanceIds }
      : { Targets: Object.entries(input.targets.tags).map(([key, values]) => ({ Key: `tag:${key}`, Values: values })) };
  return {
    DocumentName: documentNameOf(input),
    Parameters: parameters,
    ...targets,
    Comment: idempotencyComment(input.idempotencyKey),
    MaxConcurrency: input.rateControl.maxConcurrency,
    MaxErrors: input.rateControl.maxErrors,
    TimeoutSeconds: Math.max(minDeliveryTimeoutSeconds, input.deliveryTimeoutSeconds ?? 600),
    ...(input.output ? { OutputS3BucketName: input.output.bucket, OutputS3KeyPrefix: input.output.keyPrefix } : {}),
  };
}

/** Every command carrying this key's Comment, oldest first (one page of ListCommands per 50 commands of the document). */
export async function findCommandsByKey(ssm: SSMClient, input: RunCommandInput, sentNoEarlierThanMs: number): Promise<Command[]> {
  const comment = idempotencyComment(input.idempotencyKey);
  // By id: a listing that changes while it is paged can show one command on two pages.
  const found = new Map<string, Command>();
  let nextToken: string | undefined;
  do {
    const page = await ssm.send(
      new ListCommandsCommand({
        Filters: [
          { key: 'InvokedAfter', value: new Date(sentNoEarlierThanMs - clockSkewMs).toISOString() },
          { key: 'DocumentName', value: documentNameOf(input) },
        ],
        MaxResults: 50,
        NextToken: nextToken,
      }),
    );
    for (const command of page.Commands ?? []) if (command.Comment === comment && command.CommandId) found.set(command.CommandId, command);
    nextToken = page.NextToken;
  } while (nextToken);
  return [...found.values()].sort((a, b) => (a.RequestedDateTime?.getTime() ?? 0) - (b.RequestedDateTime?.getTime() ?? 0));
}

/**
 * Looks the key up until it is found or `untilMs` has passed: a command created before the lookup
 * started is listed within the listing-lag bound, so an empty answer after that means "not sent".
 */
export async function lookUpKeyUntil(
  ssm: SSMClient,
  input: RunCommandInput,
  sentNoEarlierThanMs: number,
  untilMs: number,
  options: SendOnceOptions,
): Promise<Command[]> {
  for (;;) {
    options.onWait();
    const found = await findCommandsByKey(ssm, input, sentNoEarlierThanMs);
    if (found.length > 0 || Date.now() >= untilMs) return found;
    await options.sleep(Math.min(options.lookupIntervalMs, Math.max(0, untilMs - Date.now())));
  }
}

/** Thrown (non-retryable) when one key has more than one command: the newer ones were cancelled. */
export const duplicateCommandFailureType = 'SsmDuplicateCommand';

export interface DuplicateCommandDetails {
  idempotencyKey: string;
  keptCommandId: string;
  cancelledCommandIds: string[];
}

/**
 * One key, several commands: the step may have run more than once. Keeps the oldest, cancels the
 * newer ones in SSM (best effort: a finished one cannot be undone) and fails loudly.
 */
export async function failOnDuplicates(ssm: SSMClient, input: RunCommandInput, commands: Command[]): Promise<never> {
  const [kept, ...newer] = commands;
  // Never the kept one, whatever the listing showed.
  const cancelled = [...new Set(newer.map((c) => c.CommandId ?? ''))].filter((id) => id !== '' && id !== kept?.CommandId);
  for (const commandId of cancelled) {
    await ssm.send(new CancelCommandCommand({ CommandId: commandId })).catch(() => undefined);
  }
  const details: DuplicateCommandDetails = {
    idempotencyKey: input.idempotencyKey,
    keptCommandId: kept?.CommandId ?? '',
    cancelledCommandIds: cancelled,
  };
  throw ApplicationFailure.create({
    type: duplicateCommandFailureType,
    nonRetryable: true,
    message:
      `step ${input.description} was sent more than once (key ${input.idempotencyKey}): kept ${details.keptCommandId}, cancelled ${cancelled.join(', ')}. ` +
      `It may have run twice on some instances: check them (ssmflow audit shows both commands), then retry, skip or roll back`,
    details: [details],
  });
}

/** What a failed SendCommand tells us: SSM refused it (nothing created), or we cannot know. */
export function sendFailureKind(err: unknown): 'refused' | 'throttled' | 'ambiguous' {
  const e = err as { name?: string; $metadata?: { httpStatusCode?: number }; $fault?: string };
  if (classifySsmError(err) === 'throttled') return 'throttled';
  const status = e?.$metadata?.httpStatusCode;
  // A 4xx with a parsed error is a refusal before anything was created; 5xx, timeouts and lost
  // connections may come after SSM committed the command.
  if (status !== undefined && status >= 400 && status < 500 && e.$fault !== 'server') return 'refused';
  return 'ambiguous';
}

/**
 * Sends the command for this key at most once. `mayHaveBeenSent` says an earlier activity attempt
 * may have sent it (a worker died, or timed out): the key is looked up, waiting out the listing
 * lag from `earliestUnseenSendMs`, before sending. Throws a retryable failure when SSM stays
 * unreachable; the next attempt starts with the lookup.
 */
export async function sendOnce(
  ssm: SSMClient,
  sendClient: SSMClient,
  input: RunCommandInput,
  context: { firstScheduledMs: number; mayHaveBeenSent: boolean; attemptScheduledMs: number },
  options: SendOnceOptions,
): Promise<SentCommand> {
  let uncertain = context.mayHaveBeenSent;
  if (context.mayHaveBeenSent) {
    const found = await lookUpKeyUntil(ssm, input, context.firstScheduledMs, context.attemptScheduledMs + options.listingLagMs, options);
    if (found.length > 1) return failOnDuplicates(ssm, input, found);
    if (found[0]) return { command: found[0], foundByKey: true, needsDuplicateCheck: false };
  }
  const request = buildSendCommandRequest(input);
  let lastProblem = '';
  for (let send = 1; send <= options.maxSendsPerAttempt; send += 1) {
    options.onWait();
    const startedAt = Date.now();
    try {
      const response = await sendClient.send(new SendCommandCommand(request), { abortSignal: AbortSignal.timeout(options.sendTimeoutMs) });
      if (!response.Command?.CommandId) throw new Error('SendCommand answered without a CommandId');
      return { command: response.Command, foundByKey: false, needsDuplicateCheck: uncertain };
    } catch (err) {
      const kind = sendFailureKind(err);
      lastProblem = `${(err as Error).name ?? 'Error'}: ${(err as Error).message}`;
      if (kind === 'refused') throw err;
      if (kind === 'ambiguous') {
        // SSM may have created it: only a lookup can tell, and only after the listing lag.
        uncertain = true;
        const found = await lookUpKeyUntil(ssm, input, context.firstScheduledMs, startedAt + options.listingLagMs, options);
        if (found.length > 1) return failOnDuplicates(ssm, input, found);
        if (found[0]) return { command: found[0], foundByKey: true, needsDuplicateCheck: false };
      } else {
        // Throttled: refused before anything was created; back off with jitter.
        await options.sleep(Math.round(Math.min(20_000, 500 * 2 ** (send - 1)) * (0.5 + options.random())));
      }
    }
  }
  throw ApplicationFailure.create({
    type: 'SsmSendUnsettled',
    nonRetryable: false,
    message: `sending step ${input.description} (key ${input.idempotencyKey}): SSM did not take the command after ${options.maxSendsPerAttempt} tries (last: ${lastProblem}); the next attempt looks the key up before sending`,
  });
}
