// Run inside a checkout (`node --import tsx test/harness/private-checkout-cluster.ts`): creates a
// one-server PostgreSQL cluster where `npm run demo` keeps its fleet (or where it moves it when the
// clusters' OS user cannot reach the checkout), asks it for its version, stops it and prints
// { fleetDir, version, binDir } as JSON. Uses the checkout's own .tools/tools.json.
import { join } from 'node:path';
import { createLocalPostgresCluster, psqlOnServer } from '../../local/postgres-cluster.js';
import { postgresReachableDir } from '../../local/postgres-reachable-dir.js';
import { postgresBinDir, readPostgresTools } from '../../local/postgres-tools.js';
import { projectRoot } from '../../local/project-root.js';

const tools = readPostgresTools();
const fleetDir = await postgresReachableDir(join(projectRoot, '.ssmflow', 'fleet'), tools.osUser);
const cluster = await createLocalPostgresCluster({
  cluster: 'private-checkout',
  stateDir: fleetDir,
  standbys: 0,
  pooler: false,
  fromVersion: 16,
  seedScale: 0.01,
});
try {
  const version = (await psqlOnServer(tools, cluster.primary, 'app', 'SHOW server_version;')).trim();
  console.log(JSON.stringify({ fleetDir, version, binDir: postgresBinDir(tools, 16) }));
} finally {
  await cluster.stop();
}
