import { describe, expect, it } from 'vitest';
import { parseRunbook } from '../runbook/load.js';
import type { NormalizedRunbook } from '../runbook/types.js';

function normalized(yaml: string): NormalizedRunbook {
  const result = parseRunbook(yaml, 'n.yaml');
  if ('errors' in result) throw new Error(JSON.stringify(result.errors, null, 2));
  return result.normalized;
}

describe('normalizeRunbook', () => {
  it('gives every command step the built-in defaults when the runbook sets none', () => {
    const runbook = normalized(`apiVersion: ssmflow/v1
name: n
targets: { instanceIds: [i-0123456789abcdef0] }
steps: [{ id: a, run: echo a }]
`);
    expect(runbook.steps[0]).toEqual({
      id: 'a',
      kind: 'run',
      commands: ['echo a'],
      onFailure: 'pause',
      timeoutMs: 600_000,
      executionTimeoutMs: 600_000,
      retry: { maxAttempts: 1, initialIntervalMs: 5_000, backoffCoefficient: 2, maximumIntervalMs: 500_000 },
      rateControl: { maxConcurrency: '1', maxErrors: '0' },
      disruptive: false,
      targets: { instanceIds: ['i-0123456789abcdef0'] },
    });
    expect(runbook.parameters).toEqual({});
  });

  it('merges step settings over runbook defaults field by field', () => {
    const runbook = normalized(`apiVersion: ssmflow/v1
name: n
description: d
parameters:
  c: { type: string }
  v: { type: integer, default: 1 }
targets: { tags: { Cluster: '{{ c }}', Role: [db, replica] } }
maintenanceWindow: { cron: '0 2 * * SAT', duration: 4h, timezone: UTC }
defaults:
  timeout: 20m
  executionTimeout: 15m
  retry: { maxAttempts: 3, initialInterval: 5s, backoff: 2, maximumInterval: 1m }
  onFailure: rollback
  rateControl: { maxConcurrency: '10%', maxErrors: '1' }
steps:
  - id: a
    description: first
    run: [echo a, echo b]
    timeout: 1h
    retry: { maxAttempts: 5 }
    rateControl: { maxErrors: '0' }
    disruptive: true
    workingDirectory: /srv
    targets: { instanceIds: [i-0123456789abcdef0] }
    rollback: { document: { name: Undo, parameters: { x: y } } }
  - id: w
    waitUntil: { run: test -f /ok, interval: 10s, timeout: 30m }
    onFailure: continue
  - id: ask
    approval: { message: go? }
  - id: nap
    sleep: 1h30m
  - id: doc
    document: { name: AWS-ConfigureAWSPackage, parameters: { action: Install, versions: ['1', '2'] } }
`);
    expect(runbook.description).toBe('d');
    expect(runbook.parameters).toEqual({ c: { type: 'string', required: true }, v: { type: 'integer', default: 1, required: false } });
    expect(runbook.targets).toEqual({ tags: { Cluster: ['{{ c }}'], Role: ['db', 'replica'] } });
    expect(runbook.maintenanceWindow).toEqual({ cron: '0 2 * * SAT', durationMs: 14_400_000, timezone: 'UTC' });
    const [a, w, ask, nap, doc] = runbook.steps;
    expect(a).toEqual({
      id: 'a',
      description: 'first',
      kind: 'run',
      commands: ['echo a', 'echo b'],
      onFailure: 'rollback',
      timeoutMs: 3_600_000,
      executionTimeoutMs: 900_000,
      retry: { maxAttempts: 5, initialIntervalMs: 5_000, backoffCoefficient: 2, maximumIntervalMs: 60_000 },
      rateControl: { maxConcurrency: '10%', maxErrors: '0' },
      disruptive: true,
      workingDirectory: '/srv',
      targets: { instanceIds: ['i-0123456789abcdef0'] },
      rollback: { kind: 'document', document: { name: 'Undo', parameters: { x: ['y'] } } },
    });
    expect(w).toMatchObject({
      kind: 'waitUntil',
      commands: ['test -f /ok'],
      intervalMs: 10_000,
      waitTimeoutMs: 1_800_000,
      timeoutMs: 1_200_000,
      onFailure: 'continue',
      targets: { tags: { Cluster: ['{{ c }}'], Role: ['db', 'replica'] } },
    });
    expect(ask).toEqual({
      id: 'ask',
      kind: 'approval',
      onFailure: 'rollback',
      message: 'go?',
      policy: { minApprovals: 1, allowSelfApproval: false },
    });
    expect(nap).toEqual({ id: 'nap', kind: 'sleep', durationMs: 5_400_000 });
    expect(doc).toMatchObject({
      kind: 'document',
      document: { name: 'AWS-ConfigureAWSPackage', parameters: { action: ['Install'], versions: ['1', '2'] } },
    });
  });

  it('survives a JSON round trip unchanged (workflow arguments are JSON)', () => {
    const runbook = normalized(`apiVersion: ssmflow/v1
name: n
targets: { instanceIds: [i-0123456789abcdef0] }
steps: [{ id: a, approval: { message: ok?, timeout: 1h } }, { id: b, run: x, rollback: { run: y } }]
`);
    expect(JSON.parse(JSON.stringify(runbook))).toEqual(runbook);
  });
});
