import type { Command } from 'commander';
import { addGroupOption } from '../identity.js';
import { registerOperatorCommand, type OperatorFlags } from '../operator-command.js';

export function registerApproveCommand(program: Command): void {
  registerOperatorCommand<OperatorFlags & { reject?: boolean }>(program, {
    name: 'approve',
    summary: 'approve (or --reject) the approval step a run waits on',
    description:
      'Answers the approval step the run is waiting on. Approving goes on with the next step; rejecting fails the ' +
      'step, which then follows its onFailure policy (by default the run pauses for retry, skip, rollback or abort).\n' +
      "The runbook's approval policy decides who may: its approvers (groups via --group, or people), how many distinct " +
      'approvals it takes (minApprovals), and whether the person who started the run may approve it (not by default).',
    options: (command) => addGroupOption(command.option('--reject', 'refuse instead of approving')),
    actionOf: (flags) => (flags.reject ? 'reject' : 'approve'),
    wantedEnd: ['succeeded', 'waiting-approval'],
    examples: `  ssmflow approve RUN --reason "replica lag is 0, go"
  ssmflow approve RUN --reject --reason "customer traffic peak"
  ssmflow approve RUN --as carol@example.com --group dba-leads --reason "second pair of eyes"`,
    act: (controls, request, flags) => controls.approve({ ...request, ...(flags.reject ? { reject: true } : {}) }),
  });
}
