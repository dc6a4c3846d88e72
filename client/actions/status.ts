// `ssmflow status` (defined in commands/status.ts): a run step by step, once or live.
import type { StatusFlags } from '../commands/status.js';
import { withTemporal } from '../connection.js';
import { exitCodeForRun } from '../exit-status.js';
import { printJson } from '../output/json.js';
import { liveMode, watchRun } from '../output/live-status.js';
import { renderRunStatus } from '../output/run-status.js';
import { statusJson } from '../output/status-json.js';
import { isTerminal, readRun } from '../run-view.js';

export async function statusAction(runId: string, opts: StatusFlags): Promise<void> {
  await withTemporal(opts, async (connected) => {
    if (opts.watch) {
      const last = await watchRun(connected, runId, liveMode(Boolean(opts.json)), (view) => isTerminal(view.status));
      process.exitCode = exitCodeForRun(last.status);
      return;
    }
    const view = await readRun(connected, runId);
    if (opts.json) printJson(statusJson(view));
    else process.stdout.write(`${renderRunStatus(view)}\n`);
    process.exitCode = exitCodeForRun(view.status, [
      'succeeded',
      'running',
      'waiting-approval',
      'paused-on-failure',
      'paused',
      'rolling-back',
      'waiting-lock',
    ]);
  });
}
