import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { type Command, ListCommandsCommand, SSMClient } from '@aws-sdk/client-ssm';
import { eventually } from '../test/harness/eventually.js';
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
  return new SSMClient({
    endpoint,
    region: 'us-east-1',
    maxAttempts,
    credentials: { accessKeyId: 'fleet-test', secretAccessKey: 'fleet-test' },
  });
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
  const command = await eventually(async () => (await ssm.send(new ListCommandsCommand({ CommandId: commandId }))).Commands?.[0], {
    until: (cmd) => TERMINAL.has(cmd?.Status ?? ''),
    timeoutMs,
    intervalMs: 40,
    description: `command ${commandId} to finish`,
  });
  if (!command) throw new Error(`command ${commandId} is not listed`);
  return command;
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
