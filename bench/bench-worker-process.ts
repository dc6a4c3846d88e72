import { spawn } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { projectRoot } from '../local/project-root.js';

/** One runCommand activity as the worker saw it (worker clock, which is the fleet's too). */
export interface StepTiming {
  idempotencyKey: string;
  commandId: string;
  activityStartedMs: number;
  /** The status poller read the command as terminal. */
  settledMs: number;
  activityEndedMs: number;
}

export interface BenchWorkerStats {
  peakRssBytes: number;
  ssmCalls: Record<string, number>;
  at: number;
  /** Filled in when the worker stops. */
  steps: StepTiming[];
}

/** Starts bench/bench-worker.ts (or another bench worker script) in its own process, so its memory and SSM calls are its own. */
export async function spawnBenchWorker(
  env: Record<string, string> & { BENCH_STATS_FILE: string },
  script = 'bench-worker.ts',
): Promise<{ stats(): BenchWorkerStats; rssBytes(): number; stop(): Promise<void> }> {
  // e.g. BENCH_WORKER_NODE_ARGS='--cpu-prof --cpu-prof-dir=/tmp/prof' to profile the worker alone.
  const nodeArgs = (process.env.BENCH_WORKER_NODE_ARGS ?? '').split(' ').filter(Boolean);
  const child = spawn(process.execPath, [...nodeArgs, '--import', 'tsx', join(projectRoot, 'bench', script)], {
    env: { ...process.env, ...env },
    stdio: ['ignore', 'pipe', 'inherit'],
  });
  await new Promise<void>((resolve, reject) => {
    child.stdout?.on('data', (chunk: Buffer) => chunk.toString().includes('worker-ready') && resolve());
    child.once('exit', (code) => reject(new Error(`bench worker exited early with ${code}`)));
  });
  return {
    stats: () => JSON.parse(readFileSync(env.BENCH_STATS_FILE, 'utf8')) as BenchWorkerStats,
    // Current resident set of the worker process, from the kernel's view.
    rssBytes: () => Number(/VmRSS:\s+(\d+) kB/.exec(readFileSync(`/proc/${child.pid}/status`, 'utf8'))?.[1] ?? 0) * 1024,
    stop: () =>
      new Promise<void>((resolve) => {
        if (child.exitCode !== null || child.signalCode !== null) return resolve();
        child.once('exit', () => resolve());
        child.kill('SIGTERM');
      }),
  };
}
