// The `ssmflow` program. Defining the commands loads only commander and small modules of ours, so
// `--help` and `validate` start fast; each command's action loads what it needs when it runs
// (client/actions/), and the error explanation loads Temporal's error classes only on an error.
import { existsSync } from 'node:fs';
import { extname } from 'node:path';
import { fileURLToPath } from 'node:url';
import { Command, CommanderError } from 'commander';
import { packageVersion } from '../core/package-info.js';
import { registerAbortCommand } from './commands/abort.js';
import { registerApproveCommand } from './commands/approve.js';
import { registerAuditCommand } from './commands/audit.js';
import { registerCodecServerCommand } from './commands/codec-server.js';
import { registerListCommand } from './commands/list.js';
import { registerLocksCommand } from './commands/locks.js';
import { registerPauseCommand } from './commands/pause.js';
import { registerPlanCommand } from './commands/plan.js';
import { registerResumeCommand } from './commands/resume.js';
import { registerRedriveCommand } from './commands/redrive.js';
import { registerRetryCommand } from './commands/retry.js';
import { registerRollbackCommand } from './commands/rollback.js';
import { registerRolloutCommand } from './commands/rollout.js';
import { registerRunCommand } from './commands/run.js';
import { registerScheduleCommand } from './commands/schedule.js';
import { registerServeCommand } from './commands/serve.js';
import { registerSkipCommand } from './commands/skip.js';
import { registerStatusCommand } from './commands/status.js';
import { registerValidateCommand } from './commands/validate.js';
import { registerWorkerCommand } from './commands/worker.js';
import { exitCode } from './exit-status.js';

/** Exit codes of every ssmflow command (docs/cli.md lists them; they are a stable interface). */
export const exitCodes = exitCode;

export async function buildProgram(): Promise<Command> {
  const program = new Command('ssmflow')
    .description(
      'Durable, auditable fleet operations: runbooks of AWS SSM Run Command steps executed as Temporal workflows,\n' +
        'with retries, waits, rollback, operator approval and resume, schedules and rollouts.',
    )
    .version(packageVersion, '-V, --version', 'print the ssmflow version')
    .showHelpAfterError('(run with --help for usage)')
    .exitOverride()
    .addHelpText(
      'after',
      `
Exit codes: 0 ok · 1 the operation failed or the run ended unsuccessfully · 2 bad input (flag, value, file, run id)

Start here:
  ssmflow validate runbooks/rolling-restart.yaml
  ssmflow plan runbooks/rolling-restart.yaml -p cluster=pg-a       # dry run: targets, commands, nothing sent
  ssmflow run runbooks/rolling-restart.yaml -p cluster=pg-a --reason "CHG-1234" --wait
  ssmflow list --status paused-on-failure
  ssmflow status RUN --watch                                       # what failed, where, and what to type next
Reference: docs/cli.md`,
    );
  program.commandsGroup('Runs:');
  registerValidateCommand(program);
  registerPlanCommand(program);
  registerRunCommand(program);
  registerListCommand(program);
  registerStatusCommand(program);
  registerAuditCommand(program);
  registerLocksCommand(program);
  program.commandsGroup('Operator actions on a run:');
  registerApproveCommand(program);
  registerRetryCommand(program);
  registerSkipCommand(program);
  registerRollbackCommand(program);
  registerAbortCommand(program);
  registerRedriveCommand(program);
  registerPauseCommand(program);
  registerResumeCommand(program);
  program.commandsGroup('Many clusters:');
  registerRolloutCommand(program);
  program.commandsGroup('Scheduled maintenance:');
  registerScheduleCommand(program);
  program.commandsGroup('Infrastructure:');
  registerWorkerCommand(program);
  registerCodecServerCommand(program);
  registerServeCommand(program);
  await registerLocalStackCommandsIfPresent(program);
  // Every subcommand reports usage errors the same way as the program (exit 2, hint to --help).
  const configure = (command: Command) => {
    command.exitOverride().showHelpAfterError('(run with --help for usage)');
    command.commands.forEach(configure);
  };
  program.commands.forEach(configure);
  return program;
}

/** What local/commands.ts exports; declared here because the product never imports local/. */
interface LocalStackCommandsModule {
  registerLocalStackCommands(program: Command): void;
}

/** Development commands (dev, fleet, local): in a checkout, not in the production image. */
async function registerLocalStackCommandsIfPresent(program: Command): Promise<void> {
  // commands.ts beside the sources, commands.js in dist/ (absent from the package and the image).
  const localStack = new URL(`../local/commands${extname(fileURLToPath(import.meta.url))}`, import.meta.url);
  if (!existsSync(fileURLToPath(localStack))) return;
  const { registerLocalStackCommands } = (await import(localStack.href)) as LocalStackCommandsModule;
  registerLocalStackCommands(program);
}

// These keep serving after their action returns (the fleet's server) or until a signal.
const servingCommands = new Set(['worker', 'dev', 'fleet', 'codec-server', 'serve']);

async function main(argv: string[]): Promise<void> {
  try {
    let invoked = '';
    const program = (await buildProgram()).hook('preAction', (_program, action) => {
      invoked = action.parent === _program ? action.name() : (action.parent?.name() ?? '');
    });
    await program.parseAsync(argv);
    // Idle sockets of SDK clients must not keep a finished command alive.
    if (!servingCommands.has(invoked)) process.exit(process.exitCode ?? exitCodes.ok);
  } catch (err) {
    if (err instanceof CommanderError) {
      // --help and --version exit 0; usage errors are bad input.
      process.exit(err.exitCode === 0 ? exitCodes.ok : exitCodes.badInput);
    }
    const { explainError } = await import('./explain-error.js');
    const explained = explainError(err);
    console.error(`ssmflow: ${explained.message}`);
    process.exit(explained.exitCode);
  }
}

await main(process.argv);
