// `ssmflow stack` as a user runs it: one command brings up the production-like topology (the
// Temporal server on PostgreSQL, two workers, codec server, API, S3, fleet), its printed exports
// run hello.yaml from another shell, its API token starts hello through the API, and Ctrl-C
// leaves nothing listening. What the topology does under faults is test-production-stack's part.
import { existsSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { freePortBlock, portIsFree } from '../local/port-available.js';
import { readRunningLocalStack, RUNNING_STACK_FILE } from '../local/running-stack.js';
import { expectExit, runCli } from './harness/cli.js';
import { eventually } from './harness/eventually.js';
import { type LongRunningCli, startLongRunningCli } from './harness/long-running-cli.js';

describe('ssmflow stack: the production topology from one command', () => {
  const stateDir = mkdtempSync(join(tmpdir(), 'ssmflow-stack-'));
  let stack: LongRunningCli | undefined;

  afterAll(async () => {
    await stack?.stop();
    rmSync(stateDir, { recursive: true, force: true });
  }, 60_000);

  it('refuses bad flags with the flag and the fix, before starting anything', async () => {
    const workers = await runCli(['stack', '--workers', '0', '--state-dir', stateDir], {});
    expectExit(workers, 2);
    expect(workers.stderr).toContain('--workers must be a whole number from 1 to 16, got "0"');
    const port = await runCli(['stack', '--base-port', '70000', '--state-dir', stateDir], {});
    expectExit(port, 2);
    expect(port.stderr).toContain('--base-port must be a whole number from 1 to 32000');
  });

  it('starts everything, prints exports that run hello.yaml, refuses a second stack on its state dir, and stops clean on SIGINT', async () => {
    const basePort = await freePortBlock(19);
    stack = startLongRunningCli(['stack', '--state-dir', stateDir, '--base-port', String(basePort)]);
    const { child, exited } = stack;
    await stack.waitFor('stops everything.', 'ssmflow stack to print its addresses', 180_000);
    const output = stack.output();
    expect(output).toContain(`Temporal     127.0.0.1:${basePort}   namespace default`);
    expect(output.match(/^Worker {7}worker-\d pid \d+/gm)).toHaveLength(2);

    const exports = stack.exports();
    expect(Object.keys(exports)).toEqual(
      expect.arrayContaining(['TEMPORAL_ADDRESS', 'SSMFLOW_ENCRYPTION_KEYS_FILE', 'AWS_ENDPOINT_URL_SSM', 'AWS_ENDPOINT_URL_S3']),
    );
    const hello = await runCli(['run', 'runbooks/examples/hello.yaml', '--wait', '--json'], exports);
    expectExit(hello, 0);
    expect(hello.json<{ status: string }>().status).toBe('succeeded');

    // The API serves the same stack: the printed token starts hello and reads it back.
    const apiLine = /^API {10}(http:\/\/127\.0\.0\.1:\d+) {3}admin token for (\S+) in (\S+)/m.exec(output);
    expect(apiLine, 'the API line of the output').not.toBeNull();
    const [, apiUrl = '', identity = '', tokenFile = ''] = apiLine ?? [];
    const token = readFileSync(join(stateDir, 'api-token'), 'utf8').trim();
    expect(tokenFile.endsWith('api-token')).toBe(true);
    expect(output).not.toContain(token);
    const api = (path: string, init: { method?: string; body?: unknown; token?: string } = {}) =>
      fetch(`${apiUrl}${path}`, {
        method: init.method ?? 'GET',
        headers: {
          ...(init.token ? { authorization: `Bearer ${init.token}` } : {}),
          ...(init.body ? { 'content-type': 'application/json' } : {}),
        },
        ...(init.body ? { body: JSON.stringify(init.body) } : {}),
      });
    expect((await api('/v1/runs')).status).toBe(401);
    const startedByApi = await api('/v1/runs', { method: 'POST', token, body: { runbook: 'hello', reason: 'stack test' } });
    expect(startedByApi.status).toBe(201);
    const apiRunId = ((await startedByApi.json()) as { runId: string }).runId;
    const apiRun = await eventually(
      async () => (await (await api(`/v1/runs/${apiRunId}`, { token })).json()) as { status: string; initiator: string },
      {
        until: (run) => run.status === 'succeeded',
        hopeless: (run) => ['failed', 'cancelled'].includes(run.status),
        description: `run ${apiRunId} started through the stack's API to succeed`,
        timeoutMs: 60_000,
        intervalMs: 500,
      },
    );
    expect(apiRun.initiator).toBe(identity);

    const record = readRunningLocalStack(stateDir);
    expect(record.pid).toBe(child.pid);
    const second = await runCli(['stack', '--state-dir', stateDir], {});
    expectExit(second, 2);
    expect(second.stderr).toContain(`a stack (pid ${child.pid}) already runs on state dir`);

    const dbPort = Number(/PostgreSQL {3}127\.0\.0\.1:(\d+)/.exec(output)?.[1]);
    child.kill('SIGINT');
    const ended = await exited;
    expect(ended.code).toBe(0);
    expect(stack.output()).toContain('stopped');
    expect(existsSync(join(stateDir, RUNNING_STACK_FILE))).toBe(false);
    // Nothing is left listening: the Temporal frontend, its database, the API, the workers' ports.
    for (const port of [basePort, dbPort, Number(new URL(apiUrl).port), basePort + 15, basePort + 17])
      expect(await portIsFree(port), `port ${port}`).toBe(true);
  }, 300_000);
});
