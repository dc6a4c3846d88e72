import type { Command } from 'commander';
import { CliInputError } from '../cli-errors.js';
import { addConnectionOptions, addTaskQueueOption, withTemporal, type ConnectionFlags } from '../connection.js';
import { actingIdentity } from '../identity.js';
import { printJson } from '../output/json.js';
import { colours as c } from '../output/style.js';
import { formatColumns } from '../output/table.js';
import { ago } from '../output/time.js';
import { forceReleaseTargetLock, readTargetLocks, type LockView } from '../target-locks.js';

interface LocksFlags extends ConnectionFlags {
  taskQueue: string;
  events: string;
  json?: boolean;
}

interface ReleaseFlags extends ConnectionFlags {
  taskQueue: string;
  reason?: string;
  as?: string;
  json?: boolean;
}

export function registerLocksCommand(program: Command): void {
  const locks = program
    .command('locks')
    .summary("target locks: which runs hold or wait for which instances, and the registry's records")
    .description(
      'Every mutating run locks the instances it targets for its whole life; a second run on any of them is refused ' +
        '(or, with `ssmflow run --wait-for-lock`, queued). Lists the holders and the queue with each run’s status, ' +
        'and the newest records of the task queue’s lock registry: grants, releases, refusals, forced releases, and ' +
        'holders that ended without releasing (terminated, reset) and were freed.',
    )
    .option('--events <n>', 'show this many of the newest records', '10')
    .option('--json', 'print JSON: { holders, waiters, events }');
  addTaskQueueOption(locks);
  addConnectionOptions(locks).addHelpText(
    'after',
    `
Examples:
  ssmflow locks
  ssmflow locks --json | jq '.holders[] | {holder, runStatus, instanceIds}'
  ssmflow locks release pg-a-restart-20250607T0200Z-x1y2 --reason "run is stuck, INC-42"

Exit codes: 0 listed · 1 the registry could not be read`,
  );
  locks.action(async (opts: LocksFlags) => {
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
  });

  const release = locks
    .command('release')
    .summary('free a target lock by hand (audited with who and why)')
    .description(
      'Frees the lock of a run (given by run id, or by one instance it holds): for a holder that is stuck or gone ' +
        'before the registry notices. The run itself is not stopped; runs waiting for the instances may start. ' +
        'The registry records who released it and why; `ssmflow locks` shows the record.',
    )
    .argument('<instance-or-run>', 'a run id holding a lock, or an instance id it holds')
    .option('--reason <text>', 'why (required; recorded)')
    .option('--as <who>', 'who releases it, for the record (default $SSMFLOW_USER, else user@host)')
    .option('--json', 'print JSON: { holder, released, granted }');
  addTaskQueueOption(release);
  addConnectionOptions(release).addHelpText(
    'after',
    `
Examples:
  ssmflow locks release pg-a-restart-20250607T0200Z-x1y2 --reason "worker pool lost, INC-42"
  ssmflow locks release i-0123456789abcdef0 --reason "holder terminated by hand" --as alice

Exit codes: 0 released · 1 the registry could not be reached · 2 no --reason, or nothing holds it`,
  );
  release.action(async (target: string, _own: ReleaseFlags, self: Command) => {
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
  });
}
