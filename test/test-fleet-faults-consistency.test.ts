// The fleet's consistency faults — answers lost after the work was done, commands and invocations
// listed late — and the `aws` stand-in that lets a step read Parameter Store itself. Everything
// goes through the stock @aws-sdk/client-ssm without retries, so a lost answer is seen as such.
import { createHash } from 'node:crypto';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import {
  GetCommandInvocationCommand,
  ListCommandInvocationsCommand,
  ListCommandsCommand,
  SendCommandCommand,
  type SSMClient,
} from '@aws-sdk/client-ssm';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { FleetConfigError, parseFleetConfig } from '../fleet/config.js';
import { seededRandom } from '../fleet/faults.js';
import { startFleet } from '../fleet/server.js';
import { fleetClient, rejection, startTestFleet, type TestFleet, waitForCommand } from '../fleet/test-support.js';
import { eventually } from './harness/eventually.js';

const N1 = 'i-0fc000000000000c1';
const N2 = 'i-0fc000000000000c2';

const send = async (ssm: SSMClient, instanceIds: string[], commands: string[], comment?: string) =>
  (
    await ssm.send(
      new SendCommandCommand({
        DocumentName: 'AWS-RunShellScript',
        InstanceIds: instanceIds,
        Parameters: { commands },
        ...(comment ? { Comment: comment } : {}),
      }),
    )
  ).Command?.CommandId ?? '';

/** A seed whose first draw is at least `min`: a lag drawn right after reseeding with it is at least that fraction of the maximum. */
function seedWithFirstDraw(min: number): number {
  for (let seed = 1; ; seed++) if (seededRandom(seed)() >= min) return seed;
}

const postFaults = (endpoint: string, body: unknown) => fetch(`${endpoint}/_fleet/faults`, { method: 'POST', body: JSON.stringify(body) });

