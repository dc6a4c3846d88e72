// Every runbook shipped in runbooks/ must validate, without warnings.
import { readdirSync } from 'node:fs';
import { join, relative } from 'node:path';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import { loadRunbookFile } from '../runbook/load-file.js';
import { formatRunbookError, formatRunbookWarning } from '../runbook/validate-command.js';

const repoRoot = fileURLToPath(new URL('..', import.meta.url));

function runbookFiles(directory: string): string[] {
  return readdirSync(directory, { withFileTypes: true }).flatMap((entry) => {
    const path = join(directory, entry.name);
    if (entry.isDirectory()) return runbookFiles(path);
    return /\.ya?ml$/.test(entry.name) ? [path] : [];
  });
}

const files = runbookFiles(join(repoRoot, 'runbooks')).map((path) => relative(repoRoot, path));

describe('shipped runbooks', () => {
  it('include the rolling restart and some examples', () => {
    expect(files).toContain('runbooks/rolling-restart.yaml');
    expect(files.filter((file) => file.startsWith('runbooks/examples/')).length).toBeGreaterThanOrEqual(3);
  });

  it.each(files)('%s validates without warnings', async (file) => {
    const result = await loadRunbookFile(join(repoRoot, file));
    if ('errors' in result) expect.fail(result.errors.map(formatRunbookError).join('\n'));
    expect(result.normalized.steps.length).toBeGreaterThan(0);
    expect(result.warnings.map(formatRunbookWarning)).toEqual([]);
  });
});
