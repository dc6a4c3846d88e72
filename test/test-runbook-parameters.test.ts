import { describe, expect, it } from 'vitest';
import { parseRunbook } from '../runbook/load.js';
import { resolveParameterValues, type GivenParameterValues, type ParameterError } from '../runbook/parameters.js';
import type { NormalizedRunbook, ParameterValues } from '../runbook/types.js';

const parsed = parseRunbook(
  `apiVersion: ssmflow/v1
name: params
parameters:
  cluster: { type: string, pattern: '^[a-z0-9-]+$', required: true, description: Cluster name }
  toVersion: { type: integer, default: 17, minimum: 14, maximum: 18 }
  dryRun: { type: boolean, default: false }
  mode: { type: enum, values: [fast, safe], default: safe }
  note: { type: string, required: false }
  dbPassword: { type: secret, parameterStore: '/db/{{ cluster }}/password' }
targets: { tags: { Cluster: '{{ cluster }}' } }
steps: [{ id: a, run: 'echo {{ toVersion }} {{ dryRun }} {{ mode }} {{ note }} {{ dbPassword }}' }]
`,
  'params.yaml',
);
if ('errors' in parsed) throw new Error(JSON.stringify(parsed.errors));
const runbook: NormalizedRunbook = parsed.normalized;

function values(given: GivenParameterValues): ParameterValues {
  const result = resolveParameterValues(runbook, given);
  if ('errors' in result) throw new Error(JSON.stringify(result.errors));
  return result.values;
}

function errors(given: GivenParameterValues): ParameterError[] {
  const result = resolveParameterValues(runbook, given);
  if (!('errors' in result)) throw new Error('expected errors');
  return result.errors;
}

describe('resolveParameterValues', () => {
  it('applies defaults and resolves secrets to their Parameter Store name', () => {
    expect(values({ cluster: 'c1' })).toEqual({
      cluster: 'c1',
      toVersion: 17,
      dryRun: false,
      mode: 'safe',
      note: '',
      dbPassword: { secret: true, parameterStore: '/db/c1/password' },
    });
  });

  it('coerces CLI strings to the declared types', () => {
    expect(values({ cluster: 'c1', toVersion: '16', dryRun: 'true', mode: 'fast', note: '42' })).toMatchObject({
      toVersion: 16,
      dryRun: true,
      mode: 'fast',
      note: '42',
    });
    expect(values({ cluster: 'c1', toVersion: 15, dryRun: false })).toMatchObject({ toVersion: 15, dryRun: false });
  });

  it('names the parameter and the fix for each problem', () => {
    expect(errors({ toVersion: 'seventeen', dryRun: 'yes', mode: 'fats', clustr: 'x' })).toEqual([
      { parameter: 'clustr', message: 'unknown parameter "clustr"', fix: 'did you mean cluster?' },
      { parameter: 'cluster', message: 'is required and was not given', fix: 'give it with -p cluster=… (Cluster name)' },
      { parameter: 'toVersion', message: 'must be a whole number (got "seventeen")', fix: 'give digits only, such as 17' },
      { parameter: 'dryRun', message: 'must be true or false (got "yes")', fix: 'give true or false' },
      { parameter: 'mode', message: 'must be one of fast|safe (got "fats")', fix: 'did you mean fast?' },
    ]);
  });

  it('enforces pattern and range', () => {
    expect(errors({ cluster: 'C1; rm -rf /', toVersion: 19 }).map((error) => [error.parameter, error.message])).toEqual([
      ['cluster', '"C1; rm -rf /" does not match ^[a-z0-9-]+$'],
      ['toVersion', '19 is above the maximum 18'],
    ]);
    expect(errors({ cluster: 'c1', toVersion: '13' })[0]!.message).toBe('13 is below the minimum 14');
    expect(errors({ cluster: 'c1', toVersion: 16.5 })[0]!.message).toMatch(/must be a whole number/);
  });

  it('refuses values for secrets and SSM agent references in values', () => {
    expect(errors({ cluster: 'c1', dbPassword: 'hunter2' })[0]).toMatchObject({
      parameter: 'dbPassword',
      message: 'is a secret: its value is read from Parameter Store at run time and cannot be given',
    });
    expect(errors({ cluster: 'c1', note: 'x {{ ssm:/db/prod/password }}' })[0]!.message).toMatch(/SSM Parameter Store reference/);
  });

  it('refuses an integer that must be above another one (no downgrade), and checks the reference at validate time', () => {
    const upgrade = parseRunbook(
      `apiVersion: ssmflow/v1
name: up
parameters:
  fromVersion: { type: integer, default: 16 }
  toVersion: { type: integer, default: 17, above: fromVersion }
targets: { tags: { Cluster: c } }
steps: [{ id: a, run: 'echo {{ fromVersion }} {{ toVersion }}' }]
`,
      'up.yaml',
    );
    if ('errors' in upgrade) throw new Error(JSON.stringify(upgrade.errors));
    expect(resolveParameterValues(upgrade.normalized, { toVersion: 18 })).toEqual({ values: { fromVersion: 16, toVersion: 18 } });
    expect(resolveParameterValues(upgrade.normalized, { fromVersion: 17, toVersion: 16 })).toEqual({
      errors: [
        {
          parameter: 'toVersion',
          message: '16 must be above fromVersion (17)',
          fix: 'give toVersion greater than 17, or set fromVersion to what the target runs now',
        },
      ],
    });
    expect(resolveParameterValues(upgrade.normalized, { toVersion: 16 })).toMatchObject({ errors: [{ parameter: 'toVersion' }] });
    const broken = parseRunbook(
      `apiVersion: ssmflow/v1
name: up
parameters:
  fromVersion: { type: string, default: '16' }
  toVersion: { type: integer, default: 17, above: fromVersion }
targets: { tags: { Cluster: c } }
steps: [{ id: a, run: 'echo {{ fromVersion }} {{ toVersion }}' }]
`,
      'up.yaml',
    );
    expect('errors' in broken && broken.errors.map((e) => [e.path, e.message])).toEqual([
      ['parameters.toVersion.above', '"fromVersion" is not an integer parameter of this runbook'],
    ]);
  });

  it('says when a runbook takes no parameters', () => {
    const bare = { parameters: {} };
    expect(resolveParameterValues(bare, { x: 1 })).toEqual({
      errors: [{ parameter: 'x', message: 'unknown parameter "x"', fix: 'this runbook takes no parameters' }],
    });
  });
});
