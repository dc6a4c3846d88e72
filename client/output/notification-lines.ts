// The notifications of a run or rollout in `status`: one line each, with how delivery went.
import type { NotificationView } from '../notification-deliveries.js';
import type { NotificationRecord } from '../../workflows/notifier.js';
import { colours as defaultColours, type Colours } from './style.js';
import { ago } from './time.js';

function deliveryText(n: NotificationRecord | NotificationView, c: Colours, nowMs: number): string {
  if (!('delivery' in n)) return c.dim('delivery not read');
  const errors = (n.failed ?? []).map((f) => `${f.webhook}: ${f.error}`).join('; ');
  switch (n.delivery) {
    case 'delivered':
      return `${c.green('delivered')} to ${(n.delivered ?? []).join(', ')}${n.endedAt ? ` ${ago(n.endedAt, nowMs)}` : ''}`;
    case 'sending':
      return c.dim('sending');
    case 'retrying':
      return c.yellow(`retrying (attempt ${n.attempt ?? '?'}): ${errors}`);
    case 'failed':
      return c.red(`failed${n.delivered?.length ? ` (delivered to ${n.delivered.join(', ')})` : ''}: ${errors}`);
    case 'unknown':
      return c.dim(`unknown: ${errors}`);
  }
}

export function notificationLines(
  notifications: readonly (NotificationRecord | NotificationView)[] | undefined,
  c: Colours = defaultColours,
  nowMs = Date.now(),
): string[] {
  if (!notifications?.length) return [];
  return notifications.map(
    (n, index) => `${c.bold(index === 0 ? 'notify' : '      ')}  ${n.kind} ${ago(n.at, nowMs)} → ${deliveryText(n, c, nowMs)}`,
  );
}
