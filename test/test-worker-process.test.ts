// The production worker (runWorker: config from env, JSON logs, /metrics, /healthz, /readyz,
// graceful shutdown) in a child process, driving real runs on the local fleet.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startRun } from '../client/runs.js';
import { freePort } from '../local/free-port.js';
import { startTestFleet, type TestFleet } from '../fleet/test-support.js';
import { parseRunbook } from '../runbook/load.js';
import type { NormalizedRunbook } from '../runbook/types.js';
import { connectTestStack, uniqueId, type TestStack } from './harness/stack.js';
import { spawnWorkerProcess, type WorkerProcess } from './harness/worker-process.js';
import { eventually } from './harness/eventually.js';

const instanceIds = ['i-0a0000000000000a1', 'i-0a0000000000000a2', 'i-0a0000000000000a3'];

function runbook(yaml: string): NormalizedRunbook {
  const parsed = parseRunbook(
    `apiVersion: ssmflow/v1\nparameters:\n  cluster: { type: string }\ntargets: { tags: { Cluster: '{{ cluster }}' } }\ndefaults: { rateControl: { maxConcurrency: '100%', maxErrors: '0' } }\n${yaml}`,
    'inline.yaml',
  );
  if ('errors' in parsed) throw new Error(JSON.stringify(parsed.errors));
  return parsed.normalized;
}

const quickRunbook = runbook(`name: say-hello
steps:
  - id: hello
    run: echo "hello from $AWS_SSM_INSTANCE_ID"
`);

const slowRunbook = runbook(`name: slow-change
steps:
  - id: slow-step
    run: [sleep 6, echo "slow step done on $AWS_SSM_INSTANCE_ID"]
  - id: after
    run: echo after
`);

/** Prometheus text → value of the sample with exactly this name and label set. */
function sample(text: string, series: string): number | undefined {
  const line = text.split('\n').find((l) => l.startsWith(`${series} `));
  return line ? Number(line.slice(series.length + 1)) : undefined;
}

