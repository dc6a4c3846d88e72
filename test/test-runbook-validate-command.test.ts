import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { formatValidationReport, validateRunbookFiles } from '../runbook/validate-command.js';
import { runCli } from './harness/cli.js';

const directory = mkdtempSync(join(tmpdir(), 'ssmflow-validate-'));
afterAll(() => rmSync(directory, { recursive: true, force: true }));

function file(name: string, text: string): string {
  const path = join(directory, name);
  writeFileSync(path, text);
  return path;
}

describe('validateRunbookFiles', () => {
  it('reports each file, with file:line:column, path, message and fix', async () => {
    const good = file('good.yaml', 'apiVersion: ssmflow/v1\nname: good\ntargets: { tags: { A: b } }\nsteps: [{ id: a, run: x }]\n');
    const bad = file(
      'bad.yaml',
      'apiVersion: ssmflow/v1\nname: bad\ntargets: { tags: { A: b } }\nsteps:\n  - id: a\n    run: x\n    onFailure: retry\n',
    );
    const missing = join(directory, 'missing.yaml');
    const result = await validateRunbookFiles([good, bad, missing]);
    expect(result.ok).toBe(false);
    expect(result.reports.map((report) => report.ok)).toEqual([true, false, false]);
    expect(formatValidationReport(result)).toBe(
      [
        `${good}: ok (good, 1 step)`,
        `${bad}:7:16  steps[0].onFailure  must be one of pause|rollback|abort|continue (got "retry")`,
        '    fix: use one of pause, rollback, abort, continue',
        `${missing}  cannot read the runbook: no such file`,
        '    fix: check the file name',
        '2 errors in 2 files',
      ].join('\n'),
    );
  });

  it('is ok when every file is', async () => {
    const result = await validateRunbookFiles([
      file('a.yaml', 'apiVersion: ssmflow/v1\nname: a\ntargets: { instanceIds: [i-12345678] }\nsteps: [{ id: s, sleep: 1s }]\n'),
    ]);
    expect(result.ok).toBe(true);
  });

  it('warns about a placeholder inside double quotes, naming step, field and placeholder, and still exits 0', async () => {
    const announce = file(
      'announce.yaml',
      'apiVersion: ssmflow/v1\nname: announce\nparameters: { version: { type: string } }\ntargets: { tags: { Env: dev } }\n' +
        `steps: [{ id: announce, run: 'echo "stage {{ version }}"' }]\n`,
    );
    const cli = await runCli(['validate', announce], {});
    expect(cli.stderr).toBe('');
    expect(cli.code).toBe(0);
    expect(cli.stdout).toBe(
      [
        `${announce}: ok (announce, 1 step)`,
        `${announce}:5:30  steps[0].run  warning: step "announce", run: {{ version }} is inside double quotes, ` +
          `so its value arrives wrapped in the single quotes that shell-quote it: echo "stage '…'"`,
        '    fix: put it outside the double quotes: echo "stage "{{ version }}',
        '',
      ].join('\n'),
    );
    const json = (await runCli(['validate', '--json', announce], {})).json<{ ok: boolean; reports: { warnings: { path: string }[] }[] }>();
    expect(json.ok).toBe(true);
    expect(json.reports[0]?.warnings.map((warning) => warning.path)).toEqual(['steps[0].run']);
  });
});
