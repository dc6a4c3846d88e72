// waitUntil's `giveUpExitCode` through the format (schema, normalize, render, plan), and the pure
// parts of its live progress: the line taken from a check's output, and how status shows it.
import { describe, expect, it } from 'vitest';
import type { CommandResult, InvocationResult, WaitUntilResult } from '../aws/ssm/types.js';
import { gaveUpOn, lastOutputLine, waitProgressOf } from '../activities/ssm/wait-progress.js';
import { waitProgressLines } from '../client/output/run-status.js';
import { renderPlan } from '../client/output/plan-view.js';
import { planRun } from '../client/run-plan.js';
import { parseRunbook } from '../runbook/load.js';
import { renderStep } from '../runbook/render.js';
import { runbookJsonSchema } from '../runbook/schema.js';
import type { NormalizedRunbook, RunbookError } from '../runbook/types.js';
import { gaveUpMessage } from '../workflows/run-audit.js';
import pc from 'picocolors';

const plain = pc.createColors(false);

const runbookWith = (waitUntil: string) => `apiVersion: ssmflow/v1
name: wait
targets: { instanceIds: [i-0123456789abcdef0] }
steps:
  - id: caught-up
    waitUntil: ${waitUntil}
`;

function parsed(yaml: string): NormalizedRunbook | RunbookError[] {
  const result = parseRunbook(yaml, 'wait.yaml');
  return 'errors' in result ? result.errors : result.normalized;
}

function normalized(yaml: string): NormalizedRunbook {
  const result = parsed(yaml);
  if (Array.isArray(result)) throw new Error(JSON.stringify(result, null, 2));
  return result;
}

describe('waitUntil giveUpExitCode in the runbook format', () => {
  it('is kept through normalize and render, and absent when not written', () => {
    const given = normalized(runbookWith('{ run: ./check-lag, interval: 10s, timeout: 30m, giveUpExitCode: 3 }')).steps[0];
    expect(given).toMatchObject({
      kind: 'waitUntil',
      commands: ['./check-lag'],
      intervalMs: 10_000,
      waitTimeoutMs: 1_800_000,
      giveUpExitCode: 3,
    });
    expect(renderStep(given!, {})).toMatchObject({ kind: 'waitUntil', giveUpExitCode: 3 });

    const without = normalized(runbookWith('{ run: ./check-lag, interval: 10s, timeout: 30m }')).steps[0];
    expect(without).not.toHaveProperty('giveUpExitCode');
    expect(renderStep(without!, {})).not.toHaveProperty('giveUpExitCode');
  });

  it.each([
    ['0', 'must be at least 1'],
    ['256', 'must be at most 255'],
    ['2.5', 'must be a whole number'],
    ['"3"', 'must be a number'],
  ])('refuses giveUpExitCode %s, naming the field', (value, message) => {
    const errors = parsed(runbookWith(`{ run: ./check-lag, interval: 10s, timeout: 30m, giveUpExitCode: ${value} }`));
    expect(Array.isArray(errors)).toBe(true);
    expect(errors).toEqual([
      expect.objectContaining({ path: 'steps[0].waitUntil.giveUpExitCode', message: expect.stringContaining(message) }),
    ]);
  });

  it('is an integer from 1 to 255 in runbook.schema.json, described for editors', () => {
    const schema = runbookJsonSchema() as {
      $defs: {
        WaitUntil: {
          properties: Record<string, { type?: string; minimum?: number; maximum?: number; description?: string }>;
          required: string[];
        };
      };
    };
    const field = schema.$defs.WaitUntil.properties.giveUpExitCode;
    expect(field).toMatchObject({ type: 'integer', minimum: 1, maximum: 255 });
    expect(field?.description).toContain('at once');
    expect(schema.$defs.WaitUntil.required).not.toContain('giveUpExitCode');
  });

  it('shows in `ssmflow plan`', async () => {
    const plan = await planRun(
      normalized(runbookWith('{ run: ./check-lag, interval: 10s, timeout: 30m, giveUpExitCode: 3 }')),
      {},
      { maxTargets: 50 },
    );
    expect(plan.steps[0]?.wait).toEqual({ intervalMs: 10_000, timeoutMs: 1_800_000, giveUpExitCode: 3 });
    expect(renderPlan(plan, 'ssmflow run wait.yaml')).toContain(
      'until it passes: every 10s, for at most 30m; gives up at once when it exits 3',
    );
  });
});

