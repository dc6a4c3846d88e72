import type { Command } from 'commander';
import { registerOperatorCommand } from '../operator-command.js';

export function registerPauseCommand(program: Command): void {
  registerOperatorCommand(program, {
    name: 'pause',
    summary: 'hold a run before its next step, until `ssmflow resume`',
    description:
      'Marks the run to hold before its next step: the step running now finishes (an approval or a failure it waits ' +
      'on is answered as usual), then the run sends nothing until `ssmflow resume`. While paused, `abort` and ' +
      '`rollback` still work. A pause asked during the last step ends with the run. --reason is required: the audit ' +
      'records who paused and why. With --wait, follows the run until the pause takes hold (exit 0) or the run ends.',
    reasonRequired: true,
    wantedEnd: ['paused', 'succeeded'],
    examples: `  ssmflow pause RUN --reason "replica lag alarm on pg-a, holding until it clears"
  ssmflow pause RUN --reason "CHG-1234 freeze window" --wait --json`,
    act: (controls, request) => controls.pause({ ...request, reason: request.reason ?? '' }),
  });
}
