import { spawn, type ChildProcess } from 'node:child_process';

export interface ManagedProcess {
  readonly child: ChildProcess;
  /** Last lines the process printed, for error messages. */
  recentOutput(): string;
  stop(): Promise<void>;
}

/** Spawns a long-running tool, keeping a short tail of its output for diagnosis. */
export function spawnManaged(command: string, args: string[], env: NodeJS.ProcessEnv = process.env): ManagedProcess {
  const child = spawn(command, args, { env, stdio: ['ignore', 'pipe', 'pipe'], detached: false });
  const tail: string[] = [];
  const keep = (chunk: Buffer) => {
    tail.push(...chunk.toString('utf8').split('\n').filter(Boolean));
    if (tail.length > 40) tail.splice(0, tail.length - 40);
  };
  child.stdout?.on('data', keep);
  child.stderr?.on('data', keep);
  child.on('error', (err) => tail.push(`spawn error: ${err.message}`));
  return {
    child,
    recentOutput: () => tail.join('\n'),
    stop: () =>
      new Promise<void>((resolveStop) => {
        if (child.exitCode !== null || child.signalCode !== null) return resolveStop();
        const force = setTimeout(() => child.kill('SIGKILL'), 5_000);
        child.once('exit', () => {
          clearTimeout(force);
          resolveStop();
        });
        child.kill('SIGTERM');
      }),
  };
}

/** Polls `probe` until it resolves true, or fails with the tool's own last output. */
export async function waitUntilReady(name: string, proc: ManagedProcess, probe: () => Promise<boolean>, timeoutMs: number): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (Date.now() < deadline) {
    if (proc.child.exitCode !== null) {
      throw new Error(`${name} exited with code ${proc.child.exitCode} during start-up:\n${proc.recentOutput()}`);
    }
    if (await probe().catch(() => false)) return;
    await new Promise((r) => setTimeout(r, 200));
  }
  await proc.stop();
  throw new Error(`${name} did not become ready within ${timeoutMs / 1000}s:\n${proc.recentOutput()}`);
}
