// `ssmflow validate` (defined in commands/validate.ts): every problem of every runbook file.
import { formatValidationReport, validateRunbookFiles } from '../../runbook/validate-command.js';
import type { ValidateFlags } from '../commands/validate.js';
import { exitCodesForResult } from '../exit-status.js';
import { printJson } from '../output/json.js';

export async function validateAction(files: string[], opts: ValidateFlags): Promise<void> {
  const result = await validateRunbookFiles(files);
  if (opts.json) printJson(result);
  else process.stdout.write(`${formatValidationReport(result)}\n`);
  process.exitCode = exitCodesForResult(result.ok);
}
