// Rendering must never let a parameter value inject shell: each hostile value is rendered into a
// command, run through a real `sh -c`, and must come back literally without side effects.
import { execFileSync } from 'node:child_process';
import { existsSync, mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { parseRunbook } from '../runbook/load.js';
import { resolveParameterValues } from '../runbook/parameters.js';
import {
  commandsReadingSecretsOnInstance,
  redactSecrets,
  renderCommand,
  renderStep,
  renderTargets,
  renderText,
} from '../runbook/render.js';
import type { NormalizedRunbook, ParameterValues, RenderedRunStep } from '../runbook/types.js';

const workDir = mkdtempSync(join(tmpdir(), 'ssmflow-render-'));
const canary = join(workDir, 'canary');
afterAll(() => rmSync(workDir, { recursive: true, force: true }));

function runShell(script: string): string {
  return execFileSync('sh', ['-c', script], { cwd: workDir, encoding: 'utf8' });
}

const hostileValues = [
  `$(touch ${canary})`,
  `\`touch ${canary}\``,
  `'; touch ${canary}; echo '`,
  `"; touch ${canary}; echo "`,
  `x\ntouch ${canary}\n`,
  `a && touch ${canary}`,
  `$HOME $((1+1)) \${PATH} *`,
  `\\'\\"\\\\`,
  `{{ssm:/db/prod/password}} $$ @@SSMFLOW_SECRET[dbPassword]@@`,
  'tab\there; semicolon | pipe > redirect < in & bg',
  'ünïcødé 🚀 日本語 \u202e',
  '',
  "'",
  "''''",
  '-n',
];

function normalized(yaml: string): NormalizedRunbook {
  const result = parseRunbook(yaml, 'test.yaml');
  if ('errors' in result) throw new Error(JSON.stringify(result.errors, null, 2));
  return result.normalized;
}

const runbook = normalized(`
apiVersion: ssmflow/v1
name: render-test
parameters:
  value: { type: string }
  count: { type: integer, default: 3 }
  flag: { type: boolean, default: true }
  cluster: { type: string, default: c1 }
  dbPassword: { type: secret, parameterStore: '/db/{{ cluster }}/password' }
targets: { tags: { Cluster: '{{ cluster }}' } }
steps:
  - id: echo
    workingDirectory: /srv/{{ cluster }}
    run:
      - printf '%s' {{value}}
      - echo {{ count }} {{ flag }}
    rollback:
      run: echo undo {{ value }} with {{ dbPassword }}
  - id: use-secret
    run: printf '%s' {{ dbPassword }}
  - id: ask
    approval: { message: 'Go ahead on {{ cluster }} with {{ value }}?' }
  - id: doc
    document: { name: AWS-ConfigureAWSPackage, parameters: { name: '{{ value }}', versions: ['{{ count }}', latest] } }
`);

function valuesFor(value: string): ParameterValues {
  const result = resolveParameterValues(runbook, { value: value.replace('{{ssm:', '{ {ssm:') });
  if ('errors' in result) throw new Error(JSON.stringify(result.errors));
  // Bypass the {{ssm:…}} input check on purpose: rendering must be safe even for such values.
  return { ...result.values, value };
}

describe('renderCommand quoting', () => {
  it.each(hostileValues)('value %j reaches sh literally and runs nothing', (value) => {
    const step = renderStep(runbook.steps[0]!, valuesFor(value)) as RenderedRunStep;
    const output = runShell(step.commands[0]!);
    expect(output).toBe(value);
    expect(existsSync(canary)).toBe(false);
  });

  it('keeps a whole script safe when the value is used twice on one line', () => {
    const value = `'$(touch ${canary})'`;
    const line = renderCommand('printf "%s|%s" {{ value }} {{value}}', { value });
    expect(runShell(line)).toBe(`${value}|${value}`);
    expect(existsSync(canary)).toBe(false);
  });

  it('never lets a value form an SSM agent reference or a secret placeholder', () => {
    const line = renderCommand('echo {{ value }}', { value: '{{ssm:/x}} $$ @@SSMFLOW_SECRET[dbPassword]@@' });
    expect(line).not.toMatch(/\{\{|\$\$|@@/);
    expect(commandsReadingSecretsOnInstance([line], {})).toEqual([line]);
  });

  it('renders integers and booleans as quoted words', () => {
    const step = renderStep(runbook.steps[0]!, valuesFor('v')) as RenderedRunStep;
    expect(step.commands[1]).toBe("echo '3' 'true'");
    expect(runShell(step.commands[1]!)).toBe('3 true\n');
  });
});

describe('secrets', () => {
  const values = valuesFor('v');
  const step = renderStep(runbook.steps[1]!, values) as RenderedRunStep;

  it('render as a placeholder and list the Parameter Store name to read', () => {
    expect(values.dbPassword).toEqual({ secret: true, parameterStore: '/db/c1/password' });
    expect(step.commands[0]).toBe("printf '%s' @@SSMFLOW_SECRET[dbPassword]@@");
    expect(step.secrets).toEqual({ dbPassword: '/db/c1/password' });
  });

  // A stand-in for the AWS CLI on the instance: answers only for the expected parameter name.
  const binDir = join(workDir, 'bin');
  const secretFile = join(workDir, 'secret-value');
  mkdirSync(binDir, { recursive: true });
  writeFileSync(
    join(binDir, 'aws'),
    `#!/bin/sh\n[ "$1 $2 $3 $4" = 'ssm get-parameter --name /db/c1/password' ] || { echo "unexpected: $*" >&2; exit 254; }\ncat "${secretFile}"\n`,
    { mode: 0o755 },
  );
  const runOnInstance = (commands: string[], secret: string | undefined) => {
    if (secret === undefined) rmSync(secretFile, { force: true });
    else writeFileSync(secretFile, secret);
    return execFileSync('sh', ['-c', commands.join('\n')], {
      cwd: workDir,
      encoding: 'utf8',
      env: { ...process.env, PATH: `${binDir}:${process.env.PATH ?? ''}` },
      stdio: ['ignore', 'pipe', 'pipe'],
    });
  };

  // Command substitution drops trailing newlines, as `$(aws …)` does on any host.
  it.each(hostileValues.filter((value) => value !== '' && !value.endsWith('\n')))(
    'the instance reads secret %j itself, as one literal word',
    (secret) => {
      const sent = commandsReadingSecretsOnInstance(step.commands, step.secrets);
      // (Short values such as "'" occur in any script; long ones must not be there.)
      if (secret.length >= 8) expect(sent.join('\n')).not.toContain(secret);
      expect(runOnInstance(sent, secret)).toBe(secret);
      expect(existsSync(canary)).toBe(false);
    },
  );

  it('sends only the Parameter Store name, and stops the script naming it when the instance cannot read it', () => {
    const sent = commandsReadingSecretsOnInstance(step.commands, step.secrets);
    expect(sent[0]).toMatch(
      /^SSMFLOW_SECRET_dbPassword=\$\(aws ssm get-parameter --name '\/db\/c1\/password' --with-decryption --query Parameter.Value --output text\) \|\| \{/,
    );
    expect(sent[1]).toBe(`printf '%s' "$SSMFLOW_SECRET_dbPassword"`);
    let failure: { status?: number; stderr?: string } = {};
    try {
      runOnInstance([...sent, 'echo ran-anyway'], undefined);
    } catch (err) {
      failure = err as typeof failure;
    }
    expect(failure.status).toBe(1);
    expect(failure.stderr).toContain('cannot read secret parameter dbPassword (/db/c1/password)');
  });

  it('redactSecrets hides them for audit records', () => {
    expect(redactSecrets(step.commands)).toEqual(["printf '%s' '****'"]);
  });

  it('refuse to send a command whose secret has no Parameter Store name', () => {
    expect(() => commandsReadingSecretsOnInstance(step.commands, {})).toThrow(/no Parameter Store name for secret parameter "dbPassword"/);
    expect(() => commandsReadingSecretsOnInstance(step.commands, JSON.parse('{"__proto__": "x"}') as Record<string, string>)).toThrow();
  });

  it('are collected from rollback commands too', () => {
    const first = renderStep(runbook.steps[0]!, values) as RenderedRunStep;
    expect(first.secrets).toEqual({ dbPassword: '/db/c1/password' });
    expect(first.rollback).toEqual({ kind: 'run', commands: ["echo undo 'v' with @@SSMFLOW_SECRET[dbPassword]@@"] });
  });

  it('are refused in plain text', () => {
    expect(() => renderText('{{ dbPassword }}', values)).toThrow(/only be used in shell commands/);
  });
});

describe('plain-text places', () => {
  const values = valuesFor(`it's $(x)`);

  it('substitute messages, targets, working directory and document parameters without quoting', () => {
    const approval = renderStep(runbook.steps[2]!, values);
    expect(approval).toMatchObject({ kind: 'approval', message: "Go ahead on c1 with it's $(x)?" });
    const document = renderStep(runbook.steps[3]!, values);
    expect(document).toMatchObject({
      kind: 'document',
      document: { name: 'AWS-ConfigureAWSPackage', parameters: { name: ["it's $(x)"], versions: ['3', 'latest'] } },
      targets: { tags: { Cluster: ['c1'] } },
    });
    const first = renderStep(runbook.steps[0]!, values);
    expect(first).toMatchObject({ workingDirectory: '/srv/c1' });
  });

  it('renderTargets handles both target forms', () => {
    expect(renderTargets({ instanceIds: ['{{ id }}', 'i-0123456789abcdef0'] }, { id: 'i-11111111' })).toEqual({
      instanceIds: ['i-11111111', 'i-0123456789abcdef0'],
    });
    expect(renderTargets({ tags: { Cluster: ['{{ cluster }}', 'b'] } }, { cluster: 'a' })).toEqual({ tags: { Cluster: ['a', 'b'] } });
  });

  it('leaves braces that are not a parameter reference alone', () => {
    expect(renderCommand("docker inspect --format '{{.State.Health.Status}}' {{ value }}", { value: 'db' })).toBe(
      "docker inspect --format '{{.State.Health.Status}}' 'db'",
    );
  });

  it('fails loudly for a value that was never resolved', () => {
    expect(() => renderText('{{ missing }}', {})).toThrow(/no value for parameter "missing"/);
  });
});
