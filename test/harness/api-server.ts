// An ssmflow API server for tests: built from a config object, listening on 127.0.0.1:0, with its
// log lines captured so a test can read (and scan) them, and a fetch helper that speaks JSON.
import type { FastifyInstance } from 'fastify';
import { buildApiApp } from '../../api/app.js';
import { parseServeConfig } from '../../api/config.js';
import { connectToTemporal } from '../../client/connection.js';

export interface TestApi {
  url: string;
  app: FastifyInstance;
  /** Every log line the server wrote so far. */
  logs: string[];
  call(method: string, path: string, options?: { token?: string; body?: unknown; headers?: Record<string, string> }): Promise<ApiAnswer>;
  close(): Promise<void>;
}

export interface ApiAnswer {
  status: number;
  headers: Headers;
  text: string;
  json<T = Record<string, unknown>>(): T;
}

export async function startTestApi(rawConfig: Record<string, unknown>, temporalAddress: string, baseDir: string): Promise<TestApi> {
  const config = parseServeConfig(rawConfig, 'the test config', baseDir);
  const connected = await connectToTemporal({ address: temporalAddress, namespace: 'default' });
  const logs: string[] = [];
  const app = await buildApiApp({ config, connected, logStream: { write: (line: string) => void logs.push(line) }, logLevel: 'debug' });
  await app.listen({ host: '127.0.0.1', port: 0 });
  const address = app.server.address();
  if (!address || typeof address === 'string') throw new Error('the API server has no TCP address');
  const url = `http://127.0.0.1:${address.port}`;
  return {
    url,
    app,
    logs,
    async call(method, path, options = {}) {
      const hasBody = options.body !== undefined;
      const response = await fetch(`${url}${path}`, {
        method,
        headers: {
          ...(options.token ? { authorization: `Bearer ${options.token}` } : {}),
          ...(hasBody ? { 'content-type': 'application/json' } : {}),
          ...options.headers,
        },
        ...(hasBody ? { body: typeof options.body === 'string' ? options.body : JSON.stringify(options.body) } : {}),
        // A hang is a failure, not a stuck suite.
        signal: AbortSignal.timeout(30_000),
      });
      const text = await response.text();
      return {
        status: response.status,
        headers: response.headers,
        text,
        json<T>() {
          return JSON.parse(text) as T;
        },
      };
    },
    async close() {
      await app.close();
      await connected.close();
    },
  };
}
