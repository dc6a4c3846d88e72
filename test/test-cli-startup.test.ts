// The CLI starts without what only its actions need: defining the commands (everything `--help`
// shows) loads commander and small modules of ours, and `validate` adds the runbook parser only.
// Temporal's SDK, the AWS SDK and the live view load when a command that uses them runs
// (client/actions/). Runs the compiled CLI under a hook that records every package it resolves.
// How long start-up takes is measured by bench/cli-startup.ts, not here.
import { spawnSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { projectRoot } from '../local/project-root.js';

const cli = join(projectRoot, 'dist', 'client', 'cli.js');
const hook = join(projectRoot, 'test', 'harness', 'record-packages.mjs');
const scratch = mkdtempSync(join(tmpdir(), 'ssmflow-startup-'));
afterAll(() => rmSync(scratch, { recursive: true, force: true }));

/** Packages only an action may load. */
const heavy = (name: string) => name.startsWith('@temporalio/') || name.startsWith('@aws-sdk/') || name === 'log-update';

/** Runs the compiled CLI (dist/, which the global setup keeps current) and lists the packages it resolved. */
function startCli(args: string[]) {
  const record = join(scratch, `${args.join('_').replace(/\W/g, '-')}.txt`);
  const result = spawnSync(process.execPath, ['--import', hook, cli, ...args], {
    cwd: projectRoot,
    env: { ...process.env, NO_COLOR: '1', PACKAGES_LOADED_FILE: record },
    encoding: 'utf8',
    timeout: 30_000,
  });
  const packages = new Set(readFileSync(record, 'utf8').split('\n').filter(Boolean));
  return { code: result.status, stdout: result.stdout, stderr: result.stderr, packages: [...packages].sort() };
}

describe('CLI start-up loads no SDK', () => {
  it.each(['--help', 'run --help', 'schedule create --help', 'rollout start --help'])('ssmflow %s', (command) => {
    const started = startCli(command.split(' '));
    expect(started.stderr).toBe('');
    expect(started.code).toBe(0);
    expect(started.stdout).toMatch(/^Usage: ssmflow /);
    // The hook saw the packages the CLI did load, so an empty list below means something.
    expect(started.packages).toContain('commander');
    expect(started.packages.filter(heavy)).toEqual([]);
  });

  it('ssmflow validate runbooks/rolling-restart.yaml loads the runbook parser, and no SDK', () => {
    const started = startCli(['validate', 'runbooks/rolling-restart.yaml']);
    expect(started.stderr).toBe('');
    expect(started.code).toBe(0);
    expect(started.stdout).toContain('runbooks/rolling-restart.yaml');
    expect(started.packages).toEqual(expect.arrayContaining(['commander', 'yaml', 'zod']));
    expect(started.packages.filter(heavy)).toEqual([]);
  });
});
