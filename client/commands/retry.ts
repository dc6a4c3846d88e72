import type { Command } from 'commander';
import { registerOperatorCommand, type OperatorFlags } from '../operator-command.js';
import { addParameterOptions, type ParameterFlags } from '../parameter-flags.js';

interface RetryFlags extends OperatorFlags, ParameterFlags {
  failedOnly?: boolean;
}

export function registerRetryCommand(program: Command): void {
  registerOperatorCommand<RetryFlags>(program, {
    name: 'retry',
    summary: 'run the failed step of a paused run again (optionally with changed parameters)',
    description:
      'Runs the step the run paused on again, as a new attempt with its own SSM command. With -p or --params the ' +
      'changed parameters apply to that step and the rest of the run (checked like at start; secrets cannot be ' +
      'changed). A paused rollback is retried the same way.\n\n' +
      'With --failed-only, the step goes only to the instances whose latest result is not a success (failed, timed ' +
      'out, cancelled, undeliverable, or never run because MaxErrors was reached), by instance id, as a new attempt; ' +
      'the step succeeds once every instance has succeeded in some attempt, and `status` and `audit` show which ' +
      "attempt each one succeeded in. The step's rate control applies to that set: a percentage is of the retried " +
      'instances. Refused for approval, sleep and waitUntil steps, for a failed rollback, for a failure without ' +
      'per-instance results, and for more than 50 instances (what SSM takes by id).',
    options: (command) => {
      addParameterOptions(command, 'changed parameter');
      command.option('--failed-only', 'send the step only to the instances that did not succeed');
    },
    wantedEnd: ['succeeded', 'waiting-approval'],
    examples: `  ssmflow retry RUN --reason "freed disk on i-0a1b2c3d4e5f67890"
  ssmflow retry RUN -p toVersion=16 --reason "17 packages not mirrored yet" --wait
  ssmflow retry RUN --failed-only --reason "i-0a1b2c3d4e5f67890 rebooted mid-step; the others are done"`,
    act: async (controls, request, flags) => {
      const { readParameterInput } = await import('../parameters-input.js');
      const parameters = readParameterInput(flags);
      return controls.retry({
        ...request,
        ...(Object.keys(parameters).length ? { parameters } : {}),
        ...(flags.failedOnly ? { failedOnly: true } : {}),
      });
    },
  });
}
