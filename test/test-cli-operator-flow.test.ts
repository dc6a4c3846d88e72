// The ssmflow CLI end to end, as on-call uses it: the real bin/ssmflow.mjs against the local stack,
// with a worker in this process running real SSM activities against the local fleet. A step fails
// because of a file in an instance's sandbox; removing it makes the retry succeed.
import { existsSync, mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { Worker } from '@temporalio/worker';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { fleetClient, startTestFleet, type TestFleet } from '../fleet/test-support.js';
import type { AuditEntry } from '../workflows/run-state.js';
import { runCli, type CliResult } from './harness/cli.js';
import { blockedGateRunbookYaml } from './harness/runbook-fixtures.js';
import { connectTestStack, type TestStack } from './harness/stack.js';

const alpha = ['i-0a1000000000000a1', 'i-0a1000000000000a2', 'i-0a1000000000000a3'];

const runbookYaml = blockedGateRunbookYaml('cli-flow');

interface StatusJson {
  runId: string;
  runbook: string;
  status: string;
  initiator: string;
  steps: {
    id: string;
    status: string;
    attempts: number;
    commandIds: string[];
    instances: { instanceId: string; exitCode: number; outputTail?: string }[];
  }[];
  failure?: { stepId: string; instances: { instanceId: string; exitCode: number }[]; nextActions: string[] };
  nextActions: string[];
}
interface ActionJson {
  action: string;
  by: string;
  accepted: boolean;
  run: StatusJson;
}

describe('ssmflow CLI: run, pause on failure, and the operator actions', () => {
  let stack: TestStack;
  let testFleet: TestFleet;
  let worker: Worker;
  let workerRun: Promise<void>;
  let env: Record<string, string>;
  let runbookFile: string;
  let scratch: string;

  beforeAll(async () => {
    stack = await connectTestStack();
    const bucket = await stack.createBucket('cli-output');
    testFleet = await startTestFleet({ s3Endpoint: stack.s3Endpoint, instances: alpha.map((id) => ({ id, tags: { Cluster: 'alpha' } })) });
    const created = await stack.createWorker({ dependencies: { s3: stack.s3, ssm: fleetClient(testFleet.fleet.endpoint, 3) } });
    worker = created.worker;
    workerRun = worker.run();
    scratch = mkdtempSync(join(tmpdir(), 'ssmflow-cli-'));
    runbookFile = join(scratch, 'cli-flow.yaml');
    writeFileSync(runbookFile, runbookYaml);
    env = {
      TEMPORAL_ADDRESS: stack.temporalAddress,
      SSMFLOW_TASK_QUEUE: created.taskQueue,
      AWS_ENDPOINT_URL_SSM: testFleet.fleet.endpoint,
      AWS_ENDPOINT_URL_S3: stack.s3Endpoint,
      SSMFLOW_OUTPUT_BUCKET: bucket,
    };
  });
  afterAll(async () => {
    worker?.shutdown();
    await workerRun;
    await testFleet?.dispose();
    await stack?.close();
    if (scratch) rmSync(scratch, { recursive: true, force: true });
  });

  const sandbox = (instanceId: string) => join(testFleet.stateDir, 'instances', instanceId);
  const cli = (...args: string[]) => runCli(args, env);
  const block = (instanceId: string) => {
    // Sandboxes appear with an instance's first command.
    mkdirSync(sandbox(instanceId), { recursive: true });
    writeFileSync(join(sandbox(instanceId), 'blocker'), 'remove me to unblock\n');
  };
  const unblock = (instanceId: string) => rmSync(join(sandbox(instanceId), 'blocker'), { force: true });

  /** The step table of `ssmflow status`: its header and one line per step. */
  function stepTable(statusText: string): string[] {
    const lines = statusText.split('\n');
    const header = lines.findIndex((line) => /^\s+#\s+STEP/.test(line));
    const end = lines.indexOf('', header);
    return lines.slice(header, end === -1 ? undefined : end);
  }

  function expectExit(result: CliResult, code: number): void {
    expect(result.code, `exit code of ssmflow\nstdout: ${result.stdout}\nstderr: ${result.stderr}`).toBe(code);
  }

  /** Starts a run that pauses at "gate" because instance a2 has a blocker file. */
  async function pausedRun(reason: string): Promise<StatusJson> {
    block(alpha[1] ?? '');
    const started = await cli(
      'run',
      runbookFile,
      '-p',
      'cluster=alpha',
      '--wait',
      '--json',
      '--as',
      'alice@example.com',
      '--reason',
      reason,
    );
    expectExit(started, 1);
    const paused = started.json<StatusJson>();
    expect(paused.status).toBe('paused-on-failure');
    return paused;
  }

  it('run --wait pauses on the failed step; list finds it; retry after the fix goes on; approve finishes; audit tells the story', async () => {
    const paused = await pausedRun('CHG-1 retry flow');
    const runId = paused.runId;
    // The stable status shape, and the failure an operator acts on.
    expect(paused).toMatchObject({ runbook: 'cli-flow', initiator: 'alice@example.com' });
    expect(paused.steps.map((s) => [s.id, s.status, s.attempts])).toEqual([
      ['prepare', 'succeeded', 1],
      ['gate', 'failed', 1],
      ['approve-finish', 'pending', 0],
      ['finish', 'pending', 0],
    ]);
    expect(paused.steps[1]?.commandIds).toHaveLength(1);
    expect(paused.failure?.stepId).toBe('gate');
    expect(paused.failure?.instances).toEqual([expect.objectContaining({ instanceId: alpha[1], exitCode: 4 })]);
    expect(paused.steps[1]?.instances.find((i) => i.instanceId === alpha[1])?.outputTail).toContain('blocked by');
    expect(paused.nextActions.join('\n')).toContain(`ssmflow retry ${runId}`);

    // Visibility trails the run's own state by a moment.
    let listed: { runId: string; status: string; initiator: string }[] = [];
    for (let attempt = 0; attempt < 5 && !listed.some((r) => r.runId === runId); attempt += 1) {
      const list = await cli('list', '--status', 'paused-on-failure', '--json');
      expectExit(list, 0);
      listed = list.json();
    }
    expect(listed).toContainEqual(expect.objectContaining({ runId, status: 'paused-on-failure', initiator: 'alice@example.com' }));

    unblock(alpha[1] ?? '');
    const retried = await cli('retry', runId, '--as', 'bob@example.com', '--reason', 'removed the blocker', '--wait', '--json');
    expectExit(retried, 0);
    expect(retried.json<ActionJson>()).toMatchObject({
      action: 'retry',
      by: 'bob@example.com',
      accepted: true,
      run: { status: 'waiting-approval' },
    });
    expect(retried.json<ActionJson>().run.steps[1]).toMatchObject({ id: 'gate', status: 'succeeded', attempts: 2 });

    const approved = await cli('approve', runId, '--as', 'carol@example.com', '--reason', 'all green', '--wait', '--json');
    expectExit(approved, 0);
    expect(approved.json<ActionJson>().run.status).toBe('succeeded');

    // The ended run is read from its result, and its step table has the columns of a live one.
    const ended = await cli('status', runId);
    expectExit(ended, 0);
    expect((await cli('status', runId, '--json')).json<{ source: string }>().source).toBe('result');
    expect(stepTable(ended.stdout)).toEqual([
      expect.stringMatching(/^\s+#\s+STEP\s+KIND\s+STATUS\s+ATTEMPTS\s+TIME\s+INSTANCES$/),
      expect.stringMatching(/^\s+1\s+✓\s+prepare\s+run\s+succeeded\s+1 attempt\s+\d+s\s+3\/3 instances ok$/),
      expect.stringMatching(/^\s+2\s+✓\s+gate\s+run\s+succeeded\s+2 attempts\s+\d+s\s+3\/3 instances ok$/),
      expect.stringMatching(/^\s+3\s+✓\s+approve-finish\s+approval\s+succeeded\s+1 attempt\s+\d+s$/),
      expect.stringMatching(/^\s+4\s+✓\s+finish\s+run\s+succeeded\s+1 attempt\s+\d+s\s+3\/3 instances ok$/),
    ]);

    const audit = await cli('audit', runId, '--format', 'json');
    expectExit(audit, 0);
    const story = audit.json<{ status: string; initiator: string; audit: AuditEntry[] }>();
    expect(story).toMatchObject({ status: 'succeeded', initiator: 'alice@example.com' });
    expect(story.audit[0]).toMatchObject({ type: 'run', event: 'started', by: 'alice@example.com', detail: 'CHG-1 retry flow' });
    const gateCommands = story.audit.filter(
      (e): e is Extract<AuditEntry, { type: 'command' }> => e.type === 'command' && e.stepId === 'gate',
    );
    expect(gateCommands.map((e) => [e.attempt, e.status])).toEqual([
      [1, 'Failed'],
      [2, 'Success'],
    ]);
    expect(gateCommands[0]?.targets).toBe('tag:Cluster=alpha');
    expect(gateCommands[0]?.commands.join('\n')).toContain('if [ -f blocker ]');
    expect(gateCommands[0]?.instances.find((i) => i.instanceId === alpha[1])).toMatchObject({
      exitCode: 4,
      output: expect.stringMatching(/^s3:\/\//),
    });
    expect(story.audit.filter((e) => e.type === 'command').map((e) => (e.type === 'command' ? e.stepId : ''))).toEqual([
      'prepare',
      'gate',
      'gate',
      'finish',
    ]);
    const actions = story.audit.filter((e) => e.type === 'operator');
    expect(actions).toEqual([
      expect.objectContaining({ action: 'retry', by: 'bob@example.com', reason: 'removed the blocker', stepId: 'gate' }),
      expect.objectContaining({ action: 'approve', by: 'carol@example.com', reason: 'all green', stepId: 'approve-finish' }),
    ]);
  });

  it('skip leaves the failed step and goes on; an action that does not apply is refused with the run’s reason (exit 2); reject, then abort', async () => {
    const paused = await pausedRun('CHG-2 skip flow');
    const skipped = await cli('skip', paused.runId, '--as', 'bob@example.com', '--reason', 'a2 is being retired', '--wait', '--json');
    expectExit(skipped, 0);
    expect(skipped.json<ActionJson>().run.status).toBe('waiting-approval');
    expect(skipped.json<ActionJson>().run.steps.map((s) => s.status)).toEqual(['succeeded', 'skipped', 'running', 'pending']);

    const refused = await cli('retry', paused.runId, '--as', 'bob@example.com');
    expectExit(refused, 2);
    expect(refused.stderr).toContain(
      `retry refused: run ${paused.runId} is waiting-approval at step approve-finish: retry applies only while the run is paused-on-failure`,
    );
    expect(refused.stderr).not.toMatch(/\n\s+at /);

    const rejected = await cli(
      'approve',
      paused.runId,
      '--reject',
      '--as',
      'carol@example.com',
      '--reason',
      'not today',
      '--wait',
      '--json',
    );
    expectExit(rejected, 1);
    expect(rejected.json<ActionJson>()).toMatchObject({
      action: 'reject',
      run: { status: 'paused-on-failure', failure: { stepId: 'approve-finish' } },
    });

    const aborted = await cli('abort', paused.runId, '--as', 'bob@example.com', '--reason', 'postponed', '--wait', '--json');
    expectExit(aborted, 0);
    expect(aborted.json<ActionJson>().run.status).toBe('failed');
    unblock(alpha[1] ?? '');
  });

  it('rollback undoes the completed steps on the instances, newest first', async () => {
    const paused = await pausedRun('CHG-3 rollback flow');
    expect(alpha.every((id) => existsSync(join(sandbox(id), 'prepared.txt')))).toBe(true);
    const rolledBack = await cli('rollback', paused.runId, '--as', 'dave@example.com', '--reason', 'gate failed', '--wait', '--json');
    expectExit(rolledBack, 0);
    const run = rolledBack.json<ActionJson>().run;
    expect(run.status).toBe('rolled-back');
    expect(run.steps.find((s) => s.id === 'prepare')?.status).toBe('rolled-back');
    expect(alpha.some((id) => existsSync(join(sandbox(id), 'prepared.txt')))).toBe(false);
    unblock(alpha[1] ?? '');
  });

  it('a failure summary tells failed instances from those never run once MaxErrors was reached', async () => {
    const oneAtATime = join(scratch, 'one-at-a-time.yaml');
    writeFileSync(
      oneAtATime,
      runbookYaml
        .replace('name: cli-flow', 'name: one-at-a-time')
        .replace("maxConcurrency: '3', maxErrors: '3'", "maxConcurrency: '1', maxErrors: '0'"),
    );
    // Every instance is blocked: whichever SSM starts first fails, and the other two never start.
    for (const id of alpha) block(id);
    const started = await cli('run', oneAtATime, '-p', 'cluster=alpha', '--wait', '--json', '--as', 'alice@example.com');
    expectExit(started, 1);
    const paused = started.json<StatusJson & { failure: { message: string } }>();
    expect(paused.failure.message).toMatch(
      /^1 failed, 2 not run \(MaxErrors reached\), of 3 instances \(command [0-9a-f-]+\): i-\S+ Failed exit 4: blocked by /,
    );
    const shown = await cli('status', paused.runId);
    expectExit(shown, 0);
    expect(shown.stdout).toContain('1 failed, 2 not run (MaxErrors reached), of 3 instances');
    const aborted = await cli('abort', paused.runId, '--as', 'bob@example.com', '--wait');
    expectExit(aborted, 0);
    for (const id of alpha) unblock(id);
  });
});
