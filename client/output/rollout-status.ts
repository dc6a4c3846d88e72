import type { RolloutStatusView } from '../rollouts.js';
import { approvalProgressLine } from './approval-progress.js';
import { notificationLines } from './notification-lines.js';
import { describeDiscovery, type RolloutState } from '../../workflows/rollout-state.js';
import { colours as c } from './style.js';
import { formatColumns } from './table.js';
import { ago } from './time.js';

const statusColour: Record<RolloutState['status'], (text: string) => string> = {
  running: c.cyan,
  'waiting-approval': c.yellow,
  halted: c.red,
  paused: c.yellow,
  succeeded: c.green,
  failed: c.red,
  cancelled: c.yellow,
};

/** The rollout at a glance: per wave, then the clusters that need a look, then what to do next. */
export function renderRolloutStatus(state: RolloutStatusView): string {
  const lines: string[] = [];
  lines.push(`rollout ${c.bold(state.rolloutId)}`);
  lines.push(
    `        runbook ${state.runbook} · ${state.clusters.length} clusters · started by ${state.initiator} ${ago(state.startedAt)}`,
  );
  if (state.discovery) {
    const d = state.discovery;
    const tag = describeDiscovery(d);
    lines.push(
      'pending' in d
        ? `found   discovering clusters by tag ${tag} …`
        : `found   ${d.clusters} clusters (${d.instances} instances) by tag ${tag} ${ago(d.at)}`,
    );
  }
  lines.push(
    `status  ${statusColour[state.status](state.status.toUpperCase())}${state.waitingFor ? ` — ${state.waitingFor.message}` : ''}`,
  );
  if (state.waitingFor?.approval) lines.push(`        ${approvalProgressLine(state.waitingFor.approval, state.initiator)}`);
  // A pause asked while the rollout waits for wave approval shows here until it takes hold.
  if (state.pause && state.waitingFor?.reason !== 'pause')
    lines.push(`        paused by ${state.pause.by} ${ago(state.pause.at)}: ${state.pause.reason} (no new cluster starts)`);
  const ending = state.audit.findLast((a) => a.event === 'finished');
  if (state.status === 'failed' && ending?.detail) lines.push(`        ${ending.detail}`);
  lines.push(
    `budget  ${state.errorBudget.failedClusters} failed of ${state.errorBudget.allowedFailures} allowed (error budget "${state.errorBudget.spec}") · at most ${state.maxInFlight} clusters at once` +
      (state.generation ? ` · continued as new ${state.generation}×` : ''),
  );
  lines.push(...notificationLines(state.notifications));
  lines.push('');
  const waveRows = state.waves.map((w) => [
    `${w.index + 1}${w.index === state.currentWave && !['succeeded', 'failed'].includes(state.status) ? ' ▶' : ''}`,
    String(w.size),
    String(w.pending),
    String(w.running),
    String(w.succeeded),
    w.failed ? c.red(String(w.failed)) : '0',
  ]);
  lines.push(...formatColumns([['WAVE', 'CLUSTERS', 'PENDING', 'RUNNING', 'SUCCEEDED', 'FAILED'], ...waveRows], '  '));
  const notable = state.clusters.filter((cl) => cl.status === 'failed' || cl.status === 'running');
  if (notable.length) {
    lines.push('');
    lines.push(
      ...formatColumns(
        notable.map((cl) => [
          cl.status === 'failed' ? c.red('✗') : c.cyan('▶'),
          cl.cluster,
          cl.runStatus ?? cl.status,
          cl.runId ? `ssmflow status ${cl.runId}` : '',
          cl.message ? cl.message.slice(0, 80) : '',
        ]),
        '  ',
      ),
    );
  }
  const next: string[] = [];
  if (state.status === 'waiting-approval') next.push(`ssmflow rollout approve ${state.rolloutId}`);
  if (state.status === 'halted') next.push(`ssmflow rollout resume ${state.rolloutId} --error-budget ${state.errorBudget.failedClusters}`);
  else if (state.pause) next.push(`ssmflow rollout resume ${state.rolloutId} --reason TEXT`);
  if (next.length) lines.push('', 'Next:', ...next.map((n) => `  ${n}`));
  return lines.join('\n') + '\n';
}
