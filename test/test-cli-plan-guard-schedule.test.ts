// The ssmflow CLI end to end for platform teams and scheduled maintenance: `plan` sends nothing,
// the blast-radius guard, bad input (exit 2, naming the field), and schedules that start runs.
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { ListCommandsCommand } from '@aws-sdk/client-ssm';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startTestFleet, type TestFleet } from '../fleet/test-support.js';
import { initiatorKey } from '../workflows/search-attributes.js';
import { runCli, type CliResult } from './harness/cli.js';
import { connectTestStack, uniqueId, type TestStack } from './harness/stack.js';

const alpha = ['i-0a2000000000000a1', 'i-0a2000000000000a2', 'i-0a2000000000000a3'];
const alphaOffline = 'i-0a2000000000000a4';

const runbookYaml = `apiVersion: ssmflow/v1
name: cli-maintenance
parameters:
  cluster: { type: string, pattern: '^[a-z0-9-]+$', required: true }
  toVersion: { type: integer, default: 17, minimum: 14 }
  dbPassword: { type: secret, parameterStore: '/db/{{ cluster }}/password' }
targets: { tags: { Cluster: '{{ cluster }}' } }
maintenanceWindow: { cron: '0 2 * * SUN', duration: 2h, timezone: Europe/Berlin }
steps:
  - id: precheck
    run: ./pg-precheck --to {{ toVersion }}
  - id: approve-cutover
    approval: { message: 'Cut over {{ cluster }}?' }
  - id: cutover
    disruptive: true
    run: printf '%s' {{ dbPassword }} | ./pg-cutover --password-stdin
    rollback: { run: ./pg-switch-back }
`;

