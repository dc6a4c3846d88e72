// The runbooks the API may start: the YAML files directly in the configured catalog directory,
// known by their runbook name. Read on each request, so a platform team adds a runbook by adding a
// file; a caller names a runbook, never a path, so nothing outside the directory is reachable.
import { readdir } from 'node:fs/promises';
import { join } from 'node:path';
import { loadRunbookFile } from '../runbook/load-file.js';
import type { NormalizedRunbook } from '../runbook/types.js';
import { formatRunbookError } from '../runbook/validate-command.js';
import { ApiError } from './errors.js';

export interface CatalogEntry {
  file: string;
  runbook?: NormalizedRunbook;
  /** Why the file cannot be started, when it does not validate. */
  problems?: string[];
}

export interface Catalog {
  entries(): Promise<CatalogEntry[]>;
  /** The named runbook, or a 404 listing what there is. */
  runbook(name: string): Promise<NormalizedRunbook>;
  /** Whether the directory can be read (for /readyz). */
  readable(): Promise<boolean>;
}

export function runbookCatalog(directory: string): Catalog {
  const files = async () =>
    (await readdir(directory, { withFileTypes: true }))
      .filter((e) => e.isFile() && /\.ya?ml$/.test(e.name))
      .map((e) => e.name)
      .sort();
  const entries = async (): Promise<CatalogEntry[]> =>
    Promise.all(
      (await files()).map(async (file) => {
        const loaded = await loadRunbookFile(join(directory, file));
        return 'errors' in loaded ? { file, problems: loaded.errors.map(formatRunbookError) } : { file, runbook: loaded.normalized };
      }),
    );
  return {
    entries,
    async runbook(name) {
      const all = await entries();
      const found = all.find((e) => e.runbook?.name === name)?.runbook;
      if (found) return found;
      const names = all.flatMap((e) => (e.runbook ? [e.runbook.name] : []));
      throw new ApiError(
        404,
        'runbook-not-found',
        `no runbook named "${name}" in the catalog`,
        names.length ? `use one of: ${names.join(', ')} (GET /v1/runbooks)` : 'the catalog is empty: add runbook files to its directory',
      );
    },
    async readable() {
      try {
        await files();
        return true;
      } catch {
        return false;
      }
    },
  };
}
