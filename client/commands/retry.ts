import type { Command } from 'commander';
import { registerOperatorCommand, type OperatorFlags } from '../operator-command.js';
import { addParameterOptions, readParameterInput, type ParameterFlags } from '../parameters-input.js';

export function registerRetryCommand(program: Command): void {
  registerOperatorCommand<OperatorFlags & ParameterFlags>(program, {
    name: 'retry',
    summary: 'run the failed step of a paused run again (optionally with changed parameters)',
    description:
      'Runs the step the run paused on again, as a new attempt with its own SSM command. With -p or --params the ' +
      'changed parameters apply to that step and the rest of the run (checked like at start; secrets cannot be ' +
      'changed). A paused rollback is retried the same way.',
    options: (command) => addParameterOptions(command, 'changed parameter'),
    wantedEnd: ['succeeded', 'waiting-approval'],
    examples: `  ssmflow retry RUN --reason "freed disk on i-0a1b2c3d4e5f67890"
  ssmflow retry RUN -p toVersion=16 --reason "17 packages not mirrored yet" --wait`,
    act: (controls, request, flags) => {
      const parameters = readParameterInput(flags);
      return controls.retry({ ...request, ...(Object.keys(parameters).length ? { parameters } : {}) });
    },
  });
}
