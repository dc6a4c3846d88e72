// The API config `ssmflow stack` writes: the stack's own parts follow its ports at every start, what
// the user added (callers, roles, runbook rules) survives a restart, and the result is a config
// `ssmflow serve` accepts.
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { parse, stringify } from 'yaml';
import { loadServeConfig } from '../api/config.js';
import { sha256Hex } from '../api/tokens.js';
import { STACK_API_GROUP, writeStackServeConfig } from '../local/stack-serve-config.js';

describe('the serve config of ssmflow stack', () => {
  const dir = mkdtempSync(join(tmpdir(), 'stack-serve-config-'));
  afterAll(() => rmSync(dir, { recursive: true, force: true }));
  const settings = { port: 7247, taskQueue: 'ssmflow', outputBucket: 'ssmflow-output', identity: 'me@laptop', token: 'ssmf_own' };

  it('starts as one admin token for the person running the stack, and serve accepts it', () => {
    const file = join(dir, 'first.yaml');
    writeStackServeConfig(file, settings);
    const config = loadServeConfig(file);
    expect(config).toMatchObject({ listen: '127.0.0.1:7247', publicUrl: 'http://127.0.0.1:7247', taskQueue: 'ssmflow' });
    expect(config.catalog.endsWith(join('runbooks', 'examples'))).toBe(true);
    expect(config.auth.tokens).toEqual([{ identity: 'me@laptop', groups: [STACK_API_GROUP], sha256: sha256Hex('ssmf_own') }]);
    expect(config.roles.admin).toEqual([STACK_API_GROUP]);
    expect(readFileSync(file, 'utf8')).not.toContain('ssmf_own');
  });

  it("keeps the user's callers, roles and rules across a restart on another port, with the stack's own entry once", () => {
    const file = join(dir, 'edited.yaml');
    writeStackServeConfig(file, settings);
    const edited = parse(readFileSync(file, 'utf8')) as { auth: { tokens: unknown[] }; roles: Record<string, string[]> };
    edited.auth.tokens.push({ identity: 'bob@example.com', groups: ['leads'], sha256: sha256Hex('ssmf_bob') });
    edited.roles.approver = ['leads'];
    writeFileSync(file, stringify({ ...edited, maxTargets: 5, runbooks: { hello: { approve: ['leads'] } } }));

    writeStackServeConfig(file, { ...settings, port: 7300 });
    const config = loadServeConfig(file);
    expect(config.listen).toBe('127.0.0.1:7300');
    expect(config.publicUrl).toBe('http://127.0.0.1:7300');
    expect(config.auth.tokens.map((t) => t.identity)).toEqual(['me@laptop', 'bob@example.com']);
    expect(config.roles).toMatchObject({ admin: [STACK_API_GROUP], approver: ['leads'] });
    expect(config.runbooks).toEqual({ hello: { approve: ['leads'] } });
    expect(config.maxTargets).toBe(5);
  });

  it('replaces the entry of a lost token (a new api-token file), and says what to do with a broken file', () => {
    const file = join(dir, 'lost.yaml');
    writeStackServeConfig(file, settings);
    writeStackServeConfig(file, { ...settings, token: 'ssmf_new' });
    expect(loadServeConfig(file).auth.tokens).toEqual([
      { identity: 'me@laptop', groups: [STACK_API_GROUP], sha256: sha256Hex('ssmf_new') },
    ]);

    const broken = join(dir, 'broken.yaml');
    writeFileSync(broken, 'auth: [unclosed\n');
    expect(() => writeStackServeConfig(broken, settings)).toThrow(/broken\.yaml is not valid YAML .*fix it, or delete it/);
    writeFileSync(broken, '- a list\n');
    expect(() => writeStackServeConfig(broken, settings)).toThrow(/does not hold a YAML mapping/);
  });
});
