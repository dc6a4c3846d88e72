// `ssmflow plan` for people: read top to bottom as "this is what would happen".
import { formatDuration as formatRunbookDuration } from '../../runbook/duration.js';
import type { RunPlan } from '../run-plan.js';
import { approvalProgressLine } from './approval-progress.js';
import { colours as c } from './style.js';
import { formatColumns } from './table.js';
import { formatInstant, fromNow } from './time.js';

export function renderPlan(plan: RunPlan, rerun: string): string {
  const lines: string[] = [];
  lines.push(`${c.bold('Plan')} for runbook ${c.bold(plan.runbook)}${plan.description ? ` — ${plan.description}` : ''}`);
  lines.push(c.dim('Dry run: nothing was sent to any instance.'));
  const params = Object.entries(plan.parameters);
  if (params.length) {
    lines.push('', c.bold('Parameters'));
    lines.push(
      ...formatColumns(
        params.map(([k, v]) => [k, String(v)]),
        '  ',
      ),
    );
  }

  lines.push('', c.bold('Targets'));
  if (!plan.targets) {
    lines.push(...plan.selectors.map((s) => `  ${s}`), c.dim('  (not resolved: --offline)'));
  } else {
    for (const set of plan.targets.sets) {
      lines.push(
        `  ${set.selector}  ${c.dim(`(steps ${set.steps.join(', ')})`)}: ${set.online.length} online${set.offline.length ? c.yellow(`, ${set.offline.length} OFFLINE`) : ''}${set.missing.length ? c.red(`, ${set.missing.length} unknown to SSM`) : ''}`,
      );
      const rows = [
        ...set.online.map((id) => [c.green('●'), id, 'Online', '']),
        ...set.offline.map((o) => [
          c.yellow('○'),
          o.instanceId,
          c.yellow(`${o.pingStatus} — OFFLINE, commands will wait for delivery and may time out`),
          o.lastPingAt ? c.dim(`last seen ${formatInstant(o.lastPingAt)}`) : '',
        ]),
        ...set.missing.map((id) => [c.red('?'), id, c.red('not a managed instance (typo, terminated, or no SSM agent)'), '']),
      ];
      if (rows.length === 0) lines.push(c.red('    no instance matches: the run would fail at its first command'));
      lines.push(...formatColumns(rows, '    '));
    }
    const radius = plan.blastRadius;
    if (radius) {
      lines.push(
        radius.needsConfirm
          ? c.yellow(
              `  ${radius.instanceCount} instances in all: above the blast-radius limit of ${radius.limit}; \`run\` needs --confirm ${radius.instanceCount}`,
            )
          : `  ${radius.instanceCount} instance${radius.instanceCount === 1 ? '' : 's'} in all (limit without --confirm: ${radius.limit})`,
      );
    }
  }

  if (plan.maintenanceWindow) {
    const w = plan.maintenanceWindow;
    lines.push('', c.bold('Maintenance window'));
    lines.push(`  ${w.cron} (${w.timezone}), ${formatRunbookDuration(w.durationMs)} long`);
    lines.push(
      w.openNow
        ? c.green(`  open now, until ${formatInstant(w.closesAt)} (${fromNow(w.closesAt ?? '')})`)
        : c.yellow(
            `  closed now; next opens ${formatInstant(w.opensAt)} (${w.opensAt ? fromNow(w.opensAt) : 'never'}) — disruptive steps would wait for it`,
          ),
    );
  }

  lines.push('', c.bold('Steps'));
  for (const step of plan.steps) {
    const flags = [
      step.needsApproval ? c.yellow('needs approval') : '',
      step.pointOfNoReturn ? c.red('point of no return: no rollback once it starts') : '',
      step.disruptive
        ? c.yellow(plan.maintenanceWindow?.openNow ? 'disruptive (window open)' : 'disruptive: waits for the maintenance window')
        : '',
      step.onFailure && step.onFailure !== 'pause' ? `on failure: ${step.onFailure}` : '',
      step.retryAttempts && step.retryAttempts > 1 ? `${step.retryAttempts} attempts` : '',
    ].filter(Boolean);
    lines.push(`  ${c.dim(`${step.index}.`)} ${c.bold(step.id)} ${c.dim(step.kind)}${flags.length ? `  [${flags.join(', ')}]` : ''}`);
    if (step.description) lines.push(c.dim(`     ${step.description}`));
    if (step.targets)
      lines.push(
        `     on ${step.targets}${step.rateControl ? c.dim(` · concurrency ${step.rateControl.maxConcurrency}, errors ${step.rateControl.maxErrors}`) : ''}${step.timeoutMs ? c.dim(` · timeout ${formatRunbookDuration(step.timeoutMs)}`) : ''}`,
      );
    if (step.wait) {
      const giveUp = step.wait.giveUpExitCode === undefined ? '' : `; gives up at once when it exits ${step.wait.giveUpExitCode}`;
      lines.push(
        c.dim(
          `     until it passes: every ${formatRunbookDuration(step.wait.intervalMs)}, for at most ${formatRunbookDuration(step.wait.timeoutMs)}${giveUp}`,
        ),
      );
    }
    for (const command of step.commands ?? [])
      lines.push(
        ...command
          .trimEnd()
          .split('\n')
          .map((line, i) => `     ${i === 0 ? c.cyan('$') : ' '} ${line}`),
      );
    if (step.document) lines.push(`     document ${step.document.name} ${JSON.stringify(step.document.parameters)}`);
    if (step.approvalMessage) lines.push(`     asks: ${step.approvalMessage}`);
    if (step.approvalPolicy) lines.push(`     approved by: ${approvalProgressLine({ ...step.approvalPolicy, given: [] })}`);
    if (step.sleepMs) lines.push(`     sleeps ${formatRunbookDuration(step.sleepMs)}`);
    for (const command of step.rollback ?? [])
      lines.push(
        ...command
          .trimEnd()
          .split('\n')
          .map((line, i) => `     ${i === 0 ? c.magenta('↶') : ' '} ${line}`),
      );
  }
  lines.push('', `To start it: ${rerun}`);
  return lines.join('\n');
}
