// The postgres-major-upgrade runbook's scripts against a real local cluster (primary, streaming
// standby, PgBouncer) through the stock SSM client in runbook order, without the engine: each
// command is the runbook's own step, rendered with the cluster's parameters and sent to the
// step's targets. What the engine adds (approvals, rollback order, failure policy) is covered by
// test-postgres-migration-run.test.ts.
import { existsSync, mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { GetCommandInvocationCommand, ListCommandInvocationsCommand, SendCommandCommand } from '@aws-sdk/client-ssm';
import { afterAll, beforeAll, beforeEach, describe, expect, inject, it } from 'vitest';
import { createLocalPostgresCluster, type LocalPostgresCluster, type LocalPostgresClusterOptions } from '../local/postgres-cluster.js';
import { startTestFleet, type TestFleet, waitForCommand } from '../fleet/test-support.js';
import { loadRunbookFile } from '../runbook/load-file.js';
import { resolveParameterValues } from '../runbook/parameters.js';
import { renderStep } from '../runbook/render.js';
import { selectSteps } from '../runbook/step-conditions.js';
import type { NormalizedRunbook, RenderedRunStep } from '../runbook/types.js';
import { expectSourceServesIntact, expectStandbysStreaming, snapshot, sql } from './harness/postgres-data.js';

const CLUSTER = 'pg-scripts-test';
const BUCKET = 'pg-scripts-test-backups';
const FROM = 16;
const TO = 17;

interface StepResult {
  status: string;
  invocations: Array<{ instanceId: string; status: string; stdout: string; stderr: string }>;
}

let clusterOptions: LocalPostgresClusterOptions;
let cluster: LocalPostgresCluster;
let testFleet: TestFleet;
let runbook: NormalizedRunbook;
let original: Map<string, string>;

/** The runbook's command steps for a strategy, rendered for this cluster, in order. */
function stepsOf(
  strategy: 'link' | 'dump' | 'online',
  on: LocalPostgresCluster = cluster,
  versions = { from: FROM, to: TO },
): RenderedRunStep[] {
  const { scriptsDir, envFile } = on.runbookParameters;
  const resolved = resolveParameterValues(runbook, {
    cluster: on.cluster,
    strategy,
    fromVersion: versions.from,
    toVersion: versions.to,
    backupBucket: BUCKET,
    scriptsDir,
    envFile,
  });
  if ('errors' in resolved) throw new Error(resolved.errors.map((e) => e.message).join('\n'));
  return selectSteps(runbook, resolved.values)
    .steps.map((step) => renderStep(step, resolved.values))
    .filter((step): step is RenderedRunStep => step.kind === 'run');
}

async function send(step: RenderedRunStep, which: 'run' | 'rollback'): Promise<StepResult> {
  const commands = which === 'run' ? step.commands : step.rollback?.kind === 'run' ? step.rollback.commands : [];
  if (!('tags' in step.targets)) throw new Error(`step ${step.id} targets instance ids`);
  const sent = await testFleet.ssm.send(
    new SendCommandCommand({
      DocumentName: 'AWS-RunShellScript',
      Targets: Object.entries(step.targets.tags).map(([key, values]) => ({ Key: `tag:${key}`, Values: values })),
      Parameters: { commands },
      MaxConcurrency: '100%',
      MaxErrors: '0',
    }),
  );
  const commandId = sent.Command?.CommandId ?? '';
  const command = await waitForCommand(testFleet.ssm, commandId, 180_000);
  const listed = await testFleet.ssm.send(new ListCommandInvocationsCommand({ CommandId: commandId }));
  const invocations = await Promise.all(
    (listed.CommandInvocations ?? []).map(async ({ InstanceId }) => {
      const inv = await testFleet.ssm.send(new GetCommandInvocationCommand({ CommandId: commandId, InstanceId }));
      return {
        instanceId: InstanceId ?? '',
        status: inv.Status ?? '',
        stdout: inv.StandardOutputContent ?? '',
        stderr: inv.StandardErrorContent ?? '',
      };
    }),
  );
  return { status: command.Status ?? '', invocations };
}

/** Runs a step (or its rollback) and fails the test with its output unless it succeeded everywhere. */
async function expectStepSucceeds(step: RenderedRunStep, which: 'run' | 'rollback' = 'run'): Promise<StepResult> {
  const result = await send(step, which);
  const detail = result.invocations.map((i) => `${i.instanceId} ${i.status}\n${i.stdout}\n${i.stderr}`).join('\n');
  expect(result.status, `${which} of ${step.id}:\n${detail}`).toBe('Success');
  expect(result.invocations.length, `${step.id} reached no instance`).toBeGreaterThan(0);
  return result;
}

const upTo = (steps: RenderedRunStep[], last: string) => steps.slice(0, steps.findIndex((s) => s.id === last) + 1);

beforeAll(async () => {
  const stateDir = mkdtempSync(join(tmpdir(), 'pg-scripts-test-'));
  clusterOptions = {
    cluster: CLUSTER,
    stateDir,
    standbys: 1,
    fromVersion: FROM,
    s3Endpoint: inject('s3Endpoint'),
    backupBucket: BUCKET,
    seedScale: 1,
  };
  cluster = await createLocalPostgresCluster(clusterOptions);
  testFleet = await startTestFleet({ instances: cluster.instances, invocationVisibilityDelayMs: 50 }, { stateDir });
  const loaded = await loadRunbookFile(new URL('../runbooks/postgres-major-upgrade.yaml', import.meta.url).pathname);
  if ('errors' in loaded) throw new Error(loaded.errors.map((e) => e.message).join('\n'));
  runbook = loaded.normalized;
  original = await snapshot(cluster, cluster.clientPort);
});

afterAll(async () => {
  await cluster?.stop();
  await testFleet?.dispose();
});

describe('postgres-major-upgrade scripts on a local primary + standby + PgBouncer', () => {
  beforeEach(async () => {
    // Back to a seeded, writable PostgreSQL 16 (reused when a test left it so).
    cluster = await createLocalPostgresCluster(clusterOptions);
  });

  it('the local cluster is a primary, a streaming standby with the same data, and a PgBouncer in front', async () => {
    expect(cluster.instances.map((i) => i.tags.Role)).toEqual(['primary', 'standby', 'pooler']);
    expect(original.size).toBe(5);
    const rows = [...original.values()].reduce((sum, v) => sum + Number(v.split(' ')[0]), 0);
    expect(rows).toBeGreaterThan(40_000);
    expect(await snapshot(cluster, cluster.primary.port)).toEqual(original);
    await expectStandbysStreaming(cluster, FROM);
    expect(await snapshot(cluster, cluster.standbys[0]!.port)).toEqual(original);
  });

  it(`link: upgrades ${FROM} to ${TO} with every step run twice (SSM may deliver a step again)`, async () => {
    const outputs = new Map<string, StepResult>();
    for (const step of stepsOf('link')) {
      outputs.set(step.id, await expectStepSucceeds(step));
      await expectStepSucceeds(step);
    }
    expect(outputs.get('pg-upgrade')!.invocations[0]!.stdout).toMatch(/pg_upgrade --link PostgreSQL 16 -> 17 in \d+s/);
    expect(await sql(cluster, cluster.clientPort, 'postgres', 'SHOW server_version')).toMatch(new RegExp(`^${TO}\\.`));
    expect(await snapshot(cluster, cluster.clientPort)).toEqual(original);
    await expectStandbysStreaming(cluster, TO);
    expect(existsSync(cluster.primary.sourceDataDir)).toBe(false);
    expect(existsSync(cluster.standbys[0]!.sourceDataDir)).toBe(false);
  });

  it('link: after pg-upgrade every rollback, run twice, gives the old cluster back', async () => {
    const done = upTo(stepsOf('link'), 'pg-upgrade');
    for (const step of done) await expectStepSucceeds(step);
    expect(existsSync(join(cluster.primary.sourceDataDir, 'global', 'pg_control.old'))).toBe(true);
    for (const step of done.filter((s) => s.rollback).reverse()) {
      await expectStepSucceeds(step, 'rollback');
      await expectStepSucceeds(step, 'rollback');
    }
    await expectSourceServesIntact(cluster, FROM, original);
    expect(existsSync(join(cluster.primary.dataRoot, String(TO)))).toBe(false);
  });

  it('link: once the new primary has started, the rollback scripts refuse', async () => {
    const steps = stepsOf('link');
    for (const step of upTo(steps, 'start-new-primary')) await expectStepSucceeds(step);
    const undo = await send(
      steps.find((s) => s.id === 'pg-upgrade')!,
      'rollback',
    );
    expect(undo.status).toBe('Failed');
    expect(undo.invocations[0]!.stdout + undo.invocations[0]!.stderr).toMatch(/point of no return/);
    for (const step of steps.slice(steps.findIndex((s) => s.id === 'resume-writes'))) await expectStepSucceeds(step);
    expect(await snapshot(cluster, cluster.clientPort)).toEqual(original);
  });

  it('online: cleanup-replication and retire-old run out of order refuse, and the rollbacks give the old cluster back', async () => {
    const steps = stepsOf('online');
    const named = (id: string) => steps.find((s) => s.id === id)!;
    for (const step of upTo(steps, 'subscribe')) await expectStepSucceeds(step);
    const retire = await send(named('retire-old'), 'run');
    expect(retire.status).toBe('Failed');
    expect(retire.invocations[0]!.stderr).toMatch(/has not been cleaned up .*refusing to retire it/);
    const cleanup = await send(named('cleanup-replication'), 'run');
    expect(cleanup.status).toBe('Failed');
    expect(cleanup.invocations[0]!.stderr).toMatch(/the cut-over has not happened, so the old cluster still serves/);
    for (const step of upTo(steps, 'subscribe')
      .filter((s) => s.rollback)
      .reverse()) {
      await expectStepSucceeds(step, 'rollback');
      await expectStepSucceeds(step, 'rollback');
    }
    await expectSourceServesIntact(cluster, FROM, original);
    expect(
      await sql(cluster, cluster.primary.port, 'postgres', "SELECT count(*) FROM pg_replication_slots WHERE slot_type = 'logical'"),
    ).toBe('0');
  });

  it('dump: verify reports a table that differs and cutover refuses', async () => {
    const steps = stepsOf('dump');
    for (const step of upTo(steps, 'migrate')) await expectStepSucceeds(step);
    // Tamper with the target on the staging port, behind the scripts' back.
    await sql(cluster, cluster.primary.stagingPort, 'app', "UPDATE products SET title = title || ' (changed)' WHERE sku = 'SKU-00001'");
    const verify = await send(
      steps.find((s) => s.id === 'verify')!,
      'run',
    );
    expect(verify.status).toBe('Failed');
    const line = verify.invocations[0]!.stdout.split('\n').find((l) => l.startsWith('VERIFY '));
    const summary = JSON.parse(line!.slice('VERIFY '.length)) as { ok: boolean; mismatches: Array<{ database: string; relation: string }> };
    expect(summary.ok).toBe(false);
    expect(summary.mismatches).toEqual([expect.objectContaining({ database: 'app', relation: 'table public.products' })]);
    const cutover = await send(
      steps.find((s) => s.id === 'cutover')!,
      'run',
    );
    expect(cutover.status).toBe('Failed');
    for (const step of upTo(steps, 'migrate')
      .filter((s) => s.rollback)
      .reverse())
      await expectStepSucceeds(step, 'rollback');
    await expectSourceServesIntact(cluster, FROM, original);
  });

  it(`dump: upgrades ${FROM} to ${TO} with every step run twice`, async () => {
    for (const step of stepsOf('dump')) {
      await expectStepSucceeds(step);
      await expectStepSucceeds(step);
    }
    expect(await sql(cluster, cluster.clientPort, 'postgres', 'SHOW server_version')).toMatch(new RegExp(`^${TO}\\.`));
    expect(await snapshot(cluster, cluster.clientPort)).toEqual(original);
    await expectStandbysStreaming(cluster, TO);
  });

  it("link: upgrades 17 to 18, giving the new cluster the old one's data checksum setting (18 turns them on by default)", async () => {
    const older = await createLocalPostgresCluster({ ...clusterOptions, cluster: 'pg-scripts-17', fromVersion: 17 });
    try {
      testFleet.fleet.registerInstances(older.instances);
      const before = await snapshot(older, older.clientPort);
      expect(await sql(older, older.primary.port, 'postgres', 'SHOW data_checksums')).toBe('off');
      for (const step of stepsOf('link', older, { from: 17, to: 18 })) await expectStepSucceeds(step);
      expect(await sql(older, older.clientPort, 'postgres', 'SHOW server_version')).toMatch(/^18\./);
      expect(await sql(older, older.clientPort, 'postgres', 'SHOW data_checksums')).toBe('off');
      expect(await snapshot(older, older.clientPort)).toEqual(before);
      await expectStandbysStreaming(older, 18);
    } finally {
      await older.stop();
    }
  });
});
