// `ssmflow retry --failed-only`, `pause`/`resume` and `rollout pause`/`resume` end to end: the
// real CLI binary against the local stack, a worker in this process running real SSM activities
// on the local fleet, whose execution journal shows what ran on which instance and how often.
import { mkdirSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { ListCommandsCommand } from '@aws-sdk/client-ssm';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { TestFleet } from '../fleet/test-support.js';
import type { RolloutState } from '../workflows/rollout-state.js';
import type { AuditEntry, RunState } from '../workflows/run-state.js';
import { expectExit, type ActionJson as CliActionJson } from './harness/cli.js';
import { startCliFleet, type CliFleet } from './harness/cli-fleet.js';
import { eventually, holdsWithin } from './harness/eventually.js';
import { uniqueId } from './harness/stack.js';

const instance = (prefix: string, n: number) => `i-0${prefix}${String(n).padStart(15, '0')}`;
const alpha = [1, 2, 3].map((n) => instance('a', n));
const beta = [1, 2, 3, 4].map((n) => instance('b', n));
const gamma = [1, 2].map((n) => instance('c', n));
const rolloutClusters = ['ro-1', 'ro-2', 'ro-3'];
const rolloutInstances = rolloutClusters.map((_, i) => instance('d', i + 1));

/** A runbook on the instances tagged Cluster=<cluster>: its name, then what follows the parameters. */
const clusterRunbook = (name: string, rest: string) => `apiVersion: ssmflow/v1
name: ${name}
parameters:
  cluster: { type: string, pattern: '^[a-z0-9-]+$', required: true }
${rest}`;

// Fails on an instance whose sandbox holds a file named "blocker".
const gateStep = `  - id: gate
    run: |
      if [ -f blocker ]; then echo "blocked on $AWS_SSM_INSTANCE_ID" >&2; exit 4; fi
      echo "gate open on $AWS_SSM_INSTANCE_ID"`;

const failedOnlyYaml = clusterRunbook(
  'failed-only',
  `targets: { tags: { Cluster: '{{ cluster }}' } }
defaults: { rateControl: { maxConcurrency: '3', maxErrors: '3' } }
steps:
  - id: prepare
    run: echo prepared
${gateStep}
  - id: finish
    run: echo finished
`,
);

// One at a time, stopping at the first error: SSM leaves the rest "not run" (Terminated).
const maxErrorsYaml = clusterRunbook(
  'failed-only-max-errors',
  `targets: { tags: { Cluster: '{{ cluster }}' } }
steps:
${gateStep}
    rateControl: { maxConcurrency: '1', maxErrors: '0' }
`,
);

// "hold" runs until the test drops the run's release file into each sandbox.
const pausableYaml = clusterRunbook(
  'pausable',
  `  releaseFile: { type: string, pattern: '^[a-z0-9-]+$', required: true }
targets: { tags: { Cluster: '{{ cluster }}' } }
defaults: { rateControl: { maxConcurrency: '2', maxErrors: '0' } }
steps:
  - id: prepare
    run: echo prepared
    rollback: { run: echo undo-prepare }
  - id: hold
    run: while [ ! -f {{ releaseFile }} ]; do sleep 0.1; done; echo released
  - id: after
    run: echo after
  - id: finish
    run: echo finished
`,
);

const rolloutYaml = clusterRunbook(
  'rollout-pausable',
  `targets: { tags: { Cluster: '{{ cluster }}' } }
steps:
  - id: mark
    run: echo marked
  - id: go-ahead
    approval: { message: 'finish {{ cluster }}?' }
`,
);

interface StatusJson extends Omit<RunState, 'steps'> {
  steps: (RunState['steps'][number] & { instances: { instanceId: string; status: string; statusDetails: string }[] })[];
  nextActions: string[];
}
type ActionJson = CliActionJson<StatusJson>;
type CommandEntry = Extract<AuditEntry, { type: 'command' }>;

describe('ssmflow CLI: retry only the failed instances, pause and resume', () => {
  let setup: CliFleet;
  let testFleet: TestFleet;
  const files: Record<string, string> = {};

  beforeAll(async () => {
    setup = await startCliFleet({
      instances: [
        ...alpha.map((id) => ({ id, tags: { Cluster: 'alpha' } })),
        ...beta.map((id) => ({ id, tags: { Cluster: 'beta' } })),
        ...gamma.map((id) => ({ id, tags: { Cluster: 'gamma' } })),
        ...rolloutInstances.map((id, i) => ({ id, tags: { Cluster: rolloutClusters[i] ?? '' } })),
      ],
    });
    testFleet = setup.testFleet;
    for (const [name, yaml] of Object.entries({
      failedOnly: failedOnlyYaml,
      maxErrors: maxErrorsYaml,
      pausable: pausableYaml,
      rollout: rolloutYaml,
    }))
      files[name] = setup.writeRunbook(name, yaml);
  });
  afterAll(async () => {
    await setup?.dispose();
  });

  const cli = (...args: string[]) => setup.cli(...args);
  const sandbox = (instanceId: string) => join(testFleet.stateDir, 'instances', instanceId);
  const putFile = (instanceId: string, name: string) => {
    // Sandboxes appear with an instance's first command.
    mkdirSync(sandbox(instanceId), { recursive: true });
    writeFileSync(join(sandbox(instanceId), name), `${name}\n`);
  };
  const block = (instanceId: string) => putFile(instanceId, 'blocker');
  const unblock = (instanceId: string) => rmSync(join(sandbox(instanceId), 'blocker'), { force: true });
  /** The fleet's journal: every process started on an instance, for the given commands. */
  const executionsOf = (commandIds: readonly string[]) => testFleet.fleet.executions().filter((e) => commandIds.includes(e.commandId));
  const instancesRun = (commandId: string) => executionsOf([commandId]).map((e) => e.instanceId);

  async function status(runId: string): Promise<StatusJson> {
    const shown = await cli('status', runId, '--json');
    expectExit(shown, 0);
    return shown.json<StatusJson>();
  }

  async function auditOf(runId: string): Promise<AuditEntry[]> {
    const audit = await cli('audit', runId, '--format', 'json');
    expectExit(audit, 0);
    return audit.json<{ audit: AuditEntry[] }>().audit;
  }

  /** Every instance of the step ran it to success exactly once, and nothing ran on it after that. */
  function expectNeverRunAfterSuccess(commandIds: readonly string[], instanceIds: readonly string[]): void {
    const runs = executionsOf(commandIds);
    for (const id of instanceIds) {
      const onInstance = runs.filter((e) => e.instanceId === id).map((e) => e.status);
      expect(
        onInstance.filter((s) => s === 'Success'),
        `successful runs on ${id}: ${onInstance.join(', ')}`,
      ).toHaveLength(1);
      expect(onInstance.at(-1), `last run on ${id}`).toBe('Success');
    }
  }

  it('retry --failed-only sends the failed step only to the instance that failed; status and audit say which attempt each succeeded in', async () => {
    block(alpha[1] ?? '');
    const started = await cli('run', files.failedOnly ?? '', '-p', 'cluster=alpha', '--wait', '--json', '--as', 'alice@example.com');
    expectExit(started, 1);
    const paused = started.json<StatusJson>();
    expect(paused.status).toBe('paused-on-failure');
    const runId = paused.runId;
    expect(paused.nextActions).toContainEqual(
      expect.stringMatching(new RegExp(`^ssmflow retry ${runId} --failed-only +# only on the 1 instance that did not succeed$`)),
    );
    const [firstGate] = paused.steps[1]?.commandIds ?? [];
    expect(instancesRun(firstGate ?? '').sort()).toEqual([...alpha].sort());

    unblock(alpha[1] ?? '');
    const retried = await cli(
      'retry',
      runId,
      '--failed-only',
      '--as',
      'bob@example.com',
      '--reason',
      'a2 unblocked; a1 and a3 are done',
      '--wait',
      '--json',
    );
    expectExit(retried, 0);
    const ended = retried.json<ActionJson>().run;
    expect(ended.status).toBe('succeeded');
    const gate = ended.steps[1];
    expect(gate).toMatchObject({ id: 'gate', status: 'succeeded', attempts: 2 });
    expect(gate?.succeededInAttempt).toEqual({ [alpha[0] ?? '']: 1, [alpha[1] ?? '']: 2, [alpha[2] ?? '']: 1 });
    const secondGate = gate?.commandIds[1] ?? '';
    // The journal: the retry ran on a2 alone, and no instance ran the gate again after it succeeded.
    expect(instancesRun(secondGate)).toEqual([alpha[1]]);
    expectNeverRunAfterSuccess(gate?.commandIds ?? [], alpha);
    const listed = await testFleet.ssm.send(new ListCommandsCommand({ CommandId: secondGate }));
    expect(listed.Commands?.[0]).toMatchObject({ InstanceIds: [alpha[1]], Comment: expect.stringContaining(`${runId}/gate/2@`) });

    const text = await cli('status', runId);
    expectExit(text, 0);
    expect(text.stdout).toMatch(/^\s+2\s+✓\s+gate\s+run\s+succeeded\s+2 attempts\s+\S+\s+3\/3 instances ok$/m);
    expect(text.stdout).toContain(`gate: attempt 1 → ${alpha[0]}, ${alpha[2]} · attempt 2 → ${alpha[1]}`);

    const audit = await auditOf(runId);
    expect(audit.filter((e) => e.type === 'operator')).toEqual([
      expect.objectContaining({
        action: 'retry',
        failedOnly: true,
        by: 'bob@example.com',
        reason: 'a2 unblocked; a1 and a3 are done',
        stepId: 'gate',
      }),
    ]);
    const gateCommands = audit.filter((e): e is CommandEntry => e.type === 'command' && e.stepId === 'gate');
    expect(gateCommands.map((e) => [e.attempt, e.status, e.targets, e.failedOnly ?? false])).toEqual([
      [1, 'Failed', 'tag:Cluster=alpha', false],
      [2, 'Success', alpha[1], true],
    ]);
    const markdown = await cli('audit', runId);
    expectExit(markdown, 0);
    expect(markdown.stdout).toContain('operator: retry of the failed instances only at step `gate`');
    expect(markdown.stdout).toContain('attempt 2 (failed instances only): Success');
    expect(markdown.stdout).toContain(`| gate | ${alpha[1]} | 2 |`);
    expect(markdown.stdout).toContain(`| gate | ${alpha[0]} | 1 |`);
  });

  it('rate control and MaxErrors apply to the retried instances: those never run are retried too, never one that succeeded', async () => {
    const [b1, b2, b3, b4] = beta as [string, string, string, string];
    block(b2);
    block(b3);
    const started = await cli('run', files.maxErrors ?? '', '-p', 'cluster=beta', '--wait', '--json');
    expectExit(started, 1);
    const runId = started.json<StatusJson>().runId;
    // One at a time, MaxErrors 0: b1 succeeds, b2 fails, b3 and b4 are never run.
    const first = started.json<StatusJson>().steps[0];
    expect(first?.instances.map((i) => [i.instanceId, i.statusDetails])).toEqual([
      [b1, 'Success'],
      [b2, 'Failed'],
      [b3, 'Terminated'],
      [b4, 'Terminated'],
    ]);
    expect(instancesRun(first?.commandIds[0] ?? '')).toEqual([b1, b2]);

    unblock(b2);
    const second = await cli('retry', runId, '--failed-only', '--reason', 'b2 fixed', '--wait', '--json');
    expectExit(second, 1);
    const afterSecond = second.json<ActionJson>().run.steps[0];
    const secondCommand = afterSecond?.commandIds[1] ?? '';
    // Sent to b2, b3, b4 with the step's rate control: b3 still fails, so b4 is again not run.
    const listed = (await testFleet.ssm.send(new ListCommandsCommand({ CommandId: secondCommand }))).Commands?.[0];
    expect(listed).toMatchObject({ InstanceIds: [b2, b3, b4], MaxConcurrency: '1', MaxErrors: '0', TargetCount: 3 });
    expect(instancesRun(secondCommand)).toEqual([b2, b3]);
    expect(afterSecond?.instances.map((i) => [i.instanceId, i.statusDetails])).toEqual([
      [b1, 'Success'],
      [b2, 'Success'],
      [b3, 'Failed'],
      [b4, 'Terminated'],
    ]);

    unblock(b3);
    const third = await cli('retry', runId, '--failed-only', '--reason', 'b3 fixed', '--wait', '--json');
    expectExit(third, 0);
    const gate = third.json<ActionJson>().run.steps[0];
    expect(gate).toMatchObject({ status: 'succeeded', attempts: 3 });
    expect(instancesRun(gate?.commandIds[2] ?? '')).toEqual([b3, b4]);
    expect(gate?.succeededInAttempt).toEqual({ [b1]: 1, [b2]: 2, [b3]: 3, [b4]: 3 });
    expectNeverRunAfterSuccess(gate?.commandIds ?? [], beta);
  });

  /** Starts a "pausable" run and waits until its hold step runs on both gamma instances. */
  async function runHeldAtStepHold(releaseFile: string): Promise<string> {
    const started = await cli('run', files.pausable ?? '', '-p', 'cluster=gamma', '-p', `releaseFile=${releaseFile}`, '--json');
    expectExit(started, 0);
    const runId = started.json<{ runId: string }>().runId;
    await eventually(() => testFleet.fleet.executions().filter((e) => e.comment.includes(`${runId}/hold/1@`)), {
      until: (running) => running.length === gamma.length,
      description: `step hold of run ${runId} to run on both instances`,
      timeoutMs: 30_000,
      intervalMs: 100,
    });
    return runId;
  }
  const release = (releaseFile: string) => gamma.forEach((id) => putFile(id, releaseFile));

  /** Waits for the run to hold at its pause. */
  function pausedState(runId: string): Promise<StatusJson> {
    return eventually(() => status(runId), {
      until: (s) => s.status === 'paused',
      hopeless: (s) => ['succeeded', 'failed', 'rolled-back', 'cancelled'].includes(s.status),
      description: `run ${runId} to be paused`,
      timeoutMs: 30_000,
      intervalMs: 200,
    });
  }

  it('pause lets the current step finish, then sends nothing until resume; both audited with who and why', async () => {
    const runId = await runHeldAtStepHold('release-1');
    const asked = await cli('pause', runId, '--as', 'alice@example.com', '--reason', 'replica lag alarm', '--json');
    expectExit(asked, 0);
    expect(asked.json<ActionJson>()).toMatchObject({ action: 'pause', by: 'alice@example.com', accepted: true });
    expect(asked.json<ActionJson>().run).toMatchObject({
      status: 'running',
      pauseRequest: { by: 'alice@example.com', reason: 'replica lag alarm' },
    });
    const again = await cli('pause', runId, '--reason', 'twice');
    expectExit(again, 2);
    expect(again.stderr).toContain(`pause refused: run ${runId} is already pausing (asked by alice@example.com at`);

    // The running step finishes; then the run holds before "after".
    release('release-1');
    const paused = await pausedState(runId);
    expect(paused.steps.map((s) => s.status)).toEqual(['succeeded', 'succeeded', 'pending', 'pending']);
    expect(paused.waitingFor).toMatchObject({
      reason: 'pause',
      stepId: 'after',
      message: 'paused by alice@example.com: replica lag alarm',
    });
    expect(paused.nextActions.map((a) => a.split(/\s+/).slice(0, 3).join(' '))).toEqual([
      `ssmflow resume ${runId}`,
      `ssmflow rollback ${runId}`,
      `ssmflow abort ${runId}`,
    ]);
    const shown = await cli('status', runId);
    expectExit(shown, 0);
    expect(shown.stdout).toMatch(/status\s+⏸ PAUSED at step after/);
    expect(shown.stdout).toContain('held before step after');

    // Nothing is sent while paused: neither the journal nor SSM's command list grows.
    const commandsTo = async (instanceId: string) =>
      (await testFleet.ssm.send(new ListCommandsCommand({ InstanceId: instanceId }))).Commands?.length ?? 0;
    const journalBefore = testFleet.fleet.executions().length;
    const commandsBefore = await commandsTo(gamma[0] ?? '');
    expect(commandsBefore).toBeGreaterThanOrEqual(2);
    const sentWhilePaused = await holdsWithin(
      async () => testFleet.fleet.executions().length > journalBefore || (await commandsTo(gamma[0] ?? '')) > commandsBefore,
      { timeoutMs: 3_000, intervalMs: 100, description: 'a command sent while the run is paused' },
    );
    expect(sentWhilePaused).toBe(false);
    expect((await status(runId)).status).toBe('paused');

    const pausedTwice = await cli('pause', runId, '--reason', 'again');
    expectExit(pausedTwice, 2);
    expect(pausedTwice.stderr).toContain(`pause refused: run ${runId} is already paused (by alice@example.com: replica lag alarm)`);
    const listed = await eventually(
      async () => (await cli('list', '--status', 'paused', '--json')).json<{ runId: string; status: string }[]>(),
      { until: (runs) => runs.some((r) => r.runId === runId), description: `run ${runId} listed as paused`, intervalMs: 500 },
    );
    expect(listed).toContainEqual(expect.objectContaining({ runId, status: 'paused' }));
    const noReason = await cli('resume', runId);
    expectExit(noReason, 2);
    expect(noReason.stderr).toContain("required option '--reason <text>' not specified");

    const resumed = await cli('resume', runId, '--as', 'bob@example.com', '--reason', 'lag back to 0', '--wait', '--json');
    expectExit(resumed, 0);
    const ended = resumed.json<ActionJson>().run;
    expect(ended.status).toBe('succeeded');
    const afterCommands = [...(ended.steps[2]?.commandIds ?? []), ...(ended.steps[3]?.commandIds ?? [])];
    expect(
      executionsOf(afterCommands)
        .map((e) => e.instanceId)
        .sort(),
    ).toEqual([...gamma, ...gamma].sort());

    const audit = await auditOf(runId);
    expect(audit.filter((e) => e.type === 'operator')).toEqual([
      expect.objectContaining({ action: 'pause', by: 'alice@example.com', reason: 'replica lag alarm', stepId: 'hold' }),
      expect.objectContaining({ action: 'resume', by: 'bob@example.com', reason: 'lag back to 0', stepId: 'after' }),
    ]);
    const markdown = await cli('audit', runId);
    expect(markdown.stdout).toContain('operator: pause at step `hold`');
    expect(markdown.stdout).toContain('By **alice@example.com**. Reason: replica lag alarm');
    expect(markdown.stdout).toContain('operator: resume at step `after`');

    const ended2 = await cli('pause', runId, '--reason', 'too late');
    expectExit(ended2, 2);
    expect(ended2.stderr).toContain(`pause refused: run ${runId} has ended (succeeded); pause applies only to a run in progress`);
  });

  it('a paused run can still be rolled back or aborted', async () => {
    const rolledBack = await runHeldAtStepHold('release-2');
    expectExit(await cli('pause', rolledBack, '--reason', 'wrong cluster'), 0);
    release('release-2');
    await pausedState(rolledBack);
    const rollback = await cli('rollback', rolledBack, '--reason', 'undo it', '--wait', '--json');
    expectExit(rollback, 0);
    const undone = rollback.json<ActionJson>().run;
    expect(undone.status).toBe('rolled-back');
    expect(undone.steps.map((s) => s.status)).toEqual(['rolled-back', 'succeeded', 'pending', 'pending']);
    expect(undone.steps[0]?.rollback?.status).toBe('succeeded');

    const aborted = await runHeldAtStepHold('release-3');
    expectExit(await cli('pause', aborted, '--reason', 'stop after this step'), 0);
    release('release-3');
    await pausedState(aborted);
    const abort = await cli('abort', aborted, '--as', 'carol@example.com', '--reason', 'postponed', '--wait', '--json');
    expectExit(abort, 0);
    const stopped = abort.json<ActionJson>().run;
    expect(stopped.status).toBe('failed');
    expect(stopped.steps.map((s) => s.status)).toEqual(['succeeded', 'succeeded', 'pending', 'pending']);
    expect((await auditOf(aborted)).filter((e) => e.type === 'operator').map((e) => (e.type === 'operator' ? e.action : ''))).toEqual([
      'pause',
      'abort',
    ]);
  });

  it('rollout pause starts no new cluster while runs already started go on; rollout resume goes on', async () => {
    const rolloutId = uniqueId('ro-pause');
    const rolloutCli = (...args: string[]) => cli('rollout', ...args);
    const started = await rolloutCli(
      'start',
      files.rollout ?? '',
      '--clusters',
      rolloutClusters.join(','),
      '--waves',
      '100%',
      '--max-in-flight',
      '1',
      '--id',
      rolloutId,
      '--json',
    );
    expectExit(started, 0);
    const runOf = (cluster: string) => `${rolloutId}--${cluster}`;
    const awaitingApproval = (cluster: string) =>
      eventually(() => status(runOf(cluster)), {
        until: (s) => s.status === 'waiting-approval',
        retryErrors: true,
        description: `the run of ${cluster} to wait for approval`,
        timeoutMs: 30_000,
        intervalMs: 200,
      });
    await awaitingApproval('ro-1');

    const paused = await rolloutCli('pause', rolloutId, '--as', 'carol@example.com', '--reason', 'canary looks slow', '--json');
    expectExit(paused, 0);
    expect(paused.json<RolloutState>().pause).toMatchObject({ by: 'carol@example.com', reason: 'canary looks slow' });
    const again = await rolloutCli('pause', rolloutId, '--reason', 'twice');
    expectExit(again, 2);
    expect(again.stderr).toContain(`pause refused: rollout ${rolloutId} is already paused (by carol@example.com: canary looks slow)`);

    // The run already started goes on to its end.
    expectExit(await cli('approve', runOf('ro-1'), '--as', 'lead@example.com', '--reason', 'ok', '--wait'), 0);
    const rolloutState = async () => {
      const shown = await rolloutCli('status', rolloutId, '--json');
      expectExit(shown, 0);
      return shown.json<RolloutState>();
    };
    const held = await eventually(rolloutState, {
      until: (s) => s.status === 'paused' && s.clusters[0]?.status === 'succeeded',
      description: `rollout ${rolloutId} paused with ro-1 done`,
      timeoutMs: 30_000,
      intervalMs: 200,
    });
    expect(held.clusters.map((c) => c.status)).toEqual(['succeeded', 'pending', 'pending']);
    const startedWhilePaused = await holdsWithin(
      async () => (await rolloutState()).clusters.some((c) => c.cluster !== 'ro-1' && c.status !== 'pending'),
      {
        timeoutMs: 3_000,
        intervalMs: 200,
        description: 'a cluster started while the rollout is paused',
      },
    );
    expect(startedWhilePaused).toBe(false);
    const text = await rolloutCli('status', rolloutId);
    expectExit(text, 0);
    expect(text.stdout).toContain('PAUSED — paused by carol@example.com: canary looks slow');
    expect(text.stdout).toContain(`ssmflow rollout resume ${rolloutId} --reason TEXT`);

    const noReason = await rolloutCli('resume', rolloutId);
    expectExit(noReason, 2);
    expect(noReason.stderr).toContain(`was paused by carol@example.com: resuming it needs a reason`);
    const resumed = await rolloutCli('resume', rolloutId, '--as', 'dave@example.com', '--reason', 'canary fine after all', '--json');
    expectExit(resumed, 0);
    await awaitingApproval('ro-2');
    expectExit(await cli('approve', runOf('ro-2'), '--as', 'lead@example.com', '--reason', 'ok', '--wait'), 0);
    // An approval step runs on no instances: a failed-only retry of it is refused, saying what to do instead.
    await awaitingApproval('ro-3');
    expectExit(await cli('approve', runOf('ro-3'), '--as', 'lead@example.com', '--reject', '--reason', 'not yet'), 0);
    await eventually(() => status(runOf('ro-3')), {
      until: (s) => s.status === 'paused-on-failure',
      description: 'ro-3 paused on the rejection',
    });
    const failedOnly = await cli('retry', runOf('ro-3'), '--failed-only', '--reason', 'ask again');
    expectExit(failedOnly, 2);
    expect(failedOnly.stderr).toContain(
      'retry refused: step go-ahead is an approval step: it runs on no instances (fix: retry without --failed-only)',
    );
    expectExit(await cli('retry', runOf('ro-3'), '--reason', 'ask again', '--wait'), 0);
    expectExit(await cli('approve', runOf('ro-3'), '--as', 'lead@example.com', '--reason', 'ok', '--wait'), 0);
    const done = await eventually(rolloutState, {
      until: (s) => s.status === 'succeeded',
      description: `rollout ${rolloutId} to succeed`,
      timeoutMs: 30_000,
      intervalMs: 200,
    });
    expect(done.audit.filter((e) => e.event === 'paused' || e.event === 'resumed')).toEqual([
      expect.objectContaining({ event: 'paused', by: 'carol@example.com', detail: 'canary looks slow' }),
      expect.objectContaining({ event: 'resumed', by: 'dave@example.com', detail: 'canary fine after all' }),
    ]);
  });
});
