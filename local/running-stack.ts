// `<state-dir>/local-stack.json`: where a running `ssmflow dev` can be found. Written once the
// stack is up, removed when it stops; other local commands (e.g. a local PostgreSQL cluster that
// registers its instances with the fleet) read it instead of asking for every endpoint.
import { readFileSync, renameSync, rmSync, writeFileSync } from 'node:fs';
import { join, resolve } from 'node:path';

export interface RunningLocalStack {
  /** The `ssmflow dev` process; the record is stale once it is gone. */
  pid: number;
  startedAt: string;
  stateDir: string;
  temporal: { address: string; namespace: string; ui: string | null };
  s3: { endpoint: string; outputBucket: string };
  /** The SSM endpoint the worker uses; `stateDir` is null for an external fleet (AWS_ENDPOINT_URL_SSM). */
  fleet: { endpoint: string; stateDir: string | null };
  taskQueue: string;
  /** The environment for a CLI or worker in another shell (what `dev` prints as `export` lines). */
  env: Record<string, string>;
}

export const RUNNING_STACK_FILE = 'local-stack.json';

export function runningStackPath(stateDir: string): string {
  return join(resolve(stateDir), RUNNING_STACK_FILE);
}

/** Writes the record atomically, so a reader sees all of it or none. */
export function writeRunningLocalStack(stack: RunningLocalStack): string {
  const path = runningStackPath(stack.stateDir);
  const tmp = `${path}.tmp-${process.pid}`;
  writeFileSync(tmp, `${JSON.stringify(stack, null, 2)}\n`);
  renameSync(tmp, path);
  return path;
}

/** Removes the record if it is this process's (a newer `dev` on the same state dir keeps its own). */
export function removeRunningLocalStack(stateDir: string, pid = process.pid): void {
  const path = runningStackPath(stateDir);
  try {
    const current = JSON.parse(readFileSync(path, 'utf8')) as { pid?: unknown };
    if (current.pid !== pid) return;
  } catch {
    return;
  }
  rmSync(path, { force: true });
}

function alive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (err) {
    // EPERM: it exists, under another user.
    return (err as NodeJS.ErrnoException).code === 'EPERM';
  }
}

/**
 * The local stack `ssmflow dev --state-dir <stateDir>` runs. Throws an Error that says how to
 * start it when there is none: no record, an unreadable one, or one whose process is gone (a
 * `dev` that was killed before it could clean up).
 */
export function readRunningLocalStack(stateDir: string): RunningLocalStack {
  const path = runningStackPath(stateDir);
  const start = `start it with \`ssmflow dev --state-dir ${stateDir}\` (in another shell; it keeps running until Ctrl-C)`;
  let text: string;
  try {
    text = readFileSync(path, 'utf8');
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === 'ENOENT')
      throw new Error(`No local stack is running on state dir ${stateDir} (no ${path}): ${start}`, { cause: err });
    throw new Error(`Cannot read ${path}: ${(err as Error).message}`, { cause: err });
  }
  let stack: RunningLocalStack;
  try {
    stack = JSON.parse(text) as RunningLocalStack;
    if (!Number.isInteger(stack.pid) || typeof stack.temporal?.address !== 'string' || typeof stack.fleet?.endpoint !== 'string')
      throw new Error('fields missing');
  } catch (err) {
    throw new Error(`${path} is not a local stack record (${(err as Error).message}); ${start}`, { cause: err });
  }
  if (!alive(stack.pid)) {
    throw new Error(`The local stack recorded in ${path} (pid ${stack.pid}, started ${stack.startedAt}) is not running any more: ${start}`);
  }
  return stack;
}
