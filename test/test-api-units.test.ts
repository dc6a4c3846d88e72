// The API's pure parts: config validation, authorization decisions, token lookup, error mapping.
import { WorkflowNotFoundError } from '@temporalio/client';
import { describe, expect, it } from 'vitest';
import { refuseByRunbookRule, refuseWithoutRole, rolesOf } from '../api/authorize.js';
import type { Caller } from '../api/caller.js';
import { parseServeConfig } from '../api/config.js';
import { ApiError, mapError } from '../api/errors.js';
import { newToken, sha256Hex, tokenLookup } from '../api/tokens.js';
import { CliInputError, CliOperationFailed, NotFoundInputError } from '../client/cli-errors.js';
import { RolloutInputError } from '../client/rollouts.js';
import { OperatorActionRejected, ParameterInputError } from '../client/runs.js';
import { ConfigErrors } from '../core/config.js';

const here = process.cwd();
const roles = { viewer: ['dba', 'sre'], operator: ['dba'], approver: ['dba-leads', 'user:carol@example.com'], admin: ['platform'] };
const caller = (identity: string, ...groups: string[]): Caller => ({ identity, groups, via: 'token' });

describe('serve config', () => {
  it('accepts the documented example and resolves the catalog from the config file', () => {
    const config = parseServeConfig(
      {
        listen: '127.0.0.1:8080',
        catalog: 'runbooks',
        auth: { tokens: [{ identity: 'alice@example.com', groups: ['dba'], sha256: 'a'.repeat(64) }] },
        roles,
        runbooks: { 'postgres-major-upgrade': { start: ['dba'], approve: ['dba-leads'] } },
      },
      'serve.yaml',
      here,
    );
    expect(config.catalog).toBe(`${here}/runbooks`);
    expect(config.taskQueue).toBe('ssmflow');
    expect(config.maxTargets).toBe(25);
  });

  it('names every problem at once, each with its key and a fix', () => {
    let thrown: unknown;
    try {
      parseServeConfig(
        {
          listen: 'nowhere',
          catalog: 'runbooks',
          auth: { tokens: [{ identity: 'a', sha256: 'not-a-hash', token: 'x' }] },
          roles: { boss: [] },
        },
        'serve.yaml',
        here,
      );
    } catch (err) {
      thrown = err;
    }
    expect(thrown).toBeInstanceOf(ConfigErrors);
    const message = (thrown as ConfigErrors).message;
    expect(message).toContain('listen in serve.yaml: expected host:port');
    expect(message).toContain('auth.tokens.0.sha256 in serve.yaml');
    expect(message).toContain('auth.tokens.0 in serve.yaml');
    expect(message).toMatch(/roles in serve\.yaml: .*boss/);
    expect(message).toContain('fix: ');
  });

  it('refuses a config with no way to authenticate, and a catalog that does not exist', () => {
    expect(() => parseServeConfig({ catalog: 'runbooks', auth: {}, roles: {} }, 's.yaml', here)).toThrow(/no way to authenticate/);
    expect(() =>
      parseServeConfig(
        { catalog: 'no-such-dir', auth: { tokens: [{ identity: 'a', sha256: 'a'.repeat(64) }] }, roles: {} },
        's.yaml',
        here,
      ),
    ).toThrow(/catalog in s\.yaml: .*does not exist/);
  });
});

describe('authorization decisions', () => {
  it('gives roles by group and by user:<identity>; admin implies every role', () => {
    expect([...rolesOf(caller('alice', 'dba'), roles)].sort()).toEqual(['operator', 'viewer']);
    expect([...rolesOf(caller('carol@example.com'), roles)]).toEqual(['approver']);
    expect(rolesOf(caller('root', 'platform'), roles).size).toBe(4);
    expect(rolesOf(caller('eve', 'dbas'), roles).size).toBe(0);
  });

  it('a missing role is a 403 naming the role and who holds it', () => {
    expect(refuseWithoutRole(caller('alice', 'dba'), 'operator', roles)).toBeUndefined();
    const refused = refuseWithoutRole(caller('bob', 'sre'), 'approver', roles);
    expect(refused?.status).toBe(403);
    expect(refused?.message).toContain('bob lacks the approver role');
    expect(refused?.message).toContain('dba-leads');
  });

  it('per-runbook rules restrict start and approve on top of roles', () => {
    const config = { roles, runbooks: { pg: { start: ['dba'], approve: ['user:carol@example.com'] } } };
    expect(refuseByRunbookRule(caller('alice', 'dba'), 'pg', 'start', config)).toBeUndefined();
    expect(refuseByRunbookRule(caller('bob', 'sre'), 'pg', 'start', config)?.message).toContain('runbook pg lets only dba start it');
    expect(refuseByRunbookRule(caller('dave', 'dba-leads'), 'pg', 'approve', config)?.status).toBe(403);
    expect(refuseByRunbookRule(caller('carol@example.com'), 'pg', 'approve', config)).toBeUndefined();
    expect(refuseByRunbookRule(caller('bob', 'sre'), 'other', 'start', config)).toBeUndefined();
    expect(refuseByRunbookRule(caller('root', 'platform'), 'pg', 'approve', config)).toBeUndefined();
  });
});

