import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { projectRoot } from './project-root.js';

/** What `npm run tools` recorded under `temporalServer`: the real server, built from its Go module. */
export interface TemporalServerTools {
  version: string;
  /** The `temporal-server` binary (go.temporal.io/server/cmd/server). */
  server: string;
  /** `temporal-sql-tool` (cmd/tools/sql) of the same version. */
  sqlTool: string;
  /** The module's schema/postgresql/v12 folder: `temporal/versioned` and `visibility/versioned`. */
  schemaDir: string;
}

export function readTemporalServerTools(): TemporalServerTools {
  const file = join(projectRoot, '.tools', 'tools.json');
  let manifest: { temporalServer?: TemporalServerTools };
  try {
    manifest = JSON.parse(readFileSync(file, 'utf8')) as { temporalServer?: TemporalServerTools };
  } catch {
    throw new Error(`The local tools are not installed (${file} is missing). Run \`npm run tools\` first.`);
  }
  if (!manifest.temporalServer?.server)
    throw new Error(
      `${file} records no Temporal server: run \`npm run tools\` (it builds the server from its Go module once; Go must be installed).`,
    );
  return manifest.temporalServer;
}
