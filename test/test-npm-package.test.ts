// The npm package as a platform team gets it: `npm pack`, then `npm install --omit=dev` of the
// tarball into an empty directory, then the installed `ssmflow` on its own: help, version,
// validate, plan against a fleet, and a worker that runs a run from the prebuilt workflow bundle.
// Nothing here reaches back into the checkout's sources or dev dependencies.
import { spawn, type ChildProcess } from 'node:child_process';
import { existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { delimiter, dirname, join } from 'node:path';
import { ListCommandsCommand } from '@aws-sdk/client-ssm';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startTestFleet, type TestFleet } from '../fleet/test-support.js';
import { projectRoot } from '../local/project-root.js';
import { eventuallyTrue } from './harness/eventually.js';
import { connectTestStack, uniqueId, type TestStack } from './harness/stack.js';

interface Ran {
  code: number | null;
  stdout: string;
  stderr: string;
}

const packageJson = JSON.parse(readFileSync(join(projectRoot, 'package.json'), 'utf8')) as {
  version: string;
  devDependencies: Record<string, string>;
};
// The Node running the tests runs the installed package too (its `#!/usr/bin/env node` shebang).
const env = { ...process.env, PATH: `${dirname(process.execPath)}${delimiter}${process.env.PATH ?? ''}`, NO_COLOR: '1', SSMFLOW_USER: '' };

function run(command: string, args: string[], cwd: string, extraEnv: Record<string, string> = {}): Promise<Ran> {
  return new Promise((resolve, reject) => {
    const child = spawn(command, args, { cwd, env: { ...env, ...extraEnv }, stdio: ['ignore', 'pipe', 'pipe'] });
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (chunk: Buffer) => (stdout += chunk.toString()));
    child.stderr.on('data', (chunk: Buffer) => (stderr += chunk.toString()));
    child.once('error', reject);
    child.once('close', (code) => resolve({ code, stdout, stderr }));
  });
}

function expectOk(result: Ran, what: string): void {
  expect(result.code, `${what}\nstdout: ${result.stdout}\nstderr: ${result.stderr}`).toBe(0);
}

