// The two bodies a webhook receives: Slack's incoming-webhook JSON (text plus blocks with the run,
// the step, the failure and the API's links), and ssmflow's own JSON (the event, signed by the
// sender). Pure functions of the event and the API's public URL.
import type { NotificationEvent } from '../../core/notification-event.js';

export interface EventLinks {
  status: string;
  /** POST endpoints of the API for what an operator may do now, by action. */
  actions: Record<string, string>;
}

/** The API's URLs for the event's subject, when the worker knows where `ssmflow serve` is. */
export function eventLinks(event: NotificationEvent, publicUrl: string | undefined): EventLinks | undefined {
  if (!publicUrl) return undefined;
  const base = `${publicUrl.replace(/\/+$/, '')}/v1/${event.subject === 'run' ? 'runs' : 'rollouts'}/${encodeURIComponent(event.id)}`;
  return { status: base, actions: Object.fromEntries(event.actions.map((action) => [action, `${base}/${action}`])) };
}

/** One line that says what happened, for chat previews and logs. */
export function eventHeadline(event: NotificationEvent): string {
  const what = `${event.subject} ${event.id} (${event.runbook}${event.cluster ? ` on ${event.cluster}` : ''})`;
  switch (event.kind) {
    case 'approval-waiting':
      return `${what} waits for approval at step ${event.stepId ?? '?'}`;
    case 'paused-on-failure':
      return `${what} paused: step ${event.stepId ?? '?'} failed`;
    case 'rollback-failed':
      return `${what} paused: the rollback of step ${event.stepId ?? '?'} failed`;
    case 'run-ended':
      return `${what} ended ${event.status}`;
    case 'wave-approval-waiting':
      return `${what} waits for approval of its next wave`;
    case 'error-budget-spent':
      return `${what} halted: its error budget is spent`;
  }
}

function approvalLine(approval: NonNullable<NotificationEvent['approval']>): string {
  const who = approval.approvers ? approval.approvers.join(', ') : 'any approver';
  return `${approval.minApprovals} approval${approval.minApprovals === 1 ? '' : 's'} from ${who}${approval.allowSelfApproval ? '' : ', not the initiator'}`;
}

/** The CLI command that does `action` on the event's run or rollout. */
function cliCommand(event: NotificationEvent, action: string): string {
  if (event.subject === 'rollout') return `ssmflow rollout ${action} ${event.id}`;
  return `ssmflow ${action === 'reject' ? 'approve --reject' : action} ${event.id}`;
}

const slackText = (text: string, limit = 2900) => (text.length > limit ? `${text.slice(0, limit - 1)}…` : text);

/** Slack's incoming-webhook body: `text` as the fallback, blocks for the detail, links as buttons. */
export function slackMessage(event: NotificationEvent, links: EventLinks | undefined) {
  const fields = [
    ['Runbook', event.runbook],
    ...(event.cluster ? [['Cluster', event.cluster]] : []),
    ...(event.stepId ? [['Step', event.stepId]] : []),
    ['Status', event.status],
    ['Started by', event.initiator],
  ].map(([name, value]) => ({ type: 'mrkdwn', text: `*${name}*\n${value}` }));
  const failure = event.failedInstances?.length
    ? event.failedInstances.map((i) => `${i.instanceId}  ${i.statusDetails}  exit ${i.exitCode}`).join('\n')
    : undefined;
  const buttons = links
    ? [
        ...Object.entries(links.actions).map(([action, url]) => ({
          type: 'button',
          text: { type: 'plain_text', text: action },
          url,
          ...(action === 'approve' ? { style: 'primary' } : action === 'abort' || action === 'rollback' ? { style: 'danger' } : {}),
        })),
        { type: 'button', text: { type: 'plain_text', text: 'status' }, url: links.status },
      ]
    : [];
  const headline = eventHeadline(event);
  return {
    text: `ssmflow: ${headline}`,
    blocks: [
      { type: 'section', text: { type: 'mrkdwn', text: slackText(`*${headline}*${event.message ? `\n${event.message}` : ''}`) } },
      { type: 'section', fields },
      ...(event.approval ? [{ type: 'context', elements: [{ type: 'mrkdwn', text: `Needs ${approvalLine(event.approval)}` }] }] : []),
      ...(failure ? [{ type: 'section', text: { type: 'mrkdwn', text: slackText(`*Failed on*\n\`\`\`${failure}\`\`\``) } }] : []),
      ...(buttons.length ? [{ type: 'actions', elements: buttons.slice(0, 25) }] : []),
      {
        type: 'context',
        elements: [
          {
            type: 'mrkdwn',
            text: `${event.actions.length ? `act: ${event.actions.map((a) => `\`${cliCommand(event, a)}\``).join(' · ')} · ` : ''}delivery ${event.key}`,
          },
        ],
      },
    ],
  };
}

/** ssmflow's generic JSON body: the event as it is, with the links. */
export function genericJson(event: NotificationEvent, links: EventLinks | undefined) {
  return { ...event, headline: eventHeadline(event), ...(links ? { links } : {}) };
}
