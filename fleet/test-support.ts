import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { type Command, ListCommandsCommand, SSMClient } from '@aws-sdk/client-ssm';
import { type RunningFleet, startFleet } from './server.js';

/** A fleet on a scratch state dir plus a stock SSM client pointed at it (no SDK retries, so faults surface). */
export interface TestFleet {
  fleet: RunningFleet;
  ssm: SSMClient;
  stateDir: string;
  /** Stops the fleet and removes its state dir. */
  dispose(): Promise<void>;
}

export function fleetClient(endpoint: string, maxAttempts = 1): SSMClient {
  return new SSMClient({ endpoint, region: 'us-east-1', maxAttempts, credentials: { accessKeyId: 'fleet-test', secretAccessKey: 'fleet-test' } });
}

export async function startTestFleet(config: Record<string, unknown>, options: { stateDir?: string } = {}): Promise<TestFleet> {
  const stateDir = options.stateDir ?? mkdtempSync(join(tmpdir(), 'fleet-test-'));
  const fleet = await startFleet({ config, stateDir });
  const ssm = fleetClient(fleet.endpoint);
  return {
    fleet,
    ssm,
    stateDir,
    dispose: async () => {
      ssm.destroy();
      await fleet.stop();
      rmSync(stateDir, { recursive: true, force: true });
    },
  };
}

const TERMINAL = new Set(['Success', 'Failed', 'TimedOut', 'Cancelled']);

/** Polls ListCommands until the command reaches a terminal status; returns it. */
export async function waitForCommand(ssm: SSMClient, commandId: string, timeoutMs = 30_000): Promise<Command> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const cmd = (await ssm.send(new ListCommandsCommand({ CommandId: commandId }))).Commands?.[0];
    if (cmd && TERMINAL.has(cmd.Status ?? '')) return cmd;
    if (Date.now() > deadline) throw new Error(`command ${commandId} still ${cmd?.Status ?? 'missing'} after ${timeoutMs} ms`);
    await new Promise((r) => setTimeout(r, 40));
  }
}

/** Polls `probe` until it returns a value other than undefined. */
export async function eventually<T>(probe: () => Promise<T | undefined> | T | undefined, timeoutMs = 20_000, what = 'condition'): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const v = await probe();
    if (v !== undefined) return v;
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 25));
  }
}

/** The error name and message a call fails with; throws if it succeeds. */
export async function rejection(p: Promise<unknown>): Promise<{ name: string; message: string }> {
  try {
    await p;
  } catch (err) {
    return { name: (err as Error).name, message: (err as Error).message };
  }
  throw new Error('expected the call to fail');
}
