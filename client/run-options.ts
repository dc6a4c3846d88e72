// Options shared by everything that starts runs (`run`, `schedule create`): who, why, where output goes.
import { Option, type Command } from 'commander';
import type { RunInput } from '../workflows/run-state.js';

export interface RunStartFlags {
  reason?: string;
  as?: string;
  outputBucket?: string;
  outputPrefix: string;
}

export function addRunStartOptions(command: Command): Command {
  return command
    .option('--reason <text>', 'why this run happens (change ticket, incident); recorded in the audit trail')
    .option('--as <who>', 'who starts it, for the audit trail (default $SSMFLOW_USER, else user@host)')
    .addOption(new Option('--output-bucket <bucket>', 'S3 bucket for the full output of every command').env('SSMFLOW_OUTPUT_BUCKET'))
    .addOption(
      new Option('--output-prefix <prefix>', 'key prefix in the output bucket (the run id is appended)')
        .env('SSMFLOW_OUTPUT_PREFIX')
        .default('ssmflow/runs'),
    );
}

export function outputLocation(flags: RunStartFlags): RunInput['output'] {
  return flags.outputBucket ? { bucket: flags.outputBucket, keyPrefix: flags.outputPrefix } : undefined;
}
