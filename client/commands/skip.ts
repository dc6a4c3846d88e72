import type { Command } from 'commander';
import { registerOperatorCommand } from '../operator-command.js';

export function registerSkipCommand(program: Command): void {
  registerOperatorCommand(program, {
    name: 'skip',
    summary: 'leave the failed step of a paused run as it is and go on with the next one',
    description:
      'Marks the failed step skipped and continues with the next step. During a paused rollback, leaves that ' +
      'rollback undone and rolls back the remaining steps (the run then ends failed, not rolled back).',
    wantedEnd: ['succeeded', 'waiting-approval'],
    examples: `  ssmflow skip RUN --reason "node 7 is being decommissioned anyway"`,
    act: (controls, request) => controls.skip(request),
  });
}
