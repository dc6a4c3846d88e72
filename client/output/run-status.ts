// The `ssmflow status` view: what a tired engineer needs at a glance — where the run is, what
// failed on which instances with their last output lines, and the exact commands to go on.
import { approvalProgressLine } from './approval-progress.js';
import { notificationLines } from './notification-lines.js';
import { terminalRunStatuses, type RunState, type RunStatus, type StepStatus } from '../../workflows/run-state.js';
import { describeBlockers } from '../../workflows/target-lock-table.js';
import type { CheckLine, WaitProgress } from '../../aws/ssm/types.js';
import type { InstanceView, RunView, StepView } from '../run-view.js';
import { formatColumns } from './table.js';
import { colours as defaultColours, type Colours } from './style.js';
import { ago, formatDuration, formatInstant, fromNow } from './time.js';
import { nextActionCommands } from './next-actions.js';
import { countInstanceOutcomes } from '../../workflows/run-audit.js';
import { successesByAttempt } from '../../workflows/failed-only-retry.js';

export const spinnerFrames = ['⠋', '⠙', '⠹', '⠸', '⠼', '⠴', '⠦', '⠧', '⠇', '⠏'];

export interface StatusViewOptions {
  nowMs?: number;
  /** Advances the spinner of running steps (the watch view redraws several times a second). */
  frame?: number;
  colours?: Colours;
  /** Output lines shown per failed instance. */
  tailLines?: number;
  /** Instances listed per step before the rest are summarized. */
  maxInstances?: number;
}

function runStatusText(status: RunStatus, c: Colours): string {
  const label = status.toUpperCase().replace(/-/g, ' ');
  switch (status) {
    case 'succeeded':
      return c.bold(c.green(`✓ ${label}`));
    case 'running':
      return c.bold(c.cyan(`▶ ${label}`));
    case 'waiting-lock':
      return c.bold(c.yellow(`⏸ ${label}`));
    case 'waiting-approval':
      return c.bold(c.yellow(`? ${label}`));
    case 'paused-on-failure':
      return c.bold(c.red(`✗ ${label}`));
    case 'paused':
      return c.bold(c.yellow(`⏸ ${label}`));
    case 'rolling-back':
      return c.bold(c.magenta(`↶ ${label}`));
    case 'rolled-back':
      return c.bold(c.magenta(`↶ ${label}`));
    case 'failed':
    case 'cancelled':
    case 'lock-refused':
      return c.bold(c.red(`✗ ${label}`));
  }
}

function stepSymbol(step: StepView, frame: number, c: Colours): string {
  const symbols: Record<StepStatus, string> = {
    pending: c.dim('·'),
    running: c.cyan(spinnerFrames[frame % spinnerFrames.length] ?? '*'),
    succeeded: c.green('✓'),
    failed: c.red('✗'),
    skipped: c.yellow('↷'),
    'rolled-back': c.magenta('↶'),
    'rollback-failed': c.red('✗'),
  };
  return symbols[step.status];
}

function stepStatusText(step: StepView, c: Colours): string {
  const colourOf: Record<StepStatus, (s: string) => string> = {
    pending: c.dim,
    running: c.cyan,
    succeeded: c.green,
    failed: c.red,
    skipped: c.yellow,
    'rolled-back': c.magenta,
    'rollback-failed': c.red,
  };
  return colourOf[step.status](step.status);
}

function instanceSummary(step: StepView): string {
  if (step.instances.length === 0) return '';
  const ok = step.instances.filter((i) => i.status === 'Success').length;
  if (ok === step.instances.length) return `${ok}/${ok} instances ok`;
  return countInstanceOutcomes(step.instances);
}

function stepTime(step: StepView, nowMs: number): string {
  if (!step.startedAt) return '';
  const end = step.endedAt && step.status !== 'running' ? Date.parse(step.endedAt) : nowMs;
  return formatDuration(end - Date.parse(step.startedAt));
}

function instanceLines(
  instances: readonly InstanceView[],
  options: Required<Pick<StatusViewOptions, 'tailLines' | 'maxInstances'>>,
  c: Colours,
): string[] {
  const failed = instances.filter((i) => i.status !== 'Success');
  const shown = instances.length <= options.maxInstances ? instances : failed.slice(0, options.maxInstances);
  const rows = shown.map((i) => [
    i.status === 'Success' ? c.green('✓') : c.red('✗'),
    i.instanceId,
    i.status === 'Success' ? i.status : c.red(i.statusDetails || i.status),
    i.exitCode >= 0 ? `exit ${i.exitCode}` : c.dim('never ran'),
  ]);
  const lines: string[] = [];
  formatColumns(rows, '    ').forEach((line, index) => {
    lines.push(line);
    const instance = shown[index];
    if (!instance || instance.status === 'Success') return;
    const tail = (instance.outputTail ?? '')
      .split('\n')
      .filter((text) => text.trim() !== '')
      .slice(-options.tailLines);
    for (const text of tail) lines.push(`        ${c.dim('│')} ${text}`);
    if (instance.output && instance.exitCode >= 0) lines.push(c.dim(`        full output: ${instance.output}`));
  });
  const hidden = instances.length - shown.length;
  if (hidden > 0)
    lines.push(
      c.dim(`    … and ${hidden} more (${instances.length - failed.length} succeeded); \`ssmflow status --json\` lists every instance`),
    );
  return lines;
}

