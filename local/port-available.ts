import { createServer } from 'node:net';
import { freePort } from './free-port.js';

/** The preferred port when nothing listens on it, else any free loopback port. */
export async function preferredPort(preferred: number): Promise<number> {
  const free = await new Promise<boolean>((resolveFree) => {
    const server = createServer();
    server.once('error', () => resolveFree(false));
    server.listen(preferred, '127.0.0.1', () => server.close(() => resolveFree(true)));
  });
  return free ? preferred : freePort();
}
