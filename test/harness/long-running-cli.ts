// A long-running `ssmflow` command (dev, stack) as a user starts it in a fresh shell: nothing
// exported yet, its output kept for assertions and failure messages, stopped by a signal.
import { type ChildProcess, spawn } from 'node:child_process';
import { join } from 'node:path';
import { projectRoot } from '../../local/project-root.js';
import { eventually } from './eventually.js';

export interface LongRunningCli {
  readonly child: ChildProcess;
  /** Everything it printed so far (stdout and stderr). */
  output(): string;
  readonly exited: Promise<{ code: number | null; signal: NodeJS.Signals | null }>;
  /** Waits until the output holds `text`; gives up at once if the command exits first. */
  waitFor(text: string, description: string, timeoutMs: number): Promise<void>;
  /** The `export NAME=value` lines it printed, unquoted. */
  exports(): Record<string, string>;
  /** SIGTERM if it still runs, then waits for the exit (for afterAll). */
  stop(): Promise<void>;
}

export function startLongRunningCli(args: string[]): LongRunningCli {
  const child = spawn(process.execPath, [join(projectRoot, 'bin', 'ssmflow.mjs'), ...args], {
    cwd: projectRoot,
    // No endpoint exported yet: the command starts its own fleet and S3.
    env: {
      ...process.env,
      NO_COLOR: '1',
      AWS_ENDPOINT_URL_SSM: '',
      AWS_ENDPOINT_URL_S3: '',
      AWS_ENDPOINT_URL_RESOURCE_GROUPS_TAGGING_API: '',
    },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let output = '';
  child.stdout?.on('data', (chunk: Buffer) => (output += chunk.toString()));
  child.stderr?.on('data', (chunk: Buffer) => (output += chunk.toString()));
  const exited = new Promise<{ code: number | null; signal: NodeJS.Signals | null }>((resolve) =>
    child.once('exit', (code, signal) => resolve({ code, signal })),
  );
  return {
    child,
    output: () => output,
    exited,
    async waitFor(text, description, timeoutMs) {
      // The failure shows the output so far.
      await eventually(() => ({ exitCode: child.exitCode, output }), {
        until: (seen) => seen.output.includes(text),
        hopeless: (seen) => seen.exitCode !== null,
        timeoutMs,
        description,
      });
    },
    exports: () =>
      Object.fromEntries([...output.matchAll(/^ {2}export (\w+)=(\S+)$/gm)].map((m) => [m[1] ?? '', (m[2] ?? '').replace(/^'|'$/g, '')])),
    async stop() {
      if (child.exitCode === null && child.signalCode === null) {
        child.kill('SIGTERM');
        await exited;
      }
    },
  };
}
