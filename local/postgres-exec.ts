import { spawn } from 'node:child_process';

/** Runs a command to completion; resolves with stdout, rejects with its stderr tail. */
export function runCommand(
  command: string,
  args: string[],
  options: { input?: string; cwd?: string; env?: NodeJS.ProcessEnv } = {},
): Promise<string> {
  return new Promise((resolveRun, reject) => {
    const child = spawn(command, args, {
      cwd: options.cwd ?? '/',
      env: options.env ?? process.env,
      stdio: [options.input === undefined ? 'ignore' : 'pipe', 'pipe', 'pipe'],
    });
    const out: Buffer[] = [];
    const err: Buffer[] = [];
    child.stdout?.on('data', (chunk: Buffer) => out.push(chunk));
    child.stderr?.on('data', (chunk: Buffer) => err.push(chunk));
    child.on('error', reject);
    child.on('close', (code, signal) => {
      const stdout = Buffer.concat(out).toString('utf8');
      if (code === 0) return resolveRun(stdout);
      const stderr = Buffer.concat(err).toString('utf8').trim().split('\n').slice(-8).join('\n');
      reject(new Error(`${command} ${args.join(' ')} exited ${code ?? signal}${stderr ? `:\n${stderr}` : ''}`));
    });
    if (child.stdin) {
      // A command that exits without reading its input must not crash us with EPIPE.
      child.stdin.on('error', () => undefined);
      child.stdin.end(options.input);
    }
  });
}

/** True when this process runs as root (then PostgreSQL commands go through runuser). */
export function runningAsRoot(): boolean {
  return typeof process.getuid === 'function' && process.getuid() === 0;
}

/** Runs a command as the clusters' OS user: through `runuser` when root, directly otherwise. */
export function runAsUser(osUser: string, command: string, args: string[], options: { input?: string } = {}): Promise<string> {
  if (runningAsRoot() && osUser !== 'root') return runCommand('runuser', ['-u', osUser, '--', command, ...args], options);
  return runCommand(command, args, options);
}

/** psql's arguments to run a script from stdin: no psqlrc, bare rows, stop at the first error. */
export function psqlScriptArgs(to: { host: string; port: number; user: string; database: string }): string[] {
  return ['-X', '-q', '-At', '-v', 'ON_ERROR_STOP=1', '-h', to.host, '-p', String(to.port), '-U', to.user, '-d', to.database, '-f', '-'];
}
