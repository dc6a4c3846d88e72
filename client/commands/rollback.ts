import type { Command } from 'commander';
import { registerOperatorCommand } from '../operator-command.js';

export function registerRollbackCommand(program: Command): void {
  registerOperatorCommand(program, {
    name: 'rollback',
    summary: 'undo a paused (or awaiting-approval) run: roll back its steps, newest first',
    description:
      'Runs the rollback of the failed step and of every completed step, newest first; steps without a rollback ' +
      'are left as they are. A failing rollback pauses again for retry, skip or abort.',
    wantedEnd: ['rolled-back'],
    examples: `  ssmflow rollback RUN --reason "cutover failed on the primary" --wait`,
    act: (controls, request) => controls.rollback(request),
  });
}
