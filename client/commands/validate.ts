import type { Command } from 'commander';

export interface ValidateFlags {
  json?: boolean;
}

export function registerValidateCommand(program: Command): void {
  program
    .command('validate')
    .summary('check runbook files against the schema and every cross-field rule')
    .description(
      'Loads each runbook and reports every problem with file:line:column, the field, and a fix. ' +
        'Nothing is contacted: use it in CI and editors. Exits 2 when any file has a problem; ' +
        'warnings (such as a {{ placeholder }} inside double quotes) leave the exit code as it is.',
    )
    .argument('<files...>', 'runbook YAML files')
    .option('--json', 'print the reports as JSON')
    .addHelpText(
      'after',
      `
Examples:
  ssmflow validate runbooks/*.yaml
  ssmflow validate --json runbooks/rolling-restart.yaml | jq '.reports[].errors'

Output (one line per problem, then its fix):
  runbooks/x.yaml:12:16  steps[2].onFailure  must be one of pause|rollback|abort|continue (got "retry")
      fix: use one of pause, rollback, abort, continue`,
    )
    .action(async (files: string[], opts: ValidateFlags) => {
      const { validateAction } = await import('../actions/validate.js');
      await validateAction(files, opts);
    });
}
