// `ssmflow plan` (defined in commands/plan.ts): what a run would do, with nothing sent.
import { createSsmClient } from '../../aws/clients.js';
import type { NormalizedRunbook, ParameterValues } from '../../runbook/types.js';
import { shellQuote } from '../../runbook/shell-quote.js';
import { maxTargetsOf } from '../blast-radius.js';
import type { PlanFlags } from '../commands/plan.js';
import { printJson } from '../output/json.js';
import { renderPlan } from '../output/plan-view.js';
import { readParameterInput } from '../parameters-input.js';
import { loadRunbookOrExplain, resolveParametersOrExplain } from '../runbook-input.js';
import { planRun, type RunPlan } from '../run-plan.js';

/** A word as typed: quoted only when the shell would otherwise read it differently. */
function shellWord(text: string): string {
  return /^[\w@%+=:,./-]+$/.test(text) ? text : shellQuote(text);
}

/** `plan --json`: what a run would do, with its targets resolved through SSM unless `offline`. */
export async function buildPlan(
  runbook: NormalizedRunbook,
  values: ParameterValues,
  options: { offline?: boolean; maxTargets: number },
): Promise<RunPlan> {
  const ssm = options.offline ? undefined : createSsmClient();
  try {
    return await planRun(runbook, values, { ...(ssm ? { ssm } : {}), maxTargets: options.maxTargets });
  } finally {
    ssm?.destroy();
  }
}

export async function planAction(file: string, opts: PlanFlags): Promise<void> {
  const runbook = await loadRunbookOrExplain(file);
  const given = readParameterInput(opts);
  const values = resolveParametersOrExplain(runbook, given);
  const maxTargets = maxTargetsOf(opts);
  const plan = await buildPlan(runbook, values, { offline: Boolean(opts.offline), maxTargets });
  if (opts.json) return printJson(plan);
  const confirm = plan.blastRadius?.needsConfirm ? ` --confirm ${plan.blastRadius.instanceCount}` : '';
  const rerun =
    ['ssmflow run', shellWord(file), ...Object.entries(given).map(([k, v]) => `-p ${shellWord(`${k}=${String(v)}`)}`)].join(' ') + confirm;
  process.stdout.write(`${renderPlan(plan, rerun)}\n`);
}
