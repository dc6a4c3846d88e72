// Commands for the local stack only (dev server, fleet, local PostgreSQL clusters). The CLI loads
// this module when it exists; the production image leaves local/ and fleet/ out.
import type { Command } from 'commander';
import { registerFleetCommand } from '../fleet/command.js';
import { registerDevCommand } from './dev-command.js';
import { registerPgClusterCommand } from './pg-cluster-command.js';
import { registerStackCommand } from './stack-command.js';

export function registerLocalStackCommands(program: Command): void {
  program.commandsGroup('Local stack (development only; not in the production image):');
  registerDevCommand(program);
  registerStackCommand(program);
  registerFleetCommand(program);
  const local = program
    .command('local')
    .summary('local stack helpers: PostgreSQL clusters to try runbooks on')
    .description('Helpers for the local stack started by `ssmflow dev`.');
  registerPgClusterCommand(local);
}
