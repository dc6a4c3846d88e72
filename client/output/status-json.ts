import type { RunView } from '../run-view.js';
import { nextActionCommands, runAllowedActions } from './next-actions.js';

/** `status --json`: the run without its audit trail (that is `ssmflow audit`), plus what to do next. */
export function statusJson(view: RunView) {
  const { audit: _audit, ...rest } = view;
  return { ...rest, allowedActions: runAllowedActions(view), nextActions: nextActionCommands(view) };
}
