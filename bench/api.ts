// bench/api: what `ssmflow serve` and notifications cost, measured end to end on a dev server, the
// local fleet and a worker in this process. Prints figures; never a pass/fail test.
//
//   npx tsx bench/api.ts [--requests 400] [--concurrency 8] [--runs 20]
//
// 1. GET /v1/runs/{id} (a run's status: auth, a Query to the run, the CLI's JSON): latency one at
//    a time and --concurrency at once, and requests per second.
// 2. --runs runs started through POST /v1/runs on their own clusters, with two webhooks (Slack and
//    signed JSON) on a local receiver: start latency, run end → notification received, and the
//    run's history length with notifications against the same run on a worker with none.
import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { parseArgs } from 'node:util';
import { NativeConnection } from '@temporalio/worker';
import { newToken, sha256Hex } from '../api/tokens.js';
import { createS3Client } from '../aws/clients.js';
import { formatColumns } from '../client/output/table.js';
import { fleetClient, startTestFleet } from '../fleet/test-support.js';
import { startTemporalDevServer } from '../local/temporal-dev-server.js';
import { startTestApi } from '../test/harness/api-server.js';
import { echoRunbookYaml } from '../test/harness/runbook-fixtures.js';
import { createSsmflowWorker } from '../worker/create-worker.js';
import { spread, type Spread } from './history-times.js';

const { values: args } = parseArgs({
  options: {
    requests: { type: 'string', default: '400' },
    concurrency: { type: 'string', default: '8' },
    runs: { type: 'string', default: '20' },
  },
});
const requests = Number(args.requests);
const concurrency = Number(args.concurrency);
const runs = Number(args.runs);

const echo = echoRunbookYaml('bench-echo');

const ms = (s: Spread) => `${s.median.toFixed(1)} / ${s.p99.toFixed(1)} ms`;
const progress = (message: string) => process.stderr.write(`bench/api: ${message}\n`);
const sleep = (delay: number) => new Promise((resolve) => setTimeout(resolve, delay));

