import { createServer } from 'node:net';
import { freePort } from './free-port.js';

/** True when nothing listens on the loopback port. */
export function portIsFree(port: number): Promise<boolean> {
  return new Promise<boolean>((resolveFree) => {
    const server = createServer();
    server.once('error', () => resolveFree(false));
    server.listen(port, '127.0.0.1', () => server.close(() => resolveFree(true)));
  });
}

/** The preferred port when nothing listens on it, else any free loopback port. */
export async function preferredPort(preferred: number): Promise<number> {
  return (await portIsFree(preferred)) ? preferred : freePort();
}

/**
 * The first port of `count` consecutive free loopback ports: from `preferred` when that block is
 * free, else a free block drawn from [from, to). The default range ends below 32768, where Linux's
 * ephemeral ports start (and Temporal's SQL schema keeps membership ports as smallint).
 */
export async function freePortBlock(count: number, preferred?: number, from = 17_000, to = 32_000): Promise<number> {
  const blockFree = async (start: number) => {
    for (let port = start; port < start + count; port++) if (!(await portIsFree(port))) return false;
    return true;
  };
  if (preferred !== undefined && (await blockFree(preferred))) return preferred;
  for (let attempt = 0; attempt < 200; attempt++) {
    const start = from + Math.floor(Math.random() * ((to - from - count) / count)) * count;
    if (await blockFree(start)) return start;
  }
  throw new Error(`no ${count} consecutive free loopback ports between ${from} and ${to}`);
}
