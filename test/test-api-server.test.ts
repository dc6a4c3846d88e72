// `ssmflow serve` end to end: the real API server on 127.0.0.1, Node's fetch as the client, the
// shared Temporal dev server, a worker running real SSM activities against the local fleet. Who
// may call what (every route of the OpenAPI document), a run driven through the API with two
// identities, OIDC tokens, hostile input, and logs that never hold a token.
import { mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import fc from 'fast-check';
import { exportJWK, generateKeyPair, SignJWT, type CryptoKey, type JWK } from 'jose';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { newToken, sha256Hex } from '../api/tokens.js';
import type { AuditEntry } from '../workflows/run-state.js';
import { startTestApi, type TestApi } from './harness/api-server.js';
import { startCliFleet, type CliFleet } from './harness/cli-fleet.js';
import { eventually } from './harness/eventually.js';
import { blockedGateRunbookYaml, echoRunbookYaml } from './harness/runbook-fixtures.js';

const alpha = ['i-0a2000000000000a1', 'i-0a2000000000000a2', 'i-0a2000000000000a3'];
const beta = ['i-0b2000000000000b1'];

const flowRunbook = blockedGateRunbookYaml('api-flow');

const guardedRunbook = `apiVersion: ssmflow/v1
name: api-guarded
targets: { tags: { Cluster: beta } }
steps:
  - id: ask
    approval: { message: 'Go?' }
  - id: go
    run: echo go
`;

// Two approvals from dba-leads, never the initiator's own (four eyes is the default).
const fourEyesRunbook = `apiVersion: ssmflow/v1
name: api-four-eyes
targets: { tags: { Cluster: beta } }
approvalPolicy: { approvers: [dba-leads], minApprovals: 2 }
steps:
  - id: ask
    approval: { message: 'Two of dba-leads, please' }
  - id: go
    run: echo go
`;

const echoRunbook = echoRunbookYaml('api-echo');

const issuer = 'https://idp.test.invalid/';
const audience = 'ssmflow';

describe('ssmflow serve: the HTTP API', () => {
  let fleet: CliFleet;
  let api: TestApi;
  let jwks: Server;
  let scratch: string;
  let signingKey: CryptoKey;
  let strangerKey: CryptoKey;
  const tokens = {
    alice: newToken(), // dba: viewer, operator
    bob: newToken(), // dba-leads: approver
    vic: newToken(), // sre: viewer only
    nobody: newToken(), // no role at all
    root: newToken(), // platform: admin
    dana: newToken(), // dba and dba-leads: operator and approver
    erin: newToken(), // dba-leads: approver
  };
  const usedJwts: string[] = [];

  beforeAll(async () => {
    fleet = await startCliFleet({
      instances: [...alpha.map((id) => ({ id, tags: { Cluster: 'alpha' } })), ...beta.map((id) => ({ id, tags: { Cluster: 'beta' } }))],
    });
    // The server resolves targets through SSM in this process, as `ssmflow serve` does.
    process.env.AWS_ENDPOINT_URL_SSM = fleet.testFleet.fleet.endpoint;

    scratch = mkdtempSync(join(tmpdir(), 'ssmflow-api-'));
    mkdirSync(join(scratch, 'catalog'));
    writeFileSync(join(scratch, 'catalog', 'api-flow.yaml'), flowRunbook);
    writeFileSync(join(scratch, 'catalog', 'api-guarded.yaml'), guardedRunbook);
    writeFileSync(join(scratch, 'catalog', 'api-echo.yaml'), echoRunbook);
    writeFileSync(join(scratch, 'catalog', 'api-four-eyes.yaml'), fourEyesRunbook);
    writeFileSync(join(scratch, 'catalog', 'broken.yaml'), 'apiVersion: ssmflow/v1\nname: broken\n');
    // A runbook beside the catalog directory, which the API must never reach.
    writeFileSync(join(scratch, 'outside.yaml'), guardedRunbook.replace('api-guarded', 'outside'));

    const pair = await generateKeyPair('RS256');
    signingKey = pair.privateKey;
    strangerKey = (await generateKeyPair('RS256')).privateKey;
    const jwk: JWK = { ...(await exportJWK(pair.publicKey)), kid: 'test-key', alg: 'RS256', use: 'sig' };
    jwks = createServer((_req, res) => {
      res.writeHead(200, { 'content-type': 'application/json' });
      res.end(JSON.stringify({ keys: [jwk] }));
    });
    await new Promise<void>((resolve) => jwks.listen(0, '127.0.0.1', resolve));
    const jwksPort = (jwks.address() as AddressInfo).port;

    const entry = (identity: string, token: string, groups: string[]) => ({ identity, groups, sha256: sha256Hex(token) });
    api = await startTestApi(
      {
        listen: '127.0.0.1:0',
        taskQueue: fleet.env.SSMFLOW_TASK_QUEUE,
        catalog: 'catalog',
        auth: {
          tokens: [
            entry('alice@example.com', tokens.alice, ['dba']),
            entry('bob@example.com', tokens.bob, ['dba-leads']),
            entry('vic@example.com', tokens.vic, ['sre']),
            entry('nobody@example.com', tokens.nobody, []),
            entry('root@example.com', tokens.root, ['platform']),
            entry('dana@example.com', tokens.dana, ['dba', 'dba-leads']),
            entry('erin@example.com', tokens.erin, ['dba-leads']),
          ],
          oidc: { issuer, audience, jwksUrl: `http://127.0.0.1:${jwksPort}/jwks.json`, identityClaim: 'email', groupsClaim: 'groups' },
        },
        roles: { viewer: ['dba', 'sre'], operator: ['dba'], approver: ['dba-leads'], admin: ['platform'] },
        runbooks: { 'api-guarded': { start: ['platform-oncall'], approve: ['user:carol@example.com'] } },
      },
      fleet.stack.temporalAddress,
      scratch,
    );
  });

  afterAll(async () => {
    await api?.close();
    jwks?.close();
    await fleet?.dispose();
    if (scratch) rmSync(scratch, { recursive: true, force: true });
  });

  const sandbox = (instanceId: string) => join(fleet.testFleet.stateDir, 'instances', instanceId);

  /** Every operation of the served OpenAPI document, with its path parameters filled in. */
  async function operations(): Promise<{ method: string; path: string; template: string; isPublic: boolean }[]> {
    const doc = (await api.call('GET', '/openapi.json')).json<{
      paths: Record<string, Record<string, { security?: unknown[] }>>;
    }>();
    return Object.entries(doc.paths).flatMap(([template, methods]) =>
      Object.entries(methods).map(([method, op]) => ({
        method: method.toUpperCase(),
        template,
        path: template.replace(/\{[^}]+\}/g, 'no-such-id-1'),
        isPublic: Array.isArray(op.security) && op.security.length === 0,
      })),
    );
  }

  it('serves the OpenAPI document committed as docs/openapi.json (npm run openapi regenerates it)', async () => {
    const served = await api.call('GET', '/openapi.json');
    expect(served.status).toBe(200);
    const committed = JSON.parse(readFileSync(join(process.cwd(), 'docs', 'openapi.json'), 'utf8')) as unknown;
    expect(served.json()).toEqual(committed);
  });

  it('every route without a token, or with a bad one, is a 401 JSON error with WWW-Authenticate: Bearer', async () => {
    const ops = (await operations()).filter((op) => !op.isPublic);
    expect(ops.length).toBeGreaterThanOrEqual(20);
    for (const op of ops) {
      for (const token of [undefined, 'not-a-token', `${tokens.alice}x`]) {
        const answer = await api.call(op.method, op.path, { ...(token ? { token } : {}), body: op.method === 'POST' ? {} : undefined });
        expect(answer.status, `${op.method} ${op.template} with token ${token ? 'bad' : 'none'}`).toBe(401);
        expect(answer.headers.get('www-authenticate')).toMatch(/^Bearer/);
        expect(answer.json()).toMatchObject({ error: { code: 'unauthorized', message: expect.any(String) } });
      }
    }
  });

  it('every route with a token lacking its role is a 403 that names the role needed', async () => {
    for (const op of (await operations()).filter((o) => !o.isPublic)) {
      // A viewer may read: give GETs a caller with no role, everything else a viewer.
      const [who, token] = op.method === 'GET' ? ['nobody@example.com', tokens.nobody] : ['vic@example.com', tokens.vic];
      const answer = await api.call(op.method, op.path, { token, body: op.method === 'POST' ? {} : undefined });
      expect(answer.status, `${op.method} ${op.template}`).toBe(403);
      expect(answer.json<{ error: { message: string } }>().error.message).toMatch(
        new RegExp(`^${who} lacks the (viewer|operator|approver) role`),
      );
    }
    const approve = await api.call('POST', '/v1/runs/no-such-id-1/approve', { token: tokens.alice, body: {} });
    expect(approve.json<{ error: { message: string } }>().error.message).toContain('lacks the approver role');
  });

  it('the probes need no token; unknown routes, oversized and non-JSON bodies get JSON errors', async () => {
    expect((await api.call('GET', '/healthz')).json()).toEqual({ status: 'ok' });
    expect((await api.call('GET', '/readyz')).json()).toMatchObject({ status: 'ready', checks: { temporal: 'ok', catalog: 'ok' } });
    const unknown = await api.call('GET', '/v1/nothing-here', { token: tokens.alice });
    expect(unknown.status).toBe(404);
    expect(unknown.json()).toMatchObject({ error: { code: 'no-such-route' } });
    const big = await api.call('POST', '/v1/runs', { token: tokens.alice, body: { runbook: 'api-flow', reason: 'x'.repeat(300 * 1024) } });
    expect(big.status).toBe(413);
    expect(big.json()).toMatchObject({ error: { code: 'body-too-large' } });
    const text = await api.call('POST', '/v1/runs', {
      token: tokens.alice,
      body: 'runbook=api-flow',
      headers: { 'content-type': 'text/plain' },
    });
    expect(text.status).toBe(415);
    expect(text.json()).toMatchObject({ error: { code: 'unsupported-media-type' } });
    const broken = await api.call('POST', '/v1/runs', { token: tokens.alice, body: '{"runbook": ' });
    expect(broken.status).toBe(400);
  });

  it('starts only catalog runbooks by name, and refuses a body that names who acts', async () => {
    const catalog = await api.call('GET', '/v1/runbooks', { token: tokens.vic });
    expect(catalog.json<{ runbooks: { name: string }[] }>().runbooks.map((r) => r.name)).toEqual([
      'api-echo',
      'api-flow',
      'api-four-eyes',
      'api-guarded',
    ]);
    expect(catalog.json<{ invalid: { file: string }[] }>().invalid.map((i) => i.file)).toEqual(['broken.yaml']);
    const outside = await api.call('POST', '/v1/runs', { token: tokens.alice, body: { runbook: 'outside' } });
    expect(outside.status).toBe(404);
    expect(outside.json()).toMatchObject({ error: { code: 'runbook-not-found' } });
    const path = await api.call('POST', '/v1/runs', { token: tokens.alice, body: { runbook: '../outside' } });
    expect(path.status).toBe(400);
    for (const field of ['by', 'as', 'initiator']) {
      const smuggled = await api.call('POST', '/v1/runs', {
        token: tokens.alice,
        body: { runbook: 'api-flow', parameters: { cluster: 'alpha' }, dryRun: true, [field]: 'mallory' },
      });
      expect(smuggled.status, field).toBe(400);
    }
    const badParameter = await api.call('POST', '/v1/runs', {
      token: tokens.alice,
      body: { runbook: 'api-flow', parameters: { cluster: 'A;rm' } },
    });
    expect(badParameter.status).toBe(422);
    expect(badParameter.json()).toMatchObject({ error: { code: 'invalid-input', message: expect.stringContaining('cluster') } });
  });

  it('per-runbook rules: start and approve only by the groups or users the runbook names', async () => {
    const start = await api.call('POST', '/v1/runs', { token: tokens.alice, body: { runbook: 'api-guarded' } });
    expect(start.status).toBe(403);
    expect(start.json<{ error: { message: string } }>().error.message).toContain('runbook api-guarded lets only platform-oncall start it');
    // An admin may start it; an approver outside the rule may not approve its run.
    const started = await api.call('POST', '/v1/runs', { token: tokens.root, body: { runbook: 'api-guarded', reason: 'rule test' } });
    expect(started.status).toBe(201);
    const runId = started.json<{ runId: string }>().runId;
    await eventually(async () => (await api.call('GET', `/v1/runs/${runId}`, { token: tokens.vic })).json<{ status: string }>(), {
      until: (run) => run.status === 'waiting-approval',
      description: `run ${runId} to wait for approval`,
    });
    const approve = await api.call('POST', `/v1/runs/${runId}/approve`, { token: tokens.bob, body: { reason: 'looks fine' } });
    expect(approve.status).toBe(403);
    expect(approve.json<{ error: { message: string } }>().error.message).toContain('user:carol@example.com');
    const aborted = await api.call('POST', `/v1/runs/${runId}/abort`, { token: tokens.root, body: { reason: 'done testing the rule' } });
    expect(aborted.status).toBe(200);
  });

  it('a run through the API: dry run, start, paused on failure, retry, approve by another identity, succeeded; the audit names the tokens', async () => {
    mkdirSync(sandbox(alpha[1] ?? ''), { recursive: true });
    writeFileSync(join(sandbox(alpha[1] ?? ''), 'blocker'), 'remove me\n');

    const plan = await api.call('POST', '/v1/runs', {
      token: tokens.alice,
      body: { runbook: 'api-flow', parameters: { cluster: 'alpha' }, dryRun: true },
    });
    expect(plan.status).toBe(200);
    expect(plan.json<{ runbook: string; steps: unknown[] }>()).toMatchObject({ runbook: 'api-flow' });

    const started = await api.call('POST', '/v1/runs', {
      token: tokens.alice,
      body: { runbook: 'api-flow', parameters: { cluster: 'alpha' }, reason: 'CHG-7 through the API' },
    });
    expect(started.status).toBe(201);
    const { runId, initiator } = started.json<{ runId: string; initiator: string }>();
    expect(initiator).toBe('alice@example.com');

    const status = (token: string) => async () =>
      (await api.call('GET', `/v1/runs/${runId}`, { token })).json<{ status: string; allowedActions: string[] }>();
    const paused = await eventually(status(tokens.vic), {
      until: (run) => run.status === 'paused-on-failure',
      hopeless: (run) => ['succeeded', 'failed'].includes(run.status),
      description: `run ${runId} to pause on the failed gate`,
      timeoutMs: 60_000,
    });
    expect(paused.allowedActions).toContain('retry');

    // The run refuses what does not apply now: a 409 with its reason.
    const early = await api.call('POST', `/v1/runs/${runId}/approve`, { token: tokens.bob, body: { reason: 'too early' } });
    expect(early.status).toBe(409);
    expect(early.json()).toMatchObject({ error: { code: 'action-refused' } });

    rmSync(join(sandbox(alpha[1] ?? ''), 'blocker'));
    const retried = await api.call('POST', `/v1/runs/${runId}/retry`, { token: tokens.alice, body: { reason: 'removed the blocker' } });
    expect(retried.status).toBe(200);
    expect(retried.json()).toMatchObject({
      action: 'retry',
      runId,
      by: 'alice@example.com',
      reason: 'removed the blocker',
      accepted: true,
    });

    await eventually(status(tokens.vic), {
      until: (run) => run.status === 'waiting-approval',
      description: `run ${runId} to wait for approval`,
      timeoutMs: 60_000,
    });
    const approved = await api.call('POST', `/v1/runs/${runId}/approve`, { token: tokens.bob, body: { reason: 'all green' } });
    expect(approved.status).toBe(200);
    expect(approved.json()).toMatchObject({ action: 'approve', by: 'bob@example.com', accepted: true });
    await eventually(status(tokens.vic), {
      until: (run) => run.status === 'succeeded',
      description: `run ${runId} to succeed`,
      timeoutMs: 60_000,
    });

    const audit = (await api.call('GET', `/v1/runs/${runId}/audit`, { token: tokens.vic })).json<{
      initiator: string;
      audit: AuditEntry[];
    }>();
    expect(audit.initiator).toBe('alice@example.com');
    const actions = audit.audit.flatMap((e) => (e.type === 'operator' ? [[e.action, e.by, e.reason]] : []));
    expect(actions).toEqual([
      ['retry', 'alice@example.com', 'removed the blocker'],
      ['approve', 'bob@example.com', 'all green'],
    ]);
    const markdown = await api.call('GET', `/v1/runs/${runId}/audit?format=markdown`, { token: tokens.vic });
    expect(markdown.headers.get('content-type')).toMatch(/^text\/markdown/);
    expect(markdown.text).toContain(`# Run ${runId}`);
    expect(markdown.text).toContain('alice@example.com');
    expect(markdown.text).toContain('bob@example.com');
    const byAccept = await api.call('GET', `/v1/runs/${runId}/audit`, { token: tokens.vic, headers: { accept: 'text/markdown' } });
    expect(byAccept.text).toBe(markdown.text);

    const listed = await eventually(
      async () =>
        (await api.call('GET', `/v1/runs?runbook=api-flow&status=succeeded&limit=5`, { token: tokens.vic })).json<{ runId: string }[]>(),
      { until: (runs) => runs.some((r) => r.runId === runId), description: 'the run to be listed as succeeded' },
    );
    expect(listed.find((r) => r.runId === runId)).toMatchObject({ initiator: 'alice@example.com', status: 'succeeded' });
  });

  it("four eyes through the API: the initiator's approval is refused; one of two approvals leaves the run waiting, two distinct continue it", async () => {
    const started = await api.call('POST', '/v1/runs', { token: tokens.dana, body: { runbook: 'api-four-eyes', reason: 'four eyes' } });
    expect(started.status).toBe(201);
    const { runId } = started.json<{ runId: string }>();
    type Waiting = { status: string; waitingFor?: { approval?: { minApprovals: number; given: { by: string }[] } } };
    const run = async () => (await api.call('GET', `/v1/runs/${runId}`, { token: tokens.vic })).json<Waiting>();
    const waiting = await eventually(run, {
      until: (r) => r.status === 'waiting-approval' && r.waitingFor?.approval !== undefined,
      description: `run ${runId} to wait for approval`,
      timeoutMs: 60_000,
    });
    expect(waiting.waitingFor?.approval).toMatchObject({ approvers: ['dba-leads'], minApprovals: 2, allowSelfApproval: false, given: [] });

    // dana holds the approver role and is in dba-leads, but started the run.
    const own = await api.call('POST', `/v1/runs/${runId}/approve`, { token: tokens.dana, body: { reason: 'my own' } });
    expect(own.status).toBe(409);
    expect(own.json<{ error: { code: string; message: string } }>().error).toMatchObject({
      code: 'action-refused',
      message: expect.stringContaining(`four eyes: dana@example.com may not approve step ask of run ${runId}, which they started`),
    });

    const first = await api.call('POST', `/v1/runs/${runId}/approve`, { token: tokens.bob, body: { reason: 'one' } });
    expect(first.status).toBe(200);
    expect(first.json<{ run: Waiting }>().run).toMatchObject({
      status: 'waiting-approval',
      waitingFor: { approval: { given: [{ by: 'bob@example.com' }] } },
    });
    const again = await api.call('POST', `/v1/runs/${runId}/approve`, { token: tokens.bob, body: { reason: 'one more time' } });
    expect(again.status).toBe(409);
    expect(again.json<{ error: { message: string } }>().error.message).toContain('bob@example.com has already approved step ask');
    expect((await run()).status).toBe('waiting-approval');

    const second = await api.call('POST', `/v1/runs/${runId}/approve`, { token: tokens.erin, body: { reason: 'two' } });
    expect(second.status).toBe(200);
    await eventually(run, { until: (r) => r.status === 'succeeded', description: `run ${runId} to succeed`, timeoutMs: 60_000 });
    const audit = (await api.call('GET', `/v1/runs/${runId}/audit`, { token: tokens.vic })).json<{
      initiator: string;
      audit: AuditEntry[];
    }>();
    expect(audit.initiator).toBe('dana@example.com');
    expect(audit.audit.flatMap((e) => (e.type === 'operator' ? [[e.action, e.by, e.approvals]] : []))).toEqual([
      ['approve', 'bob@example.com', { given: 1, needed: 2 }],
      ['approve', 'erin@example.com', { given: 2, needed: 2 }],
    ]);
  });

  it('a rollout through the API: waves with approval between them, by the approver; schedules are listed', async () => {
    const started = await api.call('POST', '/v1/rollouts', {
      token: tokens.alice,
      body: {
        runbook: 'api-echo',
        clusters: ['alpha', 'beta'],
        waves: '1,100%',
        approveWaves: true,
        reason: 'CHG-8 rollout',
        id: `api-rollout-${Date.now()}`,
      },
    });
    expect(started.status).toBe(201);
    const { rolloutId } = started.json<{ rolloutId: string }>();
    expect(started.json()).toMatchObject({ runbook: 'api-echo', clusters: 2, status: 'running' });
    const rollout = async () =>
      (await api.call('GET', `/v1/rollouts/${rolloutId}`, { token: tokens.vic })).json<{ status: string; initiator: string }>();
    const waiting = await eventually(rollout, {
      until: (state) => state.status === 'waiting-approval',
      hopeless: (state) => ['failed', 'halted', 'succeeded'].includes(state.status),
      description: `rollout ${rolloutId} to wait for wave approval`,
      timeoutMs: 60_000,
    });
    expect(waiting.initiator).toBe('alice@example.com');
    expect((await api.call('POST', `/v1/rollouts/${rolloutId}/approve`, { token: tokens.alice, body: {} })).status).toBe(403);
    const approved = await api.call('POST', `/v1/rollouts/${rolloutId}/approve`, { token: tokens.bob, body: { reason: 'canary fine' } });
    expect(approved.status).toBe(200);
    await eventually(rollout, {
      until: (state) => state.status === 'succeeded',
      description: `rollout ${rolloutId} to succeed`,
      timeoutMs: 60_000,
    });
    const schedules = await api.call('GET', '/v1/schedules', { token: tokens.vic });
    expect(schedules.status).toBe(200);
    expect(Array.isArray(schedules.json())).toBe(true);
  });

  describe('OIDC tokens', () => {
    const sign = async (
      claims: Record<string, unknown>,
      options: { key?: CryptoKey; iss?: string; aud?: string; exp?: string | number } = {},
    ) => {
      const jwt = await new SignJWT({ email: 'olga@example.com', groups: ['sre'], ...claims })
        .setProtectedHeader({ alg: 'RS256', kid: 'test-key' })
        .setIssuer(options.iss ?? issuer)
        .setAudience(options.aud ?? audience)
        .setSubject('olga-subject')
        .setIssuedAt()
        .setExpirationTime(options.exp ?? '5m')
        .sign(options.key ?? signingKey);
      usedJwts.push(jwt);
      return jwt;
    };

    it('accepts a signed JWT: identity and groups from its claims', async () => {
      const jwt = await sign({});
      expect((await api.call('GET', '/v1/runbooks', { token: jwt })).status).toBe(200);
      const start = await api.call('POST', '/v1/runs', { token: jwt, body: { runbook: 'api-flow', dryRun: true } });
      expect(start.status).toBe(403);
      expect(start.json<{ error: { message: string } }>().error.message).toMatch(/^olga@example\.com lacks the operator role/);
    });

    it('refuses expired, wrong issuer, wrong audience, wrong key and unsigned tokens with 401', async () => {
      const none = (() => {
        const part = (value: object) => Buffer.from(JSON.stringify(value)).toString('base64url');
        const now = Math.floor(Date.now() / 1000);
        return `${part({ alg: 'none', typ: 'JWT' })}.${part({ iss: issuer, aud: audience, email: 'olga@example.com', groups: ['platform'], exp: now + 300 })}.`;
      })();
      usedJwts.push(none);
      const refused = {
        expired: await sign({}, { exp: Math.floor(Date.now() / 1000) - 600 }),
        issuer: await sign({}, { iss: 'https://elsewhere.invalid/' }),
        audience: await sign({}, { aud: 'another-api' }),
        key: await sign({ groups: ['platform'] }, { key: strangerKey }),
        none,
      };
      for (const [why, jwt] of Object.entries(refused)) {
        const answer = await api.call('GET', '/v1/runbooks', { token: jwt });
        expect(answer.status, why).toBe(401);
        expect(answer.json()).toMatchObject({ error: { code: 'unauthorized' } });
      }
    });
  });

  it('hostile input to every route (fuzzed bodies, ids and queries) is a 4xx, never a 5xx or a hang', async () => {
    const ops = (await operations()).filter((o) => !o.isPublic);
    const json = fc.jsonValue({ maxDepth: 3 });
    const body = fc.oneof(
      json,
      fc.dictionary(
        fc.constantFrom(
          'runbook',
          'parameters',
          'reason',
          'id',
          'dryRun',
          'clusters',
          'waves',
          'failedOnly',
          'by',
          'overlap',
          'errorBudget',
          'x',
        ),
        json,
      ),
      fc.string().map((s) => `{"runbook": ${s}`),
    );
    const segment = fc.oneof(fc.string({ minLength: 1, maxLength: 40 }), fc.stringMatching(/^[a-z0-9-]{1,30}$/), fc.constant('..'));
    const query = fc.dictionary(fc.constantFrom('runbook', 'cluster', 'status', 'limit', 'format', 'zzz'), fc.string({ maxLength: 20 }));
    // What the hostile requests met: the schema's refusal (400), a missing run (404), a run's refusal (409), …
    const answered = new Map<number, number>();
    const numRuns = 12;
    for (const op of ops) {
      await fc.assert(
        fc.asyncProperty(body, segment, query, async (payload, id, params) => {
          const path = op.template.replace(/\{[^}]+\}/g, encodeURIComponent(id));
          const search = new URLSearchParams(params).toString();
          const answer = await api.call(op.method, `${path}${search ? `?${search}` : ''}`, {
            token: tokens.root,
            ...(op.method === 'POST' ? { body: typeof payload === 'string' ? payload : JSON.stringify(payload) } : {}),
          });
          answered.set(answer.status, (answered.get(answer.status) ?? 0) + 1);
          expect(answer.status, `${op.method} ${path}?${search} ${answer.text}`).toBeLessThan(500);
          // A request that reached no run may only be refused; the shape is always ours.
          if (answer.status >= 400)
            expect(answer.json()).toMatchObject({ error: { code: expect.any(String), message: expect.any(String) } });
        }),
        { numRuns },
      );
    }
    console.log(`fuzz: ${ops.length * numRuns} requests, answered ${JSON.stringify(Object.fromEntries(answered))}`);
    // Every case was sent, and the hostile ones were refused by validation, not just by a missing run.
    expect([...answered.values()].reduce((a, b) => a + b, 0)).toBe(ops.length * numRuns);
    expect(answered.get(400) ?? 0).toBeGreaterThanOrEqual(ops.length);
    expect(answered.get(404) ?? 0).toBeGreaterThan(0);
  });

  it('the server log never holds a token or a JWT', () => {
    const text = api.logs.join('');
    expect(text).toContain('incoming request');
    expect(usedJwts.length).toBeGreaterThanOrEqual(6);
    for (const secret of [...Object.values(tokens), ...usedJwts]) expect(text.includes(secret)).toBe(false);
  });
});
