// Turning command results into audit entries and messages an operator can act on. Pure functions.
import type { CommandResult, CommandTargets, RunCommandInput, WaitUntilResult } from '../aws/ssm/types.js';
import { redactSecrets } from '../runbook/secrets.js';
import type { ParameterValues } from '../runbook/types.js';
import type { AuditEntry, RunFailure } from './run-state.js';
import { describeTargets } from './step-command-input.js';

export function commandAuditEntry(
  at: string,
  stepId: string,
  phase: 'step' | 'rollback' | 'check',
  attempt: number,
  input: RunCommandInput,
  result: CommandResult,
): Extract<AuditEntry, { type: 'command' }> {
  return {
    at,
    type: 'command',
    stepId,
    phase,
    attempt,
    commandId: result.commandId,
    document: input.document.kind === 'shell' ? 'AWS-RunShellScript' : input.document.name,
    targets: describeTargets(input.targets as CommandTargets),
    commands:
      input.document.kind === 'shell'
        ? redactSecrets(input.document.commands)
        : Object.entries(input.document.parameters).map(([k, v]) => `${k}=${JSON.stringify(v)}`),
    status: result.status,
    instances: result.invocations.map((i) => ({
      instanceId: i.instanceId,
      status: i.status,
      statusDetails: i.statusDetails,
      exitCode: i.exitCode,
      ...(i.output?.s3KeyPrefix && input.output ? { output: `s3://${input.output.bucket}/${i.output.s3KeyPrefix}/` } : {}),
    })),
  };
}

/** What the send activity reports when one key named several commands (type SsmDuplicateCommand). */
interface DuplicateSend {
  keptCommandId: string;
  cancelledCommandIds: string[];
}

function duplicateSendIn(err: unknown): DuplicateSend | undefined {
  for (
    let current = err as { type?: string; details?: unknown[]; cause?: unknown } | undefined;
    current;
    current = current.cause as typeof current
  ) {
    if (current.type === 'SsmDuplicateCommand') return current.details?.[0] as DuplicateSend | undefined;
  }
  return undefined;
}

/** Audit entries for a step found sent more than once: the command kept and each one cancelled. */
export function duplicateSendAuditEntries(
  at: string,
  stepId: string,
  phase: 'step' | 'rollback' | 'check',
  attempt: number,
  input: RunCommandInput,
  err: unknown,
): Extract<AuditEntry, { type: 'command' }>[] {
  const duplicate = duplicateSendIn(err);
  if (!duplicate) return [];
  const entry = (commandId: string, status: string): Extract<AuditEntry, { type: 'command' }> => ({
    at,
    type: 'command',
    stepId,
    phase,
    attempt,
    commandId,
    document: input.document.kind === 'shell' ? 'AWS-RunShellScript' : input.document.name,
    targets: describeTargets(input.targets as CommandTargets),
    commands: input.document.kind === 'shell' ? redactSecrets(input.document.commands) : [],
    status,
    instances: [],
  });
  return [
    entry(duplicate.keptCommandId, 'DuplicateSend: kept'),
    ...duplicate.cancelledCommandIds.map((id) => entry(id, 'DuplicateSend: cancelled')),
  ];
}

/**
 * How many instances did not succeed, and why, e.g. "1 of 2 instances failed" or "1 failed, 1 not
 * run (MaxErrors reached), of 3 instances": an instance SSM never started is not a failure of it.
 */
export function countInstanceOutcomes(invocations: readonly { statusDetails: string; status: string }[]): string {
  const notSucceeded = invocations.filter((i) => i.status !== 'Success');
  const notRun = notSucceeded.filter((i) => i.statusDetails === 'Terminated').length;
  const cancelled = notSucceeded.filter((i) => i.statusDetails === 'Cancelled').length;
  const failed = notSucceeded.length - notRun - cancelled;
  if (notRun === 0 && cancelled === 0) return `${failed} of ${invocations.length} instances failed`;
  const parts = [
    `${failed} failed`,
    ...(notRun ? [`${notRun} not run (MaxErrors reached)`] : []),
    ...(cancelled ? [`${cancelled} cancelled`] : []),
  ];
  return `${parts.join(', ')}, of ${invocations.length} instances`;
}

/** One line on what went wrong: which instances, how, and the last line they printed. */
export function summarizeCommandFailure(result: CommandResult): string {
  if (result.invocations.length === 0)
    return `SSM command ${result.commandId} ended ${result.status} (${result.statusDetails}) without reaching any instance`;
  // The instances that failed come first: those never started say nothing about the step.
  const notSucceeded = result.invocations.filter((i) => i.status !== 'Success');
  const failed = [
    ...notSucceeded.filter((i) => i.statusDetails !== 'Terminated'),
    ...notSucceeded.filter((i) => i.statusDetails === 'Terminated'),
  ];
  const parts = failed.slice(0, 3).map((i) => {
    const lastLine = i.outputTail.trimEnd().split('\n').pop() ?? '';
    const code = i.exitCode >= 0 ? ` exit ${i.exitCode}` : '';
    return `${i.instanceId} ${i.statusDetails}${code}${lastLine ? `: ${truncate(lastLine, 160)}` : ''}`;
  });
  const more = failed.length > 3 ? `, and ${failed.length - 3} more` : '';
  return `${countInstanceOutcomes(result.invocations)} (command ${result.commandId}): ${parts.join('; ')}${more}`;
}

/** Why a waitUntil step stopped early: "gave up after 3 checks: i-… exited 3: <the end of its output>". */
export function gaveUpMessage(waited: WaitUntilResult & { gaveUp: NonNullable<WaitUntilResult['gaveUp']> }): string {
  const { instanceId, exitCode } = waited.gaveUp;
  const tail = waited.lastResult.invocations.find((i) => i.instanceId === instanceId)?.outputTail ?? '';
  const lines = tail
    .split('\n')
    .map((line) => line.trim())
    .filter((line) => line !== '' && !/^-{5,}ERROR-{5,}$/.test(line))
    .slice(-3);
  const checks = `${waited.checks} check${waited.checks === 1 ? '' : 's'}`;
  return `gave up after ${checks}: ${instanceId} exited ${exitCode}${lines.length ? `: ${truncate(lines.join(' / '), 400)}` : ''} (command ${waited.lastResult.commandId})`;
}

export function failedInstances(result: CommandResult | undefined): RunFailure['instances'] {
  return (result?.invocations ?? [])
    .filter((i) => i.status !== 'Success')
    .map((i) => ({ instanceId: i.instanceId, statusDetails: i.statusDetails, exitCode: i.exitCode }));
}

/** Parameter values as people may see them: secrets as their Parameter Store name. */
export function displayParameters(values: ParameterValues): Record<string, string | number | boolean> {
  return Object.fromEntries(
    Object.entries(values).map(([name, value]) => [name, typeof value === 'object' ? `(secret) ${value.parameterStore}` : value]),
  );
}

/** The message of an activity failure, without the SDK's wrapping. */
export function failureMessage(err: unknown): string {
  let current = err as { message?: string; cause?: unknown } | undefined;
  // ActivityFailure wraps the ApplicationFailure / TimeoutFailure that says what happened.
  while (current?.cause && typeof current.cause === 'object') current = current.cause as { message?: string; cause?: unknown };
  return current?.message ?? String(err);
}

export function truncate(text: string, max: number): string {
  return text.length <= max ? text : `${text.slice(0, max - 1)}…`;
}
