// POSIX shell quoting for parameter values that land in commands: a quoted value is always one
// literal word to `sh`, whatever it contains.

/**
 * Quotes `value` as one literal shell word: single quotes, with `'\''` for an embedded quote.
 * Doubled `{`, `$` and `@` are split by an empty quoted pair (`{''{`), which the shell ignores,
 * so a value can never form an SSM agent reference (`{{ssm:…}}`, `$$`) or a secret placeholder.
 */
export function shellQuote(value: string): string {
  const body = value.replace(/'/g, "'\\''").replace(/([{$@])(?=\1)/g, "$1''");
  return `'${body}'`;
}
