// A runbook file plus the parameters given for it, checked the way a run will check them, so bad
// input stops at the command line (exit 2) with the place and the fix.
import { loadRunbookFile } from '../runbook/load-file.js';
import { resolveParameterValues } from '../runbook/parameters.js';
import type { NormalizedRunbook, ParameterValues } from '../runbook/types.js';
import { formatRunbookError } from '../runbook/validate-command.js';
import { CliInputError } from './cli-errors.js';
import type { GivenParameters } from './parameters-input.js';

export async function loadRunbookOrExplain(file: string): Promise<NormalizedRunbook> {
  const loaded = await loadRunbookFile(file);
  if ('errors' in loaded) {
    const count = loaded.errors.length;
    throw new CliInputError(
      `runbook ${file} has ${count} problem${count === 1 ? '' : 's'}:\n${loaded.errors.map(formatRunbookError).join('\n')}`,
    );
  }
  return loaded.normalized;
}

/** The run's parameter values (secrets as Parameter Store references), or every problem as bad input. */
export function resolveParametersOrExplain(runbook: NormalizedRunbook, given: GivenParameters): ParameterValues {
  const resolved = resolveParameterValues(runbook, given);
  if ('errors' in resolved) {
    throw new CliInputError(resolved.errors.map((e) => `parameter ${e.parameter}: ${e.message}\n    fix: ${e.fix}`).join('\n'));
  }
  return resolved.values;
}
