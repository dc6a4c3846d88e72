// `ssmflow audit` (defined in commands/audit.ts): the audit trail of a run, as Markdown or JSON.
import { CliOperationFailed } from '../cli-errors.js';
import type { AuditFlags } from '../commands/audit.js';
import { withTemporal } from '../connection.js';
import { renderAuditMarkdown } from '../output/audit-markdown.js';
import { printJson } from '../output/json.js';
import { readRun } from '../run-view.js';

export async function auditAction(runId: string, opts: AuditFlags): Promise<void> {
  await withTemporal(opts, async (connected) => {
    const view = await readRun(connected, runId);
    if (view.source === 'history') {
      throw new CliOperationFailed(
        `run ${runId} ended without a readable state (the workflow was terminated or failed), so its audit trail cannot be read`,
        `its event history is still in Temporal: temporal workflow show --workflow-id ${runId}`,
      );
    }
    if (opts.json || opts.format === 'json') {
      const { source: _source, taskQueue: _taskQueue, ...audit } = view;
      return printJson({ ...audit, steps: view.steps.map(({ instances: _instances, ...step }) => step) });
    }
    process.stdout.write(`${renderAuditMarkdown(view)}\n`);
  });
}
