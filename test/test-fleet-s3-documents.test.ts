import { CreateBucketCommand, GetObjectCommand, ListObjectsV2Command, S3Client } from '@aws-sdk/client-s3';
import {
  CreateDocumentCommand,
  DescribeDocumentCommand,
  GetCommandInvocationCommand,
  ListCommandInvocationsCommand,
  SendCommandCommand,
  type SSMClient,
} from '@aws-sdk/client-ssm';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type S3Emulator, startS3Emulator } from '../local/s3-emulator.js';
import { startTestFleet, type TestFleet, waitForCommand } from '../fleet/test-support.js';

const NODE = 'i-0e0000000000000a1';
const BUCKET = 'fleet-output';

const TWO_STEP_YAML = `
schemaVersion: '2.2'
description: Build then test.
parameters:
  target: { type: String, default: world }
  flags: { type: StringList, default: [-a, -b] }
  price: { type: String, default: 'none' }
mainSteps:
  - action: aws:runShellScript
    name: build
    inputs:
      runCommand:
        - "echo 'building {{ target }} {{flags}} {{ price }}'"
        - echo build-warning >&2
  - action: aws:runShellScript
    name: test
    inputs:
      runCommand: ['echo testing {{ target }}']
`;

describe('fleet: S3 output and custom documents', () => {
  let s3emu: S3Emulator;
  let s3: S3Client;
  let t: TestFleet;
  let ssm: SSMClient;
  beforeAll(async () => {
    s3emu = await startS3Emulator();
    s3 = new S3Client({
      endpoint: s3emu.endpoint,
      region: 'us-east-1',
      forcePathStyle: true,
      credentials: { accessKeyId: 'x', secretAccessKey: 'x' },
    });
    await s3.send(new CreateBucketCommand({ Bucket: BUCKET }));
    t = await startTestFleet({
      s3Endpoint: s3emu.endpoint,
      invocationVisibilityDelayMs: 0,
      instances: [{ id: NODE, tags: { Role: 'app' } }],
      documents: [
        {
          name: 'Json-Doc',
          content: JSON.stringify({
            schemaVersion: '2.2',
            parameters: { names: { type: 'StringList' }, mode: { type: 'String', allowedValues: ['fast', 'slow'], default: 'fast' } },
            mainSteps: [{ action: 'aws:runShellScript', name: 'only', inputs: { runCommand: ['{{ names }}', 'echo mode={{mode}}'] } }],
          }),
        },
      ],
    });
    ssm = t.ssm;
  }, 60_000);
  afterAll(async () => {
    await t.dispose();
    s3.destroy();
    await s3emu.stop();
  });

  const body = async (key: string) => (await s3.send(new GetObjectCommand({ Bucket: BUCKET, Key: key }))).Body?.transformToString();

  it('uploads full stdout/stderr with the agent key layout, only non-empty streams, and reports path-style URLs', async () => {
    const sent = await ssm.send(
      new SendCommandCommand({
        DocumentName: 'AWS-RunShellScript',
        InstanceIds: [NODE],
        OutputS3BucketName: BUCKET,
        OutputS3KeyPrefix: 'runs/r1',
        Parameters: { commands: ["head -c 30000 /dev/zero | tr '\\0' x", 'echo'] },
      }),
    );
    const id = sent.Command?.CommandId ?? '';
    await waitForCommand(ssm, id);
    const key = `runs/r1/${id}/${NODE}/awsrunShellScript/0.awsrunShellScript/stdout`;
    expect(await body(key)).toBe('x'.repeat(30000) + '\n');
    const listed = await s3.send(new ListObjectsV2Command({ Bucket: BUCKET, Prefix: `runs/r1/${id}/` }));
    expect(listed.Contents?.map((o) => o.Key)).toEqual([key]);
    const inv = await ssm.send(new GetCommandInvocationCommand({ CommandId: id, InstanceId: NODE }));
    expect(inv.StandardOutputUrl).toBe(`https://s3.us-east-1.amazonaws.com/${BUCKET}/${key}`);
    expect(inv.StandardErrorUrl).toBe(`https://s3.us-east-1.amazonaws.com/${BUCKET}/${key.replace(/stdout$/, 'stderr')}`);
    const details = (await ssm.send(new ListCommandInvocationsCommand({ CommandId: id, Details: true }))).CommandInvocations?.[0];
    expect(details?.StandardOutputUrl).toBe(inv.StandardOutputUrl);
    expect(details?.CommandPlugins?.[0]).toMatchObject({
      OutputS3BucketName: BUCKET,
      OutputS3KeyPrefix: `runs/r1/${id}/${NODE}/awsrunShellScript`,
    });

    const missing = await ssm
      .send(
        new SendCommandCommand({
          DocumentName: 'AWS-RunShellScript',
          InstanceIds: [NODE],
          OutputS3BucketName: 'no-such-bucket',
          Parameters: { commands: ['true'] },
        }),
      )
      .catch((e: Error) => e);
    expect((missing as Error).name).toBe('InvalidOutputFolder');
  });

  it('creates YAML and JSON 2.2 documents, describes them, and runs multi-step documents with substitution', async () => {
    const created = await ssm.send(
      new CreateDocumentCommand({ Name: 'Two-Step', Content: TWO_STEP_YAML, DocumentFormat: 'YAML', DocumentType: 'Command' }),
    );
    expect(created.DocumentDescription).toMatchObject({
      Name: 'Two-Step',
      SchemaVersion: '2.2',
      DocumentType: 'Command',
      Status: 'Active',
      DocumentFormat: 'YAML',
    });
    expect(created.DocumentDescription?.Parameters?.map((p) => p.Name)).toEqual(['target', 'flags', 'price']);
    const again = await ssm
      .send(new CreateDocumentCommand({ Name: 'Two-Step', Content: TWO_STEP_YAML, DocumentFormat: 'YAML' }))
      .catch((e: Error) => e);
    expect((again as Error).name).toBe('DocumentAlreadyExists');
    const bad = await ssm
      .send(new CreateDocumentCommand({ Name: 'Bad-Doc', Content: '{"schemaVersion":"2.2","mainSteps":[]}' }))
      .catch((e: Error) => e);
    expect((bad as Error).name).toBe('InvalidDocumentContent');
    expect((await ssm.send(new DescribeDocumentCommand({ Name: 'AWS-RunShellScript' }))).Document).toMatchObject({
      SchemaVersion: '1.2',
      Owner: 'Amazon',
    });
    expect((await ssm.send(new DescribeDocumentCommand({ Name: 'Json-Doc' }))).Document?.DocumentFormat).toBe('JSON');

    const sent = await ssm.send(
      new SendCommandCommand({
        DocumentName: 'Two-Step',
        InstanceIds: [NODE],
        OutputS3BucketName: BUCKET,
        Parameters: { target: ['prod'], price: ['$$5 and $1 and ${x}'] },
      }),
    );
    const id = sent.Command?.CommandId ?? '';
    expect(await waitForCommand(ssm, id)).toMatchObject({ Status: 'Success' });
    // Embedded values go through the agent's Go template expansion: $$ → $, $1 / ${x} → empty.
    expect(await body(`${id}/${NODE}/awsrunShellScript/build/stdout`)).toBe('building prod ["-a","-b"] $5 and  and \n');
    expect(await body(`${id}/${NODE}/awsrunShellScript/build/stderr`)).toBe('build-warning\n');
    expect(await body(`${id}/${NODE}/awsrunShellScript/test/stdout`)).toBe('testing prod\n');
    const step = await ssm.send(new GetCommandInvocationCommand({ CommandId: id, InstanceId: NODE, PluginName: 'test' }));
    expect(step).toMatchObject({ PluginName: 'test', Status: 'Success', StandardOutputContent: 'testing prod\n' });
    const noPlugin = await ssm
      .send(new GetCommandInvocationCommand({ CommandId: id, InstanceId: NODE, PluginName: 'nope' }))
      .catch((e: Error) => e);
    expect((noPlugin as Error).name).toBe('InvalidPluginName');
    const plugins = (await ssm.send(new ListCommandInvocationsCommand({ CommandId: id, Details: true }))).CommandInvocations?.[0]
      ?.CommandPlugins;
    expect(plugins?.map((p) => [p.Name, p.Status])).toEqual([
      ['build', 'Success'],
      ['test', 'Success'],
    ]);

    // A whole-string {{ names }} becomes the list itself: two commands.
    const json = await ssm.send(
      new SendCommandCommand({ DocumentName: 'Json-Doc', InstanceIds: [NODE], Parameters: { names: ['echo one', 'echo two'] } }),
    );
    await waitForCommand(ssm, json.Command?.CommandId ?? '');
    const out = await ssm.send(new GetCommandInvocationCommand({ CommandId: json.Command?.CommandId, InstanceId: NODE }));
    expect(out.StandardOutputContent).toBe('one\ntwo\nmode=fast\n');
    const notAllowed = await ssm
      .send(new SendCommandCommand({ DocumentName: 'Json-Doc', InstanceIds: [NODE], Parameters: { names: ['true'], mode: ['warp'] } }))
      .catch((e: Error) => e);
    expect((notAllowed as Error).name).toBe('InvalidParameters');
    const missingRequired = await ssm
      .send(new SendCommandCommand({ DocumentName: 'Json-Doc', InstanceIds: [NODE] }))
      .catch((e: Error) => e);
    expect((missingRequired as Error).name).toBe('InvalidParameters');
  });

  it('stops a multi-step document on exit 169 and skips the rest', async () => {
    await ssm.send(
      new CreateDocumentCommand({
        Name: 'Stop-Early',
        DocumentFormat: 'JSON',
        Content: JSON.stringify({
          schemaVersion: '2.2',
          mainSteps: [
            { action: 'aws:runShellScript', name: 'first', inputs: { runCommand: ['exit 169'] } },
            { action: 'aws:runShellScript', name: 'second', inputs: { runCommand: ['echo never > never.txt'] } },
          ],
        }),
      }),
    );
    const sent = await ssm.send(new SendCommandCommand({ DocumentName: 'Stop-Early', InstanceIds: [NODE] }));
    const id = sent.Command?.CommandId ?? '';
    expect(await waitForCommand(ssm, id)).toMatchObject({ Status: 'Failed' });
    const plugins = (await ssm.send(new ListCommandInvocationsCommand({ CommandId: id, Details: true }))).CommandInvocations?.[0]
      ?.CommandPlugins;
    expect(plugins?.map((p) => [p.Name, p.Status, p.StatusDetails])).toEqual([
      ['first', 'Failed', 'Failed'],
      ['second', 'Success', 'Skipped'],
    ]);
    expect(
      t.fleet
        .executions()
        .filter((e) => e.commandId === id)
        .map((e) => e.stepName),
    ).toEqual(['first']);
  });
});