describe('fleet: lost answers and listing lag', () => {
  let t: TestFleet;
  let ssm: SSMClient;
  beforeAll(async () => {
    t = await startTestFleet({
      seed: 7,
      invocationVisibilityDelayMs: 0,
      instances: [
        { id: N1, tags: {} },
        { id: N2, tags: {} },
      ],
    });
    ssm = t.ssm;
  });
  afterAll(() => t.dispose());

  it('dropResponseAfterCommit: SendCommand fails with a network error, yet the command was created and ran', async () => {
    t.fleet.setFaults({ global: { dropResponseAfterCommit: { SendCommand: 1 } } });
    const lost = await rejection(send(ssm, [N1], ['echo ran'], 'lost-answer'));
    expect(lost.message).toMatch(/socket hang up|ECONNRESET/);
    // Other operations still answer under a per-operation rate.
    const listed = await ssm.send(new ListCommandsCommand({}));
    t.fleet.setFaults({ global: null });
    const created = listed.Commands?.find((c) => c.Comment === 'lost-answer');
    expect(created?.CommandId).toBeDefined();
    expect(await waitForCommand(ssm, created?.CommandId ?? '')).toMatchObject({ Status: 'Success', Comment: 'lost-answer' });
    expect(t.fleet.executions().filter((e) => e.comment === 'lost-answer')).toMatchObject([
      { instanceId: N1, status: 'Success', exitCode: 0 },
    ]);

    // Per instance: calls naming the instance lose their answers, others do not.
    expect((await postFaults(t.fleet.endpoint, { instances: { [N2]: { dropResponseAfterCommit: 1 } } })).status).toBe(200);
    expect((await rejection(send(ssm, [N1, N2], ['true'], 'lost-per-instance'))).message).toMatch(/socket hang up|ECONNRESET/);
    const answered = await send(ssm, [N1], ['true'], 'answered');
    expect((await ssm.send(new GetCommandInvocationCommand({ CommandId: answered, InstanceId: N1 }))).CommandId).toBe(answered);
    expect((await postFaults(t.fleet.endpoint, { instances: { [N2]: null } })).status).toBe(200);
    const perInstance = (await ssm.send(new ListCommandsCommand({}))).Commands?.find((c) => c.Comment === 'lost-per-instance');
    expect(await waitForCommand(ssm, perInstance?.CommandId ?? '')).toMatchObject({ Status: 'Success', TargetCount: 2 });
  });

  it('dropResponseAfterCommit: a fractional rate drops the same sends for the same seed, and every send created its command', async () => {
    const pattern = async (batch: string) => {
      const lost: boolean[] = [];
      for (let i = 0; i < 16; i++)
        lost.push(
          await send(ssm, [N1], ['true'], `${batch}-${i}`).then(
            () => false,
            () => true,
          ),
        );
      return lost;
    };
    t.fleet.setFaults({ global: { dropResponseAfterCommit: { SendCommand: 0.5 } }, seed: 11 });
    const first = await pattern('drop-a');
    t.fleet.setFaults({ seed: 11 });
    const second = await pattern('drop-b');
    t.fleet.setFaults({ global: null });
    expect(second).toEqual(first);
    expect(first.filter(Boolean).length).toBeGreaterThan(2);
    expect(first.filter(Boolean).length).toBeLessThan(14);
    const comments = ((await ssm.send(new ListCommandsCommand({}))).Commands ?? []).map((c) => c.Comment ?? '');
    expect(comments.filter((c) => c.startsWith('drop-a-'))).toHaveLength(16);
    expect(comments.filter((c) => c.startsWith('drop-b-'))).toHaveLength(16);
  });

  it('listingLagMs: a new command is missing from listings for its lag, while a lookup by CommandId finds it at once', async () => {
    // The first draw after reseeding is ≥ 0.6, so this command's lag is ≥ 1.5 s of the 2.5 s maximum.
    t.fleet.setFaults({ global: { listingLagMs: 2_500 }, seed: seedWithFirstDraw(0.6) });
    const sentAt = Date.now();
    const id = await send(ssm, [N1], ['echo listed-late']);
    const recent = () =>
      ssm.send(new ListCommandsCommand({ Filters: [{ key: 'InvokedAfter', value: new Date(sentAt - 60_000).toISOString() }] }));
    expect((await recent()).Commands?.map((c) => c.CommandId)).not.toContain(id);
    expect((await ssm.send(new ListCommandsCommand({ InstanceId: N1 }))).Commands?.map((c) => c.CommandId)).not.toContain(id);
    expect((await ssm.send(new ListCommandsCommand({ CommandId: id }))).Commands?.map((c) => c.CommandId)).toEqual([id]);
    // The rest of the by-id API is consistent too.
    expect(await waitForCommand(ssm, id)).toMatchObject({ Status: 'Success' });
    expect((await ssm.send(new GetCommandInvocationCommand({ CommandId: id, InstanceId: N1 }))).StandardOutputContent).toBe(
      'listed-late\n',
    );
    await eventually(async () => ((await recent()).Commands?.some((c) => c.CommandId === id) ? true : undefined), {
      timeoutMs: 10_000,
      description: 'the command to be listed',
    });
    expect(Date.now() - sentAt).toBeGreaterThanOrEqual(1_500);
    t.fleet.setFaults({ global: null });
    // Without the fault a new command is listed at once.
    const prompt = await send(ssm, [N1], ['true']);
    expect((await recent()).Commands?.[0]?.CommandId).toBe(prompt);
  });

  it('invocationListingLagMs: a finished command shows Complete while its invocations do not exist yet, then they appear', async () => {
    t.fleet.setFaults({ global: { invocationListingLagMs: 3_000 }, seed: seedWithFirstDraw(0.6) });
    const sentAt = Date.now();
    const id = await send(ssm, [N1], ['echo quick']);
    const done = await waitForCommand(ssm, id);
    expect(done).toMatchObject({ Status: 'Success', CompletedCount: 1, TargetCount: 1 });
    const complete = await ssm.send(new ListCommandsCommand({ CommandId: id, Filters: [{ key: 'ExecutionStage', value: 'Complete' }] }));
    expect(complete.Commands?.map((c) => c.CommandId)).toEqual([id]);
    expect((await ssm.send(new ListCommandInvocationsCommand({ CommandId: id, Details: true }))).CommandInvocations).toEqual([]);
    expect((await rejection(ssm.send(new GetCommandInvocationCommand({ CommandId: id, InstanceId: N1 })))).name).toBe(
      'InvocationDoesNotExist',
    );
    expect(t.fleet.executions().filter((e) => e.commandId === id)).toMatchObject([{ status: 'Success' }]);

    const inv = await eventually(() => ssm.send(new GetCommandInvocationCommand({ CommandId: id, InstanceId: N1 })), {
      retryErrors: true,
      timeoutMs: 10_000,
      description: 'the invocation to appear',
    });
    expect(Date.now() - sentAt).toBeGreaterThanOrEqual(1_800);
    expect(inv).toMatchObject({ Status: 'Success', StandardOutputContent: 'quick\n' });
    expect(
      (await ssm.send(new ListCommandInvocationsCommand({ CommandId: id }))).CommandInvocations?.map((i) => [i.InstanceId, i.Status]),
    ).toEqual([[N1, 'Success']]);
    t.fleet.setFaults({ global: null });
  });

  it('rejects bad runtime fault patches naming the field', async () => {
    const bad = async (body: unknown) => {
      const res = await postFaults(t.fleet.endpoint, body);
      expect(res.status).toBe(400);
      return ((await res.json()) as { message: string }).message;
    };
    expect(await bad({ global: { dropResponseAfterCommit: 1.5 } })).toContain('global.dropResponseAfterCommit');
    expect(await bad({ global: { listingLagMs: -1 } })).toContain('global.listingLagMs');
    expect(await bad({ instances: { [N1]: { invocationListingLagMs: 100 } } })).toContain(
      `instances.${N1}.invocationListingLagMs: is a global fault only`,
    );
  });
});