describe('the production worker process', () => {
  let stack: TestStack;
  let testFleet: TestFleet;
  let bucket: string;
  let worker: WorkerProcess;
  let opsUrl: string;
  const logLines: string[] = [];

  async function productionWorkerEnv(): Promise<Record<string, string>> {
    return {
      SSMFLOW_TEST_PRODUCTION_WORKER: '1',
      AWS_ENDPOINT_URL_SSM: testFleet.fleet.endpoint,
      AWS_ENDPOINT_URL_S3: stack.s3Endpoint,
      SSMFLOW_HTTP_ADDRESS: `127.0.0.1:${await freePort()}`,
      SSMFLOW_SDK_METRICS_ADDRESS: `127.0.0.1:${await freePort()}`,
      SSMFLOW_SHUTDOWN_GRACE_TIME: '1s',
      SSMFLOW_SHUTDOWN_FORCE_TIME: '30s',
    };
  }

  const start = (runbookToRun: NormalizedRunbook, taskQueue: string) =>
    startRun(stack.client, {
      runbook: runbookToRun,
      parameters: { cluster: 'ops-1' },
      initiator: 'sre@example.com',
      taskQueue,
      workflowId: uniqueId(runbookToRun.name),
      output: { bucket, keyPrefix: 'runs' },
      options: { heartbeatTimeoutSeconds: 10 },
    });

  const taskQueue = uniqueId('tq-prod');

  beforeAll(async () => {
    stack = await connectTestStack();
    bucket = await stack.createBucket('prod-output');
    testFleet = await startTestFleet({
      s3Endpoint: stack.s3Endpoint,
      instances: instanceIds.map((id) => ({ id, tags: { Cluster: 'ops-1' } })),
    });
    const env = await productionWorkerEnv();
    opsUrl = `http://${env.SSMFLOW_HTTP_ADDRESS}`;
    worker = await spawnWorkerProcess({ taskQueue, env });
    let pending = '';
    worker.child.stdout?.on('data', (chunk: Buffer) => {
      const lines = (pending + chunk.toString()).split('\n');
      pending = lines.pop() ?? '';
      logLines.push(...lines.filter(Boolean));
    });
  });
  afterAll(async () => {
    await worker?.kill('SIGKILL');
    await testFleet?.dispose();
    await stack?.close();
  });

  it('is live and ready, logs JSON with run and command ids, and serves the named metrics after a run', async () => {
    expect((await fetch(`${opsUrl}/healthz`)).status).toBe(200);
    expect(await (await fetch(`${opsUrl}/readyz`)).json()).toEqual({ status: 'ok', workerState: 'RUNNING', shuttingDown: false });

    const handle = await start(quickRunbook, taskQueue);
    // A throttling burst on ListCommands while the step waits: the poller backs off and counts it.
    testFleet.fleet.setFaults({ global: { throttle: { ListCommands: 1 } } });
    const throttled = await eventually(
      async () => {
        const text = await (await fetch(`${opsUrl}/metrics`)).text();
        return (sample(text, 'ssmflow_ssm_throttles_total{source="poller"}') ?? 0) > 0 ? true : undefined;
      },
      { timeoutMs: 30_000, description: 'the status poller to be throttled' },
    );
    testFleet.fleet.setFaults({ global: null });
    expect(throttled).toBe(true);
    expect((await handle.result()).status).toBe('succeeded');

    const metrics = await (await fetch(`${opsUrl}/metrics`)).text();
    expect(sample(metrics, 'ssmflow_ssm_calls_total{operation="SendCommand"}')).toBeGreaterThanOrEqual(1);
    expect(sample(metrics, 'ssmflow_ssm_calls_total{operation="ListCommands"}')).toBeGreaterThan(1);
    expect(sample(metrics, 'ssmflow_commands_sent_total')).toBeGreaterThanOrEqual(1);
    expect(sample(metrics, 'ssmflow_commands_finished_total{status="Success"}')).toBeGreaterThanOrEqual(1);
    expect(sample(metrics, 'ssmflow_step_duration_seconds_count{activity="runCommand",status="Success"}')).toBeGreaterThanOrEqual(1);
    expect(sample(metrics, 'ssmflow_step_duration_seconds_sum{activity="runCommand",status="Success"}')).toBeGreaterThan(0);
    // Visibility is eventually consistent, and the worker caches the counts for a few seconds.
    const succeededRuns = await eventually(
      async () => {
        const value = sample(await (await fetch(`${opsUrl}/metrics`)).text(), 'ssmflow_runs{status="succeeded"}') ?? 0;
        return value >= 1 ? value : undefined;
      },
      { timeoutMs: 20_000, description: 'ssmflow_runs{status="succeeded"} to count the run' },
    );
    expect(succeededRuns).toBeGreaterThanOrEqual(1);
    expect(sample(metrics, 'ssmflow_commands_waiting')).toBe(0);
    // The SDK's own metrics, from Core's Prometheus exporter, in the same response.
    expect(metrics).toMatch(/^temporal_activity_execution_latency\w*_count\{.*activity_type="runCommand".*\} [1-9]/m);
    expect(metrics).toMatch(/^temporal_workflow_completed\w*\{.*workflow_type="runbookRun".*\} [1-9]/m);

    // Log lines cross a pipe from the worker process: under load they can trail the metrics.
    const finished = await eventually(
      () =>
        logLines
          .map((l) => JSON.parse(l) as Record<string, unknown>)
          .find((l) => l.msg === 'SSM command finished' && l.workflowId === handle.workflowId),
      { timeoutMs: 15_000, description: 'the "SSM command finished" log line' },
    );
    expect(finished).toMatchObject({
      level: 'info',
      workflowId: handle.workflowId,
      activityType: 'runCommand',
      step: 'say-hello/hello',
      status: 'Success',
      targetCount: 3,
    });
    expect(finished?.commandId).toEqual(expect.any(String));
  });

  it('SIGTERM during a command: drains and exits cleanly within the bound, another worker finishes the run, each instance ran each command once', async () => {
    const handle = await start(slowRunbook, taskQueue);
    const ofRun = () => testFleet.fleet.executions().filter((e) => e.comment.startsWith(`ssmflow:${handle.workflowId}/`));
    await eventually(() => (ofRun().length === instanceIds.length ? true : undefined), {
      timeoutMs: 30_000,
      description: 'the slow step to start on every instance',
    });

    worker.child.kill('SIGTERM');
    // Draining: still alive, no longer ready.
    const readiness = await eventually(
      async () => {
        const response = await fetch(`${opsUrl}/readyz`).catch(() => undefined);
        return response?.status === 503 ? { ready: response.status, live: (await fetch(`${opsUrl}/healthz`)).status } : undefined;
      },
      { timeoutMs: 10_000, description: '/readyz to report the drain' },
    );
    expect(readiness).toEqual({ ready: 503, live: 200 });
    // Exit code 0: the drain finished before the force time (30s), which would have failed the worker.
    expect(await worker.exited).toEqual({ code: 0, signal: null });
    const messages = logLines.map((l) => (JSON.parse(l) as { msg: string }).msg);
    expect(messages).toEqual(
      expect.arrayContaining([
        expect.stringMatching(/^shutdown requested/),
        expect.stringMatching(/^grace time over: handing SSM command waits/),
        'ssmflow worker drained and stopped',
      ]),
    );

    const successor = await spawnWorkerProcess({ taskQueue, env: await productionWorkerEnv() });
    try {
      const summary = await handle.result();
      expect(summary.status).toBe('succeeded');
    } finally {
      await successor.kill('SIGTERM');
    }
    const perCommandAndInstance = new Map<string, number>();
    for (const e of ofRun())
      perCommandAndInstance.set(`${e.commandId}/${e.instanceId}`, (perCommandAndInstance.get(`${e.commandId}/${e.instanceId}`) ?? 0) + 1);
    expect(perCommandAndInstance.size).toBe(2 * instanceIds.length);
    expect([...perCommandAndInstance.values()].every((n) => n === 1)).toBe(true);
    const slow = ofRun().filter((e) => e.comment.includes('/slow-step/'));
    expect(slow.map((e) => e.instanceId).sort()).toEqual(instanceIds);
    expect(slow.every((e) => e.exitCode === 0)).toBe(true);
  });
});
