import { spawn } from 'node:child_process';
import { closeSync, openSync } from 'node:fs';

export type KillReason = 'timeout' | 'cancel' | 'agentRestart' | 'shutdown';

export interface StepProcessResult {
  /** The exit code the agent sees; a process group killed with SIGKILL reports 137. */
  exitCode: number;
  /** Set when the fleet itself killed the process, and why. */
  killedFor?: KillReason;
}

export interface StepProcess {
  readonly pid: number;
  kill(reason: KillReason): void;
  readonly done: Promise<StepProcessResult>;
}

const SIGNAL_NUMBERS: Record<string, number> = { SIGHUP: 1, SIGINT: 2, SIGQUIT: 3, SIGKILL: 9, SIGTERM: 15 };

/** Kills a whole process group (the step's shell and everything it started), ignoring one that is already gone. */
export function killProcessGroup(pgid: number): void {
  try {
    process.kill(-pgid, 'SIGKILL');
  } catch {
    // Already exited.
  }
}

/**
 * Runs `sh <script>` as the agent does, in its own process group (detached) so a timeout or a
 * cancel kills grandchildren too. stdout/stderr go straight to files: no pipes to drain, and
 * full output for S3 regardless of size.
 */
export function startStepProcess(options: {
  scriptPath: string;
  cwd: string;
  env: NodeJS.ProcessEnv;
  stdoutPath: string;
  stderrPath: string;
  timeoutMs: number;
}): StepProcess {
  const out = openSync(options.stdoutPath, 'w');
  const err = openSync(options.stderrPath, 'w');
  let killedFor: KillReason | undefined;
  let exited = false;
  const child = spawn('sh', [options.scriptPath], { cwd: options.cwd, env: options.env, detached: true, stdio: ['ignore', out, err] });
  closeSync(out);
  closeSync(err);
  const pid = child.pid ?? -1;
  const kill = (reason: KillReason) => {
    if (exited || killedFor) return;
    killedFor = reason;
    killProcessGroup(pid);
  };
  const timer = setTimeout(() => kill('timeout'), options.timeoutMs);
  const done = new Promise<StepProcessResult>((resolve) => {
    child.once('error', () => {
      exited = true;
      clearTimeout(timer);
      resolve({ exitCode: 1, ...(killedFor ? { killedFor } : {}) });
    });
    child.once('exit', (code, signal) => {
      exited = true;
      clearTimeout(timer);
      // Leftovers of the group (background jobs) die with the step, as under the agent's kill.
      if (killedFor) killProcessGroup(pid);
      const exitCode = code ?? (signal ? 128 + (SIGNAL_NUMBERS[signal] ?? 0) : -1);
      resolve({ exitCode, ...(killedFor ? { killedFor } : {}) });
    });
  });
  return { pid, kill, done };
}
