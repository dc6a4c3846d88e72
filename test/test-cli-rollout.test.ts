// `ssmflow rollout` end to end: the real CLI binary, a worker, the local fleet.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createTaggingClient } from '../aws/clients.js';
import { fleetClient, startTestFleet, type TestFleet } from '../fleet/test-support.js';
import type { RolloutState } from '../workflows/rollout-state.js';
import { runCli } from './harness/cli.js';
import { writeScratchFile } from './harness/scratch-file.js';
import { connectTestStack, uniqueId, type TestStack } from './harness/stack.js';

const clusters = ['ro-a', 'ro-b', 'ro-c'];
const instanceOf = (i: number) => `i-0d${String(i + 1).padStart(15, '0')}`;
// Tagged like the others but outside prod, with a name the runbook's cluster pattern refuses.
const labInstance = 'mi-0d0000000000000a1';

describe('ssmflow rollout', () => {
  let stack: TestStack;
  let testFleet: TestFleet;
  let runbookFile: string;
  beforeAll(async () => {
    stack = await connectTestStack();
    testFleet = await startTestFleet({
      instances: [
        ...clusters.map((cluster, i) => ({ id: instanceOf(i), tags: { Cluster: cluster, Env: 'prod' } })),
        // A second ro-c node: discovery counts instances per cluster.
        { id: instanceOf(9), tags: { Cluster: 'ro-c', Env: 'prod' } },
        { id: labInstance, tags: { Cluster: 'Lab_Box', Env: 'lab' } },
        { id: instanceOf(10) },
      ],
    });
    runbookFile = writeScratchFile(
      'rollout-cli-',
      'touch.yaml',
      `apiVersion: ssmflow/v1
name: touch-marker
parameters:
  cluster: { type: string, pattern: '^[a-z0-9-]+$' }
  marker: { type: string, default: done }
targets: { tags: { Cluster: '{{ cluster }}' } }
steps:
  - id: mark
    run: echo {{ marker }} > "$FLEET_INSTANCE_DIR/marker"
`,
    );
  });
  afterAll(async () => {
    await testFleet?.dispose();
    await stack?.close();
  });

  it('starts a rollout in waves, follows it to the end, and reports it per wave and per cluster', async () => {
    const { worker, taskQueue } = await stack.createWorker({
      dependencies: { s3: stack.s3, ssm: fleetClient(testFleet.fleet.endpoint, 3) },
    });
    const env = {
      TEMPORAL_ADDRESS: stack.temporalAddress,
      SSMFLOW_TASK_QUEUE: taskQueue,
      AWS_ENDPOINT_URL_SSM: testFleet.fleet.endpoint,
      SSMFLOW_USER: 'platform@example.com',
    };
    const rolloutId = uniqueId('cli-rollout');
    const [started, status] = await worker.runUntil(async () => {
      const run = await runCli(
        [
          'rollout',
          'start',
          runbookFile,
          '--clusters',
          clusters.join(','),
          '--waves',
          '1,100%',
          '--max-in-flight',
          '2',
          '-p',
          'marker=v2',
          '--id',
          rolloutId,
          '--wait',
          '--json',
        ],
        env,
      );
      return [run, await runCli(['rollout', 'status', rolloutId, '--json'], env)] as const;
    });
    expect(started.code).toBe(0);
    const final = started.json<RolloutState>();
    expect(final.status).toBe('succeeded');
    expect(final.waves.map((w) => [w.size, w.succeeded, w.failed])).toEqual([
      [1, 1, 0],
      [2, 2, 0],
    ]);
    expect(final.clusters.map((c) => [c.cluster, c.status, c.runId])).toEqual(clusters.map((c) => [c, 'succeeded', `${rolloutId}--${c}`]));
    expect(status.code).toBe(0);
    expect(status.json<RolloutState>().initiator).toBe('platform@example.com');
    const marked = testFleet.fleet.executions().filter((e) => e.comment.startsWith(`ssmflow:${rolloutId}--`));
    expect(marked.map((e) => e.instanceId).sort()).toEqual([...clusters.map((_, i) => instanceOf(i)), instanceOf(9)]);
  });

  it('discovers the clusters by tag: lists them, rolls across them, and refuses a discovery the runbook cannot take before sending anything', async () => {
    const tagging = createTaggingClient({ endpoint: testFleet.fleet.endpoint });
    const { worker, taskQueue } = await stack.createWorker({
      dependencies: { s3: stack.s3, ssm: fleetClient(testFleet.fleet.endpoint, 3), tagging },
    });
    const env = {
      TEMPORAL_ADDRESS: stack.temporalAddress,
      SSMFLOW_TASK_QUEUE: taskQueue,
      AWS_ENDPOINT_URL_SSM: testFleet.fleet.endpoint,
      AWS_ENDPOINT_URL_RESOURCE_GROUPS_TAGGING_API: testFleet.fleet.endpoint,
    };
    const rolloutId = uniqueId('cli-discover');
    const rejectedId = uniqueId('cli-discover-rejected');
    const [listed, table, started, rejected, rejectedStatus, shown] = await worker.runUntil(async () => {
      const json = await runCli(['rollout', 'discover', '--tag', 'Cluster', '--filter', 'Env=prod', '--json'], env);
      const text = await runCli(['rollout', 'discover', '--tag', 'Cluster'], env);
      const run = await runCli(
        [
          'rollout',
          'start',
          runbookFile,
          '--discover-tag',
          'Cluster',
          '--discover-filter',
          'Env=prod',
          '--waves',
          '1,100%',
          '--max-in-flight',
          '3',
          '--id',
          rolloutId,
          '--wait',
          '--json',
        ],
        env,
      );
      const refused = await runCli(['rollout', 'start', runbookFile, '--discover-tag', 'Cluster', '--id', rejectedId, '--wait'], env);
      return [
        json,
        text,
        run,
        refused,
        await runCli(['rollout', 'status', rejectedId, '--json'], env),
        await runCli(['rollout', 'status', rolloutId], env),
      ] as const;
    });
    tagging.destroy();

    expect(listed.code).toBe(0);
    expect(listed.json()).toEqual({
      tagKey: 'Cluster',
      clusters: [
        { name: 'ro-a', instances: 1 },
        { name: 'ro-b', instances: 1 },
        { name: 'ro-c', instances: 2 },
      ],
      instances: 4,
      emptyValueInstances: 0,
    });
    expect(table.code).toBe(0);
    expect(table.stdout).toMatch(/Lab_Box\s+1/);
    expect(table.stdout).toMatch(/4 clusters, 5 instances/);

    expect(started.code).toBe(0);
    const final = started.json<RolloutState>();
    expect(final.status).toBe('succeeded');
    expect(final.clusters.map((c) => [c.cluster, c.wave, c.status])).toEqual([
      ['ro-a', 0, 'succeeded'],
      ['ro-b', 1, 'succeeded'],
      ['ro-c', 1, 'succeeded'],
    ]);
    expect(final.discovery).toMatchObject({ tagKey: 'Cluster', tagFilters: [{ key: 'Env', values: ['prod'] }], clusters: 3, instances: 4 });
    expect(final.audit.find((a) => a.event === 'clusters-discovered')?.detail).toBe('3 clusters (4 instances) by tag Cluster, Env=prod');
    expect(shown.stdout).toMatch(/found {3}3 clusters \(4 instances\) by tag Cluster, Env=prod/);

    // Without the Env filter the lab box is found too; its name breaks the runbook's pattern, so nothing runs.
    expect(rejected.code).toBe(1);
    expect(rejected.stdout).toMatch(/1 of 4 clusters cannot run touch-marker, so no run was started: Lab_Box: cluster: /);
    const refusedState = rejectedStatus.json<RolloutState>();
    expect(refusedState.status).toBe('failed');
    expect(refusedState.clusters.every((c) => c.status === 'pending' && c.runId === undefined)).toBe(true);
    expect(testFleet.fleet.executions().filter((e) => e.comment.startsWith(`ssmflow:${rejectedId}`))).toEqual([]);
  });

  it('refuses bad rollout input with exit 2, naming the option', async () => {
    const env = { TEMPORAL_ADDRESS: stack.temporalAddress };
    const [badWaves, noClusters, badParameter, listAndTag, badTag] = await Promise.all([
      runCli(['rollout', 'start', runbookFile, '--clusters', 'ro-a', '--waves', 'ten'], env),
      runCli(['rollout', 'start', runbookFile], env),
      runCli(['rollout', 'start', runbookFile, '--clusters', 'ro-a,Not_Valid'], env),
      runCli(['rollout', 'start', runbookFile, '--clusters', 'ro-a', '--discover-tag', 'Cluster'], env),
      runCli(['rollout', 'start', runbookFile, '--discover-tag', 'Cluster#1'], env),
    ]);
    expect(listAndTag.code).toBe(2);
    expect(listAndTag.stderr).toMatch(/--discover-tag and a cluster list: give one of them/);
    expect(badTag.code).toBe(2);
    expect(badTag.stderr).toMatch(/--discover-tag: "Cluster#1" is not a tag key/);
    expect(badWaves.code).toBe(2);
    expect(badWaves.stderr).toMatch(/--waves: wave "ten" is neither a count/);
    expect(noClusters.code).toBe(2);
    expect(noClusters.stderr).toMatch(/no clusters: give --clusters/);
    expect(badParameter.code).toBe(2);
    expect(badParameter.stderr).toMatch(/parameter cluster/);
  });
});
