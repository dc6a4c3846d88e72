// Payload encryption end to end: a real run (real activities, commands on the local fleet) with the
// codec on worker and client leaves no plaintext parameter or output in the Temporal history; the
// same run without the codec does (the control). Also: tracing through the OpenTelemetry plugin, offline.
import { randomUUID } from 'node:crypto';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { InMemorySpanExporter } from '@opentelemetry/sdk-trace-base';
import { Client } from '@temporalio/client';
import type { DataConverter } from '@temporalio/common';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { runControls, startRun } from '../client/runs.js';
import { fleetClient, startTestFleet, type TestFleet } from '../fleet/test-support.js';
import { parseRunbook } from '../runbook/load.js';
import { buildWorkflowBundle } from '../worker/build-workflow-bundle.js';
import { historyText } from './harness/history-text.js';
import { dataConverterFromEnv } from '../core/data-converter.js';
import { tracingFromSettings } from '../worker/tracing.js';
import { connectTestStack, uniqueId, type TestStack } from './harness/stack.js';

const instanceIds = ['i-0e0000000000000e1', 'i-0e0000000000000e2'];

// The step prints the ticket rot13-encoded: the output is distinctive and differs from the parameter.
const runbook = (() => {
  const parsed = parseRunbook(
    `apiVersion: ssmflow/v1
name: change-ticket
parameters:
  cluster: { type: string, pattern: '^[a-z0-9-]+$' }
  ticket: { type: string, pattern: '^[A-Za-z0-9-]+$' }
targets: { tags: { Cluster: '{{ cluster }}' } }
steps:
  - id: record-ticket
    run: printf '%s\\n' {{ ticket }} | tr 'A-Za-z' 'N-ZA-Mn-za-m'
`,
    'change-ticket.yaml',
  );
  if ('errors' in parsed) throw new Error(JSON.stringify(parsed.errors));
  return parsed.normalized;
})();

const rot13 = (text: string) =>
  text.replace(/[A-Za-z]/g, (c) => String.fromCharCode(((c.toLowerCase().charCodeAt(0) - 97 + 13) % 26) + (c < 'a' ? 65 : 97)));

describe('payload encryption in a real run', () => {
  let stack: TestStack;
  let testFleet: TestFleet;
  let bucket: string;
  let scratch: string;
  let productionBundlePath: string;
  const encryption: DataConverter = dataConverterFromEnv({
    env: {
      SSMFLOW_ENCRYPTION_KEYS: `2025-06=${Buffer.alloc(32, 21).toString('base64')},2024-12=${Buffer.alloc(32, 22).toString('base64')}`,
      SSMFLOW_ENCRYPTION_KEY_ID: '2025-06',
    },
  });

  beforeAll(async () => {
    stack = await connectTestStack();
    bucket = await stack.createBucket('enc-output');
    testFleet = await startTestFleet({
      s3Endpoint: stack.s3Endpoint,
      instances: instanceIds.map((id) => ({ id, tags: { Cluster: 'enc-1' } })),
    });
    // The bundle the Docker image ships (tracing interceptors inside, spans discarded when tracing is off).
    scratch = mkdtempSync(join(tmpdir(), 'ssmflow-bundle-'));
    productionBundlePath = join(scratch, 'workflow-bundle.js');
    await buildWorkflowBundle(productionBundlePath);
  });
  afterAll(async () => {
    if (scratch) rmSync(scratch, { recursive: true, force: true });
    await testFleet?.dispose();
    await stack?.close();
  });

  async function runChangeTicket(
    dataConverter: DataConverter | undefined,
    extra: {
      plugins?: NonNullable<Parameters<TestStack['createWorker']>[0]>['plugins'];
      bundleAtStart?: boolean;
      bundlePath?: string;
    } = {},
  ) {
    const ticket = `CHG-${randomUUID().slice(0, 8)}-canary`;
    const client = new Client({ connection: stack.client.connection, namespace: 'default', ...(dataConverter ? { dataConverter } : {}) });
    const { worker, taskQueue } = await stack.createWorker({
      dependencies: { s3: stack.s3, ssm: fleetClient(testFleet.fleet.endpoint, 3) },
      ...(dataConverter ? { dataConverter } : {}),
      ...(extra.plugins ? { plugins: extra.plugins } : {}),
      ...(extra.bundleAtStart ? { workflowBundlePath: undefined } : {}),
      ...(extra.bundlePath ? { workflowBundlePath: extra.bundlePath } : {}),
    });
    const handle = await startRun(client, {
      runbook,
      parameters: { cluster: 'enc-1', ticket },
      initiator: 'sec@example.com',
      taskQueue,
      workflowId: uniqueId('enc'),
      output: { bucket, keyPrefix: 'runs' },
    });
    // Queries need a worker: read the state while it still runs.
    const { summary, state } = await worker.runUntil(async () => ({
      summary: await handle.result(),
      state: await runControls(client, handle.workflowId).state(),
    }));
    return {
      ticket,
      output: rot13(ticket),
      summary,
      state,
      client,
      history: historyText(await handle.fetchHistory()),
      workflowId: handle.workflowId,
    };
  }

  it('keeps parameters, output tails and audit records out of the history as plaintext (worker on the production bundle)', async () => {
    const run = await runChangeTicket(encryption, { bundlePath: productionBundlePath });
    expect(run.summary.status).toBe('succeeded');
    // Through the codec the client sees everything: parameter, rendered command, output tail.
    expect(JSON.stringify(run.state.audit)).toContain(run.ticket);
    const outputs = run.state.steps[0]?.instances.map((i) => i.outputTail);
    expect(outputs).toEqual([`${run.output}\n`, `${run.output}\n`]);

    expect(run.history).toContain('binary/encrypted');
    expect(run.history).not.toContain(run.ticket);
    expect(run.history).not.toContain(run.output);

    // A client without the keys cannot read the run.
    const keyless = new Client({ connection: stack.client.connection, namespace: 'default' });
    await expect(keyless.workflow.getHandle(run.workflowId).result()).rejects.toThrow(/binary\/encrypted/);
  });

  it('control: the same run without the codec has both strings in its history', async () => {
    const run = await runChangeTicket(undefined);
    expect(run.summary.status).toBe('succeeded');
    expect(run.history).not.toContain('binary/encrypted');
    expect(run.history).toContain(run.ticket);
    expect(run.history).toContain(run.output);
  });

  it('traces a run with the OpenTelemetry plugin, without any collector', async () => {
    const exporter = new InMemorySpanExporter();
    const tracing = tracingFromSettings(
      { enabled: true, exporter: 'console', otlpEndpoint: 'http://127.0.0.1:4318/v1/traces', serviceName: 'ssmflow-test' },
      exporter,
    );
    expect(tracing).toBeDefined();
    // Bundled at start, so the plugin's workflow interceptors are in the bundle.
    const run = await runChangeTicket(encryption, { plugins: [tracing?.plugin].filter((p) => p !== undefined), bundleAtStart: true });
    expect(run.summary.status).toBe('succeeded');
    const names = new Set(exporter.getFinishedSpans().map((s) => s.name));
    await tracing?.shutdown();
    expect(names).toContain('RunWorkflow:runbookRun');
    expect(names).toContain('RunActivity:runCommand');
  });
});
