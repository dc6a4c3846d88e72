// Reads a runbook file from disk; everything else about runbooks is pure and lives beside it.
// eslint-disable-next-line no-restricted-imports -- the one runbook module that does I/O: it is never imported by workflows.
import { readFile } from 'node:fs/promises';
import { parseRunbook, type ParseRunbookResult } from './load.js';

export async function loadRunbookFile(path: string): Promise<ParseRunbookResult> {
  let text: string;
  try {
    text = await readFile(path, 'utf8');
  } catch (error) {
    const reason = (error as NodeJS.ErrnoException).code === 'ENOENT' ? 'no such file' : (error as Error).message;
    return {
      errors: [{ file: path, line: 0, column: 0, path: '', message: `cannot read the runbook: ${reason}`, fix: 'check the file name' }],
    };
  }
  return parseRunbook(text, path);
}
