import { readToolsManifest } from './tools.js';
import { freePort } from './free-port.js';
import { spawnManaged, waitUntilReady } from './child-process.js';

export interface S3Emulator {
  /** e.g. http://127.0.0.1:43123, for AWS_ENDPOINT_URL_S3. */
  readonly endpoint: string;
  readonly port: number;
  stop(): Promise<void>;
}

/** Starts the moto S3 emulator on a loopback port (a free one unless given). */
export async function startS3Emulator(options: { port?: number } = {}): Promise<S3Emulator> {
  const { moto } = readToolsManifest();
  const port = options.port ?? (await freePort());
  const proc = spawnManaged(moto.path, ['-H', '127.0.0.1', '-p', String(port)]);
  const endpoint = `http://127.0.0.1:${port}`;
  await waitUntilReady('S3 emulator (moto_server)', proc, async () => (await fetch(`${endpoint}/moto-api/`)).ok, 30_000);
  return { endpoint, port, stop: () => proc.stop() };
}
