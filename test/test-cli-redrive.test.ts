// `ssmflow redrive` end to end, as on-call uses it: a five-step run aborted at its third step is
// continued by a new run that sends nothing for the two steps already done, with the parameter
// change that fixes step 3; both runs name each other in `status` and `audit`.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startCliFleet, type CliFleet } from './harness/cli-fleet.js';
import { expectExit } from './harness/cli.js';

const instances = ['i-0a4000000000000a1', 'i-0a4000000000000a2'];

// s3 fails unless mode=fixed: the run pauses there, the operator aborts, a redrive fixes it.
const runbookYaml = `apiVersion: ssmflow/v1
name: five-steps
parameters:
  cluster: { type: string, required: true }
  mode: { type: enum, values: [broken, fixed], default: broken }
targets: { tags: { Cluster: '{{ cluster }}' } }
defaults: { rateControl: { maxConcurrency: '100%', maxErrors: '100%' } }
steps:
  - { id: s1, run: echo one }
  - { id: s2, run: echo two }
  - id: s3
    run: |
      if [ {{ mode }} != fixed ]; then echo "s3 needs mode=fixed" >&2; exit 4; fi
      echo three
  - { id: s4, run: echo four }
  - { id: s5, run: echo five }
`;

/** `step@instance` for each of the steps on every instance, as ranSteps lists them. */
const each = (...stepIds: string[]) => stepIds.flatMap((s) => instances.map((i) => `${s}@${i}`)).sort();

interface StatusJson {
  runId: string;
  status: string;
  steps: { id: string; status: string; message?: string; commandIds: string[] }[];
  redriveOf?: { runId: string; fromStepId: string };
  redrivenAs?: string[];
}

