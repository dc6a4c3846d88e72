// The send path under the faults real SSM can show, all at once: SendCommand answers dropped after
// the command was created, new commands listed up to seconds late, and the worker SIGKILLed at
// seeded random moments. Every (step, instance) must run exactly once, every command created must
// be the one its run waited on, and the kills must have landed in the send path.
// A longer variant with figures: `npx tsx bench/send-campaign.ts`.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startTestFleet, type TestFleet } from '../fleet/test-support.js';
import { runSendCampaign } from './harness/send-campaign.js';
import { connectTestStack, uniqueId, type TestStack } from './harness/stack.js';
import { spawnWorkerProcess } from './harness/worker-process.js';

const clusters = Array.from({ length: 40 }, (_, i) => `sc${String(i + 1).padStart(2, '0')}`);
const instanceOf = (cluster: string) => `i-0${cluster}`.padEnd(18, '0') + '1';

describe('send once under lost answers, listing lag and worker kills', () => {
  let stack: TestStack;
  let testFleet: TestFleet;
  beforeAll(async () => {
    stack = await connectTestStack();
    testFleet = await startTestFleet({
      seed: 2026,
      instances: clusters.map((cluster) => ({ id: instanceOf(cluster), tags: { Cluster: cluster } })),
      faults: { dropResponseAfterCommit: { SendCommand: 0.25 }, listingLagMs: 4_000 },
    });
  });
  afterAll(async () => {
    await testFleet?.dispose();
    await stack?.close();
  });

  it('200 sends (40 runs × 5 steps): each step ran exactly once per instance, no key got two commands, none was left unawaited', async () => {
    const taskQueue = uniqueId('tq-campaign');
    const report = await runSendCampaign({
      client: stack.client,
      fleet: testFleet.fleet,
      ssm: testFleet.ssm,
      taskQueue,
      spawnWorker: () =>
        spawnWorkerProcess({
          taskQueue,
          env: {
            SSMFLOW_TEST_PRODUCTION_WORKER: '1',
            SSMFLOW_LOG_LEVEL: 'debug',
            SSMFLOW_HTTP_ADDRESS: 'off',
            SSMFLOW_SDK_METRICS_ADDRESS: 'off',
            AWS_ENDPOINT_URL_SSM: testFleet.fleet.endpoint,
            AWS_ENDPOINT_URL_S3: stack.s3Endpoint,
            // Above the fleet's 4 s listing lag: the bound the protocol relies on.
            SSMFLOW_SSM_LISTING_LAG: '6s',
          },
        }),
      clusters,
      steps: 5,
      seed: 20261204,
      // Short enough that a campaign on a quiet machine (about 50 s) still sees a dozen kills;
      // orphaned activities are picked up by the next worker after the 3 s heartbeat timeout.
      workerLifetimeMs: [2_000, 4_500],
      kills: 12,
      listingLagMs: 4_000,
      idPrefix: uniqueId('campaign'),
    });
    console.log(`send campaign: ${JSON.stringify(report)}`);
    expect(report.failures).toEqual([]);
    expect(report.succeeded).toBe(clusters.length);
    expect(report.commandsCreated).toBe(clusters.length * 5);
    expect(report.duplicateKeys).toEqual([]);
    expect(report.notExactlyOnce).toEqual([]);
    expect(report.unawaited).toEqual([]);
    // The kills hit the send path, in the send and while waiting at least.
    expect(report.kills).toBeGreaterThanOrEqual(6);
    expect(report.idleKills).toBeLessThanOrEqual(report.kills / 2);
    expect(report.phases['in the send']).toBeGreaterThan(0);
    expect(report.phases['while waiting']).toBeGreaterThan(0);
  }, 600_000);
});