/**
 * For steps whose instances succeeded in different attempts (a retry of the failed instances
 * only): which attempt each one succeeded in, e.g. "gate: attempt 1 → i-a, i-c · attempt 2 → i-b".
 */
function attemptLines(steps: readonly StepView[], maxIds = 6): string[] {
  const lines = steps.flatMap((step) => {
    const groups = successesByAttempt(step.succeededInAttempt);
    if (groups.length < 2) return [];
    const ids = (list: string[]) =>
      list.length <= maxIds ? list.join(', ') : `${list.slice(0, maxIds).join(', ')} +${list.length - maxIds}`;
    return [`  ${step.id}: ${groups.map((g) => `attempt ${g.attempt} → ${ids(g.instanceIds)}`).join(' · ')}`];
  });
  return lines.length ? ['', 'succeeded per instance in:', ...lines] : [];
}

/** "waiting: check 7 after 41s — i-…: LAG 1048576 bytes (threshold 65536)"; one line per instance when there are several. */
export function waitProgressLines(progress: WaitProgress, c: Colours, maxInstances = 5): string[] {
  const said = (i: CheckLine) => `${i.instanceId}: ${i.line || c.dim(`(no output) exit ${i.exitCode}`)}`;
  const head = `waiting: check ${progress.check} after ${formatDuration(progress.elapsedMs)}`;
  const only = progress.instanceCount === 1 ? progress.instances[0] : undefined;
  if (only) return [`  ${head} — ${said(only)}`];
  const lines = [`  ${head} — ${progress.passed} of ${progress.instanceCount} instances pass`];
  const shown = progress.instances.filter((i) => i.exitCode !== 0).slice(0, maxInstances);
  for (const instance of shown) lines.push(`    ${said(instance)}`);
  const more = progress.instanceCount - progress.passed - shown.length;
  if (more > 0) lines.push(c.dim(`    … and ${more} more not passing`));
  return lines;
}

/** The run's target lock: what it holds, waits for (and behind whom), or was refused. */
export function lockLines(locks: RunState['locks'], nowMs: number, c: Colours): string[] {
  if (!locks) return [];
  const count = `${locks.instanceIds.length} instance${locks.instanceIds.length === 1 ? '' : 's'}`;
  const ids = locks.instanceIds.length <= 6 ? locks.instanceIds.join(', ') : `${locks.instanceIds.slice(0, 6).join(', ')}, …`;
  const blockers = locks.blockers?.length ? describeBlockers(locks.blockers) : '';
  switch (locks.status) {
    case 'held':
      return [`${c.bold('locks')}   holds ${count} since ${ago(locks.since, nowMs)}: ${ids}`];
    case 'released':
      return [c.dim(`locks   released ${count} ${ago(locks.since, nowMs)}`)];
    case 'waiting':
      return [
        '',
        c.yellow(`⏸ waiting for the target lock on ${count} since ${ago(locks.since, nowMs)}: ${blockers}`),
        c.dim('  it starts when that run ends; `ssmflow locks` lists every holder and waiter'),
      ];
    case 'refused':
      return ['', c.red(`✗ not started: ${count} locked, ${blockers}; nothing was sent`)];
  }
}

