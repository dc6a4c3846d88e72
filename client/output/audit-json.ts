import type { RunView } from '../run-view.js';

/** `audit --json`: the run with its audit trail, without the per-instance detail `status` shows. */
export function auditJson(view: RunView) {
  const { source: _source, taskQueue: _taskQueue, ...audit } = view;
  return { ...audit, steps: view.steps.map(({ instances: _instances, ...step }) => step) };
}
