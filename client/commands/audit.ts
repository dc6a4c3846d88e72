import { Option, type Command } from 'commander';
import { addConnectionOptions, type ConnectionFlags } from '../connection-flags.js';

export interface AuditFlags extends ConnectionFlags {
  format: 'markdown' | 'json';
  json?: boolean;
}

export function registerAuditCommand(program: Command): void {
  const command = program
    .command('audit')
    .summary('the whole story of a run: who, every command and result, every operator action and why')
    .description(
      'Prints the audit trail of a run in the order things happened: who started it and why, every SSM command ' +
        '(step, attempt, CommandId, document, targets, the commands with secrets as ****, per-instance status, ' +
        'exit code and output location), and every operator action with who took it and the reason given.\n\n' +
        'A finished run is read from its result (no worker needed); an open run is asked directly.',
    )
    .argument('<run-id>', 'the run id')
    .addOption(
      new Option('--format <format>', 'markdown for people and tickets, json for tools').choices(['markdown', 'json']).default('markdown'),
    )
    .option('--json', 'same as --format json');
  addConnectionOptions(command).addHelpText(
    'after',
    `
Examples:
  ssmflow audit RUN > RUN.md                         # attach to the change ticket
  ssmflow audit RUN --format json | jq '.audit[] | select(.type == "operator")'`,
  );
  command.action(async (runId: string, opts: AuditFlags) => {
    const { auditAction } = await import('../actions/audit.js');
    await auditAction(runId, opts);
  });
}
