import { readToolsManifest } from './tools.js';

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
  const { temporalServer } = readToolsManifest();
  if (!temporalServer?.server)
    throw new Error(
      '.tools/tools.json records no Temporal server: run `npm run tools` (it builds the server from its Go module once; Go must be installed).',
    );
  return temporalServer;
}
