import { describe, expect, it } from 'vitest';
import { parseRunbook } from '../runbook/load.js';
import type { RunbookError } from '../runbook/types.js';

function errorsOf(yaml: string): RunbookError[] {
  const result = parseRunbook(yaml, 'runbooks/x.yaml');
  if (!('errors' in result)) throw new Error('expected errors');
  return result.errors;
}

function only(yaml: string): RunbookError {
  const errors = errorsOf(yaml);
  expect(errors, JSON.stringify(errors, null, 2)).toHaveLength(1);
  return errors[0]!;
}

const header = `apiVersion: ssmflow/v1
name: demo
targets: { tags: { Cluster: c1 } }
`;

describe('parseRunbook', () => {
  it('accepts the DESIGN example', () => {
    const result = parseRunbook(
      `apiVersion: ssmflow/v1
name: postgres-major-upgrade
description: Upgrade a PostgreSQL cluster to a new major version, with rollback.
parameters:
  cluster:   { type: string, pattern: '^[a-z0-9-]+$', required: true }
  toVersion: { type: integer, default: 17 }
  dbPassword: { type: secret, parameterStore: '/db/{{ cluster }}/password' }
targets: { tags: { Cluster: '{{ cluster }}' } }
maintenanceWindow: { cron: '0 2 * * SAT', duration: 4h, timezone: UTC }
defaults:
  timeout: 10m
  retry: { maxAttempts: 3, initialInterval: 5s, backoff: 2 }
  onFailure: pause
  rateControl: { maxConcurrency: '1', maxErrors: '0' }
steps:
  - id: precheck
    run: ./bin/pg-precheck --to {{ toVersion }}
  - id: backup
    run: ./bin/pg-backup
    rollback: { run: ./bin/pg-drop-backup }
  - id: wait-caught-up
    waitUntil: { run: ./bin/replica-lag-below 5, interval: 10s, timeout: 30m }
  - id: approve-cutover
    approval: { message: 'Cut over {{ cluster }}?', timeout: 4h }
  - id: cutover
    disruptive: true
    run: ./bin/pg-cutover
    rollback: { run: ./bin/pg-switch-back }
`,
      'design.yaml',
    );
    if ('errors' in result) expect.fail(JSON.stringify(result.errors, null, 2));
    expect(result.runbook.name).toBe('postgres-major-upgrade');
    expect(result.normalized.steps.map((step) => step.kind)).toEqual(['run', 'run', 'waitUntil', 'approval', 'run']);
  });

  it('points a bad enum value at its line and column, with the allowed values', () => {
    const error = only(`${header}steps:
  - id: a
    run: echo a
  - id: b
    run: echo b
  - id: c
    run: echo c
    onFailure: retry
`);
    expect(error).toMatchObject({ file: 'runbooks/x.yaml', line: 11, column: 16, path: 'steps[2].onFailure' });
    expect(error.message).toBe('must be one of pause|rollback|abort|continue (got "retry")');
  });

  it('catches a misspelled key with a did-you-mean hint at the key itself', () => {
    const error = only(`${header}steps:
  - id: a
    run: echo a
    onfailure: abort
`);
    expect(error).toMatchObject({
      line: 7,
      column: 5,
      path: 'steps[0].onfailure',
      message: 'unknown key "onfailure"',
      fix: 'did you mean `onFailure`?',
    });
  });

  it('suggests close top-level and nested keys', () => {
    const errors = errorsOf(`${header}maintenanceWindow: { cron: '0 2 * * *', duraton: 1h, timezone: UTC }
default: { timeout: 5m }
steps:
  - id: a
    run: echo a
    retry: { maxAtempts: 2 }
`);
    expect(errors.map((error) => [error.path, error.fix])).toEqual([
      ['maintenanceWindow.duration', 'add `duration:`'],
      ['maintenanceWindow.duraton', 'did you mean `duration`?'],
      ['default', 'did you mean `defaults`?'],
      ['steps[0].retry.maxAtempts', 'did you mean `maxAttempts`?'],
    ]);
  });

  it('reports YAML syntax errors with their position', () => {
    const errors = errorsOf(`${header}steps:
  - id: a
    run: "echo unterminated
`);
    expect(errors).toHaveLength(1);
    expect(errors[0]!.line).toBeGreaterThanOrEqual(6);
    expect(errors[0]!.message).toMatch(/^YAML syntax: /);
  });

  it('explains that templates inside flow mappings or at the start of a value need quotes', () => {
    const flow = errorsOf(`${header}parameters:
  pw: { type: secret, parameterStore: /db/{{ cluster }}/password }
steps: [{ id: a, run: x }]
`);
    expect(flow[0]).toMatchObject({ line: 5 });
    expect(flow[0]!.fix).toMatch(/quote values that contain \{\{ templates \}\}/);
    const leading = errorsOf(`${header}parameters:
  cmd: { type: string }
steps:
  - id: a
    run: {{ cmd }}
`);
    expect(leading[0]).toMatchObject({ path: 'steps[0].run', line: 8 });
    expect(leading[0]!.fix).toMatch(/quote it: a value starting with \{ is read by YAML as a mapping/);
  });

  it('reports duplicate keys', () => {
    const errors = errorsOf(`${header}name: again
steps: [{ id: a, run: x }]
`);
    expect(errors[0]!.message).toMatch(/YAML syntax: Map keys must be unique/);
    expect(errors[0]!.line).toBe(4);
  });

  it('reports an empty file', () => {
    expect(only('# nothing\n')).toMatchObject({ line: 1, message: 'the file is empty' });
  });

  it('requires apiVersion ssmflow/v1 exactly', () => {
    const error = only(header.replace('ssmflow/v1', 'ssmflow/v2') + 'steps: [{ id: a, run: x }]\n');
    expect(error).toMatchObject({ line: 1, column: 13, path: 'apiVersion' });
    expect(error.message).toBe('must be "ssmflow/v1" (got "ssmflow/v2")');
  });

  it('names missing required fields', () => {
    const errors = errorsOf('apiVersion: ssmflow/v1\nname: x\n');
    expect(errors.map((error) => [error.path, error.message])).toEqual([
      ['targets', '`targets` is required'],
      ['steps', '`steps` is required'],
    ]);
  });

  it('checks step ids, uniqueness and that steps exist', () => {
    expect(only(`${header}steps: []\n`)).toMatchObject({ path: 'steps', message: 'must have at least 1 item' });
    expect(only(`${header}steps: [{ id: Bad_Id, run: x }]\n`)).toMatchObject({ path: 'steps[0].id' });
    expect(only(`${header}steps: [{ id: a, run: x }, { id: a, run: y }]\n`)).toMatchObject({
      path: 'steps[1].id',
      message: '"a" is already the id of steps[0]',
    });
  });

  it('needs exactly one kind per step', () => {
    expect(only(`${header}steps: [{ id: a }]\n`).message).toBe(
      'step needs exactly one of `run`, `document`, `waitUntil`, `approval`, `sleep`',
    );
    expect(only(`${header}steps: [{ id: a, run: x, sleep: 5s }]\n`).message).toMatch(/has `run` and `sleep`/);
  });

  it('refuses settings that make no sense for the step kind, rollback on approval and sleep included', () => {
    const errors = errorsOf(`${header}steps:
  - id: ask
    approval: { message: ok? }
    rollback: { run: x }
  - id: nap
    sleep: 5m
    rollback: { run: x }
    retry: { maxAttempts: 2 }
`);
    expect(errors.map((error) => [error.line, error.path, error.message])).toEqual([
      [7, 'steps[0].rollback', '`rollback` does not apply to an `approval` step'],
      [10, 'steps[1].rollback', '`rollback` does not apply to a `sleep` step'],
      [11, 'steps[1].retry', '`retry` does not apply to a `sleep` step'],
    ]);
  });

  it('checks targets: exactly one form, instance id shape', () => {
    expect(
      only(`apiVersion: ssmflow/v1\nname: x\ntargets: { tags: { A: b }, instanceIds: [i-12345678] }\nsteps: [{ id: a, run: x }]\n`).fix,
    ).toBe('keep either `tags` or `instanceIds`');
    expect(only(`apiVersion: ssmflow/v1\nname: x\ntargets: { instanceIds: [web-1] }\nsteps: [{ id: a, run: x }]\n`)).toMatchObject({
      path: 'targets.instanceIds[0]',
      line: 3,
      column: 26,
    });
  });

  it('validates rate control strings with SSM patterns', () => {
    const errors = errorsOf(`${header}defaults:
  rateControl: { maxConcurrency: '0', maxErrors: '101%' }
steps: [{ id: a, run: x, rateControl: { maxConcurrency: 5 } }]
`);
    expect(errors.map((error) => error.path)).toEqual([
      'defaults.rateControl.maxConcurrency',
      'defaults.rateControl.maxErrors',
      'steps[0].rateControl.maxConcurrency',
    ]);
    expect(errors[2]!.fix).toMatch(/quote the value/);
  });

  it('gives the fix of the format check that failed, for values and for keys', () => {
    const errors = errorsOf(`apiVersion: ssmflow/v2
name: Demo_1
targets: { tags: { 'bad key!': c1 } }
parameters:
  9bad: { type: string }
steps: [{ id: a, sleep: 5 minutes }, { id: b, run: x, rateControl: { maxErrors: '101%' } }]
`);
    expect(errors.map((error) => [error.path, error.fix])).toEqual([
      ['apiVersion', 'start the file with apiVersion: ssmflow/v1'],
      ['name', 'rename it, for example `drain-node` or `step-2`'],
      ['targets.tags["bad key!"]', 'use the tag key as it is set on the instances, for example `Cluster`'],
      ['parameters["9bad"]', 'rename it in camelCase, for example `toVersion`'],
      ['steps[0].sleep', expect.stringMatching(/^write a number followed by a unit/)],
      ['steps[1].rateControl.maxErrors', "quote it, for example maxErrors: '0' or maxErrors: '5%'"],
    ]);
  });

  it('validates durations', () => {
    const error = only(`${header}steps: [{ id: a, sleep: 5 minutes }]\n`);
    expect(error.message).toMatch(/must be a positive duration such as 30s/);
    expect(only(`${header}steps: [{ id: a, sleep: 0s }]\n`).message).toMatch(/must be longer than zero/);
  });

  it('rejects parameter defaults that violate their own type, pattern, range or values', () => {
    const errors = errorsOf(`${header}parameters:
  a: { type: string, pattern: '^[a-z]+$', default: ABC }
  b: { type: integer, minimum: 1, maximum: 5, default: 9 }
  c: { type: enum, values: [x, y], default: z }
  d: { type: integer, default: '17' }
  e: { type: boolean, default: yes }
  f: { type: integr }
  g: { type: string, pattern: '([' }
  h: { type: integer, pattern: '^1$' }
steps: [{ id: a, run: x }]
`);
    expect(errors.map((error) => [error.path, error.message])).toEqual([
      ['parameters.a.default', `"ABC" does not match the parameter's own pattern ^[a-z]+$`],
      ['parameters.b.default', "9 is outside the parameter's own range 1..5"],
      ['parameters.c.default', `"z" is not one of the parameter's own values x|y`],
      ['parameters.d.default', 'must be a number (got "17")'],
      ['parameters.e.default', 'must be true or false (got "yes")'],
      ['parameters.f.type', 'must be one of string|integer|boolean|enum|secret (got "integr")'],
      ['parameters.g.pattern', expect.stringMatching(/^is not a valid regular expression/)],
      ['parameters.h.pattern', 'unknown key "pattern"'],
    ]);
    expect(errors[5]!.fix).toBe('did you mean `integer`?');
  });

  it('rejects bad parameter names at the key', () => {
    const error = only(`${header}parameters:\n  to-version: { type: integer, default: 1 }\nsteps: [{ id: a, run: x }]\n`);
    expect(error).toMatchObject({ line: 5, column: 3, path: 'parameters.to-version' });
    expect(error.message).toMatch(/must be a parameter name/);
  });
});

describe('cross-field checks', () => {
  it('checks when: conditions against the declared parameters, their types and values', () => {
    const errors = errorsOf(`${header}parameters:
  strategy: { type: enum, values: [dump, link], default: dump }
  pw: { type: secret, parameterStore: /a }
  big: { type: boolean, default: false }
steps:
  - { id: a, run: echo a, when: { strategy: copy } }
  - { id: b, run: echo b, when: { stratgy: link } }
  - { id: c, run: echo c, when: { pw: x } }
  - { id: d, run: echo d, when: { big: 'yes' } }
  - { id: e, run: echo e, when: { strategy: [dump, link], big: true } }
`);
    expect(errors.map((error) => [error.path, error.message])).toEqual([
      ['steps[0].when.strategy', '"copy" is not one of its values (dump, link) for parameter "strategy" (enum)'],
      ['steps[1].when.stratgy', '"stratgy" is not a declared parameter'],
      ['steps[2].when.pw', '"pw" is a secret: ssmflow never reads its value, so it cannot choose steps'],
      ['steps[3].when.big', '"yes" is not true or false for parameter "big" (boolean)'],
    ]);
    expect(errors[1]!.fix).toBe('did you mean "strategy"?');
  });

  it('refuses onFailure: rollback after a point of no return the same run can reach', () => {
    const errors = errorsOf(`${header}parameters:
  strategy: { type: enum, values: [dump, link], default: dump }
steps:
  - { id: start-new, run: echo start, pointOfNoReturn: true, when: { strategy: link } }
  - { id: dump-step, run: echo dump, onFailure: rollback, when: { strategy: dump } }
  - { id: after, run: echo after, onFailure: rollback }
`);
    expect(errors.map((error) => [error.path, error.message])).toEqual([
      ['steps[2].onFailure', 'step "after" runs after the point of no return "start-new", where the run can no longer roll back'],
    ]);
    expect(errors[0]!.fix).toMatch(/onFailure: pause/);
    const wait = only(`${header}steps:\n  - { id: wait, waitUntil: { run: 'true', interval: 1s, timeout: 5s }, pointOfNoReturn: true }\n`);
    expect([wait.path, wait.message]).toEqual(['steps[0].pointOfNoReturn', '`pointOfNoReturn` does not apply to a `waitUntil` step']);
  });

  it('requires every template to name a declared parameter', () => {
    const errors = errorsOf(`${header.replace('c1', "'{{ cluster }}'")}parameters:
  clusterName: { type: string }
steps:
  - id: a
    run:
      - echo ok
      - echo {{ clustr }}
`);
    expect(errors.map((error) => [error.line, error.column, error.path, error.message])).toEqual([
      [3, 29, 'targets.tags.Cluster', 'uses {{ cluster }}, but no parameter "cluster" is declared'],
      [10, 9, 'steps[0].run[1]', 'uses {{ clustr }}, but no parameter "clustr" is declared'],
    ]);
    expect(errors[0]!.fix).toMatch(/did you mean \{\{ clusterName \}\}\? Otherwise declare it under parameters/);
  });

  it('keeps secrets out of targets, approval messages, documents and Parameter Store names', () => {
    const errors = errorsOf(`apiVersion: ssmflow/v1
name: x
parameters:
  pw: { type: secret, parameterStore: /a }
  other: { type: secret, parameterStore: '/b/{{ pw }}' }
targets: { tags: { Cluster: '{{ pw }}' } }
steps:
  - id: ask
    approval: { message: 'password is {{ pw }}' }
  - id: doc
    document: { name: X, parameters: { p: '{{ pw }}' } }
  - id: fine
    run: echo {{ pw }}
`);
    expect(errors.map((error) => error.path)).toEqual([
      'parameters.other.parameterStore',
      'targets.tags.Cluster',
      'steps[0].approval.message',
      'steps[1].document.parameters.p',
    ]);
    expect(errors[1]!.fix).toMatch(/use secrets only in shell commands/);
  });

  it('requires a maintenance window for disruptive steps', () => {
    const error = only(`${header}steps: [{ id: a, run: x, disruptive: true }]\n`);
    expect(error).toMatchObject({ path: 'steps[0].disruptive', line: 4 });
    expect(error.fix).toMatch(/add maintenanceWindow/);
  });

  it('checks cron and time zone', () => {
    const errors = errorsOf(`${header}maintenanceWindow: { cron: '0 25 * * *', duration: 1h, timezone: Mars/Olympus }
steps: [{ id: a, run: x }]
`);
    expect(errors.map((error) => [error.path, error.message])).toEqual([
      ['maintenanceWindow.cron', expect.stringMatching(/^"0 25 \* \* \*" is not a valid cron: .*hour/)],
      ['maintenanceWindow.timezone', '"Mars/Olympus" is not an IANA time zone name'],
    ]);
    expect(
      only(`${header}maintenanceWindow: { cron: '0 2 * *', duration: 1h, timezone: UTC }\nsteps: [{ id: a, run: x }]\n`).message,
    ).toMatch(/has 4 fields; a cron needs five/);
  });

  it('checks that timeouts fit together', () => {
    const errors = errorsOf(`${header}defaults: { timeout: 5m, executionTimeout: 10m, retry: { initialInterval: 1m, maximumInterval: 10s } }
steps:
  - id: a
    run: x
  - id: b
    waitUntil: { run: x, interval: 10m, timeout: 5m }
    executionTimeout: 3d
    timeout: 4d
`);
    expect(errors.map((error) => [error.path, error.message])).toEqual([
      ['defaults.executionTimeout', 'executionTimeout 10m is longer than the step timeout 5m'],
      ['defaults.retry.maximumInterval', 'maximumInterval 10s is shorter than initialInterval 1m'],
      ['steps[1].waitUntil.interval', expect.stringMatching(/is not shorter than the wait timeout/)],
      ['steps[1].executionTimeout', "3d is over SSM's limit of 48h"],
    ]);
  });
});
