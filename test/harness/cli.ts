// Spawns the real `ssmflow` CLI (bin/ssmflow.mjs through tsx), as a person or a script would.
import { spawn } from 'node:child_process';
import { join } from 'node:path';
import { expect } from 'vitest';
import { projectRoot } from '../../local/project-root.js';

export interface CliResult {
  code: number | null;
  stdout: string;
  stderr: string;
  /** stdout parsed as JSON (for commands run with --json). */
  json<T = Record<string, unknown>>(): T;
}

const bin = join(projectRoot, 'bin', 'ssmflow.mjs');

/** Runs `ssmflow ...args` with `env` over the test process's environment; never throws on a non-zero exit. */
export function runCli(args: readonly string[], env: Record<string, string>, timeoutMs = 90_000): Promise<CliResult> {
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, [bin, ...args], {
      cwd: projectRoot,
      env: { ...process.env, NO_COLOR: '1', SSMFLOW_USER: '', ...env },
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (chunk: Buffer) => (stdout += chunk.toString()));
    child.stderr.on('data', (chunk: Buffer) => (stderr += chunk.toString()));
    const timer = setTimeout(() => child.kill('SIGKILL'), timeoutMs);
    child.once('error', reject);
    child.once('close', (code) => {
      clearTimeout(timer);
      resolve({
        code,
        stdout,
        stderr,
        json<T>() {
          try {
            return JSON.parse(stdout) as T;
          } catch {
            throw new Error(`ssmflow ${args.join(' ')} did not print JSON (exit ${code}):\n${stdout}\n${stderr}`);
          }
        },
      });
    });
  });
}

/** Asserts the exit code, showing what the command printed when it is not the expected one. */
export function expectExit(result: CliResult, code: number): void {
  expect(result.code, `exit code of ssmflow\nstdout: ${result.stdout}\nstderr: ${result.stderr}`).toBe(code);
}

/** What an operator action (approve, retry, pause, …) prints with --json; `Run` is the test's view of `status --json`. */
export interface ActionJson<Run> {
  action: string;
  by: string;
  accepted: boolean;
  run: Run;
}
