// Hostile and malformed input: property-based fuzzing of runbook files and parameters (every case
// either validates or is rejected with a located error and a fix, never a crash), shell injection
// through parameters (never executes), oversize output, unicode, huge target lists.
import { spawnSync } from 'node:child_process';
import { existsSync, mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import fc from 'fast-check';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { stringify } from 'yaml';
import { parseRunbook } from '../runbook/load.js';
import { resolveParameterValues } from '../runbook/parameters.js';
import { renderStep } from '../runbook/render.js';
import type { NormalizedRunbook } from '../runbook/types.js';
import { fleetClient, startTestFleet, type TestFleet } from '../fleet/test-support.js';
import { adHocCommand } from '../workflows/index.js';
import { connectTestStack, uniqueId, type TestStack } from './harness/stack.js';

const baseRunbook = {
  apiVersion: 'ssmflow/v1',
  name: 'fuzz-target',
  description: 'a runbook the fuzzer mutates',
  parameters: {
    cluster: { type: 'string', pattern: '^[a-z0-9-]+$', default: 'c1' },
    note: { type: 'string', default: 'hello' },
    count: { type: 'integer', default: 3, minimum: 1, maximum: 10 },
    mode: { type: 'enum', values: ['fast', 'safe'], default: 'safe' },
    pw: { type: 'secret', parameterStore: '/db/{{ cluster }}/pw' },
  },
  targets: { tags: { Cluster: '{{ cluster }}' } },
  maintenanceWindow: { cron: '0 2 * * SAT', duration: '4h', timezone: 'UTC' },
  defaults: { timeout: '10m', onFailure: 'pause', retry: { maxAttempts: 2, initialInterval: '5s', backoff: 2 } },
  steps: [
    { id: 'one', run: 'echo {{ note }} {{ count }}', rollback: { run: 'echo undo' } },
    { id: 'wait', waitUntil: { run: 'test -f ready', interval: '5s', timeout: '1m' } },
    { id: 'gate', approval: { message: 'go {{ cluster }}?', timeout: '1h' } },
    { id: 'doc', document: { name: 'Team-Doc', parameters: { mode: '{{ mode }}' } }, disruptive: true },
    { id: 'nap', sleep: '1s' },
  ],
};

const paths: (string | number)[][] = [
  ['apiVersion'],
  ['name'],
  ['parameters'],
  ['parameters', 'cluster'],
  ['parameters', 'cluster', 'type'],
  ['parameters', 'cluster', 'pattern'],
  ['parameters', 'count', 'default'],
  ['parameters', 'mode', 'values'],
  ['parameters', 'pw', 'parameterStore'],
  ['targets'],
  ['targets', 'tags'],
  ['maintenanceWindow', 'cron'],
  ['maintenanceWindow', 'timezone'],
  ['defaults', 'timeout'],
  ['defaults', 'onFailure'],
  ['defaults', 'retry', 'maxAttempts'],
  ['steps'],
  ['steps', 0],
  ['steps', 0, 'id'],
  ['steps', 0, 'run'],
  ['steps', 0, 'rollback'],
  ['steps', 1, 'waitUntil', 'interval'],
  ['steps', 2, 'approval'],
  ['steps', 3, 'document', 'name'],
  ['steps', 4, 'sleep'],
  ['steps', 4, 'bogusField'],
];

function setPath(target: unknown, path: (string | number)[], value: unknown): void {
  let node = target as Record<string | number, unknown>;
  for (const key of path.slice(0, -1)) {
    if (typeof node[key] !== 'object' || node[key] === null) node[key] = {};
    node = node[key] as Record<string | number, unknown>;
  }
  const last = path[path.length - 1] as string | number;
  if (value === undefined) delete node[last];
  else node[last] = value;
}

/** Either a valid runbook, or errors that each say where (line, path) and how to fix it. */
function expectValidOrExplained(text: string): NormalizedRunbook | undefined {
  const result = parseRunbook(text, 'fuzz.yaml');
  if ('errors' in result) {
    expect(result.errors.length).toBeGreaterThan(0);
    for (const error of result.errors) {
      expect(error.file).toBe('fuzz.yaml');
      expect(error.line).toBeGreaterThanOrEqual(0);
      expect(error.message.trim().length).toBeGreaterThan(0);
      expect(error.fix.trim().length).toBeGreaterThan(0);
    }
    return undefined;
  }
  return result.normalized;
}

const shellQuoteRoundTrips = (value: string, runbook: NormalizedRunbook) => {
  const resolved = resolveParameterValues(runbook, { note: value });
  if ('errors' in resolved) return; // refused with a reason: fine
  const step = renderStep(runbook.steps[0] as NormalizedRunbook['steps'][number], resolved.values);
  if (step.kind !== 'run') throw new Error('first step is a run step');
  const out = spawnSync('sh', ['-c', (step.commands[0] ?? '').replace(/^echo /, 'printf %s ').replace(/ '3'$/, '')], { encoding: 'utf8' });
  expect(out.status).toBe(0);
  expect(out.stdout).toBe(value);
};

describe('hostile and malformed input', () => {
  it('mutated runbooks either validate or are rejected with a located error and a fix (2,000 cases)', () => {
    fc.assert(
      fc.property(
        fc.array(
          fc.tuple(
            fc.constantFrom(...paths),
            fc.oneof(fc.constant(undefined), fc.anything({ maxDepth: 2 }), fc.string(), fc.integer(), fc.constant('{{ nope }}')),
          ),
          {
            minLength: 1,
            maxLength: 4,
          },
        ),
        (mutations) => {
          const doc = structuredClone(baseRunbook) as unknown;
          for (const [path, value] of mutations) setPath(doc, path, value);
          const runbook = expectValidOrExplained(stringify(doc));
          if (runbook) {
            // Whatever validated must also resolve and render without throwing.
            const resolved = resolveParameterValues(runbook, {});
            if (!('errors' in resolved)) for (const step of runbook.steps) renderStep(step, resolved.values);
          }
        },
      ),
      { numRuns: 2_000, seed: 20261122 },
    );
  });

  it('arbitrary text (unicode, control characters, YAML tricks) never crashes the loader (2,000 cases)', () => {
    fc.assert(
      fc.property(
        fc.oneof(
          fc.string({ unit: 'grapheme', maxLength: 400 }),
          fc.string({ unit: 'binary', maxLength: 400 }),
          fc.constantFrom('&a [*a, *a]', '!!js/function x', '{{', '- - - -', 'steps: &s [*s]'),
        ),
        (text) => {
          expectValidOrExplained(text);
        },
      ),
      { numRuns: 2_000, seed: 7 },
    );
  });

  it('no parameter value can escape its shell word: every value arrives literally or is refused (500 cases)', () => {
    const runbook = expectValidOrExplained(stringify(baseRunbook));
    if (!runbook) throw new Error('the base runbook must validate');
    const hostile = fc.constantFrom(
      '$(touch /tmp/ssmflow-pwned)',
      '`id`',
      "'; rm -rf / #",
      '"$HOME"',
      'a\nb',
      '${IFS}x',
      '\\',
      "'",
      '{{ssm:/x}}',
      '@@SSMFLOW_SECRET[pw]@@',
      'ünïcødé ✓ 中文 🚀',
    );
    fc.assert(
      fc.property(
        fc.oneof(hostile, fc.string({ unit: 'grapheme', maxLength: 60 }), fc.string({ unit: 'binary', maxLength: 60 })),
        (value) => shellQuoteRoundTrips(value, runbook),
      ),
      { numRuns: 500, seed: 99 },
    );
    expect(existsSync('/tmp/ssmflow-pwned')).toBe(false);
  });

  it('a target list SSM would refuse (over 50 instance ids) is rejected before anything runs', () => {
    const ids = Array.from({ length: 51 }, (_, i) => `i-${String(i).padStart(17, '0')}`);
    const result = parseRunbook(stringify({ ...baseRunbook, targets: { instanceIds: ids } }), 'big.yaml');
    expect('errors' in result && result.errors[0]?.path).toBe('targets.instanceIds');
  });
});

describe('oversize output', () => {
  let stack: TestStack;
  let testFleet: TestFleet;
  beforeAll(async () => {
    stack = await connectTestStack();
    testFleet = await startTestFleet(
      { s3Endpoint: stack.s3Endpoint, instances: [{ id: 'i-0f0f0f0f0f0f0f0f0', tags: { Cluster: 'big' } }] },
      { stateDir: mkdtempSync(join(tmpdir(), 'oversize-')) },
    );
  });
  afterAll(async () => {
    await testFleet?.dispose();
    await stack?.close();
  });

  it('20 MB of output keeps a 2 KB tail in the workflow and a small history', async () => {
    const bucket = await stack.createBucket('oversize');
    const { worker, taskQueue } = await stack.createWorker({
      dependencies: { s3: stack.s3, ssm: fleetClient(testFleet.fleet.endpoint, 3) },
    });
    const handle = await stack.client.workflow.start(adHocCommand, {
      taskQueue,
      workflowId: uniqueId('oversize'),
      args: [
        {
          command: {
            idempotencyKey: uniqueId('oversize'),
            description: 'oversize/flood',
            document: { kind: 'shell', commands: ["head -c 20000000 /dev/zero | tr '\\0' 'x'", 'echo', 'echo THE-END 中文 ✓'] },
            targets: { instanceIds: ['i-0f0f0f0f0f0f0f0f0'] },
            rateControl: { maxConcurrency: '1', maxErrors: '0' },
            executionTimeoutSeconds: 120,
            output: { bucket, keyPrefix: 'big' },
          },
        },
      ],
    });
    const result = await worker.runUntil(handle.result());
    const invocation = result.invocations[0];
    expect(invocation?.outputTruncated).toBe(true);
    expect(Buffer.byteLength(invocation?.outputTail ?? '')).toBeLessThanOrEqual(2_048);
    expect(invocation?.outputTail.endsWith('THE-END 中文 ✓\n')).toBe(true);
    const historyBytes = JSON.stringify(await handle.fetchHistory()).length;
    expect(historyBytes).toBeLessThan(64 * 1024);
  });
});
