import type { Command } from 'commander';
import { registerOperatorCommand } from '../operator-command.js';

export function registerResumeCommand(program: Command): void {
  registerOperatorCommand(program, {
    name: 'resume',
    summary: 'let a paused run go on with its next step',
    description:
      'Ends the hold of `ssmflow pause`: the run starts its next step. On a run asked to pause whose pause has not ' +
      'taken hold yet (its step is still running), withdraws the pause. --reason is required: the audit records who ' +
      'resumed and why.',
    reasonRequired: true,
    wantedEnd: ['succeeded', 'waiting-approval'],
    examples: `  ssmflow resume RUN --reason "replica lag back to 0"
  ssmflow resume RUN --reason "freeze over" --wait`,
    act: (controls, request) => controls.resume({ ...request, reason: request.reason ?? '' }),
  });
}
