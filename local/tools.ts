import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { projectRoot } from './project-root.js';
import type { PostgresTools } from './postgres-tools.js';
import type { TemporalServerTools } from './temporal-server-tools.js';

export interface ToolsManifest {
  temporal: { path: string; source: string; version: string };
  /** Temporal's time-skipping test server; absent from manifests written before it was installed. */
  temporalTestServer?: { path: string; source: string; version: string };
  moto: { path: string; source: string; version: string };
  /** PostgreSQL toolsets and PgBouncer (postgres-tools.ts). */
  postgres?: PostgresTools;
  /** The real Temporal server, built from its Go module (temporal-server-tools.ts). */
  temporalServer?: TemporalServerTools;
}

/** Reads what `npm run tools` recorded; fails with the command to run when it has not run. */
export function readToolsManifest(): ToolsManifest {
  const file = join(projectRoot, '.tools', 'tools.json');
  let text: string;
  try {
    text = readFileSync(file, 'utf8');
  } catch {
    throw new Error(
      `The local tools are not installed (${file} is missing). Run \`npm run tools\` first; it installs the Temporal CLI and the S3 emulator.`,
    );
  }
  return JSON.parse(text) as ToolsManifest;
}