describe('ssmflow CLI: plan, blast-radius guard, bad input, schedules', () => {
  let stack: TestStack;
  let testFleet: TestFleet;
  let env: Record<string, string>;
  let scratch: string;
  let runbookFile: string;
  const startedRuns: string[] = [];

  beforeAll(async () => {
    stack = await connectTestStack();
    testFleet = await startTestFleet({
      instances: [
        ...alpha.map((id) => ({ id, tags: { Cluster: 'alpha' } })),
        { id: alphaOffline, tags: { Cluster: 'alpha' }, pingStatus: 'ConnectionLost' },
        { count: 30, idPrefix: 'i-0b2', tags: { Cluster: 'big' } },
      ],
      parameters: [{ name: '/db/alpha/password', type: 'SecureString', value: 'hunter2-not-shown' }],
    });
    scratch = mkdtempSync(join(tmpdir(), 'ssmflow-cli-'));
    runbookFile = join(scratch, 'maintenance.yaml');
    writeFileSync(runbookFile, runbookYaml);
    // No worker polls this queue: runs started here only need to exist.
    env = {
      TEMPORAL_ADDRESS: stack.temporalAddress,
      SSMFLOW_TASK_QUEUE: uniqueId('tq-cli-idle'),
      AWS_ENDPOINT_URL_SSM: testFleet.fleet.endpoint,
    };
  });
  afterAll(async () => {
    await Promise.all(
      startedRuns.map((id) =>
        stack.client.workflow
          .getHandle(id)
          .terminate('test cleanup')
          .catch(() => undefined),
      ),
    );
    await testFleet?.dispose();
    await stack?.close();
    if (scratch) rmSync(scratch, { recursive: true, force: true });
  });

  const cli = (...args: string[]) => runCli(args, env);
  function expectExit(result: CliResult, code: number): void {
    expect(result.code, `exit code of ssmflow\nstdout: ${result.stdout}\nstderr: ${result.stderr}`).toBe(code);
  }

  it('plan shows targets (offline flagged), rendered commands with secrets masked, approvals and the window — and sends nothing', async () => {
    const [json, text] = await Promise.all([
      cli('plan', runbookFile, '-p', 'cluster=alpha', '--json'),
      cli('plan', runbookFile, '-p', 'cluster=alpha', '-p', 'toVersion=16'),
    ]);
    expectExit(json, 0);
    const plan = json.json<{
      sent: boolean;
      parameters: Record<string, unknown>;
      targets: { instanceCount: number; offline: string[]; sets: { selector: string; online: string[] }[] };
      steps: { id: string; commands?: string[]; rollback?: string[]; needsApproval: boolean; disruptive: boolean }[];
      maintenanceWindow: { cron: string; timezone: string };
      blastRadius: { instanceCount: number; limit: number; needsConfirm: boolean };
    }>();
    expect(plan.sent).toBe(false);
    expect(plan.parameters).toEqual({ cluster: 'alpha', toVersion: 17, dbPassword: '(secret) /db/alpha/password' });
    expect(plan.targets.sets).toEqual([expect.objectContaining({ selector: 'tag:Cluster=alpha', online: alpha })]);
    expect(plan.targets.offline).toEqual([alphaOffline]);
    expect(plan.blastRadius).toEqual({ instanceCount: 4, limit: 25, needsConfirm: false });
    expect(plan.steps.map((s) => [s.id, s.needsApproval, s.disruptive])).toEqual([
      ['precheck', false, false],
      ['approve-cutover', true, false],
      ['cutover', false, true],
    ]);
    expect(plan.steps[0]?.commands).toEqual(["./pg-precheck --to '17'"]);
    expect(plan.steps[2]?.commands).toEqual(["printf '%s' '****' | ./pg-cutover --password-stdin"]);
    expect(plan.steps[2]?.rollback).toEqual(['./pg-switch-back']);
    expect(plan.maintenanceWindow).toMatchObject({ cron: '0 2 * * SUN', timezone: 'Europe/Berlin' });

    expectExit(text, 0);
    expect(text.stdout).toContain('Dry run: nothing was sent');
    expect(text.stdout).toContain(`${alphaOffline}  ConnectionLost — OFFLINE`);
    expect(text.stdout).toContain("$ ./pg-precheck --to '16'");
    expect(text.stdout).toContain('needs approval');
    expect(text.stdout).toContain('disruptive: waits for the maintenance window');
    expect(`${json.stdout}${text.stdout}`).not.toContain('hunter2');

    // Nothing reached an instance, and SSM has no command at all.
    expect(testFleet.fleet.executions()).toEqual([]);
    expect((await testFleet.ssm.send(new ListCommandsCommand({}))).Commands ?? []).toEqual([]);
  });

  it('a run above the blast-radius limit needs --confirm with the exact instance count', async () => {
    const [unconfirmed, wrong] = await Promise.all([
      cli('run', runbookFile, '-p', 'cluster=big'),
      cli('run', runbookFile, '-p', 'cluster=big', '--confirm', '29'),
    ]);
    expectExit(unconfirmed, 2);
    expect(unconfirmed.stderr).toContain('runbook cli-maintenance would touch 30 instances, more than the blast-radius limit of 25');
    expect(unconfirmed.stderr).toContain('confirm with --confirm 30');
    expectExit(wrong, 2);
    expect(wrong.stderr).toContain('--confirm 29 does not match: runbook cli-maintenance would touch 30 instances');

    const confirmed = await cli('run', runbookFile, '-p', 'cluster=big', '--confirm', '30', '--as', 'platform@example.com', '--json');
    expectExit(confirmed, 0);
    const started = confirmed.json<{ runId: string; instanceCount: number; initiator: string }>();
    startedRuns.push(started.runId);
    expect(started).toMatchObject({ instanceCount: 30, initiator: 'platform@example.com' });
    expect((await stack.client.workflow.getHandle(started.runId).describe()).type).toBe('runbookRun');
  });

  it('bad input exits 2 with a message naming the field and the fix, never a stack trace', async () => {
    const invalidRunbook = join(scratch, 'invalid.yaml');
    writeFileSync(invalidRunbook, runbookYaml.replace('  - id: precheck\n', '  - id: precheck\n    onFailure: retry\n'));
    const [badValue, unknownParameter, notNameValue, invalidFile, validateInvalid, unknownRun] = await Promise.all([
      cli('run', runbookFile, '-p', 'cluster=alpha', '-p', 'toVersion=seventeen'),
      cli('run', runbookFile, '-p', 'clustr=alpha'),
      cli('plan', runbookFile, '-p', 'cluster'),
      cli('run', invalidRunbook, '-p', 'cluster=alpha'),
      cli('validate', invalidRunbook, runbookFile),
      cli('status', 'no-such-run-7f3a'),
    ]);
    for (const result of [badValue, unknownParameter, notNameValue, invalidFile, validateInvalid, unknownRun]) {
      expectExit(result, 2);
      expect(result.stderr).not.toMatch(/\n\s+at /);
    }
    expect(badValue.stderr).toContain('parameter toVersion: must be a whole number (got "seventeen")');
    expect(unknownParameter.stderr).toContain('parameter clustr: unknown parameter "clustr"');
    expect(unknownParameter.stderr).toContain('did you mean cluster?');
    expect(notNameValue.stderr).toContain('-p "cluster": expected name=value');
    expect(invalidFile.stderr).toMatch(/invalid\.yaml:\d+:\d+ {2}steps\[0\]\.onFailure {2}must be one of/);
    expect(validateInvalid.stdout).toMatch(/steps\[0\]\.onFailure/);
    expect(validateInvalid.stdout).toContain('maintenance.yaml: ok (cli-maintenance, 3 steps)');
    expect(unknownRun.stderr).toContain('no run with id "no-such-run-7f3a"');
    expect(unknownRun.stderr).toContain('fix: list runs with `ssmflow list`');
  });

  it('schedule create validates at create time; trigger starts a runbookRun as schedule:<id>; delete removes it', async () => {
    const scheduleId = uniqueId('weekly-maintenance');
    const badCron = await cli('schedule', 'create', scheduleId, runbookFile, '-p', 'cluster=alpha', '--cron', '0 2 * SUN');
    expectExit(badCron, 2);
    expect(badCron.stderr).toContain('--cron "0 2 * SUN" has 4 fields');

    const created = await cli(
      'schedule',
      'create',
      scheduleId,
      runbookFile,
      '-p',
      'cluster=alpha',
      '--cron',
      '0 2 * * SUN',
      '--timezone',
      'Europe/Berlin',
      '--overlap',
      'skip',
      '--as',
      'sre@example.com',
      '--reason',
      'CHG-77 weekly',
      '--json',
    );
    expectExit(created, 0);
    expect(created.json()).toMatchObject({
      scheduleId,
      runbook: 'cli-maintenance',
      spec: 'cron 0 2 * * SUN (Europe/Berlin)',
      timezone: 'Europe/Berlin',
      initiator: `schedule:${scheduleId}`,
      parameters: { cluster: 'alpha', toVersion: 17, dbPassword: '(secret) /db/alpha/password' },
      overlap: 'skip',
      paused: false,
      createdBy: 'sre@example.com',
    });
    try {
      const triggered = await cli('schedule', 'trigger', scheduleId, '--json');
      expectExit(triggered, 0);
      const { runId } = triggered.json<{ runId: string }>();
      startedRuns.push(runId);
      expect(runId.startsWith(scheduleId)).toBe(true);
      const run = await stack.client.workflow.getHandle(runId).describe();
      expect(run.type).toBe('runbookRun');
      expect(run.typedSearchAttributes.get(initiatorKey)).toBe(`schedule:${scheduleId}`);
    } finally {
      const deleted = await cli('schedule', 'delete', scheduleId);
      expectExit(deleted, 0);
    }
    await expect(stack.client.schedule.getHandle(scheduleId).describe()).rejects.toThrow(/not found/i);
  });
});
