// A webhook receiver for notification tests: a local HTTP server that records every request and
// answers as told (200, an error status, or holding the next request open until released).
import { createServer, type IncomingHttpHeaders, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';

export interface ReceivedRequest {
  path: string;
  headers: IncomingHttpHeaders;
  body: string;
  /** The answer it got (undefined while held or when its connection died first). */
  answered?: number;
}

export interface WebhookReceiver {
  url(path: string): string;
  readonly received: ReceivedRequest[];
  /** The status every request gets from now on (200 up, 503 down). */
  answerWith(status: number): void;
  /** The status requests to `path` get from now on, whatever answerWith says. */
  answerOn(path: string, status: number): void;
  /** Holds the next request open (unanswered) until `releaseHeld`. */
  holdNext(): void;
  releaseHeld(status?: number): void;
  close(): Promise<void>;
}

export async function startWebhookReceiver(): Promise<WebhookReceiver> {
  const received: ReceivedRequest[] = [];
  let status = 200;
  let holding = false;
  const byPath = new Map<string, number>();
  const held: { response: ServerResponse; request: ReceivedRequest }[] = [];
  const server = createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on('data', (chunk: Buffer) => chunks.push(chunk));
    req.on('end', () => {
      const request: ReceivedRequest = { path: req.url ?? '', headers: req.headers, body: Buffer.concat(chunks).toString('utf8') };
      received.push(request);
      if (holding) {
        holding = false;
        held.push({ response: res, request });
        return;
      }
      const answer = byPath.get(request.path) ?? status;
      request.answered = answer;
      res.writeHead(answer, { 'content-type': 'text/plain' }).end(answer < 300 ? 'ok' : 'refused');
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const port = (server.address() as AddressInfo).port;
  return {
    url: (path) => `http://127.0.0.1:${port}${path}`,
    received,
    answerWith: (next) => (status = next),
    answerOn: (path, answer) => void byPath.set(path, answer),
    holdNext: () => (holding = true),
    releaseHeld(answer = 200) {
      for (const { response, request } of held.splice(0)) {
        if (response.destroyed || response.socket?.destroyed) continue;
        request.answered = answer;
        response.writeHead(answer).end('ok');
      }
    },
    async close() {
      for (const { response } of held.splice(0)) response.destroy();
      server.closeAllConnections();
      await new Promise<void>((resolve) => server.close(() => resolve()));
    },
  };
}
