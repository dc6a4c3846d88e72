import { nextActions } from '../../workflows/operator-actions.js';
import type { RunView } from '../run-view.js';

/** `status --json`: the run without its audit trail (that is `ssmflow audit`), plus what to do next. */
export function statusJson(view: RunView) {
  const { audit: _audit, ...rest } = view;
  return { ...rest, nextActions: view.failure?.nextActions.length ? view.failure.nextActions : nextActions(view.runId, view.status, 'step', !view.pastPointOfNoReturn) };
}
