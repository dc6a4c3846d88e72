import type { Command } from 'commander';
import { addConnectionOptions, addTaskQueueOption, type ConnectionFlags } from '../connection-flags.js';

export interface LocksFlags extends ConnectionFlags {
  taskQueue: string;
  events: string;
  json?: boolean;
}

export interface ReleaseFlags extends ConnectionFlags {
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
    const { locksAction } = await import('../actions/locks.js');
    await locksAction(opts);
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
    const { locksReleaseAction } = await import('../actions/locks.js');
    await locksReleaseAction(target, self);
  });
}
