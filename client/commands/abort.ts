import type { Command } from 'commander';
import { registerOperatorCommand } from '../operator-command.js';

export function registerAbortCommand(program: Command): void {
  registerOperatorCommand(program, {
    name: 'abort',
    summary: 'stop a run where it is, without rolling back',
    description:
      'Ends the run as failed at once: a running step is cancelled (its SSM command too), nothing is rolled back. ' +
      'Use `ssmflow rollback` instead to undo what the run did.',
    wantedEnd: ['failed'],
    examples: `  ssmflow abort RUN --reason "wrong cluster, stopping before anything else runs"`,
    act: (controls, request) => controls.abort(request),
  });
}
