// bench/soak: many concurrent runs on one worker, round after round, sampling the worker's memory
// after each round, to show whether it grows without bound. Bounded: it stops by itself.
//
//   npx tsx bench/soak.ts [--rounds 10] [--runs 50] [--instances 50]
//
// Prints a table (round, wall time, worker RSS) and the RSS growth over the second half of the
// rounds, where caches have filled. Never a pass/fail test.
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { parseArgs } from 'node:util';
import { Client, Connection } from '@temporalio/client';
import { bundleWorkflowCode } from '@temporalio/worker';
import { localAwsEnvironment } from '../local/local-aws-env.js';
import { startTemporalDevServer } from '../local/temporal-dev-server.js';
import { startRun } from '../client/runs.js';
import { startFleet } from '../fleet/server.js';
import { parseRunbook } from '../runbook/load.js';
import { workflowsPath } from '../worker/workflow-source.js';
import { spawnBenchWorker } from './bench-worker-process.js';

const { values: args } = parseArgs({
  options: {
    rounds: { type: 'string', default: '10' },
    runs: { type: 'string', default: '50' },
    instances: { type: 'string', default: '50' },
  },
});
const rounds = Number(args.rounds);
const runsPerRound = Number(args.runs);
const instanceCount = Number(args.instances);
Object.assign(process.env, localAwsEnvironment({}));

const parsed = parseRunbook(
  `apiVersion: ssmflow/v1
name: soak
parameters:
  instance: { type: string }
targets: { instanceIds: ['{{ instance }}'] }
steps:
  - id: one
    run: echo one
  - id: two
    waitUntil: { run: 'true', interval: 1s, timeout: 1m }
  - id: three
    run: echo three
    rollback: { run: echo undo }
`,
  'soak.yaml',
);
if ('errors' in parsed) throw new Error(JSON.stringify(parsed.errors));
const runbook = parsed.normalized;

const temporal = await startTemporalDevServer();
const stateDir = mkdtempSync(join(tmpdir(), 'soak-'));
const fleet = await startFleet({ stateDir, config: { instances: [{ count: instanceCount, idPrefix: 'i-05a', tags: { Role: 'soak' } }] } });
const ids = Array.from({ length: instanceCount }, (_, i) => `i-05a${String(i + 1).padStart(14, '0')}`);
const bundlePath = join(stateDir, 'bundle.js');
writeFileSync(
  bundlePath,
  (await bundleWorkflowCode({ workflowsPath, logger: { log() {}, trace() {}, debug() {}, info() {}, warn() {}, error: console.error } }))
    .code,
);
const taskQueue = 'soak';
const worker = await spawnBenchWorker({
  TEMPORAL_ADDRESS: temporal.address,
  SSMFLOW_TASK_QUEUE: taskQueue,
  AWS_ENDPOINT_URL_SSM: fleet.endpoint,
  BENCH_STATS_FILE: join(stateDir, 'stats.json'),
  BENCH_WORKFLOW_BUNDLE: bundlePath,
});
const connection = await Connection.connect({ address: temporal.address });
const client = new Client({ connection });

const samples: { round: number; seconds: number; rssMiB: number }[] = [];
try {
  for (let round = 1; round <= rounds; round += 1) {
    const started = Date.now();
    const handles = await Promise.all(
      Array.from({ length: runsPerRound }, (_, i) =>
        startRun(client, {
          runbook,
          parameters: { instance: ids[i % ids.length] ?? '' },
          initiator: 'soak',
          taskQueue,
          workflowId: `soak-${round}-${i}`,
        }),
      ),
    );
    const results = await Promise.all(handles.map((h) => h.result()));
    const failed = results.filter((r) => r.status !== 'succeeded').length;
    if (failed) throw new Error(`round ${round}: ${failed} runs did not succeed`);
    samples.push({ round, seconds: (Date.now() - started) / 1000, rssMiB: worker.rssBytes() / 2 ** 20 });
    console.error(
      `round ${round}: ${runsPerRound} runs in ${samples.at(-1)?.seconds.toFixed(1)} s, worker RSS ${samples.at(-1)?.rssMiB.toFixed(0)} MiB`,
    );
  }
} finally {
  await worker.stop();
  await connection.close();
  await fleet.stop();
  await temporal.stop();
  rmSync(stateDir, { recursive: true, force: true });
}

const secondHalf = samples.slice(Math.floor(samples.length / 2));
const growth = (secondHalf.at(-1)?.rssMiB ?? 0) - (secondHalf[0]?.rssMiB ?? 0);
console.log('round  runs  wall(s)  worker RSS (MiB)');
for (const s of samples)
  console.log(
    `${String(s.round).padStart(5)}  ${String(runsPerRound).padStart(4)}  ${s.seconds.toFixed(1).padStart(7)}  ${s.rssMiB.toFixed(0).padStart(16)}`,
  );
console.log(
  `RSS change over rounds ${secondHalf[0]?.round}–${secondHalf.at(-1)?.round}: ${growth >= 0 ? '+' : ''}${growth.toFixed(0)} MiB (${rounds * runsPerRound} runs in all)`,
);
console.log(JSON.stringify({ rounds, runsPerRound, instanceCount, samples, secondHalfGrowthMiB: growth }));
process.exit(0);
