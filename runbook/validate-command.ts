// What `ssmflow validate FILE…` does: load each runbook and report its problems in a form people
// read (file:line:column, path, message, fix). The CLI exits 2 when `ok` is false.
import { loadRunbookFile } from './load-file.js';
import type { RunbookError } from './types.js';

export interface RunbookFileReport {
  file: string;
  ok: boolean;
  /** Runbook name when the file is valid. */
  name?: string;
  stepCount?: number;
  errors: RunbookError[];
  /** Problems that do not make the file invalid (the exit code does not change). */
  warnings: RunbookError[];
}

export interface ValidateRunbookFilesResult {
  ok: boolean;
  reports: RunbookFileReport[];
}

export async function validateRunbookFiles(paths: readonly string[]): Promise<ValidateRunbookFilesResult> {
  const reports: RunbookFileReport[] = [];
  for (const file of paths) {
    const result = await loadRunbookFile(file);
    if ('errors' in result) reports.push({ file, ok: false, errors: result.errors, warnings: [] });
    else {
      const { runbook, warnings } = result;
      reports.push({ file, ok: true, name: runbook.name, stepCount: runbook.steps.length, errors: [], warnings });
    }
  }
  return { ok: reports.every((report) => report.ok), reports };
}

/** `file:line:col  path  message` with the fix indented below. */
function formatLocatedProblem(problem: RunbookError, label: string): string {
  const place = problem.line > 0 ? `${problem.file}:${problem.line}:${problem.column}` : problem.file;
  const where = problem.path === '' ? '' : `  ${problem.path}`;
  return `${place}${where}  ${label}${problem.message}\n    fix: ${problem.fix}`;
}

export function formatRunbookError(error: RunbookError): string {
  return formatLocatedProblem(error, '');
}

export function formatRunbookWarning(warning: RunbookError): string {
  return formatLocatedProblem(warning, 'warning: ');
}

export function formatValidationReport(result: ValidateRunbookFilesResult): string {
  const lines: string[] = [];
  for (const report of result.reports) {
    if (report.ok) {
      lines.push(`${report.file}: ok (${report.name ?? ''}, ${report.stepCount ?? 0} step${report.stepCount === 1 ? '' : 's'})`);
      lines.push(...report.warnings.map(formatRunbookWarning));
    } else {
      lines.push(...report.errors.map(formatRunbookError));
    }
  }
  const failed = result.reports.filter((report) => !report.ok);
  if (failed.length > 0) {
    const errorCount = failed.reduce((sum, report) => sum + report.errors.length, 0);
    lines.push(`${errorCount} error${errorCount === 1 ? '' : 's'} in ${failed.length} file${failed.length === 1 ? '' : 's'}`);
  }
  return lines.join('\n');
}
