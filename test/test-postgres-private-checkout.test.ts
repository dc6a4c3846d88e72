// `npm run demo` and `npm test` from a checkout inside a private folder (mode 0700, like /root).
// Why root matters: PostgreSQL refuses to run as root, so as root the local clusters run as the
// unprivileged user the bootstrap creates, and that user cannot traverse a private folder. Then
// the bootstrap must install the PostgreSQL toolsets where it can reach them, and the demo's fleet
// (the clusters' data directories, sockets, password files) must move there too. Not as root the
// clusters run as the caller, who reaches the checkout anyway: the ordinary layout must still work.
import { execFile } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, statSync, symlinkSync, utimesSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { promisify } from 'node:util';
import { afterAll, describe, expect, it } from 'vitest';
import { runningAsRoot } from '../local/postgres-exec.js';
import { SHARED_STATE_ROOT } from '../local/postgres-reachable-dir.js';
import { projectRoot } from '../local/project-root.js';
import { readToolsManifest } from '../local/tools.js';

const run = promisify(execFile);
const privateFolder = mkdtempSync(join(tmpdir(), 'ssmflow-private-'));
const checkout = join(privateFolder, 'ssmflow');
let fleetDir: string | undefined;

afterAll(() => {
  rmSync(privateFolder, { recursive: true, force: true });
  if (fleetDir?.startsWith(`${SHARED_STATE_ROOT}/`)) rmSync(dirname(fleetDir), { recursive: true, force: true });
});

describe('a checkout in a private folder', () => {
  it('bootstraps its tools and runs a PostgreSQL cluster', async () => {
    expect(statSync(privateFolder).mode & 0o777).toBe(0o700);
    await run('git', ['clone', '--quiet', projectRoot, checkout]);
    // This machine's npm packages, Temporal CLI, test server and S3 emulator: the clone bootstraps
    // only PostgreSQL, the part a private folder breaks. The lockfile keeps the packages' install time
    // so that the bootstrap does not reinstall them.
    const packages = join(projectRoot, 'node_modules');
    symlinkSync(packages, join(checkout, 'node_modules'));
    const installed = statSync(join(packages, '.package-lock.json')).mtime;
    utimesSync(join(checkout, 'package-lock.json'), installed, installed);
    const tools = readToolsManifest();
    const env = {
      ...process.env,
      TEMPORAL_CLI_PATH: tools.temporal.path,
      MOTO_SERVER_PATH: tools.moto.path,
      ...(tools.temporalTestServer ? { TEMPORAL_TEST_SERVER_PATH: tools.temporalTestServer.path } : {}),
    };

    const bootstrap = await run('node', ['scripts/tools.mjs', '--quiet'], { cwd: checkout, env, timeout: 280_000 });
    expect(bootstrap.stdout).toMatch(/^tools: .* postgres 16\.\d+, 17\.\d+, 18\.\d+ as \S+;/m);
    const manifest = JSON.parse(readFileSync(join(checkout, '.tools', 'tools.json'), 'utf8')) as {
      postgres: { majors: Record<string, { binDir: string }> };
    };
    const toolsetsAt = runningAsRoot() ? '/usr/local/lib/ssmflow/postgres/' : join(checkout, '.tools', 'postgres/');
    expect(Object.values(manifest.postgres.majors).map((major) => major.binDir.startsWith(toolsetsAt))).toEqual([true, true, true]);

    const created = await run('node', ['--import', 'tsx', 'test/harness/private-checkout-cluster.ts'], {
      cwd: checkout,
      env,
      timeout: 120_000,
    });
    const cluster = JSON.parse(created.stdout) as { fleetDir: string; version: string; binDir: string };
    fleetDir = cluster.fleetDir;
    expect(cluster.version).toMatch(/^16\.\d+$/);
    expect(cluster.binDir.startsWith(toolsetsAt)).toBe(true);
    if (runningAsRoot()) expect(cluster.fleetDir).toMatch(new RegExp(`^${SHARED_STATE_ROOT}/[0-9a-f]{12}/fleet$`));
    else expect(cluster.fleetDir).toBe(join(checkout, '.ssmflow', 'fleet'));
  }, 300_000);
});