/** The whole status screen as text (colour codes only when `colours` produces them). */
export function renderRunStatus(view: RunView, options: StatusViewOptions = {}): string {
  const c = options.colours ?? defaultColours;
  const nowMs = options.nowMs ?? Date.now();
  const frame = options.frame ?? 0;
  const detail = { tailLines: options.tailLines ?? 5, maxInstances: options.maxInstances ?? 12 };
  const lines: string[] = [];

  const where = view.currentStepId && !terminalRunStatuses.includes(view.status) ? ` at step ${c.bold(view.currentStepId)}` : '';
  lines.push(`${c.bold('run')}     ${view.runId}`);
  lines.push(
    `        runbook ${view.runbook}${view.cluster ? ` · cluster ${view.cluster}` : ''} · started by ${view.initiator} ${ago(view.startedAt, nowMs)}${view.endedAt ? ` · ended ${ago(view.endedAt, nowMs)}` : ''}`,
  );
  lines.push(`${c.bold('status')}  ${runStatusText(view.status, c)}${where}`);
  const parameters = Object.entries(view.parameters);
  if (parameters.length) lines.push(`${c.bold('params')}  ${parameters.map(([k, v]) => `${k}=${String(v)}`).join('  ')}`);

  if (view.redriveOf) lines.push(`${c.bold('redrive')} of run ${view.redriveOf.runId}, from step ${view.redriveOf.fromStepId}`);
  if (view.redrivenAs?.length) lines.push(`${c.bold('redriven')} as ${view.redrivenAs.join(', ')}`);
  lines.push(...lockLines(view.locks, nowMs, c));
  lines.push(...notificationLines(view.notifications, c, nowMs));
  const waiting = view.waitingFor;
  if (waiting?.reason === 'maintenance-window') {
    const until = waiting.until ? ` until ${formatInstant(waiting.until)} (${fromNow(waiting.until, nowMs)})` : ' (no window is scheduled)';
    lines.push(
      '',
      c.yellow(`⏸ waiting for maintenance window${until}`),
      c.dim(`  step ${waiting.stepId} is disruptive: ${waiting.message ?? ''}`),
    );
  } else if (waiting?.reason === 'approval') {
    lines.push(
      '',
      c.yellow(`? waiting for approval of step ${waiting.stepId} since ${ago(waiting.since, nowMs)}: ${waiting.message ?? ''}`),
      ...(waiting.approval ? [c.dim(`  ${approvalProgressLine(waiting.approval, view.initiator)}`)] : []),
    );
  } else if (waiting?.reason === 'pause') {
    lines.push('', c.yellow(`⏸ held before step ${waiting.stepId} since ${ago(waiting.since, nowMs)}: ${waiting.message ?? ''}`));
  }
  const pause = view.pauseRequest;
  if (pause && view.status !== 'paused') {
    lines.push(
      '',
      c.yellow(`⏸ pause asked by ${pause.by} ${ago(pause.at, nowMs)} (${pause.reason}): the run holds once the current step finishes`),
    );
  }
  if (view.pastPointOfNoReturn) {
    lines.push(
      '',
      c.yellow(
        `⚠ past the point of no return since ${ago(view.pastPointOfNoReturn.at, nowMs)} (step ${view.pastPointOfNoReturn.stepId}): this run can no longer roll back; fix forward`,
      ),
    );
  }

  if (view.steps.length) {
    lines.push('');
    const rows = view.steps.map((step, index) => [
      c.dim(String(index + 1).padStart(2)),
      stepSymbol(step, frame, c),
      step.id,
      step.kind ?? '',
      stepStatusText(step, c),
      step.attempts ? `${step.attempts} attempt${step.attempts === 1 ? '' : 's'}` : '',
      stepTime(step, nowMs),
      step.rollback
        ? `${instanceSummary(step)}${instanceSummary(step) ? ' · ' : ''}rollback ${step.rollback.status}`
        : instanceSummary(step),
    ]);
    lines.push(
      ...formatColumns([[' #', '', 'STEP', 'KIND', 'STATUS', 'ATTEMPTS', 'TIME', 'INSTANCES'].map((h) => c.dim(h)), ...rows], ' '),
    );
    lines.push(...attemptLines(view.steps));
  } else if (view.source === 'history') {
    lines.push('', c.dim('(the run ended without a readable state: only what Temporal visibility records is shown)'));
  }

  const running = view.steps.find((s) => s.status === 'running' && s.id === view.currentStepId);
  if (running && view.status === 'running' && !waiting) {
    lines.push(
      '',
      `${c.cyan(spinnerFrames[frame % spinnerFrames.length] ?? '*')} step ${c.bold(running.id)} running for ${stepTime(running, nowMs)}${running.attempts > 1 ? ` (attempt ${running.attempts})` : ''}`,
    );
    if (running.progress) lines.push(...waitProgressLines(running.progress, c));
  }

  const failure = view.failure;
  if (failure) {
    const failedStep = view.steps.find((s) => s.id === failure.stepId);
    lines.push(
      '',
      c.red(c.bold(`${failure.phase === 'rollback' ? 'Rollback failed' : 'Failed'}: step ${failure.stepId}`)) +
        c.red(` — ${failure.message}`),
    );
    if (failedStep?.instances.length) lines.push(...instanceLines(failedStep.instances, detail, c));
    else if (failure.instances.length)
      lines.push(
        ...instanceLines(
          failure.instances.map((i) => ({ ...i, status: 'Failed' })),
          detail,
          c,
        ),
      );
  }

  const actions = nextActionCommands(view);
  if (actions.length && view.status !== 'running') {
    lines.push('', c.bold('Next:'));
    for (const action of actions) lines.push(`  ${action.replace(/(\s+#.*)$/, (comment: string) => c.dim(comment))}`);
  }
  if (terminalRunStatuses.includes(view.status)) {
    lines.push('', c.dim(`The whole story: ssmflow audit ${view.runId}`));
  }
  return lines.join('\n');
}