describe('tokens', () => {
  it('finds the caller by the hash of its token, and nobody for any other token', () => {
    const token = newToken();
    const lookup = tokenLookup([
      { identity: 'other', groups: [], sha256: sha256Hex(newToken()) },
      { identity: 'alice', groups: ['dba'], sha256: sha256Hex(token) },
    ]);
    expect(lookup(token)).toEqual({ identity: 'alice', groups: ['dba'], via: 'token' });
    expect(lookup(`${token}x`)).toBeUndefined();
    expect(lookup('')).toBeUndefined();
    expect(token).toMatch(/^ssmf_[\w-]{43}$/);
  });
});

describe('error mapping', () => {
  const status = (err: unknown) => mapError(err).status;
  it("maps the client layer's errors to 4xx with their message and fix", () => {
    expect(status(new NotFoundInputError('no run with id "x"'))).toBe(404);
    expect(status(new WorkflowNotFoundError('gone', 'x', undefined))).toBe(404);
    expect(status(new OperatorActionRejected('r1', 'retry', 'nothing is paused'))).toBe(409);
    expect(mapError(new OperatorActionRejected('r1', 'retry', 'nothing is paused')).body.error.message).toBe(
      'retry refused: nothing is paused',
    );
    expect(status(new ParameterInputError([{ parameter: 'cluster', message: 'required', fix: 'give it' }]))).toBe(422);
    expect(status(new RolloutInputError('--waves', 'bad'))).toBe(422);
    expect(status(new CliInputError('bad', 'fix it'))).toBe(422);
    expect(mapError(new CliInputError('bad', 'fix it')).body).toEqual({ error: { code: 'invalid-input', message: 'bad', fix: 'fix it' } });
    expect(status(new CliOperationFailed('no state'))).toBe(409);
    expect(status(new ApiError(401, 'unauthorized', 'no token'))).toBe(401);
  });

  it("maps Fastify's own errors: validation 400, body too large 413, media type 415", () => {
    expect(status(Object.assign(new Error('body must be object'), { validation: [{}], validationContext: 'body' }))).toBe(400);
    expect(status(Object.assign(new Error('too large'), { code: 'FST_ERR_CTP_BODY_TOO_LARGE', statusCode: 413 }))).toBe(413);
    expect(status(Object.assign(new Error('unsupported'), { code: 'FST_ERR_CTP_INVALID_MEDIA_TYPE', statusCode: 415 }))).toBe(415);
  });

  it('an unexpected error is a 500 with a generic message: no details leak', () => {
    const mapped = mapError(new TypeError('secret internals at /srv/x.js'));
    expect(mapped.status).toBe(500);
    expect(mapped.unexpected).toBe(true);
    expect(JSON.stringify(mapped.body)).not.toContain('secret internals');
  });
});

describe('the app when Temporal does not answer', () => {
  it('answers 503 with the error shape, never a 500 or a hang', async () => {
    const { Client, Connection } = await import('@temporalio/client');
    const { buildApiApp } = await import('../api/app.js');
    const token = newToken();
    const config = parseServeConfig(
      {
        catalog: 'runbooks',
        auth: { tokens: [{ identity: 'vic', groups: ['sre'], sha256: sha256Hex(token) }] },
        roles: { viewer: ['sre'] },
      },
      'test',
      here,
    );
    // Nothing listens on port 1.
    const connection = Connection.lazy({ address: '127.0.0.1:1' });
    const connected = { connection, client: new Client({ connection }), close: () => connection.close() };
    const app = await buildApiApp({ config, connected, logLevel: 'silent', handlerTimeoutMs: 1_500 });
    try {
      const answer = await app.inject({ method: 'GET', url: '/v1/runs/some-run', headers: { authorization: `Bearer ${token}` } });
      expect(answer.statusCode).toBe(503);
      expect(['timeout', 'temporal-unavailable']).toContain(answer.json<{ error: { code: string } }>().error.code);
      expect((await app.inject({ method: 'GET', url: '/readyz' })).statusCode).toBe(503);
    } finally {
      await app.close();
    }
  });
});