describe('fleet: listing lag survives a restart', () => {
  const stateDir = mkdtempSync(join(tmpdir(), 'fleet-lag-restart-'));
  afterAll(() => rmSync(stateDir, { recursive: true, force: true }));

  it('keeps a command unlisted until its listedAt after a restart, found by CommandId all along', async () => {
    const config = {
      invocationVisibilityDelayMs: 0,
      instances: [{ id: N1, tags: {} }],
      seed: seedWithFirstDraw(0.6),
      faults: { listingLagMs: 120_000 },
    };
    const first = await startFleet({ config, stateDir });
    const ssm1 = fleetClient(first.endpoint);
    const id = await send(ssm1, [N1], ['true']);
    await waitForCommand(ssm1, id);
    ssm1.destroy();
    await first.stop();

    // No fault configured any more: the lag was decided at creation and is part of the record.
    const second = await startFleet({ config: { ...config, faults: {} }, stateDir });
    const ssm2 = fleetClient(second.endpoint);
    try {
      expect((await ssm2.send(new ListCommandsCommand({}))).Commands).toEqual([]);
      expect((await ssm2.send(new ListCommandsCommand({ CommandId: id }))).Commands?.map((c) => [c.CommandId, c.Status])).toEqual([
        [id, 'Success'],
      ]);
      const fresh = await send(ssm2, [N1], ['true']);
      expect((await ssm2.send(new ListCommandsCommand({}))).Commands?.map((c) => c.CommandId)).toEqual([fresh]);
    } finally {
      ssm2.destroy();
      await second.stop();
    }
  });
});

describe('fleet: the aws stand-in in sandboxes', () => {
  let t: TestFleet;
  let ssm: SSMClient;
  beforeAll(async () => {
    t = await startTestFleet({
      invocationVisibilityDelayMs: 0,
      instances: [{ id: N1, tags: {} }],
      parameters: [
        { name: '/x/pw', type: 'SecureString', value: 's3cr et' },
        { name: '/x/plain', type: 'String', value: 'hello' },
      ],
    });
    ssm = t.ssm;
  });
  afterAll(() => t.dispose());

  const run = async (commands: string[]) => {
    const id = await send(ssm, [N1], commands);
    await waitForCommand(ssm, id);
    return { id, inv: await ssm.send(new GetCommandInvocationCommand({ CommandId: id, InstanceId: N1 })) };
  };

  it('reads a SecureString decrypted on the instance; the value is in no recorded parameter', async () => {
    const { inv: literal } = await run([
      'pw=$(aws ssm get-parameter --name /x/pw --with-decryption --query Parameter.Value --output text) || exit 9; [ "$pw" = \'s3cr et\' ] && echo ok',
    ]);
    expect(literal).toMatchObject({ Status: 'Success', ResponseCode: 0, StandardOutputContent: 'ok\n', StandardErrorContent: '' });
    // The same check without spelling the value in the command, to show SendCommand never carries it.
    const digest = createHash('sha256').update('s3cr et').digest('hex');
    const { id, inv } = await run([
      `pw=$(aws ssm get-parameter --name /x/pw --with-decryption --query Parameter.Value --output text) || exit 9; [ "$(printf %s "$pw" | sha256sum | cut -d' ' -f1)" = '${digest}' ] && echo ok`,
    ]);
    expect(inv).toMatchObject({ Status: 'Success', ResponseCode: 0, StandardOutputContent: 'ok\n', StandardErrorContent: '' });
    const recorded = (await ssm.send(new ListCommandsCommand({ CommandId: id }))).Commands?.[0];
    expect(recorded?.Parameters?.commands?.[0]).toContain('aws ssm get-parameter --name /x/pw');
    expect(JSON.stringify(recorded)).not.toContain('s3cr et');
    const details = await ssm.send(new ListCommandInvocationsCommand({ CommandId: id, Details: true }));
    expect(JSON.stringify(details)).not.toContain('s3cr et');
    expect(t.fleet.executions().filter((e) => e.commandId === id)).toMatchObject([{ status: 'Success' }]);
  });

  it('fails the read of an unknown name like the CLI (exit 254, ParameterNotFound on stderr), so `|| exit 9` fires', async () => {
    const { inv } = await run([
      'pw=$(aws ssm get-parameter --name /x/none --with-decryption --query Parameter.Value --output text) || exit 9; echo "not reached"',
    ]);
    expect(inv).toMatchObject({ Status: 'Failed', ResponseCode: 9, StandardOutputContent: '' });
    expect(inv.StandardErrorContent).toBe('\nAn error occurred (ParameterNotFound) when calling the GetParameter operation: \n');
    const { inv: code } = await run(['aws ssm get-parameter --name /x/none; echo "rc=$?"']);
    expect(code.StandardOutputContent).toBe('rc=254\n');
  });

  it('gives steps the endpoint, the region and the stand-in first on PATH; supports the CLI forms it documents', async () => {
    const { inv: env } = await run(['echo "$AWS_ENDPOINT_URL_SSM $AWS_REGION $AWS_DEFAULT_REGION"', 'command -v aws']);
    expect(env.StandardOutputContent).toBe(`${t.fleet.endpoint} us-east-1 us-east-1\n${t.stateDir}/bin/aws\n`);

    const { inv: forms } = await run([
      'aws ssm get-parameter --name=/x/plain --query Parameter.Value --output text --region eu-west-1',
      'aws ssm get-parameter --name /x/pw --query Parameter.Value --output text',
      'aws ssm get-parameter --name /x/plain --query Parameter.Value --output json',
    ]);
    const [plain, encrypted, json] = (forms.StandardOutputContent ?? '').split('\n');
    expect(plain).toBe('hello');
    // Without --with-decryption a SecureString reads as the service's opaque ciphertext, as GetParameter answers.
    expect(encrypted).toMatch(/^AQICAHh[A-Za-z0-9+/=]+$/);
    expect(json).toBe('"hello"');

    const { inv: whole } = await run(['aws ssm get-parameter --name /x/pw --with-decryption']);
    expect(JSON.parse(whole.StandardOutputContent ?? '')).toMatchObject({
      Parameter: {
        Name: '/x/pw',
        Type: 'SecureString',
        Value: 's3cr et',
        Version: 1,
        ARN: 'arn:aws:ssm:us-east-1:000000000000:parameter/x/pw',
      },
    });

    const { inv: usage } = await run([
      'aws ssm put-parameter --name /x/pw --value v --overwrite; echo "put=$?"',
      'aws ssm get-parameter --name /x/plain --profile admin; echo "option=$?"',
      'aws s3 ls; echo "s3=$?"',
    ]);
    expect(usage.StandardOutputContent).toBe('put=252\noption=252\ns3=252\n');
    expect(usage.StandardErrorContent).toContain("unsupported command 'aws ssm put-parameter'");
    expect(usage.StandardErrorContent).toContain('unsupported option --profile');
    expect(usage.StandardErrorContent).toContain("The local fleet's aws stand-in supports only: aws ssm get-parameter --name NAME");
  });
});