describe('ssmflow redrive', () => {
  let setup: CliFleet;
  let runbookFile: string;

  beforeAll(async () => {
    setup = await startCliFleet({ instances: instances.map((id) => ({ id, tags: { Cluster: 'redrive' } })) });
    runbookFile = setup.writeRunbook('five-steps', runbookYaml);
  });
  afterAll(async () => {
    await setup?.dispose();
  });

  const cli = (...args: string[]) => setup.cli(...args);
  /** Steps each instance ran for `runId`, from the fleet's journal: step id → count per instance. */
  const ranSteps = (runId: string) =>
    setup.testFleet.fleet
      .executions()
      .filter((e) => e.comment.startsWith(`ssmflow:${runId}/`))
      .map((e) => `${e.comment.slice(`ssmflow:${runId}/`.length).split('/')[0] ?? ''}@${e.instanceId}`)
      .sort();

  /** A run of the five steps paused on failure at s3, then aborted by the operator. */
  async function runAbortedAtStep3(id: string): Promise<void> {
    const started = await cli('run', runbookFile, '-p', 'cluster=redrive', '--id', id, '--wait', '--json', '--reason', 'weekly');
    expectExit(started, 1);
    expect(started.json<StatusJson>().status).toBe('paused-on-failure');
    expectExit(await cli('abort', id, '--reason', 'investigate s3', '--wait'), 0);
  }

  it('continues a run aborted at step 3 of 5 without sending steps 1–2 again, with the parameter change that fixes it', async () => {
    const old = 'redrive-aborted';
    await runAbortedAtStep3(old);
    expect((await cli('status', old, '--json')).json<StatusJson>().status).toBe('failed');

    const redriven = await cli(
      'redrive',
      old,
      '-p',
      'mode=fixed',
      '--reason',
      'mode fixed',
      '--as',
      'oncall@example.com',
      '--wait',
      '--json',
    );
    expectExit(redriven, 0);
    const result = redriven.json<{ runId: string; redriveOf: string; fromStepId: string; carried: string[]; status: string }>();
    expect(result).toMatchObject({
      runId: `${old}-redrive-1`,
      redriveOf: old,
      fromStepId: 's3',
      carried: ['s1', 's2'],
      status: 'succeeded',
    });

    // The fleet ran s1 and s2 once per instance, in the old run only; the redrive ran s3 to s5.
    expect(ranSteps(old)).toEqual(each('s1', 's2', 's3'));
    expect(ranSteps(result.runId)).toEqual(each('s3', 's4', 's5'));

    const newStatus = (await cli('status', result.runId, '--json')).json<StatusJson>();
    expect(newStatus.redriveOf).toEqual({ runId: old, fromStepId: 's3' });
    expect(newStatus.steps.map((s) => s.status)).toEqual(['succeeded', 'succeeded', 'succeeded', 'succeeded', 'succeeded']);
    expect(newStatus.steps[0]?.message).toBe(`succeeded in run ${old}; not sent again`);
    const oldStatus = await cli('status', old);
    expect(oldStatus.stdout).toContain(`redriven as ${result.runId}`);
    expect((await cli('status', old, '--json')).json<StatusJson>().redrivenAs).toEqual([result.runId]);

    // Both audits name the other run.
    const newAudit = await cli('audit', result.runId);
    expectExit(newAudit, 0);
    expect(newAudit.stdout).toContain(`| redrive of | run \`${old}\`, from step s3 |`);
    expect(newAudit.stdout).toContain('carried as done there, not sent again: s1, s2');
    expect(newAudit.stdout).toContain('oncall@example.com');
    const oldAudit = await cli('audit', old);
    expect(oldAudit.stdout).toContain(`| redriven as | run \`${result.runId}\` |`);
  });

  it('refuses what it cannot continue, with the reason and what to type instead (exit 2)', async () => {
    const paused = 'redrive-refusals';
    const started = await cli('run', runbookFile, '-p', 'cluster=redrive', '--id', paused, '--wait', '--reason', 'refusals');
    expectExit(started, 1);
    const running = await cli('redrive', paused, '--reason', 'too early');
    expectExit(running, 2);
    expect(running.stderr).toContain(`run ${paused} is still paused-on-failure`);
    expectExit(await cli('abort', paused, '--reason', 'done with it', '--wait'), 0);

    const later = await cli('redrive', paused, '--from', 's5', '--reason', 'skip ahead');
    expectExit(later, 2);
    expect(later.stderr).toContain('step s3 ended failed');
    expect(later.stderr).toContain(`fix: redrive from s3 or an earlier step`);
    const unknown = await cli('redrive', paused, '--from', 'nope', '--reason', 'typo');
    expectExit(unknown, 2);
    expect(unknown.stderr).toContain('use one of its steps: s1, s2, s3, s4, s5');
    const chooserless = await cli('redrive', paused, '-p', 'cluster=other', '--reason', 'wrong cluster');
    expectExit(chooserless, 2);
    expect(chooserless.stderr).toContain('parameter');

    // A succeeded run continues only from a step named explicitly.
    const fixed = await cli('redrive', paused, '-p', 'mode=fixed', '--reason', 'fixed', '--wait');
    expectExit(fixed, 0);
    const again = await cli('redrive', `${paused}-redrive-1`, '--reason', 'once more');
    expectExit(again, 2);
    expect(again.stderr).toContain('succeeded: every step is done');
    expect(again.stderr).toContain(`--from s1`);
    const missingReason = await cli('redrive', paused);
    expectExit(missingReason, 2);
  });
  it('continues a run terminated while it was paused, from the state it was left in', async () => {
    const id = 'redrive-terminated';
    expectExit(await cli('run', runbookFile, '-p', 'cluster=redrive', '--id', id, '--wait', '--reason', 'terminated later'), 1);
    // Terminate runs no workflow code: the run's last state still says paused-on-failure at s3.
    await setup.stack.client.workflow.getHandle(id).terminate('operator gave up on it');
    const redriven = await cli('redrive', id, '-p', 'mode=fixed', '--reason', 'after the terminate', '--wait', '--json');
    expectExit(redriven, 0);
    expect(redriven.json()).toMatchObject({ runId: `${id}-redrive-1`, fromStepId: 's3', carried: ['s1', 's2'], status: 'succeeded' });
    expect(ranSteps(`${id}-redrive-1`)).toEqual(each('s3', 's4', 's5'));
  });
});
