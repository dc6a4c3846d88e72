import { CancelCommandCommand, GetCommandInvocationCommand, type SSMClient } from '@aws-sdk/client-ssm';
import { GetObjectCommand, type S3Client } from '@aws-sdk/client-s3';
import { activityInfo, ApplicationFailure, CancelledFailure, Context, heartbeat, log, sleep } from '@temporalio/activity';
import { withoutSdkRetries } from '../../aws/clients.js';
import { type CommandStatusPoller, type TerminalCommand } from '../../aws/ssm/command-status-poller.js';
import { describeInstances } from '../../aws/ssm/describe-instances.js';
import type {
  CommandResult,
  CommandTargets,
  ResolvedTargets,
  RunCommandInput,
  WaitProgress,
  WaitUntilInput,
  WaitUntilResult,
} from '../../aws/ssm/types.js';
import { toActivityFailure } from './activity-failure.js';
import { collectInvocationResults, expectedInstanceIds } from './invocation-results.js';
import { defaultSendOnceOptions, failOnDuplicates, findCommandsByKey, sendOnce, type SendOnceOptions } from './send-once.js';
import { gaveUpOn, waitProgressOf } from './wait-progress.js';

export interface SsmActivityDependencies {
  ssm: SSMClient;
  /** SendCommand goes through a client without SDK retries; derived from `ssm` when not given. */
  ssmSend?: SSMClient;
  s3: S3Client;
  poller: CommandStatusPoller;
  /** Listing-lag bound and send timeouts (docs/reliability.md); defaults suit real SSM. */
  sendOnce?: Partial<SendOnceOptions>;
}

/** What a retried attempt finds in activityInfo().heartbeatDetails. */
interface RunCommandCheckpoint {
  commandId: string;
  requestedAtMs: number;
  /** Set when the send followed an outcome nobody saw: the key is looked up again at this time. */
  checkKeyUniqueAtMs?: number;
}

/**
 * A waitUntil step's heartbeat: where a retried attempt resumes (check, startedAtMs, and the
 * command of that check once sent), plus what the last finished check printed, which
 * `ssmflow status` reads from the pending activity. New fields must stay optional: an attempt
 * may resume from details written by an older worker.
 */
interface CheckCheckpoint extends Partial<RunCommandCheckpoint> {
  check: number;
  startedAtMs: number;
  lastCheck?: WaitProgress;
}

const heartbeatEveryMs = 1_000;

