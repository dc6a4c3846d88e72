// Runbooks that several workflow tests run, built from YAML as a user writes them.
import { parseRunbook } from '../../runbook/load.js';
import type { NormalizedRunbook } from '../../runbook/types.js';

export function runbookFromYaml(text: string): NormalizedRunbook {
  const parsed = parseRunbook(text, 'test.yaml');
  if ('errors' in parsed) throw new Error(parsed.errors.map((e) => `${e.path}: ${e.message}`).join('\n'));
  return parsed.normalized;
}

/** prepare (with a rollback), an approval that rolls back when it fails, then cutover. */
export const gatedRunbook = (approvalTimeout = '') =>
  runbookFromYaml(`apiVersion: ssmflow/v1
name: gated
targets: { instanceIds: [i-0123456789abcdef0] }
steps:
  - id: prepare
    run: echo prepare
    rollback: { run: echo unprepare }
  - id: approve-cutover
    approval: { message: 'Cut over now?'${approvalTimeout ? `, timeout: ${approvalTimeout}` : ''} }
    onFailure: rollback
  - id: cutover
    run: echo cutover
`);

/** prepare, then a disruptive restart that starts only inside a one-hour window (UTC cron). */
export const windowedRunbook = (cron: string) =>
  runbookFromYaml(`apiVersion: ssmflow/v1
name: windowed
targets: { instanceIds: [i-0123456789abcdef0] }
maintenanceWindow: { cron: '${cron}', duration: 1h, timezone: UTC }
steps:
  - id: prepare
    run: echo prepare
  - id: restart
    run: echo restart
    disruptive: true
`);
