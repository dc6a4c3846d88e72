// A SecureString secret used by a run reaches the instance and nowhere else: not the workflow
// history, the worker's logs (at debug level), the CLI's output, the audit exports, nor what SSM
// keeps of the command (SendCommand's parameters as ListCommands shows them).
import { readdirSync, readFileSync } from 'node:fs';
import { ListCommandInvocationsCommand, ListCommandsCommand } from '@aws-sdk/client-ssm';
import { join } from 'node:path';
import { historyToJSON } from '@temporalio/common/lib/proto-utils.js';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startTestFleet, type TestFleet } from '../fleet/test-support.js';
import { runCli } from './harness/cli.js';
import { historyText } from './harness/history-text.js';
import { writeScratchFile } from './harness/scratch-file.js';
import { connectTestStack, uniqueId, type TestStack } from './harness/stack.js';
import { spawnWorkerProcess } from './harness/worker-process.js';

const SECRET = 'Tr0ub4dor&3-never-print-me';
const instanceId = 'i-05ec0000000000001';

describe('secrets stay secret', () => {
  let stack: TestStack;
  let testFleet: TestFleet;
  let runbookFile: string;
  beforeAll(async () => {
    stack = await connectTestStack();
    testFleet = await startTestFleet({
      s3Endpoint: stack.s3Endpoint,
      instances: [{ id: instanceId, tags: { Cluster: 'vault' } }],
      parameters: [{ name: '/vault/db-password', type: 'SecureString', value: SECRET }],
    });
    runbookFile = writeScratchFile(
      'secrets-',
      'rotate.yaml',
      `apiVersion: ssmflow/v1
name: rotate-password
parameters:
  cluster: { type: string }
  dbPassword: { type: secret, parameterStore: '/{{ cluster }}/db-password' }
targets: { tags: { Cluster: '{{ cluster }}' } }
steps:
  - id: configure
    run: printf '%s' {{ dbPassword }} | sha256sum > "$FLEET_INSTANCE_DIR/password.sha256"
    rollback: { run: rm -f "$FLEET_INSTANCE_DIR/password.sha256" }
  - id: check
    run: test -s "$FLEET_INSTANCE_DIR/password.sha256" && echo configured
`,
    );
  });
  afterAll(async () => {
    await testFleet?.dispose();
    await stack?.close();
  });

  it('never appears in history, worker logs, CLI output, or the JSON and markdown audit', async () => {
    const bucket = await stack.createBucket('secrets-output');
    const taskQueue = uniqueId('tq-secrets');
    const worker = await spawnWorkerProcess({
      taskQueue,
      env: {
        SSMFLOW_TEST_PRODUCTION_WORKER: '1',
        SSMFLOW_LOG_LEVEL: 'debug',
        SSMFLOW_HTTP_ADDRESS: 'off',
        SSMFLOW_SDK_METRICS_ADDRESS: 'off',
        AWS_ENDPOINT_URL_SSM: testFleet.fleet.endpoint,
        AWS_ENDPOINT_URL_S3: stack.s3Endpoint,
      },
    });
    const env = {
      TEMPORAL_ADDRESS: stack.temporalAddress,
      SSMFLOW_TASK_QUEUE: taskQueue,
      AWS_ENDPOINT_URL_SSM: testFleet.fleet.endpoint,
      SSMFLOW_OUTPUT_BUCKET: bucket,
      SSMFLOW_USER: 'secops@example.com',
    };
    const runId = uniqueId('rotate');
    const outputs: string[] = [];
    try {
      const run = await runCli(['run', runbookFile, '-p', 'cluster=vault', '--id', runId, '--wait', '--json'], env);
      expect(run.code).toBe(0);
      outputs.push(run.stdout, run.stderr);
      for (const args of [
        ['status', runId],
        ['status', runId, '--json'],
        ['audit', runId, '--format', 'json'],
        ['audit', runId, '--format', 'markdown'],
        ['plan', runbookFile, '-p', 'cluster=vault'],
      ]) {
        const result = await runCli(args, env);
        expect(result.code, `ssmflow ${args.join(' ')}: ${result.stderr}`).toBe(0);
        outputs.push(result.stdout, result.stderr);
      }
    } finally {
      await worker.kill('SIGTERM');
    }
    const expected = readFileSync(join(testFleet.stateDir, 'instances', instanceId, 'password.sha256'), 'utf8');
    const { createHash } = await import('node:crypto');
    expect(expected.split(' ')[0]).toBe(createHash('sha256').update(SECRET).digest('hex'));

    const fetched = await stack.client.workflow.getHandle(runId).fetchHistory();
    const history = historyToJSON(fetched);
    const decodedPayloads = historyText(fetched);
    const logs = worker.output();
    expect(logs.length).toBeGreaterThan(0);
    const audit = outputs.join('\n');
    expect(audit).toContain("'****'");
    expect(audit).toContain('/vault/db-password');
    // What SSM itself keeps: the commands as sent (ListCommands shows their Parameters to anyone
    // allowed ssm:ListCommands), their invocations, and the fleet's stored command records.
    const listed: unknown[] = [];
    let NextToken: string | undefined;
    do {
      const page = await testFleet.ssm.send(new ListCommandsCommand({ MaxResults: 50, NextToken }));
      listed.push(...(page.Commands ?? []));
      NextToken = page.NextToken;
    } while (NextToken);
    const listCommands = JSON.stringify(listed);
    expect(listed.length).toBeGreaterThan(0);
    expect(listCommands).toContain('/vault/db-password');
    const invocations = JSON.stringify(
      (await testFleet.ssm.send(new ListCommandInvocationsCommand({ Details: true, MaxResults: 50 }))).CommandInvocations,
    );
    // The fleet's commands/<id>/command.json hold each command as sent (its Parameter Store, parameters.json, holds the value by design).
    const fleetRecords = readdirSync(join(testFleet.stateDir, 'commands'), { recursive: true, withFileTypes: true })
      .filter((entry) => entry.isFile() && entry.name.endsWith('.json'))
      .map((entry) => readFileSync(join(entry.parentPath, entry.name), 'utf8'))
      .join('\n');
    expect(fleetRecords).toContain('/vault/db-password');
    for (const [where, text] of Object.entries({
      history,
      decodedPayloads,
      logs,
      cliOutput: audit,
      listCommands,
      invocations,
      fleetRecords,
    })) {
      expect(text.includes(SECRET), `secret found in ${where}`).toBe(false);
    }
  });
});
