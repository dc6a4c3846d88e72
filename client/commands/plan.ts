import type { Command } from 'commander';
import { createSsmClient } from '../../aws/clients.js';
import { shellQuote } from '../../runbook/shell-quote.js';
import { addBlastRadiusOptions, maxTargetsOf, type BlastRadiusFlags } from '../blast-radius.js';
import { printJson } from '../output/json.js';
import { renderPlan } from '../output/plan-view.js';
import { addParameterOptions, readParameterInput, type ParameterFlags } from '../parameters-input.js';
import { loadRunbookOrExplain, resolveParametersOrExplain } from '../runbook-input.js';
import { planRun } from '../run-plan.js';

/** A word as typed: quoted only when the shell would otherwise read it differently. */
function shellWord(text: string): string {
  return /^[\w@%+=:,./-]+$/.test(text) ? text : shellQuote(text);
}

interface PlanFlags extends ParameterFlags, BlastRadiusFlags {
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
      const runbook = await loadRunbookOrExplain(file);
      const given = readParameterInput(opts);
      const values = resolveParametersOrExplain(runbook, given);
      const maxTargets = maxTargetsOf(opts);
      const ssm = opts.offline ? undefined : createSsmClient();
      try {
        const plan = await planRun(runbook, values, { ...(ssm ? { ssm } : {}), maxTargets });
        if (opts.json) return printJson(plan);
        const confirm = plan.blastRadius?.needsConfirm ? ` --confirm ${plan.blastRadius.instanceCount}` : '';
        const rerun =
          ['ssmflow run', shellWord(file), ...Object.entries(given).map(([k, v]) => `-p ${shellWord(`${k}=${String(v)}`)}`)].join(' ') +
          confirm;
        process.stdout.write(`${renderPlan(plan, rerun)}\n`);
      } finally {
        ssm?.destroy();
      }
    });
}
