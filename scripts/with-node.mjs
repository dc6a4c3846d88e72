#!/usr/bin/env node
// The Node runtime ssmflow's own commands run on. ssmflow needs Node 22 or newer (24 recommended);
// when the `node` on PATH is older, the official Node build published as an npm package
// (node-<platform>-<arch>) is installed into .tools/node/<major>/ and used instead.
//
//   node scripts/with-node.mjs COMMAND [ARGS...]   runs COMMAND with that Node first on PATH, so
//                                                  `node`, `npm run`, `npx` and every shebang use it.
//   SSMFLOW_NODE_MAJOR=22                           asks for that major even when PATH's Node is newer
//                                                  (CI's smoke run on the maintenance line).
//
// Plain Node with no dependencies, and written for old Node: it runs before anything else is installed.
import { spawn, spawnSync } from 'node:child_process';
import { existsSync, mkdirSync } from 'node:fs';
import { delimiter, dirname, join, resolve } from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';

export const MINIMUM_NODE_MAJOR = 22;
/** The exact builds installed when PATH's Node is too old; bump them together with CI's expectations. */
export const NODE_BUILDS = { 24: '24.22.3', 22: '22.23.5' };
const RECOMMENDED_MAJOR = 24;

const root = resolve(dirname(fileURLToPath(import.meta.url)), '..');

function majorOf(version) {
  return Number(version.replace(/^v/, '').split('.')[0]);
}

function wantedMajor() {
  const asked = process.env.SSMFLOW_NODE_MAJOR;
  if (!asked) return undefined;
  const major = Number(asked);
  if (!(String(major) in NODE_BUILDS)) {
    throw new Error(`SSMFLOW_NODE_MAJOR=${asked} is not one of ${Object.keys(NODE_BUILDS).join(', ')}: unset it or pick one of those.`);
  }
  return major;
}

/**
 * The Node to run on: PATH's own when it is new enough (and no major was asked for), else the
 * packaged build in .tools/node/<major>/, installed on first use with the npm on PATH.
 */
export function ensureNodeRuntime({ say = () => {} } = {}) {
  const asked = wantedMajor();
  const current = process.versions.node;
  if (asked === undefined && majorOf(current) >= MINIMUM_NODE_MAJOR)
    return { path: process.execPath, version: `v${current}`, installed: false };
  if (asked !== undefined && majorOf(current) === asked) return { path: process.execPath, version: `v${current}`, installed: false };

  const major = asked ?? RECOMMENDED_MAJOR;
  const version = NODE_BUILDS[major];
  const packageName = `node-${process.platform}-${process.arch}`;
  const prefix = join(root, '.tools', 'node', String(major));
  const binary = join(prefix, 'node_modules', packageName, 'bin', 'node');
  if (!existsSync(binary) || probeVersion(binary) !== `v${version}`) {
    say(`Installing Node ${version} (npm package ${packageName}) into .tools/node/${major}`);
    mkdirSync(prefix, { recursive: true });
    const npm = process.platform === 'win32' ? 'npm.cmd' : 'npm';
    const res = spawnSync(
      npm,
      [
        'install',
        '--prefix',
        prefix,
        '--no-save',
        '--no-package-lock',
        '--no-audit',
        '--no-fund',
        '--loglevel=error',
        `${packageName}@${version}`,
      ],
      { stdio: ['ignore', 'ignore', 'pipe'], encoding: 'utf8' },
    );
    if (res.error || res.status !== 0 || !existsSync(binary)) {
      const detail = res.error ? res.error.message : (res.stderr || '').trim().split('\n').slice(-5).join('\n');
      throw new Error(
        `Node ${current} is older than ${MINIMUM_NODE_MAJOR}, and installing ${packageName}@${version} failed${detail ? `:\n${detail}` : ''}\n` +
          `Install Node ${RECOMMENDED_MAJOR} (or at least ${MINIMUM_NODE_MAJOR}) and put it first on PATH.`,
      );
    }
  }
  return {
    path: binary,
    version: `v${version}`,
    installed: true,
    reason: asked === undefined ? `Node v${current} on PATH is older than ${MINIMUM_NODE_MAJOR}` : `SSMFLOW_NODE_MAJOR=${major}`,
  };
}

function probeVersion(binary) {
  const res = spawnSync(binary, ['--version'], { encoding: 'utf8' });
  return res.status === 0 ? res.stdout.trim() : undefined;
}

/** The environment that puts `runtime`'s Node first on PATH (for `node`, `npm`, `npx` and shebangs). */
export function environmentFor(runtime, env = process.env) {
  if (!runtime.installed) return env;
  return { ...env, PATH: `${dirname(runtime.path)}${delimiter}${env.PATH ?? ''}` };
}

/** The one line that says a packaged Node is in use (printed once per command, on stderr). */
export function describeRuntime(runtime) {
  return `ssmflow: ${runtime.reason}; running on Node ${runtime.version} from .tools/node/${majorOf(runtime.version)}`;
}

/** Runs `command` on the runtime, forwarding signals, and exits with its status. */
export function runOnRuntime(runtime, command, args) {
  const child = spawn(command, args, { stdio: 'inherit', env: environmentFor(runtime) });
  // Ctrl-C reaches the child itself (same process group); a supervisor's SIGTERM/SIGHUP is passed on.
  const forward = (signal) => child.kill(signal);
  const ignore = () => {};
  process.on('SIGINT', ignore);
  for (const signal of ['SIGTERM', 'SIGHUP']) process.on(signal, forward);
  child.on('error', (err) => {
    console.error(`ssmflow: could not run ${command}: ${err.message}`);
    process.exit(127);
  });
  child.on('exit', (code, signal) => {
    if (signal) {
      process.removeAllListeners(signal);
      process.kill(process.pid, signal);
      return;
    }
    process.exit(code ?? 1);
  });
}

if (process.argv[1] && import.meta.url === pathToFileURL(resolve(process.argv[1])).href) {
  const [command, ...args] = process.argv.slice(2);
  if (!command) {
    console.error('usage: node scripts/with-node.mjs COMMAND [ARGS...]');
    process.exit(2);
  }
  let runtime;
  try {
    runtime = ensureNodeRuntime({ say: (line) => console.error(line) });
  } catch (err) {
    console.error(`ssmflow: ${err.message}`);
    process.exit(1);
  }
  if (runtime.installed) console.error(describeRuntime(runtime));
  runOnRuntime(runtime, command, args);
}
