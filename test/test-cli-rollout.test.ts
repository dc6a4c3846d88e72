// `ssmflow rollout` end to end: the real CLI binary, a worker, the local fleet.
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { fleetClient, startTestFleet, type TestFleet } from '../fleet/test-support.js';
import type { RolloutState } from '../workflows/rollout-state.js';
import { runCli } from './harness/cli.js';
import { connectTestStack, uniqueId, type TestStack } from './harness/stack.js';

const clusters = ['ro-a', 'ro-b', 'ro-c'];
const instanceOf = (i: number) => `i-0d${String(i + 1).padStart(15, '0')}`;

describe('ssmflow rollout', () => {
  let stack: TestStack;
  let testFleet: TestFleet;
  let runbookFile: string;
  beforeAll(async () => {
    stack = await connectTestStack();
    testFleet = await startTestFleet({ instances: clusters.map((cluster, i) => ({ id: instanceOf(i), tags: { Cluster: cluster } })) });
    runbookFile = join(mkdtempSync(join(tmpdir(), 'rollout-cli-')), 'touch.yaml');
    writeFileSync(
      runbookFile,
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
    const { worker, taskQueue } = await stack.createWorker({ dependencies: { s3: stack.s3, ssm: fleetClient(testFleet.fleet.endpoint, 3) } });
    const env = { TEMPORAL_ADDRESS: stack.temporalAddress, SSMFLOW_TASK_QUEUE: taskQueue, AWS_ENDPOINT_URL_SSM: testFleet.fleet.endpoint, SSMFLOW_USER: 'platform@example.com' };
    const rolloutId = uniqueId('cli-rollout');
    const [started, status] = await worker.runUntil(async () => {
      const run = await runCli(['rollout', 'start', runbookFile, '--clusters', clusters.join(','), '--waves', '1,100%', '--max-in-flight', '2', '-p', 'marker=v2', '--id', rolloutId, '--wait', '--json'], env);
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
    expect(marked.map((e) => e.instanceId).sort()).toEqual(clusters.map((_, i) => instanceOf(i)));
  });

  it('refuses bad rollout input with exit 2, naming the option', async () => {
    const env = { TEMPORAL_ADDRESS: stack.temporalAddress };
    const [badWaves, noClusters, badParameter] = await Promise.all([
      runCli(['rollout', 'start', runbookFile, '--clusters', 'ro-a', '--waves', 'ten'], env),
      runCli(['rollout', 'start', runbookFile], env),
      runCli(['rollout', 'start', runbookFile, '--clusters', 'ro-a,Not_Valid'], env),
    ]);
    expect(badWaves.code).toBe(2);
    expect(badWaves.stderr).toMatch(/--waves: wave "ten" is neither a count/);
    expect(noClusters.code).toBe(2);
    expect(noClusters.stderr).toMatch(/no clusters: give --clusters/);
    expect(badParameter.code).toBe(2);
    expect(badParameter.stderr).toMatch(/parameter cluster/);
  });
});
