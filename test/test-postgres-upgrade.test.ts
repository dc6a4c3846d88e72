// The postgres-major-upgrade runbook's scripts against real PostgreSQL servers on the local
// fleet, driven through the stock SSM client in runbook order (no workflow engine): the commands
// sent are the runbook's own steps, rendered with the local cluster's parameters.
import { existsSync, mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { GetCommandInvocationCommand, SendCommandCommand } from '@aws-sdk/client-ssm';
import { ListObjectsV2Command, S3Client } from '@aws-sdk/client-s3';
import { afterAll, beforeAll, beforeEach, describe, expect, inject, it } from 'vitest';
import { createLocalPostgresCluster, type LocalPostgresCluster, type LocalPostgresClusterOptions, setInjectedFailure } from '../local/postgres-cluster.js';
import { startTestFleet, type TestFleet, waitForCommand } from '../fleet/test-support.js';
import { loadRunbookFile } from '../runbook/load-file.js';
import { resolveParameterValues } from '../runbook/parameters.js';
import { renderStep } from '../runbook/render.js';
import type { RenderedStep } from '../runbook/types.js';
import { expectSourceServesIntact as expectSourceServesIntactFor, snapshot, sql } from './harness/postgres-data.js';

const CLUSTER = 'pg-upgrade-test';
const BUCKET = 'pg-upgrade-test-backups';
const FROM = 15;
const TO = 17;
/** The runbook's steps that change something, each with the script that undoes it. */
const CHANGING_STEPS = ['stop-writes', 'migrate', 'cutover'] as const;

interface StepResult {
  status: string;
  invocations: Array<{ instanceId: string; status: string; stdout: string; stderr: string }>;
}

let clusterOptions: LocalPostgresClusterOptions;
let cluster: LocalPostgresCluster;
let testFleet: TestFleet;
let steps: Map<string, RenderedStep>;
let original: Map<string, string>;

async function send(commands: string[]): Promise<StepResult> {
  const sent = await testFleet.ssm.send(
    new SendCommandCommand({
      DocumentName: 'AWS-RunShellScript',
      Targets: [{ Key: 'tag:Cluster', Values: [CLUSTER] }],
      Parameters: { commands },
      MaxConcurrency: '100%',
      MaxErrors: '0',
    }),
  );
  const commandId = sent.Command?.CommandId ?? '';
  const command = await waitForCommand(testFleet.ssm, commandId, 180_000);
  const invocations = await Promise.all(
    cluster.instances.map(async ({ id }) => {
      const inv = await testFleet.ssm.send(new GetCommandInvocationCommand({ CommandId: commandId, InstanceId: id }));
      return { instanceId: id, status: inv.Status ?? '', stdout: inv.StandardOutputContent ?? '', stderr: inv.StandardErrorContent ?? '' };
    }),
  );
  return { status: command.Status ?? '', invocations };
}

function commandsOf(id: string, which: 'run' | 'rollback'): string[] {
  const step = steps.get(id);
  if (!step || step.kind !== 'run') throw new Error(`no run step ${id}`);
  if (which === 'run') return step.commands;
  if (step.rollback?.kind !== 'run') throw new Error(`step ${id} has no rollback`);
  return step.rollback.commands;
}

async function runStep(id: string, which: 'run' | 'rollback' = 'run'): Promise<StepResult> {
  return send(commandsOf(id, which));
}

/** Runs a step and fails the test with its output unless it succeeded everywhere. */
async function expectStepSucceeds(id: string, which: 'run' | 'rollback' = 'run'): Promise<StepResult> {
  const result = await runStep(id, which);
  const detail = result.invocations.map((i) => `${i.instanceId} ${i.status}\n${i.stdout}\n${i.stderr}`).join('\n');
  expect(result.status, `${which} of ${id}:\n${detail}`).toBe('Success');
  return result;
}

/** The runbook's run steps in order, up to and including `last` (the approval is the engine's). */
function stepsUpTo(last: string): string[] {
  const ids = [...steps.values()].filter((s) => s.kind === 'run').map((s) => s.id);
  return ids.slice(0, ids.indexOf(last) + 1);
}

async function expectSourceServesIntact(): Promise<void> {
  await expectSourceServesIntactFor(cluster, FROM, original);
}

beforeAll(async () => {
  const stateDir = mkdtempSync(join(tmpdir(), 'pg-upgrade-test-'));
  clusterOptions = { cluster: CLUSTER, stateDir, instances: 2, fromVersion: FROM, s3Endpoint: inject('s3Endpoint'), backupBucket: BUCKET, seedScale: 1 };
  cluster = await createLocalPostgresCluster(clusterOptions);
  testFleet = await startTestFleet({ instances: cluster.instances, invocationVisibilityDelayMs: 50 }, { stateDir });

  const loaded = await loadRunbookFile(new URL('../runbooks/postgres-major-upgrade.yaml', import.meta.url).pathname);
  if ('errors' in loaded) throw new Error(loaded.errors.map((e) => e.message).join('\n'));
  const { scriptsDir, envFile } = cluster.runbookParameters;
  const resolved = resolveParameterValues(loaded.normalized, { cluster: CLUSTER, fromVersion: FROM, toVersion: TO, backupBucket: BUCKET, scriptsDir, envFile });
  if ('errors' in resolved) throw new Error(resolved.errors.map((e) => e.message).join('\n'));
  steps = new Map(loaded.normalized.steps.map((step) => [step.id, renderStep(step, resolved.values)]));
  original = await snapshot(cluster, cluster.members[0]!.port);
});

afterAll(async () => {
  await cluster?.stop();
  await testFleet?.dispose();
});

describe('postgres-major-upgrade scripts on the local fleet', () => {
  beforeEach(async () => {
    // Back to a seeded, writable PostgreSQL 15 on every member (reused when a test left it so).
    cluster = await createLocalPostgresCluster(clusterOptions);
  });

  it('seeds every member with the same data', async () => {
    expect(cluster.instances.map((i) => i.tags.Role)).toEqual(['primary', 'replica']);
    expect(original.size).toBe(5);
    const rows = [...original.values()].reduce((sum, v) => sum + Number(v.split(' ')[0]), 0);
    expect(rows).toBeGreaterThan(40_000);
    expect(await snapshot(cluster, cluster.members[1]!.port)).toEqual(original);
  });

  it.each(CHANGING_STEPS)('rolls back cleanly after %s', async (changing) => {
    const done = stepsUpTo(changing);
    for (const id of done) await expectStepSucceeds(id);

    for (const member of cluster.members) {
      if (changing === 'stop-writes') {
        await expect(sql(cluster, member.port, 'reporting', "INSERT INTO daily_totals VALUES (date '1999-01-01', 1, 'probe')")).rejects.toThrow(/read-only transaction/);
      }
      if (changing === 'cutover') expect(await sql(cluster, member.port, 'postgres', 'SHOW server_version')).toMatch(new RegExp(`^${TO}\\.`));
    }

    const rollbacks = done.filter((id) => steps.get(id)?.kind === 'run' && (steps.get(id) as { rollback?: unknown }).rollback).reverse();
    for (const id of rollbacks) {
      await expectStepSucceeds(id, 'rollback');
      // Rollbacks may be delivered twice: the second run must be harmless (after cutover every
      // rollback runs, so that case checks them all).
      if (changing === 'cutover') await expectStepSucceeds(id, 'rollback');
    }
    await expectSourceServesIntact();
    for (const member of cluster.members) expect(existsSync(join(member.dataRoot, String(TO)))).toBe(false);
  });

  it('verify reports a table that differs and refuses the cutover', async () => {
    for (const id of stepsUpTo('migrate')) await expectStepSucceeds(id);
    const primary = cluster.members[0]!;
    // Tamper with the target on the staging port, behind the scripts' back.
    await sql(cluster, primary.stagingPort, 'app', "UPDATE products SET title = title || ' (changed)' WHERE sku = 'SKU-00001'");

    const verify = await runStep('verify');
    expect(verify.status).toBe('Failed');
    const failed = verify.invocations.find((i) => i.instanceId === primary.instanceId)!;
    const line = failed.stdout.split('\n').find((l) => l.startsWith('VERIFY '));
    const summary = JSON.parse(line!.slice('VERIFY '.length)) as { ok: boolean; mismatches: Array<{ database: string; relation: string }> };
    expect(summary.ok).toBe(false);
    expect(summary.mismatches).toEqual([expect.objectContaining({ database: 'app', relation: 'table public.products' })]);
    expect(failed.stderr).toContain('source and target differ');

    // The replica passed verify, so only the primary refuses: the step fails as a whole but went
    // through on the replica, and the engine rolls back completed steps only (not cutover).
    const cutover = await runStep('cutover');
    expect(cutover.status).toBe('Failed');
    expect(cutover.invocations.map((i) => i.status)).toEqual(['Failed', 'Success']);
    expect(cutover.invocations[0]!.stderr).toContain('has not passed verify');

    await expectStepSucceeds('migrate', 'rollback');
    await expectStepSucceeds('stop-writes', 'rollback');
    await expectSourceServesIntact();
  });

  it.each(['migrate'])('the test-only switch makes exactly %s fail, with its message', async (failing) => {
    setInjectedFailure(cluster, failing, true);
    try {
      const before = stepsUpTo(failing).slice(0, -1);
      for (const id of before) await expectStepSucceeds(id);
      const result = await runStep(failing);
      expect(result.status).toBe('Failed');
      for (const inv of result.invocations) {
        expect(inv.status).toBe('Failed');
        expect(inv.stderr).toContain(`ssmflow ${failing} FAILED: injected test failure`);
      }
      // It failed before changing anything: still PostgreSQL 15 on the service port.
      for (const member of cluster.members) expect(await sql(cluster, member.port, 'postgres', 'SHOW server_version')).toMatch(new RegExp(`^${FROM}\\.`));
    } finally {
      setInjectedFailure(cluster, failing, false);
    }
    const rollbacks = stepsUpTo(failing)
      .slice(0, -1)
      .filter((id) => (steps.get(id) as { rollback?: unknown }).rollback)
      .reverse();
    for (const id of rollbacks) await expectStepSucceeds(id, 'rollback');
    await expectSourceServesIntact();
  });

  it(`upgrades ${FROM} to ${TO}: every step twice, data equal to the source`, async () => {
    const outputs = new Map<string, StepResult>();
    for (const id of stepsUpTo('cleanup')) {
      outputs.set(id, await expectStepSucceeds(id));
      // SSM may deliver a retried step again: a second run must succeed and change nothing.
      await expectStepSucceeds(id);
    }

    const verifyLine = outputs.get('verify')!.invocations[0]!.stdout.split('\n').find((l) => l.startsWith('VERIFY '))!;
    expect(JSON.parse(verifyLine.slice('VERIFY '.length))).toMatchObject({ ok: true, from: FROM, to: TO, databases: 3, mismatchCount: 0 });

    for (const member of cluster.members) {
      expect(await sql(cluster, member.port, 'postgres', 'SHOW server_version')).toMatch(new RegExp(`^${TO}\\.`));
      expect(await snapshot(cluster, member.port)).toEqual(original);
      // The view, the identity column and the standalone sequence carry on where they were.
      expect(await sql(cluster, member.port, 'app', 'SELECT count(*) FROM customer_totals')).toBe('8000');
      expect(await sql(cluster, member.port, 'app', "INSERT INTO customers (name, email, created_at) VALUES ('Ødegård', 'new@example.test', now()) RETURNING id")).toBe('8001');
      expect(await sql(cluster, member.port, 'app', "SELECT nextval('order_number_seq')")).toBe('175000');
      // cleanup removed the old cluster's data; the new one is the only one left.
      expect(existsSync(member.sourceDataDir)).toBe(false);
    }

    const s3 = new S3Client({ endpoint: inject('s3Endpoint'), region: 'us-east-1', forcePathStyle: true });
    try {
      for (const member of cluster.members) {
        const listed = await s3.send(new ListObjectsV2Command({ Bucket: BUCKET, Prefix: `postgres-upgrades/${CLUSTER}/${member.instanceId}/pg${FROM}-` }));
        expect(listed.Contents?.length ?? 0).toBeGreaterThanOrEqual(2);
        expect(listed.Contents?.every((object) => (object.Size ?? 0) > 100_000)).toBe(true);
      }
    } finally {
      s3.destroy();
    }
  });
});
