// The API's OpenAPI 3.1 document as committed in docs/openapi.json: generated from the routes'
// schemas by a server that is built but never listens nor connects.
import { tmpdir } from 'node:os';
import { Client, Connection } from '@temporalio/client';
import { buildApiApp } from './app.js';
import { parseServeConfig } from './config.js';

/** The document's text, formatted as committed (stable key order comes from the route definitions). */
export async function openApiDocumentText(): Promise<string> {
  const config = parseServeConfig(
    { catalog: tmpdir(), auth: { tokens: [{ identity: 'doc', sha256: '0'.repeat(64) }] }, roles: {} },
    'the OpenAPI generator',
    tmpdir(),
  );
  const connection = Connection.lazy({ address: '127.0.0.1:7233' });
  const connected = { connection, client: new Client({ connection }), close: () => connection.close() };
  const app = await buildApiApp({ config, connected, logLevel: 'silent' });
  try {
    return `${JSON.stringify(app.swagger(), null, 2)}\n`;
  } finally {
    await app.close();
  }
}
