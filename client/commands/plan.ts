import type { Command } from 'commander';
import { addBlastRadiusOptions, type BlastRadiusFlags } from '../blast-radius.js';
import { addParameterOptions, type ParameterFlags } from '../parameter-flags.js';

export interface PlanFlags extends ParameterFlags, BlastRadiusFlags {
  json?: boolean;
  offline?: boolean;
}

export function registerPlanCommand(program: Command): void {
  const command = program
    .command('plan')
    .summary('dry run: resolved targets, rendered commands, approvals and windows — nothing is sent')
    .description(
      'Shows what `ssmflow run` would do with these parameters, without sending anything:\n' +
        '- the instances each step reaches, resolved through SSM now (offline ones flagged),\n' +
        '- every command exactly as it would be sent, secrets shown as ****,\n' +
        '- which steps wait for an approval or for the maintenance window,\n' +
        '- whether the run is above the blast-radius limit and needs --confirm N.\n\n' +
        'Only DescribeInstanceInformation is called (none with --offline); Temporal is not contacted.',
    )
    .argument('<runbook-file>', 'runbook YAML file');
  addParameterOptions(command);
  addBlastRadiusOptions(command)
    .option('--offline', 'do not resolve targets through SSM (show the selectors only)')
    .option('--json', 'print the plan as JSON')
    .addHelpText(
      'after',
      `
Examples:
  ssmflow plan runbooks/rolling-restart.yaml -p cluster=pg-a
  ssmflow plan runbooks/postgres-major-upgrade.yaml --params pg-a.yaml -p toVersion=17 --json

Environment: AWS_REGION, AWS_ENDPOINT_URL_SSM and the standard AWS credential chain (target resolution).`,
    )
    .action(async (file: string, opts: PlanFlags) => {
      const { planAction } = await import('../actions/plan.js');
      await planAction(file, opts);
    });
}
