// One local PostgreSQL server's files and process: owned directories, the data dirs under a
// member's data root, start and fast stop. Used by the local clusters (postgres-cluster.ts).
import { chmodSync, chownSync, existsSync, mkdirSync, readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { runAsUser, runCommand } from './postgres-exec.js';

/** uid/gid of the clusters' OS user when this process runs as root (files are chowned to it). */
export type OwnerIds = { uid: number; gid: number } | undefined;

/** The uid and gid of the clusters' OS user. */
export async function userIds(osUser: string): Promise<{ uid: number; gid: number }> {
  const uid = Number((await runCommand('id', ['-u', osUser])).trim());
  const gid = Number((await runCommand('id', ['-g', osUser])).trim());
  return { uid, gid };
}

/** A directory owned by the OS user, mode 0700 (PostgreSQL insists on it for data dirs). */
export function ownedDir(path: string, ids: OwnerIds): void {
  mkdirSync(path, { recursive: true });
  if (ids) chownSync(path, ids.uid, ids.gid);
  chmodSync(path, 0o700);
}

export function ownedFile(path: string, text: string, ids: OwnerIds, mode = 0o600): void {
  writeFileSync(path, text);
  if (ids) chownSync(path, ids.uid, ids.gid);
  chmodSync(path, mode);
}

/** The pid in a pid file when it names a live process. */
export function livePid(pidFile: string): number | undefined {
  let pid: number;
  try {
    pid = Number(readFileSync(pidFile, 'utf8').split('\n')[0]);
  } catch {
    return undefined;
  }
  if (!Number.isInteger(pid) || pid <= 0) return undefined;
  try {
    process.kill(pid, 0);
    return pid;
  } catch {
    return undefined;
  }
}

/** The postmaster pid and port of a data dir, when its postmaster.pid names a live process. */
export function runningServer(dataDir: string): { pid: number; port: number } | undefined {
  const pid = livePid(join(dataDir, 'postmaster.pid'));
  if (pid === undefined) return undefined;
  const port = Number(readFileSync(join(dataDir, 'postmaster.pid'), 'utf8').split('\n')[3]);
  return { pid, port };
}

/** Every data dir under a member's data root (`<major>/main`). */
export function dataDirs(dataRoot: string): string[] {
  if (!existsSync(dataRoot)) return [];
  return readdirSync(dataRoot)
    .filter((entry) => /^\d+$/.test(entry))
    .map((major) => join(dataRoot, major, 'main'))
    .filter((dir) => existsSync(join(dir, 'PG_VERSION')));
}

/** Sends `signal` to each pid and waits until they are gone (SIGKILL after a minute). */
export async function stopProcesses(pids: number[], signal: NodeJS.Signals): Promise<void> {
  for (const pid of pids) {
    try {
      process.kill(pid, signal);
    } catch {
      // already gone
    }
  }
  const deadline = Date.now() + 60_000;
  for (const pid of pids) {
    for (;;) {
      try {
        process.kill(pid, 0);
      } catch {
        break;
      }
      if (Date.now() > deadline) {
        process.kill(pid, 'SIGKILL');
        break;
      }
      await new Promise((r) => setTimeout(r, 50));
    }
  }
}

/** Fast shutdown (SIGINT, as `pg_ctl stop -m fast`) of every server under a data root. */
export async function stopServersUnder(dataRoot: string): Promise<void> {
  const pids = dataDirs(dataRoot)
    .map(runningServer)
    .filter((server): server is { pid: number; port: number } => server !== undefined)
    .map((server) => server.pid);
  await stopProcesses(pids, 'SIGINT');
}

/** Starts the server of a data dir with its own pg_ctl, failing with the log's last lines. */
export async function startServer(osUser: string, binDir: string, dataDir: string, what: string): Promise<void> {
  const log = join(dataDir, 'ssmflow-server.log');
  await runAsUser(osUser, join(binDir, 'pg_ctl'), ['start', '-D', dataDir, '-w', '-t', '120', '-s', '-l', log]).catch((err: Error) => {
    let tail = '';
    try {
      tail = readFileSync(log, 'utf8').trim().split('\n').slice(-5).join('\n');
    } catch {
      // no log yet
    }
    throw new Error(`${what} did not start: ${err.message}\n${tail}`);
  });
}

/** Port, listen address and socket dir, in the file the runbook scripts rewrite (lib.sh write_server_conf). */
export function serverConfText(port: number, socketDir: string): string {
  return `# Written by ssmflow's postgres-major-upgrade scripts.\nport = ${port}\nlisten_addresses = '127.0.0.1'\nunix_socket_directories = '${socketDir}'\n`;
}
