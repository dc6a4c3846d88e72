import { describe, expect, it } from 'vitest';
import { parseRunbook } from '../runbook/load.js';
import { approvalMessageWithOutputs } from '../workflows/approval-message.js';
import type { StepState } from '../workflows/run-state.js';

const step = (id: string, outputs: Record<string, string>): StepState =>
  ({
    id,
    kind: 'run',
    status: 'succeeded',
    attempts: 1,
    commandIds: [],
    history: [],
    instances: Object.entries(outputs).map(([instanceId, outputTail]) => ({
      instanceId,
      status: 'Success',
      statusDetails: 'Success',
      exitCode: 0,
      outputTail,
      outputTruncated: false,
    })),
  }) as unknown as StepState;

describe("approval message with earlier steps' output", () => {
  it('puts the last non-empty output line of each named step and instance under the question', () => {
    const steps = [
      step('wait-catch-up', { 'i-1': 'LAG 4096 bytes (threshold 65536)\n' }),
      step('verify-online', { 'i-3': 'differs: nothing\nVERIFY {"ok":true}\n\n' }),
    ];
    expect(approvalMessageWithOutputs('Cut over?', ['wait-catch-up', 'verify-online', 'skipped-one'], steps)).toBe(
      [
        'Cut over?',
        'wait-catch-up on i-1: LAG 4096 bytes (threshold 65536)',
        'verify-online on i-3: VERIFY {"ok":true}',
        'skipped-one: (did not run)',
      ].join('\n'),
    );
  });

  it('validate refuses an approval that shows a later step, an approval or a step of another strategy', () => {
    const parsed = parseRunbook(
      `apiVersion: ssmflow/v1
name: x
parameters:
  strategy: { type: enum, values: [a, b], default: a }
targets: { tags: { Cluster: c } }
steps:
  - { id: only-b, run: echo b, when: { strategy: b } }
  - { id: ask-first, approval: { message: ok? } }
  - id: ask
    when: { strategy: a }
    approval: { message: go?, showOutputOf: [later, ask-first, only-b] }
  - { id: later, run: echo later }
`,
      'x.yaml',
    );
    expect('errors' in parsed && parsed.errors.map((e) => [e.path, e.message])).toEqual([
      ['steps[2].approval.showOutputOf[0]', '"later" is not a step before this approval'],
      [
        'steps[2].approval.showOutputOf[1]',
        'step "ask-first" has no output to show in this run (an approval, a sleep, or a step of another strategy)',
      ],
      [
        'steps[2].approval.showOutputOf[2]',
        'step "only-b" has no output to show in this run (an approval, a sleep, or a step of another strategy)',
      ],
    ]);
  });
});
