// `ssmflow audit --format markdown`: the whole story of a run as a document to paste into a
// ticket or postmortem: who started it, every command with its targets and per-instance results,
// every operator action with who and why, in the order they happened.
import { successesByAttempt } from '../../workflows/failed-only-retry.js';
import type { AuditEntry } from '../../workflows/run-state.js';
import type { RunView, StepView } from '../run-view.js';

function cell(text: string): string {
  return text.replace(/\|/g, '\\|').replace(/\n/g, ' ');
}

function fence(lines: readonly string[]): string[] {
  const longest = Math.max(2, ...lines.map((l) => (l.match(/`+/g) ?? []).reduce((m, run) => Math.max(m, run.length), 0)));
  const marks = '`'.repeat(longest + 1);
  return [`${marks}sh`, ...lines, marks];
}

function entryMarkdown(entry: AuditEntry): string[] {
  switch (entry.type) {
    case 'run':
      return [
        `### ${entry.at} — run ${entry.event} (${entry.status})`,
        '',
        `By ${entry.by}${entry.detail ? `: ${entry.detail}` : ''}.`,
        '',
      ];
    case 'operator': {
      const params =
        entry.parameters && Object.keys(entry.parameters).length
          ? ` with parameters ${Object.entries(entry.parameters)
              .map(([k, v]) => `\`${k}=${String(v)}\``)
              .join(', ')}`
          : '';
      const scope = entry.failedOnly ? ' of the failed instances only' : '';
      return [
        `### ${entry.at} — operator: ${entry.action}${scope}${entry.stepId ? ` at step \`${entry.stepId}\`` : ''}`,
        '',
        `By **${entry.by}**${params}. Reason: ${entry.reason ? entry.reason : '_(none given)_'}`,
        '',
      ];
    }
    case 'command': {
      const phase = entry.phase === 'step' ? '' : entry.phase === 'check' ? ' (check)' : ' (rollback)';
      const scope = entry.failedOnly ? ' (failed instances only)' : '';
      return [
        `### ${entry.at} — step \`${entry.stepId}\`${phase}, attempt ${entry.attempt}${scope}: ${entry.status}`,
        '',
        `- SSM command: \`${entry.commandId}\``,
        `- Document: \`${entry.document}\``,
        `- Targets: ${entry.targets}`,
        '',
        ...fence(entry.commands),
        '',
        '| instance | status | details | exit code | output |',
        '| --- | --- | --- | --- | --- |',
        ...entry.instances.map(
          (i) =>
            `| ${i.instanceId} | ${cell(i.status)} | ${cell(i.statusDetails)} | ${i.exitCode} | ${i.output ? `\`${i.output}\`` : '—'} |`,
        ),
        '',
      ];
    }
  }
}

/** Steps whose instances succeeded in different attempts: which attempt each instance succeeded in. */
function attemptsPerInstance(steps: readonly StepView[]): string[] {
  const lines = steps.flatMap((step) => {
    const groups = successesByAttempt(step.succeededInAttempt);
    if (groups.length < 2) return [];
    const rows = groups.flatMap((g) => g.instanceIds.map((id) => `| ${step.id} | ${id} | ${g.attempt} |`));
    const notYet = step.instances.filter((i) => step.succeededInAttempt?.[i.instanceId] === undefined);
    return [...rows, ...notYet.map((i) => `| ${step.id} | ${i.instanceId} | — (${cell(i.statusDetails || i.status)}) |`)];
  });
  if (!lines.length) return [];
  return [
    '## Instances by the attempt they succeeded in',
    '',
    '| step | instance | succeeded in attempt |',
    '| --- | --- | --- |',
    ...lines,
    '',
  ];
}

export function renderAuditMarkdown(view: RunView): string {
  const started = view.audit.find((e) => e.type === 'run' && e.event === 'started');
  const commands = view.audit.filter((e) => e.type === 'command').length;
  const actions = view.audit.filter((e) => e.type === 'operator').length;
  const lines = [
    `# Run ${view.runId}`,
    '',
    '| | |',
    '| --- | --- |',
    `| runbook | ${view.runbook} |`,
    ...(view.cluster ? [`| cluster | ${view.cluster} |`] : []),
    `| status | **${view.status}** |`,
    `| started | ${view.startedAt} by ${view.initiator} |`,
    ...(started?.type === 'run' && started.detail ? [`| reason | ${cell(started.detail)} |`] : []),
    ...(view.endedAt ? [`| ended | ${view.endedAt} |`] : []),
    ...(view.redriveOf ? [`| redrive of | run \`${view.redriveOf.runId}\`, from step ${view.redriveOf.fromStepId} |`] : []),
    ...(view.redrivenAs?.length ? [`| redriven as | ${view.redrivenAs.map((id) => `run \`${id}\``).join(', ')} |`] : []),
    `| parameters | ${
      Object.entries(view.parameters)
        .map(([k, v]) => `\`${k}=${cell(String(v))}\``)
        .join(' ') || '—'
    } |`,
    `| record | ${commands} command${commands === 1 ? '' : 's'}, ${actions} operator action${actions === 1 ? '' : 's'} |`,
    '',
    '## Steps',
    '',
    '| step | status | attempts | SSM commands |',
    '| --- | --- | --- | --- |',
    ...view.steps.map((s) => `| ${s.id} | ${s.status} | ${s.attempts} | ${s.commandIds.map((id) => `\`${id}\``).join(' ') || '—'} |`),
    '',
    ...(view.failure ? [`**Failure** at step \`${view.failure.stepId}\` (${view.failure.phase}): ${view.failure.message}`, ''] : []),
    ...attemptsPerInstance(view.steps),
    '## Timeline',
    '',
    ...view.audit.flatMap(entryMarkdown),
  ];
  return lines.join('\n');
}
