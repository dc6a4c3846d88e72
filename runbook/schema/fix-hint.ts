// A fix hint travels with the check that finds the problem, as `params.fix` on the zod issue;
// load.ts shows it under the error. Custom issues (refinements) set `params` themselves.
import type { z } from 'zod';

/**
 * Error option for built-in checks (`regex`, `literal`, …), which carry no `params` of their own:
 * gives the issue its message and puts the fix on it. Zod keeps every field of the issue after
 * asking the error map for the message, so the field set here reaches the parse result.
 */
export function withFix(message: string, fix: string): { error: z.core.$ZodErrorMap } {
  return {
    error: (issue) => {
      const annotated = issue as { params?: Record<string, unknown> };
      annotated.params = { ...annotated.params, fix };
      return message;
    },
  };
}

/** The fix hint a check put on its issue, if any. */
export function fixHintOf(issue: z.core.$ZodIssue): string | undefined {
  const fix = (issue as { params?: { fix?: unknown } }).params?.fix;
  return typeof fix === 'string' ? fix : undefined;
}