describe('the npm package, installed with production dependencies only', () => {
  let scratch: string;
  let app: string;
  let installed: string;
  let packedFiles: string[];
  const ssmflow = (args: string[], extraEnv: Record<string, string> = {}) =>
    run('npx', ['--no-install', 'ssmflow', ...args], app, extraEnv);

  beforeAll(async () => {
    scratch = mkdtempSync(join(tmpdir(), 'ssmflow-package-'));
    // prepack builds dist/ when it is stale (the test setup has already built it).
    const packed = await run('npm', ['pack', '--json', '--pack-destination', scratch], projectRoot);
    expectOk(packed, 'npm pack');
    const [report] = JSON.parse(packed.stdout.slice(packed.stdout.indexOf('['))) as { filename: string; files: { path: string }[] }[];
    packedFiles = (report?.files ?? []).map((f) => f.path);
    app = join(scratch, 'app');
    mkdirSync(app);
    writeFileSync(join(app, 'package.json'), JSON.stringify({ name: 'platform-tooling', private: true }));
    const install = await run(
      'npm',
      ['install', '--omit=dev', '--no-audit', '--no-fund', '--loglevel=error', join(scratch, report?.filename ?? 'missing.tgz')],
      app,
    );
    expectOk(install, 'npm install --omit=dev of the tarball');
    installed = join(app, 'node_modules', 'ssmflow');
  }, 300_000);
  afterAll(() => {
    if (scratch) rmSync(scratch, { recursive: true, force: true });
  });

  it('ships the compiled CLI, the schema, the runbooks with their scripts and the docs, and no sources', () => {
    for (const file of [
      'bin/ssmflow.mjs',
      'dist/client/cli.js',
      'dist/client/index.js',
      'dist/client/index.d.ts',
      'dist/workflow-bundle.js',
      'runbook.schema.json',
      'runbooks/postgres-major-upgrade.yaml',
      'runbooks/postgres/backup.sh',
      'runbooks/examples/hello.yaml',
      'docs/cli.md',
      'docs/ssm-semantics.md',
      'README.md',
    ])
      expect(packedFiles, file).toContain(file);
    const leaked = packedFiles.filter(
      (f) =>
        (f.endsWith('.ts') && !f.endsWith('.d.ts')) ||
        f.endsWith('.map') ||
        /^dist\/(local|fleet)\//.test(f) ||
        /^(test|bench|scripts)\//.test(f),
    );
    expect(leaked).toEqual([]);
  });

  it('installs no dev dependency', () => {
    // The development tools; other dev dependencies (ajv, @types/node) also arrive as production
    // dependencies' own dependencies.
    for (const dev of [
      'tsx',
      'typescript',
      'vitest',
      'eslint',
      'prettier',
      'aws-sdk-client-mock',
      'fast-check',
      '@temporalio/testing',
      'pg',
    ]) {
      expect(packageJson.devDependencies, dev).toHaveProperty([dev]);
      expect(existsSync(join(app, 'node_modules', dev)), `${dev} is a dev dependency`).toBe(false);
    }
    for (const name of ['@temporalio/client', '@aws-sdk/client-ssm', 'commander', 'zod'])
      expect(existsSync(join(app, 'node_modules', name)), name).toBe(true);
  });

  it('answers --help and --version with the one version package.json holds', async () => {
    const help = await ssmflow(['--help']);
    expectOk(help, 'ssmflow --help');
    expect(help.stdout).toMatch(/^Usage: ssmflow/);
    for (const command of ['validate', 'plan', 'run', 'status', 'rollout', 'schedule', 'worker'])
      expect(help.stdout).toContain(`  ${command}`);
    // The local stack's commands need a checkout; the package has none of them.
    expect(help.stdout).not.toMatch(/^\s+(dev|fleet|local)\b/m);
    const version = await ssmflow(['--version']);
    expectOk(version, 'ssmflow --version');
    expect(version.stdout.trim()).toBe(packageJson.version);
    const workerHelp = await ssmflow(['worker', '--help']);
    expectOk(workerHelp, 'ssmflow worker --help');
    expect(workerHelp.stdout).toMatch(/^Usage: ssmflow worker/);
  });

  it('validates the shipped runbooks against the shipped schema, and names the field in a bad one', async () => {
    const shipped = await ssmflow([
      'validate',
      join(installed, 'runbooks', 'postgres-major-upgrade.yaml'),
      join(installed, 'runbooks', 'rolling-restart.yaml'),
    ]);
    expectOk(shipped, 'ssmflow validate of the shipped runbooks');
    expect(shipped.stdout).toContain('postgres-major-upgrade.yaml: ok');
    const schema = JSON.parse(readFileSync(join(installed, 'runbook.schema.json'), 'utf8')) as {
      $defs?: { Runbook?: { properties?: object } };
    };
    expect(Object.keys(schema.$defs?.Runbook?.properties ?? {})).toContain('steps');
    const bad = join(scratch, 'bad.yaml');
    writeFileSync(
      bad,
      'apiVersion: ssmflow/v1\nname: bad\ntargets: { instanceIds: [i-0123456789abcdef0] }\nsteps:\n  - id: one\n    run: true\n    timeout: soon\n',
    );
    const refused = await ssmflow(['validate', bad]);
    expect(refused.code, refused.stdout + refused.stderr).toBe(2);
    expect(refused.stdout + refused.stderr).toContain('steps[0].timeout');
  });

  it('exports the typed client API', async () => {
    const probe = await run(
      process.execPath,
      [
        '--input-type=module',
        '-e',
        "const api = await import('ssmflow'); const r = api.parseRunbook('apiVersion: ssmflow/v1\\nname: x\\ntargets: { tags: { Env: [dev] } }\\nsteps:\\n  - { id: a, run: hostname }\\n', 'x.yaml'); console.log(JSON.stringify({ startRun: typeof api.startRun, readRun: typeof api.readRun, ok: 'normalized' in r }))",
      ],
      app,
    );
    expectOk(probe, "import('ssmflow')");
    expect(JSON.parse(probe.stdout)).toEqual({ startRun: 'function', readRun: 'function', ok: true });
    // A consumer's TypeScript sees the declarations ("types"/"exports"): a typo'd export fails to compile.
    const consumer = join(app, 'consumer.ts');
    const tsc = join(projectRoot, 'node_modules', 'typescript', 'bin', 'tsc');
    writeFileSync(
      join(app, 'tsconfig.json'),
      JSON.stringify({
        compilerOptions: { strict: true, noEmit: true, skipLibCheck: true, module: 'nodenext', moduleResolution: 'nodenext', types: [] },
        files: ['consumer.ts'],
      }),
    );
    const compile = (source: string) => {
      writeFileSync(consumer, source);
      return run(process.execPath, [tsc, '-p', join(app, 'tsconfig.json')], app);
    };
    const good = await compile(
      "import { parseRunbook, type RunView, type RunStatus } from 'ssmflow';\nconst status: RunStatus = 'succeeded';\nexport const view: Pick<RunView, 'status'> = { status };\nexport const parsed = parseRunbook('', 'x.yaml');\n",
    );
    expectOk(good, 'tsc of a consumer of the package');
    const typo = await compile("import { startRunz } from 'ssmflow';\nexport const f = startRunz;\n");
    expect(typo.code).not.toBe(0);
    expect(typo.stdout).toContain('startRunz');
  });

  describe('against the local stack', () => {
    let stack: TestStack;
    let fleet: TestFleet;
    let worker: ChildProcess | undefined;
    let workerOutput = '';
    let stackEnv: Record<string, string>;
    const instances = ['i-0c3000000000000a1', 'i-0c3000000000000a2'];

    beforeAll(async () => {
      stack = await connectTestStack();
      fleet = await startTestFleet({ instances: instances.map((id) => ({ id, tags: { Env: 'dev' } })) });
      stackEnv = {
        TEMPORAL_ADDRESS: stack.temporalAddress,
        SSMFLOW_TASK_QUEUE: uniqueId('tq-package'),
        AWS_ENDPOINT_URL_SSM: fleet.fleet.endpoint,
        AWS_ENDPOINT_URL_S3: stack.s3Endpoint,
        SSMFLOW_HTTP_ADDRESS: 'off',
        SSMFLOW_SDK_METRICS_ADDRESS: 'off',
        SSMFLOW_SSM_LISTING_LAG: '3s',
      };
    });
    afterAll(async () => {
      if (worker?.pid !== undefined && worker.exitCode === null) {
        const exited = new Promise((resolve) => worker?.once('exit', resolve));
        // npx runs the worker in a child of its own: stop the whole process group.
        process.kill(-worker.pid, 'SIGTERM');
        await exited;
      }
      await fleet?.dispose();
      await stack?.close();
    });

    it('plans a shipped runbook against the fleet without sending anything', async () => {
      const plan = await ssmflow(['plan', join(installed, 'runbooks', 'examples', 'hello.yaml'), '-p', 'env=dev', '--json'], stackEnv);
      expectOk(plan, 'ssmflow plan');
      const text = plan.stdout;
      for (const id of instances) expect(text).toContain(id);
      const sent = await fleet.ssm.send(new ListCommandsCommand({}));
      expect(sent.Commands ?? []).toEqual([]);
    });

    it('runs a worker from the prebuilt workflow bundle, and a run to success through it', async () => {
      worker = spawn('npx', ['--no-install', 'ssmflow', 'worker'], {
        cwd: app,
        env: { ...env, ...stackEnv },
        stdio: ['ignore', 'pipe', 'pipe'],
        detached: true,
      });
      worker.stdout?.on('data', (chunk: Buffer) => (workerOutput += chunk.toString()));
      worker.stderr?.on('data', (chunk: Buffer) => (workerOutput += chunk.toString()));
      await eventuallyTrue(() => workerOutput.includes('ssmflow worker polling') || worker?.exitCode !== null, {
        description: 'the installed worker to poll or exit',
        timeoutMs: 60_000,
      });
      expect(workerOutput, 'the installed worker starts polling').toContain('ssmflow worker polling');
      const result = await ssmflow(
        ['run', join(installed, 'runbooks', 'examples', 'hello.yaml'), '-p', 'env=dev', '--reason', 'package test', '--wait', '--json'],
        stackEnv,
      );
      expect(result.code, `ssmflow run --wait\n${result.stdout}\n${result.stderr}\nworker:\n${workerOutput}`).toBe(0);
      expect((JSON.parse(result.stdout) as { status: string }).status).toBe('succeeded');
      // The installed worker loaded dist/workflow-bundle.js rather than bundling sources it does not have.
      expect(workerOutput).toMatch(/"workflowCode":"[^"]*node_modules\/ssmflow\/dist\/workflow-bundle\.js"/);
    });
  });
});
