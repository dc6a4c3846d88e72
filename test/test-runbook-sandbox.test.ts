// The workflow bundle imports runbook/types, render, duration and maintenance-window: they must
// bundle without Node modules and run inside Temporal's deterministic sandbox. The workflow below
// exercises them there (replayed from a one-task history, no server needed) and throws if anything
// differs from what the same code computes in Node; a sink reports that it ran to the end.
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { bundleWorkflowCode, Worker } from '@temporalio/worker';
import { afterAll, describe, expect, it } from 'vitest';

const runbookDir = fileURLToPath(new URL('../runbook/', import.meta.url));
const nodeModules = fileURLToPath(new URL('../node_modules/', import.meta.url));
const directory = mkdtempSync(join(tmpdir(), 'ssmflow-sandbox-'));
afterAll(() => rmSync(directory, { recursive: true, force: true }));

const workflowSource = `
import { proxySinks, type Sinks } from '@temporalio/workflow';
import { parseDuration } from ${JSON.stringify(join(runbookDir, 'duration.ts'))};
import { renderStep, redactSecrets } from ${JSON.stringify(join(runbookDir, 'render.ts'))};
import { windowState } from ${JSON.stringify(join(runbookDir, 'maintenance-window.ts'))};
import type { NormalizedRunStep } from ${JSON.stringify(join(runbookDir, 'types.ts'))};

function check(what: string, actual: unknown, expected: unknown): void {
  if (JSON.stringify(actual) !== JSON.stringify(expected)) {
    throw new Error(what + ': got ' + JSON.stringify(actual) + ', expected ' + JSON.stringify(expected));
  }
}

interface ResultSinks extends Sinks {
  results: { report(outcome: string): void };
}
const { results } = proxySinks<ResultSinks>();

export async function runbookModulesInSandbox(): Promise<void> {
  try {
    runChecks();
    results.report('ok');
  } catch (error) {
    results.report(String(error));
  }
}

function runChecks(): void {
  check('duration', parseDuration('1h30m'), 5400000);
  const step: NormalizedRunStep = {
    id: 'a', kind: 'run', commands: ['echo {{ value }} {{ pw }}'], onFailure: 'pause', timeoutMs: 1000,
    executionTimeoutMs: 1000, retry: { maxAttempts: 1, initialIntervalMs: 1, backoffCoefficient: 2, maximumIntervalMs: 1 },
    rateControl: { maxConcurrency: '1', maxErrors: '0' }, disruptive: false, targets: { tags: { Cluster: ['{{ value }}'] } },
  };
  const rendered = renderStep(step, { value: "it's", pw: { secret: true, parameterStore: '/p' } });
  if (rendered.kind !== 'run') throw new Error('kind');
  check('commands', redactSecrets(rendered.commands), ["echo 'it'\\\\''s' '****'"]);
  check('targets', rendered.targets, { tags: { Cluster: ["it's"] } });
  const window = { cron: '0 2 * * SAT', durationMs: 3600000, timezone: 'Europe/Berlin' };
  check('window', windowState(window, Date.parse('2025-01-04T01:30:00Z')), { open: true, opensAtMs: Date.parse('2025-01-04T01:00:00Z'), closesAtMs: Date.parse('2025-01-04T02:00:00Z') });
}
`;

function oneTaskHistory(workflowType: string): unknown {
  const time = '2025-01-01T00:00:00Z';
  return {
    events: [
      {
        eventId: '1',
        eventTime: time,
        eventType: 'EVENT_TYPE_WORKFLOW_EXECUTION_STARTED',
        workflowExecutionStartedEventAttributes: {
          workflowType: { name: workflowType },
          taskQueue: { name: 'sandbox-test', kind: 'TASK_QUEUE_KIND_NORMAL' },
          workflowTaskTimeout: '10s',
          originalExecutionRunId: '9b4a2c3e-0000-4000-8000-000000000001',
          firstExecutionRunId: '9b4a2c3e-0000-4000-8000-000000000001',
          attempt: 1,
        },
      },
      {
        eventId: '2',
        eventTime: time,
        eventType: 'EVENT_TYPE_WORKFLOW_TASK_SCHEDULED',
        workflowTaskScheduledEventAttributes: { taskQueue: { name: 'sandbox-test' }, startToCloseTimeout: '10s', attempt: 1 },
      },
      {
        eventId: '3',
        eventTime: time,
        eventType: 'EVENT_TYPE_WORKFLOW_TASK_STARTED',
        workflowTaskStartedEventAttributes: { scheduledEventId: '2', requestId: 'r1' },
      },
    ],
  };
}

describe('runbook modules in the Temporal workflow sandbox', () => {
  it('bundle without Node modules and compute the same results there', async () => {
    const workflowsPath = join(directory, 'workflows.ts');
    writeFileSync(workflowsPath, workflowSource);
    const bundle = await bundleWorkflowCode({
      workflowsPath,
      // The workflow file lives in a temporary directory: resolve packages from the repo.
      webpackConfigHook: (config) => ({
        ...config,
        resolve: { ...config.resolve, modules: [...(config.resolve?.modules ?? ['node_modules']), nodeModules] },
      }),
      logger: {
        trace() {},
        debug() {},
        info() {},
        warn() {},
        error: (message: string, meta?: unknown) => console.error(message, meta),
        log() {},
      },
    });
    expect(bundle.code).toContain('runbookModulesInSandbox');
    const outcomes: string[] = [];
    await Worker.runReplayHistory(
      {
        workflowBundle: bundle,
        replayName: 'sandbox',
        sinks: { results: { report: { fn: (_info, outcome: string) => void outcomes.push(outcome), callDuringReplay: true } } },
      },
      oneTaskHistory('runbookModulesInSandbox'),
    );
    expect(outcomes).toEqual(['ok']);
  });
});
