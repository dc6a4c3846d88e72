import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

/** Writes `text` to `name` in a fresh temporary directory (e.g. a runbook for the CLI) and returns its path. */
export function writeScratchFile(prefix: string, name: string, text: string): string {
  const path = join(mkdtempSync(join(tmpdir(), prefix)), name);
  writeFileSync(path, text);
  return path;
}
