// Mocked SSM activities for workflow tests: each call is recorded, and a script decides whether the
// command succeeds, fails, or runs until cancelled. The workflow under test is the real one.
import { Context, heartbeat } from '@temporalio/activity';
import type { CommandResult, CommandTargets, RunCommandInput, WaitUntilResult } from '../../aws/ssm/types.js';

export type ScriptedOutcome = 'success' | 'fail' | 'block';

export interface ScriptedCall {
  key: string;
  /** "<runbook>/<step>" or "<runbook>/<step> (rollback)". */
  description: string;
  commands: string[];
}

export interface ScriptedSsm {
  calls: ScriptedCall[];
  /** Descriptions of the calls, in order, e.g. ["five/s1", "five/s2 (rollback)"]. */
  order(): string[];
  activities: {
    runCommand(input: RunCommandInput): Promise<CommandResult>;
    runCheckUntilSuccess(input: RunCommandInput & { intervalMs: number; timeoutMs: number }): Promise<WaitUntilResult>;
    resolveTargetInstances(selectors: CommandTargets[]): Promise<string[]>;
  };
}

/**
 * What a run locks, without SSM: the ids named outright, and one made-up instance per tag value
 * (so runs on different clusters lock different instances).
 */
export async function scriptedTargetInstances(selectors: CommandTargets[]): Promise<string[]> {
  const ids = selectors.flatMap((targets) =>
    'instanceIds' in targets ? targets.instanceIds : Object.values(targets.tags).flatMap((values) => values.map((v) => `i-scripted-${v}`)),
  );
  return [...new Set(ids)].sort();
}

let commandCounter = 0;

export function commandResult(input: RunCommandInput, ok: boolean): CommandResult {
  commandCounter += 1;
  const commandId = `00000000-0000-4000-8000-${String(commandCounter).padStart(12, '0')}`;
  return {
    commandId,
    status: ok ? 'Success' : 'Failed',
    statusDetails: ok ? 'Success' : 'Failed',
    documentName: input.document.kind === 'shell' ? 'AWS-RunShellScript' : input.document.name,
    requestedAt: new Date().toISOString(),
    targetCount: 1,
    completedCount: 1,
    errorCount: ok ? 0 : 1,
    deliveryTimedOutCount: 0,
    reusedEarlierSend: false,
    invocations: [
      {
        instanceId: 'i-0123456789abcdef0',
        status: ok ? 'Success' : 'Failed',
        statusDetails: ok ? 'Success' : 'Failed',
        exitCode: ok ? 0 : 2,
        outputTail: ok ? 'ok\n' : 'something broke\n',
        outputTruncated: false,
      },
    ],
  };
}

/** @param script decides each call's outcome from its description and how many times it was seen. */
export function scriptedSsm(script: (description: string, seen: number, input: RunCommandInput) => ScriptedOutcome): ScriptedSsm {
  const calls: ScriptedCall[] = [];
  const seen = new Map<string, number>();
  async function outcomeOf(input: RunCommandInput): Promise<boolean> {
    calls.push({
      key: input.idempotencyKey,
      description: input.description,
      commands: input.document.kind === 'shell' ? input.document.commands : [],
    });
    const count = (seen.get(input.description) ?? 0) + 1;
    seen.set(input.description, count);
    const outcome = script(input.description, count, input);
    if (outcome === 'block') {
      // Runs until the workflow cancels it (cancellation arrives through heartbeats).
      for (;;) {
        heartbeat();
        await Context.current().sleep(50);
      }
    }
    return outcome === 'success';
  }
  return {
    calls,
    order: () => calls.map((c) => c.description),
    activities: {
      async runCommand(input) {
        return commandResult(input, await outcomeOf(input));
      },
      async runCheckUntilSuccess(input) {
        const ok = await outcomeOf(input);
        return { satisfied: ok, checks: ok ? 2 : 5, elapsedMs: 1_000, lastResult: commandResult(input, ok) };
      },
      resolveTargetInstances: scriptedTargetInstances,
    },
  };
}
