// bench/floor: the physical floor of a step transition on this machine. A bare Temporal workflow
// (bench/floor-workflow.ts) runs consecutive no-op activities, 100 workflows at once, on a dev
// server with a worker process set up like ssmflow's bench worker. Activity k returning → activity
// k+1 starting in the worker is what one step transition costs with no ssmflow code at all.
//
//   npx tsx bench/floor.ts [--workflows 100] [--activities 5]
//
// bench/rollout.ts runs the same measurement and prints ssmflow's transition as a ratio to it.
// Prints a table and JSON (also written to bench/results/). Never a pass/fail test.
import { mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { parseArgs } from 'node:util';
import { Client, Connection } from '@temporalio/client';
import { bundleWorkflowCode } from '@temporalio/worker';
import { projectRoot } from '../local/project-root.js';
import { startTemporalDevServer } from '../local/temporal-dev-server.js';
import { spawnBenchWorker, type BenchWorkerStats } from './bench-worker-process.js';
import { floorWorkflow } from './floor-workflow.js';
import { activityEventTimes, spread, type Spread } from './history-times.js';

export interface FloorResult {
  workflows: number;
  activities: number;
  wallSeconds: number;
  /** Activity k returns in the worker → activity k+1 starts in the worker. */
  transitionMs: Spread & { samples: number };
  /**
   * The same cut into the server's parts, from each workflow's history: ActivityTaskCompleted →
   * WorkflowTaskStarted → WorkflowTaskCompleted → the next ActivityTaskStarted.
   */
  serverPartsMs: { workflowTaskQueued: Spread; workflowTask: Spread; activityTaskQueued: Spread };
  /**
   * The two crossings between worker and server that, with the server's parts, add up to the
   * transition: activity returned → ActivityTaskCompleted recorded, and the next
   * ActivityTaskStarted → its function runs in the worker.
   */
  crossingsMs: { activityCompletion: Spread; activityDelivery: Spread };
  workflowBundleBytes: number;
  /** CPU the worker process used from ready to stop, all threads (it includes Core's). */
  workerCpuSeconds: number;
  /** The worker's settings as the SDK resolved them (cache, pollers, slots). */
  workerOptions: Record<string, unknown>;
}

const quiet = { log() {}, trace() {}, debug() {}, info() {}, warn() {}, error: console.error };

export async function measureTransitionFloor(options: {
  temporalAddress: string;
  workflows?: number;
  activities?: number;
}): Promise<FloorResult> {
  const workflows = options.workflows ?? 100;
  const activities = options.activities ?? 5;
  const scratch = mkdtempSync(join(tmpdir(), 'bench-floor-'));
  const { code } = await bundleWorkflowCode({
    workflowsPath: fileURLToPath(new URL('./floor-workflow.ts', import.meta.url)),
    logger: quiet,
  });
  const bundlePath = join(scratch, 'floor-bundle.js');
  writeFileSync(bundlePath, code);
  const taskQueue = `floor-${Date.now()}`;
  const statsFile = join(scratch, 'stats.json');
  const worker = await spawnBenchWorker(
    {
      TEMPORAL_ADDRESS: options.temporalAddress,
      SSMFLOW_TASK_QUEUE: taskQueue,
      BENCH_STATS_FILE: statsFile,
      BENCH_WORKFLOW_BUNDLE: bundlePath,
      BENCH_MAX_ACTIVITIES: String(Math.max(400, workflows + 50)),
    },
    'floor-worker.ts',
  );
  const connection = await Connection.connect({ address: options.temporalAddress });
  const client = new Client({ connection });
  try {
    const ids = Array.from({ length: workflows }, (_, i) => `${taskQueue}-${i}`);
    const started = Date.now();
    await Promise.all(ids.map((workflowId) => client.workflow.execute(floorWorkflow, { taskQueue, workflowId, args: [activities] })));
    const wallSeconds = (Date.now() - started) / 1000;
    await worker.stop();
    const workerStats = JSON.parse(readFileSync(statsFile, 'utf8')) as BenchWorkerStats & {
      cpuSeconds?: number;
      workerOptions?: Record<string, unknown>;
    };
    const timing = new Map(workerStats.steps.map((s) => [s.idempotencyKey, s]));
    const transitions: number[] = [];
    const parts = { workflowTaskQueued: [] as number[], workflowTask: [] as number[], activityTaskQueued: [] as number[] };
    const crossings = { activityCompletion: [] as number[], activityDelivery: [] as number[] };
    for (const workflowId of ids) {
      const server = activityEventTimes(await client.workflow.getHandle(workflowId).fetchHistory());
      for (let k = 0; k + 1 < activities; k += 1) {
        const ended = timing.get(`${workflowId}/${k}`)?.activityEndedMs;
        const next = timing.get(`${workflowId}/${k + 1}`)?.activityStartedMs;
        if (ended !== undefined && next !== undefined) transitions.push(next - ended);
        const events = server[k];
        if (!events) continue;
        parts.workflowTaskQueued.push(events.wftStartedMs - events.completedMs);
        parts.workflowTask.push(events.wftCompletedMs - events.wftStartedMs);
        parts.activityTaskQueued.push(events.nextStartedMs - events.wftCompletedMs);
        if (ended !== undefined) crossings.activityCompletion.push(events.completedMs - ended);
        if (next !== undefined) crossings.activityDelivery.push(next - events.nextStartedMs);
      }
    }
    return {
      workflows,
      activities,
      wallSeconds,
      transitionMs: { ...spread(transitions), samples: transitions.length },
      serverPartsMs: {
        workflowTaskQueued: spread(parts.workflowTaskQueued),
        workflowTask: spread(parts.workflowTask),
        activityTaskQueued: spread(parts.activityTaskQueued),
      },
      crossingsMs: { activityCompletion: spread(crossings.activityCompletion), activityDelivery: spread(crossings.activityDelivery) },
      workflowBundleBytes: Buffer.byteLength(code),
      workerCpuSeconds: workerStats.cpuSeconds ?? NaN,
      workerOptions: workerStats.workerOptions ?? {},
    };
  } finally {
    await worker.stop().catch(() => undefined);
    await connection.close();
    rmSync(scratch, { recursive: true, force: true });
  }
}

async function main(): Promise<void> {
  const { values } = parseArgs({
    options: { workflows: { type: 'string', default: '100' }, activities: { type: 'string', default: '5' } },
  });
  const temporal = await startTemporalDevServer();
  try {
    const result = await measureTransitionFloor({
      temporalAddress: temporal.address,
      workflows: Number(values.workflows),
      activities: Number(values.activities),
    });
    const { transitionMs: t, serverPartsMs: p, crossingsMs: c } = result;
    const row = (label: string, s: Spread) => console.log(`${label.padEnd(44)}${String(s.median).padStart(8)}${String(s.p99).padStart(8)}`);
    console.log(`floor: ${result.workflows} workflows × ${result.activities} no-op activities in ${result.wallSeconds.toFixed(1)} s`);
    console.log(`${''.padEnd(44)}${'median'.padStart(8)}${'p99'.padStart(8)}  (ms)`);
    row(`activity returns → next starts (${t.samples})`, t);
    row('  returned → ActivityTaskCompleted', c.activityCompletion);
    row('  → WorkflowTaskStarted (task queued)', p.workflowTaskQueued);
    row('  → WorkflowTaskCompleted (workflow task)', p.workflowTask);
    row('  → next ActivityTaskStarted (task queued)', p.activityTaskQueued);
    row('  → next activity runs in the worker', c.activityDelivery);
    console.log(
      `worker CPU ${result.workerCpuSeconds.toFixed(1)} s over ${result.wallSeconds.toFixed(1)} s; workflow bundle ${(result.workflowBundleBytes / 2 ** 20).toFixed(2)} MiB`,
    );
    mkdirSync(join(projectRoot, 'bench', 'results'), { recursive: true });
    const file = join(projectRoot, 'bench', 'results', `floor-${new Date().toISOString().replace(/[:.]/g, '-')}.json`);
    writeFileSync(file, JSON.stringify(result, null, 2));
    console.log(JSON.stringify(result, null, 2));
    console.error(`written to ${file}`);
  } finally {
    await temporal.stop();
  }
}

if (process.argv[1] && resolve(process.argv[1]) === fileURLToPath(import.meta.url)) {
  await main();
  process.exit(0);
}
