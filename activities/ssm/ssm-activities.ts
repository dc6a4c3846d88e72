import { CancelCommandCommand, GetCommandInvocationCommand, type SSMClient } from '@aws-sdk/client-ssm';
import { GetObjectCommand, type S3Client } from '@aws-sdk/client-s3';
import { activityInfo, ApplicationFailure, CancelledFailure, Context, heartbeat, sleep } from '@temporalio/activity';
import { substituteSecrets } from '../../runbook/secrets.js';
import { type CommandStatusPoller, type TerminalCommand } from './command-status-poller.js';
import { toActivityFailure } from './classify-error.js';
import { describeInstances } from './describe-instances.js';
import { collectInvocationResults } from './invocation-results.js';
import { readSecrets } from './secrets.js';
import { buildSendCommandRequest, findCommandSentEarlier, sendCommand } from './send-command-once.js';
import type { CommandResult, CommandTargets, ResolvedTargets, RunCommandInput, WaitUntilResult } from './types.js';

export interface SsmActivityDependencies {
  ssm: SSMClient;
  s3: S3Client;
  poller: CommandStatusPoller;
}

/** What a retried attempt finds in activityInfo().heartbeatDetails. */
interface RunCommandCheckpoint {
  commandId: string;
  requestedAtMs: number;
}

interface CheckCheckpoint extends Partial<RunCommandCheckpoint> {
  check: number;
  startedAtMs: number;
}

const heartbeatEveryMs = 1_000;

export function createSsmActivities({ ssm, s3, poller }: SsmActivityDependencies) {
  /**
   * Sends the command for this key unless an earlier attempt already did: the heartbeat checkpoint
   * says so, or (after a crash before the first heartbeat) the Comment lookup finds it.
   */
  async function sendOrResume(input: RunCommandInput, resumeFrom: RunCommandCheckpoint | undefined): Promise<{ checkpoint: RunCommandCheckpoint; reused: boolean }> {
    const info = activityInfo();
    if (resumeFrom?.commandId) return { checkpoint: resumeFrom, reused: true };
    try {
      if (info.attempt > 1) {
        const earlier = await findCommandSentEarlier(ssm, input, info.scheduledTimestampMs);
        if (earlier?.CommandId) {
          return { checkpoint: { commandId: earlier.CommandId, requestedAtMs: earlier.RequestedDateTime?.getTime() ?? Date.now() }, reused: true };
        }
      }
      const secretValues = input.secrets && Object.keys(input.secrets).length ? await readSecrets(ssm, input.secrets) : {};
      const commands = input.document.kind === 'shell' ? substituteSecrets(input.document.commands, secretValues) : undefined;
      const sent = await sendCommand(ssm, buildSendCommandRequest(input, commands));
      return { checkpoint: { commandId: sent.CommandId ?? '', requestedAtMs: sent.RequestedDateTime?.getTime() ?? Date.now() }, reused: false };
    } catch (err) {
      if (err instanceof ApplicationFailure) throw err;
      throw toActivityFailure(err, `sending step ${input.description} (key ${input.idempotencyKey})`);
    }
  }

  /** Waits for the command (heartbeating `progress`), cancels it in SSM if the activity is cancelled, then reads every invocation. */
  async function waitAndCollect(input: RunCommandInput, checkpoint: RunCommandCheckpoint, reusedEarlierSend: boolean, progress: object): Promise<CommandResult> {
    const { commandId } = checkpoint;
    heartbeat(progress);
    const keepAlive = setInterval(() => heartbeat(progress), heartbeatEveryMs);
    let finished: TerminalCommand;
    try {
      finished = await poller.waitForResults(commandId, checkpoint.requestedAtMs, Context.current().cancellationSignal);
    } catch (err) {
      if (Context.current().cancellationSignal.aborted) {
        await cancelInSsm(commandId);
        throw new CancelledFailure(`cancelled: SSM command ${commandId} for step ${input.description} was cancelled too`);
      }
      throw err;
    } finally {
      clearInterval(keepAlive);
    }
    const { command } = finished;
    try {
      const invocations = await collectInvocationResults(ssm, s3, commandId, command.TargetCount ?? 0, input.output, finished.invocations);
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
   */
  async function runCheckUntilSuccess(input: RunCommandInput & { intervalMs: number; timeoutMs: number }): Promise<WaitUntilResult> {
    const resumed = activityInfo().heartbeatDetails as CheckCheckpoint | undefined;
    const startedAtMs = resumed?.startedAtMs ?? Date.now();
    let check = resumed?.check ?? 1;
    for (;;) {
      const checkInput = { ...input, idempotencyKey: `${input.idempotencyKey}/check-${check}` };
      const resumeFrom = resumed?.check === check && resumed.commandId ? { commandId: resumed.commandId, requestedAtMs: resumed.requestedAtMs ?? Date.now() } : undefined;
      const { checkpoint, reused } = await sendOrResume(checkInput, resumeFrom);
      const result = await waitAndCollect(checkInput, checkpoint, reused, { ...checkpoint, check, startedAtMs });
      const elapsedMs = Date.now() - startedAtMs;
      if (result.status === 'Success') return { satisfied: true, checks: check, elapsedMs, lastResult: result };
      if (elapsedMs + input.intervalMs > input.timeoutMs) return { satisfied: false, checks: check, elapsedMs, lastResult: result };
      check += 1;
      heartbeat({ check, startedAtMs });
      await sleep(input.intervalMs);
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
        .map((i) => ({ instanceId: i.InstanceId ?? '', pingStatus: i.PingStatus ?? 'Unknown', ...(i.LastPingDateTime ? { lastPingAt: i.LastPingDateTime.toISOString() } : {}) }));
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
  async function getCommandOutput(input: { commandId: string; instanceId: string; output?: { bucket: string; s3KeyPrefix: string } }): Promise<{
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
              const object = await s3.send(new GetObjectCommand({ Bucket: input.output?.bucket, Key: `${input.output?.s3KeyPrefix}/${stream}` }));
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
