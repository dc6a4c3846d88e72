// bench/send-campaign: the long variant of test-reliability-send-campaign. Many runs at once while
// the fleet drops SendCommand answers after committing and lists new commands up to
// --listing-lag-ms late, and the worker is SIGKILLed at seeded random moments. Prints how many
// commands were sent, how the kills landed (by phase of the send path) and whether anything ran
// twice. Figures, never a pass/fail test.
//
//   npx tsx bench/send-campaign.ts [--runs 100] [--steps 6] [--kills 30] [--lifetime-ms 2000-6000]
//                                  [--drop 0.25] [--listing-lag-ms 10000] [--seed 1]
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { parseArgs } from 'node:util';
import { Client, Connection } from '@temporalio/client';
import { bundleWorkflowCode } from '@temporalio/worker';
import { localAwsEnvironment } from '../local/local-aws-env.js';
import { startTemporalDevServer } from '../local/temporal-dev-server.js';
import { fleetClient } from '../fleet/test-support.js';
import { startFleet } from '../fleet/server.js';
import { runSendCampaign } from '../test/harness/send-campaign.js';
import { spawnWorkerProcess } from '../test/harness/worker-process.js';
import { workflowsPath } from '../worker/workflow-source.js';

const { values: args } = parseArgs({
  options: {
    runs: { type: 'string', default: '100' },
    steps: { type: 'string', default: '6' },
    'lifetime-ms': { type: 'string', default: '2000-6000' },
    kills: { type: 'string', default: '30' },
    drop: { type: 'string', default: '0.25' },
    'listing-lag-ms': { type: 'string', default: '10000' },
    seed: { type: 'string', default: '1' },
  },
});
const runs = Number(args.runs);
const listingLagMs = Number(args['listing-lag-ms']);
Object.assign(process.env, localAwsEnvironment({}));

const temporal = await startTemporalDevServer();
const scratch = mkdtempSync(join(tmpdir(), 'bench-campaign-'));
const bundlePath = join(scratch, 'bundle.js');
writeFileSync(
  bundlePath,
  (await bundleWorkflowCode({ workflowsPath, logger: { log() {}, trace() {}, debug() {}, info() {}, warn() {}, error: console.error } }))
    .code,
);
const clusters = Array.from({ length: runs }, (_, i) => `bc${String(i + 1).padStart(3, '0')}`);
const fleet = await startFleet({
  stateDir: join(scratch, 'fleet'),
  config: {
    seed: Number(args.seed),
    instances: clusters.map((cluster) => ({ id: `i-0${cluster}`.padEnd(18, '0') + '1', tags: { Cluster: cluster } })),
    faults: { dropResponseAfterCommit: { SendCommand: Number(args.drop) }, listingLagMs },
  },
});
const connection = await Connection.connect({ address: temporal.address });
const ssm = fleetClient(fleet.endpoint, 3);
try {
  const taskQueue = `campaign-${Date.now()}`;
  console.error(
    `send campaign: ${runs} runs × ${args.steps} steps, ${args.drop} of answers dropped, listing lag ≤ ${listingLagMs} ms, ${args.kills} kills …`,
  );
  const report = await runSendCampaign({
    client: new Client({ connection }),
    fleet,
    ssm,
    taskQueue,
    spawnWorker: () =>
      spawnWorkerProcess({
        taskQueue,
        temporalAddress: temporal.address,
        workflowBundlePath: bundlePath,
        env: {
          SSMFLOW_TEST_PRODUCTION_WORKER: '1',
          SSMFLOW_LOG_LEVEL: 'debug',
          SSMFLOW_HTTP_ADDRESS: 'off',
          SSMFLOW_SDK_METRICS_ADDRESS: 'off',
          AWS_ENDPOINT_URL_SSM: fleet.endpoint,
          // The bound must exceed the worst listing lag the fleet shows.
          SSMFLOW_SSM_LISTING_LAG: `${Math.ceil(listingLagMs / 1000) + 2}s`,
        },
      }),
    clusters,
    steps: Number(args.steps),
    seed: Number(args.seed),
    workerLifetimeMs: (args['lifetime-ms'] ?? '').split('-').map(Number) as [number, number],
    kills: Number(args.kills),
    listingLagMs,
    idPrefix: `campaign-${Date.now()}`,
  });
  console.log(JSON.stringify(report, null, 2));
} finally {
  ssm.destroy();
  await fleet.stop();
  await connection.close();
  await temporal.stop();
  rmSync(scratch, { recursive: true, force: true });
}
process.exit(0);
