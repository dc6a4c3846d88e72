// `ssmflow audit` (defined in commands/audit.ts): the audit trail of a run, as Markdown or JSON.
import { CliOperationFailed } from '../cli-errors.js';
import type { AuditFlags } from '../commands/audit.js';
import { withTemporal, type Connected } from '../connection.js';
import { renderAuditMarkdown } from '../output/audit-markdown.js';
import { auditJson } from '../output/audit-json.js';
import { printJson } from '../output/json.js';
import { readRun, type RunView } from '../run-view.js';

/** The run with a readable audit trail (its state), or an error saying where the record is instead. */
export async function readAuditableRun(connected: Connected, runId: string): Promise<RunView> {
  const view = await readRun(connected, runId);
  if (view.source === 'history') {
    throw new CliOperationFailed(
      `run ${runId} ended without a readable state (the workflow was terminated or failed), so its audit trail cannot be read`,
      `its event history is still in Temporal: temporal workflow show --workflow-id ${runId}`,
    );
  }
  return view;
}

export async function auditAction(runId: string, opts: AuditFlags): Promise<void> {
  await withTemporal(opts, async (connected) => {
    const view = await readAuditableRun(connected, runId);
    if (opts.json || opts.format === 'json') return printJson(auditJson(view));
    process.stdout.write(`${renderAuditMarkdown(view)}\n`);
  });
}