export function createSsmActivities({ ssm, ssmSend, s3, poller, sendOnce: sendOptions }: SsmActivityDependencies) {
  const options: SendOnceOptions = { ...defaultSendOnceOptions, ...sendOptions };
  // Derived at first use, so call counters registered after the activities were built count it too.
  let sendClient = ssmSend;

  /**
   * Sends the command for this key unless an earlier attempt already did: the heartbeat checkpoint
   * says so, or the key lookup finds it (docs/reliability.md, "Send once").
   * @param firstKeyOfAttempt false for the later checks of a waitUntil step, which no earlier attempt can have sent
   * @param heartbeatWhileSending kept in the heartbeat while the send waits (a waitUntil step's check number and progress)
   */
  async function sendOrResume(
    input: RunCommandInput,
    resumeFrom: RunCommandCheckpoint | undefined,
    firstKeyOfAttempt = true,
    heartbeatWhileSending: object = {},
  ): Promise<{ checkpoint: RunCommandCheckpoint; reused: boolean }> {
    const info = activityInfo();
    if (resumeFrom?.commandId) {
      log.debug('send path: resuming the wait from the checkpoint', {
        phase: 'resume',
        idempotencyKey: input.idempotencyKey,
        commandId: resumeFrom.commandId,
      });
      return { checkpoint: resumeFrom, reused: true };
    }
    sendClient ??= withoutSdkRetries(ssm);
    const mayHaveBeenSent = info.attempt > 1 && firstKeyOfAttempt;
    log.debug('send path: sending', {
      phase: mayHaveBeenSent ? 'lookup' : 'send',
      idempotencyKey: input.idempotencyKey,
      attempt: info.attempt,
    });
    try {
      const sent = await sendOnce(
        ssm,
        sendClient,
        input,
        { firstScheduledMs: info.scheduledTimestampMs, attemptScheduledMs: info.currentAttemptScheduledTimestampMs, mayHaveBeenSent },
        { ...options, onWait: () => heartbeat({ ...heartbeatWhileSending, phase: 'sending' }) },
      );
      const commandId = sent.command.CommandId ?? '';
      const requestedAtMs = sent.command.RequestedDateTime?.getTime() ?? Date.now();
      log.debug('send path: sent', { phase: 'sent', idempotencyKey: input.idempotencyKey, commandId, foundByKey: sent.foundByKey });
      return {
        checkpoint: {
          commandId,
          requestedAtMs,
          ...(sent.needsDuplicateCheck ? { checkKeyUniqueAtMs: Date.now() + options.listingLagMs } : {}),
        },
        reused: sent.foundByKey,
      };
    } catch (err) {
      if (err instanceof ApplicationFailure) throw err;
      throw toActivityFailure(err, `sending step ${input.description} (key ${input.idempotencyKey})`);
    }
  }

  /**
   * After a send that followed an unseen outcome: once the listing lag has passed, the key must
   * name exactly one command. Rejects (after cancelling the newer ones) when it names more.
   */
  async function checkKeyUnique(input: RunCommandInput, checkpoint: RunCommandCheckpoint, signal: AbortSignal): Promise<void> {
    if (checkpoint.checkKeyUniqueAtMs === undefined) return;
    const waitMs = checkpoint.checkKeyUniqueAtMs - Date.now();
    if (waitMs > 0) {
      await new Promise<void>((resolve) => {
        const timer = setTimeout(resolve, waitMs);
        signal.addEventListener('abort', () => (clearTimeout(timer), resolve()), { once: true });
      });
    }
    if (signal.aborted) return;
    const found = await findCommandsByKey(ssm, input, activityInfo().scheduledTimestampMs);
    if (found.length > 1) await failOnDuplicates(ssm, input, found);
  }

  /** Waits for the command (heartbeating `progress`), cancels it in SSM if the activity is cancelled, then reads every invocation. */
  async function waitAndCollect(
    input: RunCommandInput,
    checkpoint: RunCommandCheckpoint,
    reusedEarlierSend: boolean,
    progress: object,
  ): Promise<CommandResult> {
    const { commandId } = checkpoint;
    heartbeat(progress);
    log.debug('send path: waiting', { phase: 'wait', idempotencyKey: input.idempotencyKey, commandId });
    const keepAlive = setInterval(() => heartbeat(progress), heartbeatEveryMs);
    const cancelled = Context.current().cancellationSignal;
    // Stops the wait when the activity is cancelled, or when the key check finds a duplicate.
    const stopWaiting = new AbortController();
    const stopOnCancel = () => stopWaiting.abort(cancelled.reason);
    cancelled.addEventListener('abort', stopOnCancel, { once: true });
    const uniqueness = checkKeyUnique(input, checkpoint, stopWaiting.signal).catch((err: unknown) => {
      stopWaiting.abort(err);
      throw err;
    });
    let finished: TerminalCommand;
    try {
      finished = await poller.waitForResults(commandId, checkpoint.requestedAtMs, stopWaiting.signal);
      await uniqueness;
    } catch (err) {
      if (cancelled.aborted) {
        await cancelInSsm(commandId);
        throw new CancelledFailure(`cancelled: SSM command ${commandId} for step ${input.description} was cancelled too`);
      }
      uniqueness.catch(() => undefined);
      if (stopWaiting.signal.aborted && stopWaiting.signal.reason instanceof ApplicationFailure) throw stopWaiting.signal.reason;
      if (err instanceof ApplicationFailure) throw err;
      throw toActivityFailure(err, `waiting for SSM command ${commandId} of step ${input.description}`);
    } finally {
      clearInterval(keepAlive);
      cancelled.removeEventListener('abort', stopOnCancel);
    }
    const { command } = finished;
    try {
      const invocations = await collectInvocationResults(
        ssm,
        s3,
        { commandId, expectedIds: expectedInstanceIds(input.targets, command), targetCount: command.TargetCount ?? 0 },
        {
          ...(input.output ? { output: input.output } : {}),
          ...(finished.invocations ? { alreadyRead: finished.invocations } : {}),
          onWait: () => heartbeat(progress),
          describeMissing: async (seen) =>
            (await describeInstances(ssm, input.targets)).map((i) => i.InstanceId ?? '').filter((id) => id && !seen.includes(id)),
        },
      );
      log.debug('send path: results read', { phase: 'done', idempotencyKey: input.idempotencyKey, commandId });
      return {
        commandId,
        status: command.Status ?? 'Unknown',
        statusDetails: command.StatusDetails ?? '',
        documentName: command.DocumentName ?? '',
        requestedAt: new Date(checkpoint.requestedAtMs).toISOString(),
        targetCount: command.TargetCount ?? invocations.length,
        completedCount: command.CompletedCount ?? 0,
        errorCount: command.ErrorCount ?? 0,
        deliveryTimedOutCount: command.DeliveryTimedOutCount ?? 0,
        invocations,
        reusedEarlierSend,
      };
    } catch (err) {
      if (err instanceof ApplicationFailure) throw err;
      throw toActivityFailure(err, `reading results of SSM command ${commandId} for step ${input.description}`);
    }
  }

  /**
   * Sends a command at most once per idempotency key and waits for it to finish on every target.
   * Resumes waiting after a worker crash; cancelling the activity cancels the command in SSM.
   */
  async function runCommand(input: RunCommandInput): Promise<CommandResult> {
    const { checkpoint, reused } = await sendOrResume(input, activityInfo().heartbeatDetails as RunCommandCheckpoint | undefined);
    return waitAndCollect(input, checkpoint, reused, checkpoint);
  }

  /**
   * A `waitUntil` step: runs the check command every `intervalMs` until it succeeds on every target
   * or `timeoutMs` has passed. All checks happen inside this one activity, so a long wait adds no
   * workflow history; each check is its own command, sent once (key suffix `/check-N`).
   * A check exiting `giveUpExitCode` on any target ends the wait at once (`gaveUp`). Heartbeats
   * carry the last check's output lines (`lastCheck`) for `ssmflow status`.
   */
  async function runCheckUntilSuccess(input: WaitUntilInput): Promise<WaitUntilResult> {
    const { intervalMs, timeoutMs, giveUpExitCode, ...commandInput } = input;
    const resumed = activityInfo().heartbeatDetails as CheckCheckpoint | undefined;
    const startedAtMs = resumed?.startedAtMs ?? Date.now();
    let check = resumed?.check ?? 1;
    let lastCheck = resumed?.lastCheck;
    const firstCheckOfAttempt = check;
    for (;;) {
      const checkInput = { ...commandInput, idempotencyKey: `${input.idempotencyKey}/check-${check}` };
      const resumeFrom =
        resumed?.check === check && resumed.commandId
          ? {
              commandId: resumed.commandId,
              requestedAtMs: resumed.requestedAtMs ?? Date.now(),
              ...(resumed.checkKeyUniqueAtMs ? { checkKeyUniqueAtMs: resumed.checkKeyUniqueAtMs } : {}),
            }
          : undefined;
      const progress = { check, startedAtMs, ...(lastCheck ? { lastCheck } : {}) };
      const { checkpoint, reused } = await sendOrResume(checkInput, resumeFrom, check === firstCheckOfAttempt, progress);
      const result = await waitAndCollect(checkInput, checkpoint, reused, { ...checkpoint, ...progress } satisfies CheckCheckpoint);
      const elapsedMs = Date.now() - startedAtMs;
      if (result.status === 'Success') return { satisfied: true, checks: check, elapsedMs, lastResult: result };
      const gaveUp = gaveUpOn(result, giveUpExitCode);
      if (gaveUp) return { satisfied: false, checks: check, elapsedMs, lastResult: result, gaveUp };
      if (elapsedMs + intervalMs > timeoutMs) return { satisfied: false, checks: check, elapsedMs, lastResult: result };
      lastCheck = waitProgressOf(result, check, elapsedMs);
      check += 1;
      heartbeat({ check, startedAtMs, lastCheck } satisfies CheckCheckpoint);
      await sleep(intervalMs);
    }
  }

  async function cancelInSsm(commandId: string): Promise<void> {
    try {
      await ssm.send(new CancelCommandCommand({ CommandId: commandId }));
    } catch (err) {
      // Already finished: nothing left to cancel.
      if ((err as { name?: string }).name !== 'InvalidCommandId') throw err;
    }
  }

  /** Instances a target selector reaches now, with the ones that would not be reached. */
  async function resolveTargets(targets: CommandTargets): Promise<ResolvedTargets> {
    try {
      const instances = await describeInstances(ssm, targets);
      const online = instances.filter((i) => i.PingStatus === 'Online').map((i) => i.InstanceId ?? '');
      const offline = instances
        .filter((i) => i.PingStatus !== 'Online')
        .map((i) => ({
          instanceId: i.InstanceId ?? '',
          pingStatus: i.PingStatus ?? 'Unknown',
          ...(i.LastPingDateTime ? { lastPingAt: i.LastPingDateTime.toISOString() } : {}),
        }));
      const known = new Set(instances.map((i) => i.InstanceId));
      const missing = 'instanceIds' in targets ? targets.instanceIds.filter((id) => !known.has(id)) : [];
      return { online: online.sort(), offline, missing };
    } catch (err) {
      throw toActivityFailure(err, 'resolving targets');
    }
  }

  /** Waits (heartbeating) until every instance reports Online, e.g. after a reboot. */
  async function waitForInstancesOnline(input: { instanceIds: string[]; pollIntervalMs?: number }): Promise<{ onlineAt: string }> {
    for (;;) {
      const instances = await describeInstances(ssm, { instanceIds: input.instanceIds }).catch((err: unknown) => {
        throw toActivityFailure(err, 'waiting for instances to come online');
      });
      const notOnline = input.instanceIds.filter((id) => !instances.some((i) => i.InstanceId === id && i.PingStatus === 'Online'));
      if (notOnline.length === 0) return { onlineAt: new Date().toISOString() };
      heartbeat({ waitingFor: notOnline });
      await sleep(input.pollIntervalMs ?? 5_000);
    }
  }

  /**
   * The full output of one invocation: from S3 when the command wrote there, else the API's text,
   * which SSM truncates (24,000 chars stdout, 8,000 stderr); `source` and `note` say which.
   */
  async function getCommandOutput(input: {
    commandId: string;
    instanceId: string;
    output?: { bucket: string; s3KeyPrefix: string };
  }): Promise<{
    stdout: string;
    stderr: string;
    source: 's3' | 'ssm-api';
    note?: string;
  }> {
    let s3Problem = 'the command wrote no output to S3';
    if (input.output) {
      try {
        const [stdout, stderr] = await Promise.all(
          ['stdout', 'stderr'].map(async (stream) => {
            try {
              const object = await s3.send(
                new GetObjectCommand({ Bucket: input.output?.bucket, Key: `${input.output?.s3KeyPrefix}/${stream}` }),
              );
              return (await object.Body?.transformToString('utf8')) ?? '';
            } catch (err) {
              // The agent uploads only non-empty streams: a missing object is empty output.
              if ((err as { name?: string }).name === 'NoSuchKey') return '';
              throw err;
            }
          }),
        );
        return { stdout: stdout ?? '', stderr: stderr ?? '', source: 's3' };
      } catch (err) {
        s3Problem = `S3 was unavailable (${(err as Error).name}: ${(err as Error).message})`;
      }
    }
    try {
      const invocation = await ssm.send(new GetCommandInvocationCommand({ CommandId: input.commandId, InstanceId: input.instanceId }));
      return {
        stdout: invocation.StandardOutputContent ?? '',
        stderr: invocation.StandardErrorContent ?? '',
        source: 'ssm-api',
        note: `${s3Problem}; this is SSM's copy, cut at 24,000 characters of stdout and 8,000 of stderr`,
      };
    } catch (err) {
      throw toActivityFailure(err, `reading output of ${input.commandId} on ${input.instanceId}`);
    }
  }

  return { runCommand, runCheckUntilSuccess, resolveTargets, waitForInstancesOnline, getCommandOutput };
}

export type SsmActivities = ReturnType<typeof createSsmActivities>;