async function main(): Promise<void> {
  const server = await startTemporalDevServer();
  const clusters = Array.from({ length: runs + 1 }, (_, i) => `c${i}`);
  const fleet = await startTestFleet({
    instances: clusters.map((cluster, i) => ({ id: `i-0b${String(i).padStart(15, '0')}`, tags: { Cluster: cluster } })),
  });
  const received = new Map<string, number>();
  const receiver = createServer((req, res) => {
    const key = String(req.headers['x-ssmflow-delivery'] ?? '');
    if (req.url === '/hook' && !received.has(key)) received.set(key, Date.now());
    req.resume().on('end', () => res.writeHead(200).end('ok'));
  });
  await new Promise<void>((resolve) => receiver.listen(0, '127.0.0.1', resolve));
  const hookUrl = (path: string) => `http://127.0.0.1:${(receiver.address() as AddressInfo).port}${path}`;
  const scratch = mkdtempSync(join(tmpdir(), 'bench-api-'));
  mkdirSync(join(scratch, 'catalog'));
  writeFileSync(join(scratch, 'catalog', 'bench-echo.yaml'), echo);
  // The API resolves targets through SSM in this process: the local fleet takes any credentials.
  process.env.AWS_ENDPOINT_URL_SSM = fleet.fleet.endpoint;
  process.env.AWS_ACCESS_KEY_ID ??= 'ssmflow-local';
  process.env.AWS_SECRET_ACCESS_KEY ??= 'ssmflow-local';
  process.env.AWS_REGION ??= 'us-east-1';

  const connection = await NativeConnection.connect({ address: server.address });
  const worker = (taskQueue: string, notify: boolean) =>
    createSsmflowWorker({
      connection,
      namespace: 'default',
      taskQueue,
      dependencies: {
        s3: createS3Client({ endpoint: 'http://127.0.0.1:9' }),
        ssm: fleetClient(fleet.fleet.endpoint, 3),
        ...(notify
          ? {
              notifications: {
                webhooks: [
                  { name: 'chat', url: hookUrl('/slack'), format: 'slack' as const },
                  { name: 'pager', url: hookUrl('/hook'), format: 'json' as const, secret: 'bench-key' },
                ],
                publicUrl: 'https://ssmflow.bench.invalid',
                deliveryTimeoutMs: 600_000,
              },
            }
          : {}),
      },
    });
  const notifying = await worker('bench-notify', true);
  const silent = await worker('bench-silent', false);
  const running = [notifying.run(), silent.run()];

  const token = newToken();
  const apiFor = (taskQueue: string) =>
    startTestApi(
      {
        listen: '127.0.0.1:0',
        taskQueue,
        catalog: 'catalog',
        auth: { tokens: [{ identity: 'bench@example.com', groups: ['ops'], sha256: sha256Hex(token) }] },
        roles: { viewer: [], operator: [], approver: [], admin: ['ops'] },
      },
      server.address,
      scratch,
    );
  const api = await apiFor('bench-notify');
  const quietApi = await apiFor('bench-silent');
  try {
    const waitEnded = async (apiServer: typeof api, runId: string) => {
      for (;;) {
        const run = (await apiServer.call('GET', `/v1/runs/${runId}`, { token })).json<{ status: string; endedAt?: string }>();
        if (run.status === 'succeeded') return run;
        if (!['running', 'waiting-lock'].includes(run.status))
          throw new Error(`run ${runId} is ${run.status}: ${JSON.stringify(run).slice(0, 2000)}`);
        await sleep(100);
      }
    };
    // The run whose status is read, and the history baseline without notifications.
    const first = await api.call('POST', '/v1/runs', { token, body: { runbook: 'bench-echo', parameters: { cluster: 'c0' } } });
    if (first.status !== 201) throw new Error(`start answered ${first.status}: ${first.text}`);
    const target = first.json<{ runId: string }>().runId;
    await waitEnded(api, target);
    progress(`run ${target} ended; timing GET /v1/runs/{id}`);

    const timed = async (n: number, parallel: number) => {
      const latencies: number[] = [];
      let next = 0;
      const started = Date.now();
      await Promise.all(
        Array.from({ length: parallel }, async () => {
          while (next < n) {
            next += 1;
            const t0 = performance.now();
            const answer = await api.call('GET', `/v1/runs/${target}`, { token });
            if (answer.status !== 200) throw new Error(`GET status answered ${answer.status}`);
            latencies.push(performance.now() - t0);
          }
        }),
      );
      return { latency: spread(latencies), perSecond: n / ((Date.now() - started) / 1000) };
    };
    await timed(20, 1); // warm-up
    const serial = await timed(requests, 1);
    const parallel = await timed(requests, concurrency);

    progress(`starting ${runs} runs through POST /v1/runs`);
    const startLatencies: number[] = [];
    const notifyLatencies: number[] = [];
    const runIds: string[] = [];
    for (let i = 1; i <= runs; i += 1) {
      const t0 = performance.now();
      const answer = await api.call('POST', '/v1/runs', { token, body: { runbook: 'bench-echo', parameters: { cluster: `c${i}` } } });
      startLatencies.push(performance.now() - t0);
      if (answer.status !== 201) throw new Error(`start answered ${answer.status}: ${answer.text}`);
      runIds.push(answer.json<{ runId: string }>().runId);
    }
    for (const runId of runIds) {
      const run = await waitEnded(api, runId);
      const key = await (async () => {
        for (;;) {
          const withNotes = (await api.call('GET', `/v1/runs/${runId}`, { token })).json<{ notifications?: { key: string }[] }>();
          const found = withNotes.notifications?.[0]?.key;
          if (found && received.has(found)) return found;
          await sleep(50);
        }
      })();
      notifyLatencies.push((received.get(key) ?? 0) - Date.parse(run.endedAt ?? ''));
    }
    const quietRun = (
      await quietApi.call('POST', '/v1/runs', { token, body: { runbook: 'bench-echo', parameters: { cluster: `c${runs}` } } })
    ).json<{ runId: string }>().runId;
    await waitEnded(quietApi, quietRun);
    const historyLength = async (runId: string) =>
      (await connection.workflowService.getWorkflowExecutionHistory({ namespace: 'default', execution: { workflowId: runId } })).history
        ?.events?.length ?? 0;
    const withNotifications = await historyLength(runIds[0] ?? target);
    const withoutNotifications = await historyLength(quietRun);

    const rows = [
      ['GET /v1/runs/{id}, one at a time', ms(serial.latency), `${serial.perSecond.toFixed(0)}/s`],
      [`GET /v1/runs/{id}, ${concurrency} at once`, ms(parallel.latency), `${parallel.perSecond.toFixed(0)}/s`],
      [`POST /v1/runs (${runs} runs)`, ms(spread(startLatencies)), ''],
      ['run ended → webhook received', ms(spread(notifyLatencies)), ''],
      ['history events per run (one echo step)', `${withNotifications} with webhooks, ${withoutNotifications} without`, ''],
    ];
    process.stdout.write(`${formatColumns([['measure', 'median / p99', 'throughput'], ...rows]).join('\n')}\n`);
    process.stdout.write(
      `${JSON.stringify({ requests, concurrency, runs, serial, parallel, start: spread(startLatencies), notify: spread(notifyLatencies), withNotifications, withoutNotifications })}\n`,
    );
  } finally {
    await api.close();
    await quietApi.close();
    notifying.shutdown();
    silent.shutdown();
    await Promise.all(running);
    await connection.close();
    receiver.close();
    await fleet.dispose();
    await server.stop();
    rmSync(scratch, { recursive: true, force: true });
  }
}

await main();
