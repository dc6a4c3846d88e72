// `ssmflow dev` as a new user runs it: one command, then `ssmflow run runbooks/examples/hello.yaml`
// in another shell with the exports it printed. Its own Temporal dev server, S3 emulator and
// in-process fleet (any free ports, so nothing collides with the shared test server); one start.
import { spawn } from 'node:child_process';
import { existsSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { GetObjectCommand, ListObjectsV2Command } from '@aws-sdk/client-s3';
import { afterAll, describe, expect, it } from 'vitest';
import { createS3Client } from '../aws/clients.js';
import type { ExecutionRecord } from '../fleet/journal.js';
import { readRunningLocalStack, RUNNING_STACK_FILE } from '../local/running-stack.js';
import { runCli } from './harness/cli.js';
import { type LongRunningCli, startLongRunningCli } from './harness/long-running-cli.js';

const DEFAULT_INSTANCES = ['i-0de00000000000001', 'i-0de00000000000002', 'i-0de00000000000003'];

interface RunStatus {
  runId: string;
  status: string;
  steps: { id: string; status: string; instances: { instanceId: string; status: string; output?: string }[] }[];
}

describe('ssmflow dev: one command, then ssmflow run works at once', () => {
  const stateDir = mkdtempSync(join(tmpdir(), 'ssmflow-dev-'));
  let dev: LongRunningCli | undefined;

  afterAll(async () => {
    await dev?.stop();
    rmSync(stateDir, { recursive: true, force: true });
  });

  it(
    'starts Temporal, S3, the fleet and a worker; prints exports that run hello.yaml on the default instances; cleans up on SIGINT',
    { timeout: 300_000 },
    async () => {
      dev = startLongRunningCli([
        'dev',
        '--state-dir',
        stateDir,
        '--temporal-port',
        '0',
        '--ui-port',
        '0',
        '--s3-port',
        '0',
        '--fleet-port',
        '0',
      ]);
      const { child, exited } = dev;
      await dev.waitFor('Ctrl-C stops everything.', 'ssmflow dev to print its exports', 240_000);
      const output = dev.output();

      // Start-up output: one line for the bundle, none of webpack's module listing.
      expect(output).toMatch(/^workflow bundle built \(\d+\.\d MiB\) in \d+\.\d s$/m);
      expect(output).not.toMatch(/webpack|modules by path|\[built\]|asset workflow-bundle|Workflow bundle created/);
      expect(output).toMatch(
        /^Instances {2}3 instances, all Env=dev Role=app: i-0de00000000000001 \(Name=dev-1\), i-0de00000000000002 \(Name=dev-2\), i-0de00000000000003 \(Name=dev-3\)$/m,
      );
      const exports = dev.exports();
      expect(Object.keys(exports).sort()).toEqual(
        [
          'AWS_ACCESS_KEY_ID',
          'AWS_ENDPOINT_URL_RESOURCE_GROUPS_TAGGING_API',
          'AWS_ENDPOINT_URL_S3',
          'AWS_ENDPOINT_URL_SSM',
          'AWS_REGION',
          'AWS_SECRET_ACCESS_KEY',
          'SSMFLOW_OUTPUT_BUCKET',
          'SSMFLOW_TASK_QUEUE',
          'TEMPORAL_ADDRESS',
          'TEMPORAL_NAMESPACE',
        ].sort(),
      );
      expect(exports.AWS_ENDPOINT_URL_RESOURCE_GROUPS_TAGGING_API).toBe(exports.AWS_ENDPOINT_URL_SSM);

      // The record other local commands read, while it runs.
      expect(existsSync(join(stateDir, RUNNING_STACK_FILE))).toBe(true);
      const record = readRunningLocalStack(stateDir);
      expect(record).toMatchObject({
        pid: child.pid,
        temporal: { address: exports.TEMPORAL_ADDRESS, namespace: exports.TEMPORAL_NAMESPACE, ui: null },
        s3: { endpoint: exports.AWS_ENDPOINT_URL_S3, outputBucket: exports.SSMFLOW_OUTPUT_BUCKET },
        fleet: { endpoint: exports.AWS_ENDPOINT_URL_SSM, stateDir: join(stateDir, 'fleet') },
        taskQueue: exports.SSMFLOW_TASK_QUEUE,
        env: exports,
      });

      // Another shell: only the exports, as a user pastes them.
      const run = await runCli(['run', join('runbooks', 'examples', 'hello.yaml'), '--wait', '--json'], exports, 180_000);
      expect(run.code, `${run.stdout}\n${run.stderr}\ndev:\n${output}`).toBe(0);
      const status = run.json<RunStatus>();
      expect(status.status).toBe('succeeded');
      const uptime = status.steps.find((s) => s.id === 'uptime');
      expect(uptime?.status).toBe('succeeded');
      expect(uptime?.instances.map((i) => i.instanceId).sort()).toEqual(DEFAULT_INSTANCES);
      for (const inst of uptime?.instances ?? []) {
        expect(inst.status).toBe('Success');
        expect(inst.output).toMatch(new RegExp(`^s3://${exports.SSMFLOW_OUTPUT_BUCKET}/ssmflow/runs/${status.runId}/`));
      }
      // The fleet ran each instance's step once and uploaded its output to dev's S3 emulator.
      const journal = (await (await fetch(`${exports.AWS_ENDPOINT_URL_SSM}/_fleet/executions`)).json()) as ExecutionRecord[];
      expect(journal.map((e) => e.instanceId).sort()).toEqual(DEFAULT_INSTANCES);
      const s3 = createS3Client({ endpoint: exports.AWS_ENDPOINT_URL_S3 });
      try {
        const listed = await s3.send(
          new ListObjectsV2Command({ Bucket: exports.SSMFLOW_OUTPUT_BUCKET, Prefix: `ssmflow/runs/${status.runId}/` }),
        );
        const keys = (listed.Contents ?? []).map((o) => o.Key ?? '');
        for (const id of DEFAULT_INSTANCES) {
          const key = keys.find((k) => k.includes(`/${id}/`) && k.endsWith('/stdout'));
          expect(key, `stdout of ${id} among ${keys.join(', ')}`).toBeDefined();
          const stdout = await (
            await s3.send(new GetObjectCommand({ Bucket: exports.SSMFLOW_OUTPUT_BUCKET, Key: key }))
          ).Body?.transformToString();
          expect(stdout).toMatch(/load average/);
        }
      } finally {
        s3.destroy();
      }

      // A PostgreSQL cluster on dev's fleet, upgraded from the CLI as a user would (link strategy).
      const upgradeArgs = (cluster: string) => [
        'run',
        join('runbooks', 'postgres-major-upgrade.yaml'),
        '-p',
        `cluster=${cluster}`,
        '-p',
        'backupBucket=ssmflow-pg-backups',
        '-p',
        'scriptsDir=opt/ssmflow/postgres',
        '-p',
        'envFile=etc/ssmflow/postgres.env',
        '--reason',
        'CHG-1 try the upgrade',
      ];
      const lonely = await runCli(
        ['local', 'pg-cluster', 'create', 'pg-lonely', '--standbys', '0', '--state-dir', stateDir],
        exports,
        180_000,
      );
      expect(lonely.code, `${lonely.stdout}\n${lonely.stderr}`).toBe(0);
      // Bad input before any command: the runbook rebuilds standbys, and this cluster has none.
      const refused = await runCli(upgradeArgs('pg-lonely'), exports, 60_000);
      expect(refused.code).toBe(2);
      expect(refused.stderr).toMatch(
        /no instance matches tag:Cluster=pg-lonely AND tag:Role=standby \(step rebuild-standby\), so nothing was started/,
      );
      expect(refused.stderr).toMatch(/fix: .*Role=standby/);
      const downgrade = await runCli([...upgradeArgs('pg-lonely'), '-p', 'toVersion=15'], exports, 60_000);
      expect(downgrade.code).toBe(2);
      expect(downgrade.stderr).toMatch(/parameter toVersion: 15 must be above fromVersion \(16\)/);

      const created = await runCli(['local', 'pg-cluster', 'create', 'pg-cli', '--state-dir', stateDir], exports, 180_000);
      expect(created.code, created.stderr).toBe(0);
      expect(created.stdout).toMatch(/primary +i-\w+ +127\.0\.0\.1:\d+/);
      expect(created.stdout).toMatch(/standby +i-\w+/);
      expect(created.stdout).toMatch(/pooler +i-\w+/);
      // A major the hosts do not have: the read-only precheck stops the run before anything changes.
      const missing = await runCli([...upgradeArgs('pg-cli'), '-p', 'toVersion=19', '--wait', '--json'], exports, 120_000);
      expect(missing.code).toBe(1);
      const stopped = missing.json<RunStatus & { failure?: { stepId: string; message: string } }>();
      expect(stopped.status).toBe('failed');
      expect(stopped.failure?.stepId).toBe('precheck');
      expect(stopped.failure?.message).toMatch(/PostgreSQL 19 is not installed on this host/);
      expect(stopped.steps.filter((s) => s.status !== 'pending').map((s) => s.id)).toEqual(['precheck']);
      const started = await runCli([...upgradeArgs('pg-cli'), '--wait', '--json'], exports, 240_000);
      expect(started.code, `${started.stdout}\n${started.stderr}`).toBe(0);
      const waiting = started.json<RunStatus & { waitingFor?: { stepId: string; message: string } }>();
      expect(waiting.status).toBe('waiting-approval');
      expect(waiting.waitingFor?.stepId).toBe('approve-start');
      expect(waiting.waitingFor?.message).toMatch(/^POINT OF NO RETURN for pg-cli/);
      const approved = await runCli(
        ['approve', waiting.runId, '--as', 'lead@example.com', '--reason', 'pg_upgrade passed', '--wait', '--json'],
        exports,
        240_000,
      );
      expect(approved.code, `${approved.stdout}\n${approved.stderr}`).toBe(0);
      expect(approved.json<{ run: RunStatus }>().run.status).toBe('succeeded');
      const listed = await runCli(['local', 'pg-cluster', 'list', '--state-dir', stateDir], exports);
      expect(listed.stdout.trim().split('\n')).toEqual(['pg-cli', 'pg-lonely']);
      for (const name of ['pg-cli', 'pg-lonely'])
        expect((await runCli(['local', 'pg-cluster', 'remove', name, '--state-dir', stateDir], exports, 60_000)).code).toBe(0);

      // Ctrl-C: everything stops and the record is gone.
      child.kill('SIGINT');
      expect(await exited).toEqual({ code: 0, signal: null });
      expect(existsSync(join(stateDir, RUNNING_STACK_FILE))).toBe(false);
      expect(() => readRunningLocalStack(stateDir)).toThrow(/No local stack is running .*start it with `ssmflow dev --state-dir/);
      expect(dev.output()).toMatch(/SIGINT: stopping/);
    },
  );

  it('readRunningLocalStack refuses a record whose process is gone, saying how to start the stack', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'ssmflow-dev-stale-'));
    try {
      const gone = spawn(process.execPath, ['-e', '']);
      const pid = gone.pid;
      await new Promise((resolve) => gone.once('exit', resolve));
      const stale = {
        pid,
        startedAt: '2026-01-01T00:00:00Z',
        stateDir: dir,
        temporal: { address: '127.0.0.1:1', namespace: 'default', ui: null },
        s3: { endpoint: 'http://127.0.0.1:2', outputBucket: 'b' },
        fleet: { endpoint: 'http://127.0.0.1:3', stateDir: null },
        taskQueue: 'q',
        env: {},
      };
      writeFileSync(join(dir, RUNNING_STACK_FILE), JSON.stringify(stale));
      expect(() => readRunningLocalStack(dir)).toThrow(new RegExp(`pid ${pid}.*is not running any more: start it with \`ssmflow dev`));
      writeFileSync(join(dir, RUNNING_STACK_FILE), '{"pid": "x"}');
      expect(() => readRunningLocalStack(dir)).toThrow(/is not a local stack record.*ssmflow dev/);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });
});
