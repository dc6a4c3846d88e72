// Following a run as it moves: a redrawn screen with spinners on a terminal, a log of changes when
// piped (no ANSI codes), or one JSON line per change for scripts.
import logUpdate from 'log-update';
import type { Connected } from '../connection.js';
import { followRun, type RunView } from '../run-view.js';
import { renderRunStatus } from './run-status.js';
import { statusJson } from './status-json.js';
import { colours } from './style.js';
import { formatInstant } from './time.js';

export type LiveMode = 'screen' | 'log' | 'json-lines' | 'silent';

export function liveMode(json: boolean, stream: NodeJS.WriteStream = process.stdout): LiveMode {
  if (json) return 'json-lines';
  return stream.isTTY && process.env.TERM !== 'dumb' ? 'screen' : 'log';
}

const redrawEveryMs = 125;

/** Follows the run until `done(view)`, showing it in `mode`; returns the last view. */
export async function watchRun(connected: Connected, runId: string, mode: LiveMode, done: (view: RunView) => boolean): Promise<RunView> {
  if (mode === 'silent') return followRun(connected, runId, done, () => undefined);
  if (mode === 'json-lines')
    return followRun(connected, runId, done, (view) => process.stdout.write(`${JSON.stringify(statusJson(view))}\n`));
  if (mode === 'log') {
    let first = true;
    return followRun(connected, runId, done, (view) => {
      process.stdout.write(
        `${first ? '' : '\n'}── ${formatInstant(new Date().toISOString())} ${'─'.repeat(40)}\n${renderRunStatus(view)}\n`,
      );
      first = false;
    });
  }
  // screen: redraw often (spinners, elapsed times), poll the run once a second.
  let latest: RunView | undefined;
  let frame = 0;
  const draw = () => {
    if (latest) logUpdate(`${renderRunStatus(latest, { frame })}\n\n${colours.dim('watching · Ctrl-C stops watching (the run goes on)')}`);
    frame += 1;
  };
  const timer = setInterval(draw, redrawEveryMs);
  try {
    const last = await followRun(connected, runId, done, (view) => {
      latest = view;
      draw();
    });
    latest = last;
    logUpdate(renderRunStatus(last, { frame }));
    logUpdate.done();
    return last;
  } finally {
    clearInterval(timer);
  }
}
