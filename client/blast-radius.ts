// The blast-radius guard: a run (or schedule) that would touch more instances than the limit must
// be confirmed with the exact count, so a mistyped tag or parameter cannot reach the whole fleet.
import { Option, type Command } from 'commander';
import { CliInputError } from './cli-errors.js';

export const defaultMaxTargets = 25;

export interface BlastRadiusFlags {
  maxTargets: string;
  confirm?: string;
}

export function addBlastRadiusOptions(command: Command): Command {
  return command
    .addOption(
      new Option('--max-targets <n>', 'instances a run may touch without --confirm')
        .env('SSMFLOW_MAX_TARGETS')
        .default(String(defaultMaxTargets)),
    )
    .option('--confirm <n>', 'confirm a run above --max-targets by giving its exact instance count (shown by `ssmflow plan`)');
}

function wholeNumber(value: string, flag: string): number {
  if (!/^\d+$/.test(value.trim())) throw new CliInputError(`${flag} must be a whole number, got "${value}"`, `such as ${flag} 25`);
  return Number(value);
}

export function maxTargetsOf(flags: BlastRadiusFlags): number {
  return wholeNumber(flags.maxTargets, '--max-targets (SSMFLOW_MAX_TARGETS)');
}

/** Throws (bad input) unless `count` is within the limit or confirmed exactly. */
export function checkBlastRadius(count: number, flags: BlastRadiusFlags, what: string): void {
  const limit = maxTargetsOf(flags);
  if (flags.confirm === undefined) {
    if (count <= limit) return;
    throw new CliInputError(
      `${what} would touch ${count} instances, more than the blast-radius limit of ${limit} (--max-targets / SSMFLOW_MAX_TARGETS)`,
      `check the targets with \`ssmflow plan\`, then confirm with --confirm ${count}`,
    );
  }
  const confirmed = wholeNumber(flags.confirm, '--confirm');
  if (confirmed !== count) {
    throw new CliInputError(
      `--confirm ${confirmed} does not match: ${what} would touch ${count} instances`,
      `check the targets with \`ssmflow plan\`; to go ahead, give --confirm ${count}`,
    );
  }
}
