import { Command } from 'commander';
import { registerFleetCommand } from './command.js';

// Standalone entry: `npx tsx fleet/main.ts --config FILE --port N --state-dir DIR`.
const program = new Command('ssmflow-fleet');
registerFleetCommand(program);
await program.parseAsync(['node', 'ssmflow-fleet', 'fleet', ...process.argv.slice(2)]);
