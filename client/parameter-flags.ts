// The run parameter flags: repeated `-p name=value` and `--params FILE`. Defining them loads
// nothing but commander; parameters-input.ts reads them (YAML) when a command runs.
import type { Command } from 'commander';

export interface ParameterFlags {
  param?: string[];
  params?: string;
}

function collect(value: string, previous: string[] | undefined): string[] {
  return [...(previous ?? []), value];
}

/** Adds `-p, --param name=value` (repeatable) and `--params FILE`. */
export function addParameterOptions(command: Command, what = 'runbook parameter'): Command {
  return command
    .option('-p, --param <name=value>', `${what} (repeat for more; a value may contain "=")`, collect)
    .option('--params <file>', `${what}s from a YAML or JSON file of name: value (-p wins over it)`);
}
