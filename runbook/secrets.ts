// Secret parameters never enter workflow history: a rendered command carries a placeholder per
// secret, and the activity that sends the command replaces it with the shell-quoted value it read
// from Parameter Store just before SendCommand. Audit records use the redacted form.
import { shellQuote } from './shell-quote.js';

const placeholderPattern = /@@SSMFLOW_SECRET\[([A-Za-z][A-Za-z0-9_]*)\]@@/g;

/** The token standing for secret parameter `name` in rendered commands. */
export function secretPlaceholder(name: string): string {
  return `@@SSMFLOW_SECRET[${name}]@@`;
}

/** Names of the secret parameters whose placeholders appear in `commands`. */
export function secretNamesIn(commands: readonly string[]): string[] {
  const names = new Set<string>();
  for (const command of commands) {
    for (const match of command.matchAll(placeholderPattern)) names.add(match[1] ?? '');
  }
  return [...names];
}

/**
 * Replaces each secret placeholder with the shell-quoted secret value (run time, in the activity).
 * Throws when a placeholder has no value, so a command never runs with a placeholder left in it.
 */
export function substituteSecrets(commands: readonly string[], secretValues: Readonly<Record<string, string>>): string[] {
  return commands.map((command) =>
    command.replace(placeholderPattern, (_whole, name: string) => {
      const value = Object.hasOwn(secretValues, name) ? secretValues[name] : undefined;
      if (value === undefined) throw new Error(`no value for secret parameter "${name}"`);
      return shellQuote(value);
    }),
  );
}

/** The commands as they may be shown and recorded: every secret as `'****'`. */
export function redactSecrets(commands: readonly string[]): string[] {
  return commands.map((command) => command.replace(placeholderPattern, "'****'"));
}
