// `ssmflow serve`: the API on its configured address, with one Temporal connection, until
// SIGINT/SIGTERM; then it stops taking requests, finishes those in flight and closes.
import { connectToTemporal } from '../client/connection.js';
import type { ConnectionFlags } from '../client/connection-flags.js';
import { buildApiApp } from './app.js';
import { loadServeConfig } from './config.js';

export async function serveApi(configFile: string, connection: ConnectionFlags): Promise<void> {
  const config = loadServeConfig(configFile);
  const connected = await connectToTemporal(connection);
  const app = await buildApiApp({ config, connected });
  const at = config.listen.lastIndexOf(':');
  const host = config.listen.slice(0, at).replace(/^\[|\]$/g, '');
  const port = Number(config.listen.slice(at + 1));
  await app.listen({ host, port });
  app.log.info({ catalog: config.catalog, taskQueue: config.taskQueue, namespace: connection.namespace }, 'ssmflow API serving');
  const stop = async () => {
    await app.close();
    await connected.close();
  };
  for (const signal of ['SIGINT', 'SIGTERM'] as const) process.once(signal, () => void stop());
}
