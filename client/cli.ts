import { Command, CommanderError } from 'commander';
import { registerDevCommand } from './commands/dev.js';
import { registerWorkerCommand } from './commands/worker.js';

/** Exit codes of every ssmflow command (DESIGN.md, "Interfaces that must stay stable"). */
export const exitCodes = { ok: 0, failed: 1, badInput: 2 } as const;

export function buildProgram(): Command {
  const program = new Command('ssmflow')
    .description(
      'Durable, auditable fleet operations: runbooks of AWS SSM Run Command steps executed as Temporal workflows,\n' +
        'with retries, waits, rollback, operator approval and resume, schedules and rollouts.',
    )
    .showHelpAfterError('(run with --help for usage)')
    .exitOverride();
  registerWorkerCommand(program);
  registerDevCommand(program);
  return program;
}

async function main(argv: string[]): Promise<void> {
  try {
    await buildProgram().parseAsync(argv);
  } catch (err) {
    if (err instanceof CommanderError) {
      // --help and --version exit 0; usage errors are bad input.
      process.exit(err.exitCode === 0 ? exitCodes.ok : exitCodes.badInput);
    }
    console.error(`ssmflow: ${err instanceof Error ? err.message : String(err)}`);
    process.exit(exitCodes.failed);
  }
}

await main(process.argv);