const invocation = (instanceId: string, exitCode: number, outputTail: string): InvocationResult => ({
  instanceId,
  status: exitCode === 0 ? 'Success' : 'Failed',
  statusDetails: exitCode === 0 ? 'Success' : 'Failed',
  exitCode,
  outputTail,
  outputTruncated: false,
});

const commandResult = (invocations: InvocationResult[]): CommandResult => ({
  commandId: 'c0ffee00-0000-4000-8000-000000000001',
  status: invocations.every((i) => i.exitCode === 0) ? 'Success' : 'Failed',
  statusDetails: 'Failed',
  documentName: 'AWS-RunShellScript',
  requestedAt: '2025-06-07T02:00:00.000Z',
  targetCount: invocations.length,
  completedCount: invocations.length,
  errorCount: invocations.filter((i) => i.exitCode !== 0).length,
  deliveryTimedOutCount: 0,
  invocations,
  reusedEarlierSend: false,
});

describe('what a waiting check said', () => {
  it('takes the last non-empty stdout line, else stderr, cut at 200 characters', () => {
    expect(lastOutputLine('connecting\nLAG 1048576 bytes (threshold 65536)\n\n')).toBe('LAG 1048576 bytes (threshold 65536)');
    expect(lastOutputLine('LAG 10 bytes\n----------ERROR-------\nwarning: slow query\n')).toBe('LAG 10 bytes');
    expect(lastOutputLine('----------ERROR-------\npsql: connection refused\n')).toBe('psql: connection refused');
    expect(lastOutputLine('')).toBe('');
    const long = lastOutputLine(`${'x'.repeat(500)}\n`);
    expect(long).toHaveLength(200);
    expect(long.endsWith('…')).toBe(true);
  });

  it('lists instances that do not pass first, with counts for all', () => {
    const result = commandResult([
      invocation('i-a', 0, 'LAG 0 bytes\n'),
      invocation('i-b', 1, 'LAG 99 bytes\n'),
      invocation('i-c', 0, 'LAG 1 bytes\n'),
    ]);
    const progress = waitProgressOf(result, 7, 41_000, Date.parse('2025-06-07T02:00:41Z'));
    expect(progress).toEqual({
      check: 7,
      elapsedMs: 41_000,
      at: '2025-06-07T02:00:41.000Z',
      instanceCount: 3,
      passed: 2,
      instances: [
        { instanceId: 'i-b', exitCode: 1, line: 'LAG 99 bytes' },
        { instanceId: 'i-a', exitCode: 0, line: 'LAG 0 bytes' },
        { instanceId: 'i-c', exitCode: 0, line: 'LAG 1 bytes' },
      ],
    });
    expect(waitProgressLines(progress, plain)).toEqual(['  waiting: check 7 after 41s — 2 of 3 instances pass', '    i-b: LAG 99 bytes']);
  });

  it('reads as one line for one instance', () => {
    const progress = waitProgressOf(
      commandResult([invocation('i-0a1b2c3d4e5f60718', 1, 'LAG 1048576 bytes (threshold 65536)\n')]),
      7,
      41_000,
    );
    expect(waitProgressLines(progress, plain)).toEqual([
      '  waiting: check 7 after 41s — i-0a1b2c3d4e5f60718: LAG 1048576 bytes (threshold 65536)',
    ]);
  });

  it('gives up on the first instance that exited giveUpExitCode, and the message quotes its output', () => {
    const result = commandResult([
      invocation('i-a', 1, 'LAG 99 bytes\n'),
      invocation('i-b', 3, 'LAG 12 bytes\n----------ERROR-------\nDDL changed table public.orders on the source\n'),
    ]);
    expect(gaveUpOn(result, undefined)).toBeUndefined();
    expect(gaveUpOn(result, 4)).toBeUndefined();
    const gaveUp = gaveUpOn(result, 3);
    expect(gaveUp).toEqual({ instanceId: 'i-b', exitCode: 3 });
    const waited: WaitUntilResult = { satisfied: false, checks: 3, elapsedMs: 20_000, lastResult: result, gaveUp };
    expect(gaveUpMessage({ ...waited, gaveUp: gaveUp! })).toBe(
      `gave up after 3 checks: i-b exited 3: LAG 12 bytes / DDL changed table public.orders on the source (command ${result.commandId})`,
    );
  });
});
