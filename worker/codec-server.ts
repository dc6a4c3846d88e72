// The codec server: lets the Temporal UI (and `temporal` CLI with --codec-endpoint) show run
// parameters, output tails and audit records that the payload codec keeps encrypted in Temporal.
// POST /encode and POST /decode take and return { payloads: [{ metadata: {k: base64}, data: base64 }] }.
import { timingSafeEqual } from 'node:crypto';
import { createServer, type IncomingMessage, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import type { Payload, PayloadCodec } from '@temporalio/common';
import { PayloadDecryptionError } from '../core/payload-codec.js';

export interface CodecServerOptions {
  host: string;
  port: number;
  codec: PayloadCodec;
  /** Origins allowed to call from a browser (the Temporal UI's), e.g. http://localhost:8080. */
  corsOrigins: string[];
  /** When set, requests must carry `Authorization: Bearer <token>`. */
  token?: string;
  log?: (entry: { method: string; path: string; status: number; payloads?: number; error?: string }) => void;
}

export interface CodecServer {
  readonly address: string;
  readonly url: string;
  close(): Promise<void>;
}

interface JsonPayload {
  metadata?: Record<string, string>;
  data?: string;
}

const maxBodyBytes = 16 * 1024 * 1024;

class HttpError extends Error {
  constructor(
    readonly status: number,
    message: string,
  ) {
    super(message);
  }
}

export async function startCodecServer(options: CodecServerOptions): Promise<CodecServer> {
  const server = createServer((req, res) => {
    void handle(req, res, options).catch((err: unknown) => {
      const status = err instanceof HttpError ? err.status : err instanceof PayloadDecryptionError ? 422 : 500;
      const message = (err as Error).message;
      options.log?.({ method: req.method ?? '', path: req.url ?? '', status, error: message });
      if (!res.headersSent) res.writeHead(status, { 'content-type': 'application/json' });
      res.end(JSON.stringify({ error: message }) + '\n');
    });
  });
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(options.port, options.host, () => resolve());
  });
  const bound = server.address() as AddressInfo;
  const host = bound.family === 'IPv6' ? `[${bound.address}]` : bound.address;
  return {
    address: `${host}:${bound.port}`,
    url: `http://${host}:${bound.port}`,
    close: () =>
      new Promise<void>((resolve) => {
        server.close(() => resolve());
        server.closeAllConnections();
      }),
  };
}

async function handle(req: IncomingMessage, res: ServerResponse, options: CodecServerOptions): Promise<void> {
  const origin = req.headers.origin;
  if (origin && options.corsOrigins.includes(origin)) {
    res.setHeader('access-control-allow-origin', origin);
    res.setHeader('access-control-allow-credentials', 'true');
    res.setHeader('vary', 'Origin');
  }
  const path = (req.url ?? '/').split('?')[0];
  if (req.method === 'OPTIONS') {
    res.writeHead(204, {
      'access-control-allow-methods': 'POST, OPTIONS',
      'access-control-allow-headers': 'content-type, authorization, x-namespace',
      'access-control-max-age': '600',
    });
    res.end();
    return;
  }
  if (path !== '/encode' && path !== '/decode') throw new HttpError(404, 'not found: POST /encode or /decode');
  if (req.method !== 'POST') throw new HttpError(405, `${req.method} not allowed: use POST`);
  if (options.token && !bearerMatches(req.headers.authorization, options.token)) {
    res.setHeader('www-authenticate', 'Bearer');
    throw new HttpError(401, 'missing or wrong bearer token');
  }
  const payloads = parsePayloads(await readBody(req));
  const result = path === '/encode' ? await options.codec.encode(payloads) : await options.codec.decode(payloads);
  res.writeHead(200, { 'content-type': 'application/json' });
  res.end(JSON.stringify({ payloads: result.map(toJsonPayload) }));
  options.log?.({ method: 'POST', path, status: 200, payloads: payloads.length });
}

function bearerMatches(header: string | undefined, token: string): boolean {
  const given = Buffer.from(header?.startsWith('Bearer ') ? header.slice(7).trim() : '');
  const expected = Buffer.from(token);
  return given.length === expected.length && timingSafeEqual(given, expected);
}

async function readBody(req: IncomingMessage): Promise<string> {
  const chunks: Buffer[] = [];
  let size = 0;
  for await (const chunk of req) {
    size += (chunk as Buffer).length;
    if (size > maxBodyBytes) throw new HttpError(413, `request body over ${maxBodyBytes} bytes`);
    chunks.push(chunk as Buffer);
  }
  return Buffer.concat(chunks).toString('utf8');
}

function parsePayloads(body: string): Payload[] {
  let parsed: unknown;
  try {
    parsed = JSON.parse(body);
  } catch {
    throw new HttpError(400, 'body is not JSON: expected { "payloads": [...] }');
  }
  const list = (parsed as { payloads?: unknown } | null)?.payloads;
  if (!Array.isArray(list)) throw new HttpError(400, 'expected { "payloads": [{ "metadata": {...}, "data": "<base64>" }] }');
  return list.map((item: JsonPayload, index) => {
    if (item === null || typeof item !== 'object') throw new HttpError(400, `payloads[${index}] is not an object`);
    const metadata: Record<string, Uint8Array> = {};
    for (const [key, value] of Object.entries(item.metadata ?? {})) {
      if (typeof value !== 'string') throw new HttpError(400, `payloads[${index}].metadata.${key} is not a base64 string`);
      metadata[key] = Buffer.from(value, 'base64');
    }
    if (item.data !== undefined && typeof item.data !== 'string')
      throw new HttpError(400, `payloads[${index}].data is not a base64 string`);
    return { metadata, data: Buffer.from(item.data ?? '', 'base64') };
  });
}

function toJsonPayload(payload: Payload): JsonPayload {
  return {
    metadata: Object.fromEntries(
      Object.entries(payload.metadata ?? {}).map(([k, v]) => [k, Buffer.from(v ?? new Uint8Array()).toString('base64')]),
    ),
    data: Buffer.from(payload.data ?? new Uint8Array()).toString('base64'),
  };
}
