// `ssmflow locks` and `ssmflow locks release` (defined in commands/locks.ts).
import type { Command } from 'commander';
import { CliInputError } from '../cli-errors.js';
import type { LocksFlags, ReleaseFlags } from '../commands/locks.js';
import { withTemporal } from '../connection.js';
import { actingIdentity } from '../identity.js';
import { printJson } from '../output/json.js';
import { colours as c } from '../output/style.js';
import { formatColumns } from '../output/table.js';
import { ago } from '../output/time.js';
import { forceReleaseTargetLock, readTargetLocks, type LockView } from '../target-locks.js';

export async function locksAction(opts: LocksFlags): Promise<void> {
  const shown = Number(opts.events);
  if (!Number.isInteger(shown) || shown < 0)
    throw new CliInputError(`--events must be a whole number, got "${opts.events}"`, 'such as --events 20');
  await withTemporal(opts, async (connected) => {
    const view = await readTargetLocks(connected.client, opts.taskQueue);
    if (opts.json) return printJson(view);
    const out: string[] = [];
    if (view.holders.length === 0 && view.waiters.length === 0) out.push(c.dim(`no target locks on task queue ${opts.taskQueue}`));
    else {
      const row = (entry: LockView, state: string) => [
        entry.holder,
        state,
        entry.runStatus,
        entry.runbook ?? '',
        `${entry.instanceIds.length}: ${entry.instanceIds.slice(0, 4).join(', ')}${entry.instanceIds.length > 4 ? ', …' : ''}`,
        ago(entry.since),
      ];
      out.push(
        ...formatColumns([
          ['RUN', 'LOCK', 'RUN STATUS', 'RUNBOOK', 'INSTANCES', 'SINCE'].map((h) => c.dim(h)),
          ...view.holders.map((h) => row(h, c.green('holds'))),
          ...view.waiters.map((w) => row(w, c.yellow(`waits #${w.position ?? '?'}`))),
        ]),
      );
    }
    const events = shown ? view.events.slice(-shown) : [];
    if (events.length) {
      out.push('', c.bold('Recent:'));
      for (const e of events)
        out.push(
          `  ${e.at}  ${e.event.padEnd(14)} ${e.holder}${e.by ? ` by ${e.by}` : ''}${e.reason ? ` — ${e.reason}` : ''} ${c.dim(`(${e.instanceIds.length} instances)`)}`,
        );
    }
    process.stdout.write(`${out.join('\n')}\n`);
  });
}

export async function locksReleaseAction(target: string, self: Command): Promise<void> {
  // `locks` has a --json of its own, which commander fills when it follows `locks release …`.
  const opts = self.optsWithGlobals<ReleaseFlags>();
  if (!opts.reason?.trim())
    throw new CliInputError('locks release needs --reason: why the lock is freed by hand (recorded)', '--reason "holder stuck, INC-42"');
  const by = actingIdentity(opts.as);
  await withTemporal(opts, async (connected) => {
    const answer = await forceReleaseTargetLock(connected.client, opts.taskQueue, { target, by, reason: opts.reason ?? '' });
    if (opts.json) return printJson(answer);
    process.stdout.write(
      `${c.green('✓')} released the lock of run ${c.bold(answer.holder)} on ${answer.released.length} instances (by ${by})\n` +
        answer.granted.map((g) => `  granted to the waiting run ${g.holder}\n`).join(''),
    );
  });
}
