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

/**
 * prepare, a gate that fails on an instance whose sandbox holds a `blocker` file (remove it and a
 * retry succeeds), an approval, then finish: the on-call story of the CLI and API flow tests.
 */
export const blockedGateRunbookYaml = (name: string) => `apiVersion: ssmflow/v1
name: ${name}
parameters:
  cluster: { type: string, pattern: '^[a-z0-9-]+$', required: true }
targets: { tags: { Cluster: '{{ cluster }}' } }
defaults: { rateControl: { maxConcurrency: '3', maxErrors: '3' } }
steps:
  - id: prepare
    run: echo prepared > prepared.txt
    rollback: { run: rm -f prepared.txt }
  - id: gate
    run: |
      if [ -f blocker ]; then echo "blocked by $PWD/blocker" >&2; exit 4; fi
      echo "gate open on $AWS_SSM_INSTANCE_ID"
  - id: approve-finish
    approval: { message: 'Finish {{ cluster }}?' }
  - id: finish
    run: echo finished
`;

/** One echo step on the instances tagged Cluster=<cluster>: the smallest real run. */
export const echoRunbookYaml = (name: string) => `apiVersion: ssmflow/v1
name: ${name}
parameters:
  cluster: { type: string, pattern: '^[a-z0-9-]+$', required: true }
targets: { tags: { Cluster: '{{ cluster }}' } }
steps:
  - id: hello
    run: echo hello {{ cluster }}
`;
