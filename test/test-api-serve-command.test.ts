// `ssmflow serve` and `ssmflow serve token` as an operator runs them: the real bin, a config file
// written from what `serve token` printed, the server answering until SIGTERM.
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, inject, it } from 'vitest';
import { sha256Hex } from '../api/tokens.js';
import { runCli } from './harness/cli.js';
import { startLongRunningCli, type LongRunningCli } from './harness/long-running-cli.js';

async function freePort(): Promise<number> {
  const server = createServer();
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as { port: number };
  await new Promise((resolve) => server.close(resolve));
  return port;
}

describe('ssmflow serve (the command)', () => {
  const scratch = mkdtempSync(join(tmpdir(), 'ssmflow-serve-'));
  let serve: LongRunningCli | undefined;
  afterAll(async () => {
    await serve?.stop();
    rmSync(scratch, { recursive: true, force: true });
  });

  it('serve token prints a token once and the config entry holding its hash; serve answers with it until SIGTERM', async () => {
    const made = await runCli(['serve', 'token', '--identity', 'alice@example.com', '--group', 'dba'], {});
    expect(made.code).toBe(0);
    const token = /^ {2}(ssmf_\S+)$/m.exec(made.stdout)?.[1] ?? '';
    expect(token).not.toBe('');
    const entry = made.stdout.slice(made.stdout.indexOf('  - identity:'));
    expect(entry).toContain(`sha256: ${sha256Hex(token)}`);
    expect(entry).not.toContain(token);

    const port = await freePort();
    const configFile = join(scratch, 'serve.yaml');
    writeFileSync(
      configFile,
      `listen: 127.0.0.1:${port}\ncatalog: ${join(process.cwd(), 'runbooks')}\nauth:\n  tokens:\n${entry
        .split('\n')
        .map((line) => `  ${line}`)
        .join('\n')}\nroles:\n  viewer: [dba]\n`,
    );
    serve = startLongRunningCli(['serve', '--config', configFile, '--address', inject('temporalAddress')]);
    await serve.waitFor('ssmflow API serving', 'the API to listen', 30_000);
    const url = `http://127.0.0.1:${port}`;
    expect((await fetch(`${url}/readyz`)).status).toBe(200);
    const runbooks = await fetch(`${url}/v1/runbooks`, { headers: { authorization: `Bearer ${token}` } });
    expect(runbooks.status).toBe(200);
    expect(((await runbooks.json()) as { runbooks: { name: string }[] }).runbooks.map((r) => r.name)).toContain('rolling-restart');
    expect((await fetch(`${url}/v1/runs`, { method: 'POST', headers: { authorization: `Bearer ${token}` } })).status).toBe(403);
    await serve.stop();
    expect((await serve.exited).code).toBe(0);
    expect(serve.output()).not.toContain(token);
  });
});
