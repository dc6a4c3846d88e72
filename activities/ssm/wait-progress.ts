// What a waitUntil check said, in the few words `ssmflow status` shows while the step waits, and
// whether it said "give up". Pure: the activity heartbeats the progress, the workflow never sees it.
import type { CheckLine, CommandResult, WaitProgress } from '../../aws/ssm/types.js';

/** A check line longer than this is cut (with "…"): heartbeat details stay small. */
export const checkLineMaxChars = 200;
/** Instances listed in the progress; the counts cover the rest. */
export const checkLinesMaxInstances = 20;

const errorTitle = /\n?----------ERROR-------\n/;
const truncationLine = /^-*(Output|Error|output) truncated-*$/;

/** The last non-empty line of stdout in an output tail (stdout, then the agent's ERROR title, then stderr); stderr's when stdout has none. */
export function lastOutputLine(outputTail: string): string {
  const [stdout = '', ...rest] = outputTail.split(errorTitle);
  const lastOf = (text: string) =>
    text
      .split('\n')
      .map((l) => l.trim())
      .filter((l) => l !== '' && !truncationLine.test(l))
      .at(-1) ?? '';
  const line = lastOf(stdout) || lastOf(rest.join('\n'));
  return line.length <= checkLineMaxChars ? line : `${line.slice(0, checkLineMaxChars - 1)}…`;
}

/** The progress after check number `check` finished, `elapsedMs` into the wait. */
export function waitProgressOf(result: CommandResult, check: number, elapsedMs: number, nowMs = Date.now()): WaitProgress {
  const lines: CheckLine[] = result.invocations.map((i) => ({
    instanceId: i.instanceId,
    exitCode: i.exitCode,
    line: lastOutputLine(i.outputTail),
  }));
  const passing = (l: CheckLine) => l.exitCode === 0;
  const ordered = [...lines.filter((l) => !passing(l)), ...lines.filter(passing)];
  return {
    check,
    elapsedMs,
    at: new Date(nowMs).toISOString(),
    instanceCount: lines.length,
    passed: lines.filter(passing).length,
    instances: ordered.slice(0, checkLinesMaxInstances),
  };
}

/** The first instance whose check exited `giveUpExitCode`, if any. */
export function gaveUpOn(result: CommandResult, giveUpExitCode: number | undefined): { instanceId: string; exitCode: number } | undefined {
  if (giveUpExitCode === undefined) return undefined;
  const found = result.invocations.find((i) => i.exitCode === giveUpExitCode);
  return found ? { instanceId: found.instanceId, exitCode: found.exitCode } : undefined;
}
