import {
  CancelCommandCommand,
  GetCommandInvocationCommand,
  ListCommandsCommand,
  SendCommandCommand,
  type SSMClient,
} from '@aws-sdk/client-ssm';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { FleetConfigError, parseFleetConfig } from '../fleet/config.js';
import { rejection, startTestFleet, type TestFleet } from '../fleet/test-support.js';

const A = 'i-0aaaaaaaaaaaaaaa1';
const B = 'i-0aaaaaaaaaaaaaaa2';

describe('fleet: request validation and error shapes', () => {
  let t: TestFleet;
  let ssm: SSMClient;
  beforeAll(async () => {
    t = await startTestFleet({
      instances: [
        { id: A, tags: { Role: 'web' } },
        { id: B, tags: { Role: 'db' } },
      ],
    });
    ssm = t.ssm;
  });
  afterAll(() => t.dispose());

  const send = (input: Partial<ConstructorParameters<typeof SendCommandCommand>[0]>) =>
    ssm.send(new SendCommandCommand({ DocumentName: 'AWS-RunShellScript', Parameters: { commands: ['true'] }, ...input }));

  it('reports model constraint violations as ValidationException with the service wording', async () => {
    const e = await rejection(send({ InstanceIds: [A], TimeoutSeconds: 10 }));
    expect(e.name).toBe('ValidationException');
    expect(e.message).toBe(
      "1 validation error detected: Value '10' at 'timeoutSeconds' failed to satisfy constraint: Member must have value greater than or equal to 30",
    );
    const bad = await rejection(send({ InstanceIds: ['i-123'], MaxConcurrency: '0', Comment: 'x'.repeat(101) }));
    expect(bad.message).toMatch(/^3 validation errors detected: /);
    expect(bad.message).toContain("Value '[i-123]' at 'instanceIds'");
    expect(bad.message).toContain("at 'maxConcurrency' failed to satisfy constraint: Member must satisfy regular expression pattern");
    expect(bad.message).toContain("at 'comment' failed to satisfy constraint: Member must have length less than or equal to 100");
    const many = await rejection(send({ InstanceIds: Array.from({ length: 51 }, (_, i) => `i-${String(i).padStart(8, '0')}`) }));
    expect(many.message).toContain("at 'instanceIds' failed to satisfy constraint: Member must have length less than or equal to 50");
    expect((await rejection(send({ InstanceIds: [A], MaxErrors: '101%' }))).name).toBe('ValidationException');
  });

  it('rejects unknown instances, documents, versions and duplicate ids with the service exceptions', async () => {
    const unknown = await rejection(send({ InstanceIds: ['i-0123456789abcdef9'] }));
    expect(unknown).toEqual({
      name: 'InvalidInstanceId',
      message: 'Instances [[i-0123456789abcdef9]] not in a valid state for account 000000000000',
    });
    expect((await rejection(send({ InstanceIds: [A], DocumentName: 'No-Such-Doc' }))).name).toBe('InvalidDocument');
    expect((await rejection(send({ InstanceIds: [A], DocumentVersion: '7' }))).name).toBe('InvalidDocumentVersion');
    expect((await rejection(send({ InstanceIds: [A, A] }))).name).toBe('DuplicateInstanceId');
  });

  it('chooses ValidationException when both or neither of InstanceIds and Targets are given', async () => {
    expect((await rejection(send({}))).name).toBe('ValidationException');
    expect((await rejection(send({ InstanceIds: [A], Targets: [{ Key: 'tag:Role', Values: ['web'] }] }))).message).toContain(
      'Exactly one of InstanceIds or Targets',
    );
  });

  it('rejects undeclared or missing document parameters as InvalidParameters', async () => {
    expect((await rejection(send({ InstanceIds: [A], Parameters: { commands: ['true'], bogus: ['1'] } }))).name).toBe('InvalidParameters');
    expect((await rejection(send({ InstanceIds: [A], Parameters: {} }))).name).toBe('InvalidParameters');
    expect((await rejection(send({ InstanceIds: [A], Parameters: { commands: ['true'], executionTimeout: ['abc'] } }))).name).toBe(
      'InvalidParameters',
    );
  });

  it('answers unknown command ids with InvalidCommandId and bad ids with ValidationException', async () => {
    const missing = '11111111-2222-3333-4444-555555555555';
    expect((await rejection(ssm.send(new ListCommandsCommand({ CommandId: missing })))).name).toBe('InvalidCommandId');
    expect((await rejection(ssm.send(new CancelCommandCommand({ CommandId: missing })))).name).toBe('InvalidCommandId');
    expect((await rejection(ssm.send(new GetCommandInvocationCommand({ CommandId: missing, InstanceId: A })))).name).toBe(
      'InvalidCommandId',
    );
    expect((await rejection(ssm.send(new GetCommandInvocationCommand({ CommandId: 'short', InstanceId: A })))).name).toBe(
      'ValidationException',
    );
  });

  it('serves the protocol errors with HTTP 400, __type and x-amzn-errortype', async () => {
    const res = await fetch(t.fleet.endpoint, {
      method: 'POST',
      headers: { 'content-type': 'application/x-amz-json-1.1', 'x-amz-target': 'AmazonSSM.SendCommand' },
      body: JSON.stringify({ DocumentName: 'AWS-RunShellScript', InstanceIds: [A], TimeoutSeconds: 1, Parameters: { commands: ['true'] } }),
    });
    expect(res.status).toBe(400);
    expect(res.headers.get('x-amzn-errortype')).toBe('ValidationException');
    expect(((await res.json()) as { __type: string }).__type).toBe('ValidationException');
    const unknownOp = await fetch(t.fleet.endpoint, { method: 'POST', headers: { 'x-amz-target': 'AmazonSSM.StartSession' }, body: '{}' });
    expect(unknownOp.status).toBe(400);
  });
});

describe('fleet: config validation', () => {
  const fails = (raw: unknown) => {
    try {
      parseFleetConfig(raw);
    } catch (err) {
      expect(err).toBeInstanceOf(FleetConfigError);
      return (err as Error).message;
    }
    throw new Error('expected the config to be rejected');
  };

  it('names the offending field', () => {
    expect(fails({ instances: [{ id: 'i-1', tags: {} }] })).toContain('instances[0].id');
    expect(fails({ instances: [{ id: A, tags: {} }, { id: A }] })).toContain(`duplicate instance id ${A}`);
    expect(fails({ instances: [{ count: 3, idPrefix: 'x-' }] })).toContain('instances[0].idPrefix');
    expect(fails({ faults: { throttle: 2 } })).toContain('faults.throttle');
    expect(fails({ instances: [{ id: A, faults: { agentRestart: {} } }] })).toContain('instances[0].faults.agentRestart.afterMs');
    expect(fails({ parameters: [{ name: '/x', type: 'Secret', value: 'v' }] })).toContain('parameters[0].type');
    expect(fails({ bogus: 1 })).toContain('config.bogus');
    expect(fails({ region: 'mars' })).toContain('region');
  });

  it('generates valid ids for the compact form, e.g. 1,100 instances', () => {
    const config = parseFleetConfig({ instances: [{ count: 1100, idPrefix: 'i-0b', tags: { Name: 'node-{index}', Fleet: 'big' } }] });
    expect(config.instances).toHaveLength(1100);
    expect(config.instances[0]).toMatchObject({ id: 'i-0b000000000000001', tags: { Name: 'node-1', Fleet: 'big' }, pingStatus: 'Online' });
    expect(config.instances[1099]?.id).toBe('i-0b000000000001100');
    expect(config.instances.every((i) => /^i-\w{17}$/.test(i.id))).toBe(true);
  });
});