describe('fleet: config of the consistency faults', () => {
  const fails = (raw: unknown) => {
    try {
      parseFleetConfig(raw);
    } catch (err) {
      expect(err).toBeInstanceOf(FleetConfigError);
      return (err as Error).message;
    }
    throw new Error('expected the config to be rejected');
  };

  it('accepts the new fields globally and dropResponseAfterCommit per instance', () => {
    const config = parseFleetConfig({
      faults: { dropResponseAfterCommit: { SendCommand: 0.3, '*': 0.01 }, listingLagMs: 4_000, invocationListingLagMs: 500 },
      instances: [{ id: N1, faults: { dropResponseAfterCommit: 0.5 } }],
    });
    expect(config.faults).toEqual({
      dropResponseAfterCommit: { SendCommand: 0.3, '*': 0.01 },
      listingLagMs: 4_000,
      invocationListingLagMs: 500,
    });
    expect(config.instances[0]?.faults).toEqual({ dropResponseAfterCommit: 0.5 });
  });

  it('names the field of a bad value', () => {
    expect(fails({ faults: { dropResponseAfterCommit: 2 } })).toBe(
      'fleet config: faults.dropResponseAfterCommit: must be a fraction between 0 and 1',
    );
    expect(fails({ faults: { dropResponseAfterCommit: { SendCommand: -0.1 } } })).toContain(
      'faults.dropResponseAfterCommit.SendCommand: must be a fraction',
    );
    expect(fails({ faults: { dropResponseAfterCommit: 'often' } })).toContain('faults.dropResponseAfterCommit: must be a fraction');
    expect(fails({ faults: { listingLagMs: -1 } })).toContain('faults.listingLagMs: must be a number');
    expect(fails({ faults: { listingLagMs: '4s' } })).toContain('faults.listingLagMs: must be a number');
    expect(fails({ faults: { invocationListingLagMs: Number.NaN } })).toContain('faults.invocationListingLagMs: must be a number');
    expect(fails({ instances: [{ id: N1, faults: { listingLagMs: 100 } }] })).toContain(
      'instances[0].faults.listingLagMs: is a global fault only',
    );
    expect(fails({ instances: [{ id: N1, faults: { dropResponseAfterCommit: [0.1] } }] })).toContain(
      'instances[0].faults.dropResponseAfterCommit',
    );
  });
});
