// Whether dist/ was built from the sources as they are now: the newest source modification time
// and the list of source files, recorded in dist/.build-info.json by scripts/build.mjs. A file
// added, removed or changed since then makes the build stale. Cheap (a few hundred stat calls),
// because bin/ssmflow.mjs asks on every start in a checkout.
import { readdirSync, readFileSync, statSync } from 'node:fs';
import { createHash } from 'node:crypto';
import { join, relative } from 'node:path';

/** The folders tsconfig.build.json compiles, and the files that change how they compile. */
export const SOURCE_DIRS = ['workflows', 'activities', 'aws', 'core', 'worker', 'client', 'api', 'runbook', 'local', 'fleet'];
const BUILD_INPUTS = ['tsconfig.json', 'tsconfig.build.json', 'package.json', 'package-lock.json', 'scripts/build.mjs'];
const SOURCE_FILE = /\.(ts|mts|mjs)$/;

function sourceFiles(root) {
  const files = [];
  const walk = (dir) => {
    let entries;
    try {
      entries = readdirSync(dir, { withFileTypes: true });
    } catch {
      return;
    }
    for (const entry of entries) {
      const path = join(dir, entry.name);
      if (entry.isDirectory()) walk(path);
      else if (SOURCE_FILE.test(entry.name)) files.push(path);
    }
  };
  for (const dir of SOURCE_DIRS) walk(join(root, dir));
  for (const file of BUILD_INPUTS) files.push(join(root, file));
  return files.sort();
}

/** What the sources look like now: newest mtime and a digest of the file list. */
export function sourceState(root) {
  let newest = 0;
  const names = [];
  for (const file of sourceFiles(root)) {
    try {
      newest = Math.max(newest, statSync(file).mtimeMs);
      names.push(relative(root, file));
    } catch {
      // a build input that does not exist (no lockfile) does not count
    }
  }
  return { newestSourceMtimeMs: newest, sourceListDigest: createHash('sha256').update(names.join('\n')).digest('hex') };
}

export const BUILD_INFO = join('dist', '.build-info.json');

/** Why dist/ must be rebuilt, or undefined when it matches the sources. */
export function staleReason(root) {
  let recorded;
  try {
    recorded = JSON.parse(readFileSync(join(root, BUILD_INFO), 'utf8'));
  } catch {
    return 'dist/ has not been built';
  }
  const now = sourceState(root);
  if (now.sourceListDigest !== recorded.sourceListDigest) return 'source files were added or removed since the last build';
  if (now.newestSourceMtimeMs > recorded.newestSourceMtimeMs) return 'sources changed since the last build';
  return undefined;
}
