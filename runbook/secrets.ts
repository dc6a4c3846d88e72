// Secret parameters never enter workflow history, SendCommand or ListCommands: a rendered command
// carries a placeholder per secret, and the command sent to SSM reads each secret on the instance
// itself (its own role, `aws ssm get-parameter --with-decryption`) into a shell variable. Only the
// Parameter Store name travels; audit records use the redacted form.
import { shellQuote } from './shell-quote.js';

const placeholderPattern = /@@SSMFLOW_SECRET\[([A-Za-z][A-Za-z0-9_]*)\]@@/g;

/** The token standing for secret parameter `name` in rendered commands. */
export function secretPlaceholder(name: string): string {
  return `@@SSMFLOW_SECRET[${name}]@@`;
}

/** Names of the secret parameters whose placeholders appear in `commands`. */
function secretNamesIn(commands: readonly string[]): string[] {
  const names = new Set<string>();
  for (const command of commands) {
    for (const match of command.matchAll(placeholderPattern)) names.add(match[1] ?? '');
  }
  return [...names];
}

/** The shell variable that holds secret `name` on the instance (not exported to child processes). */
export function secretVariable(name: string): string {
  return `SSMFLOW_SECRET_${name}`;
}

/**
 * The commands as sent: one line per secret used reads it from Parameter Store on the instance
 * and stops the script (exit 1, with the parameter named) when it cannot; each placeholder
 * becomes that variable, double-quoted so the value stays one word.
 * @param secrets placeholder name → Parameter Store name
 */
export function commandsReadingSecretsOnInstance(commands: readonly string[], secrets: Readonly<Record<string, string>>): string[] {
  const used = secretNamesIn(commands);
  const reads = used.map((name) => {
    const parameterName = Object.hasOwn(secrets, name) ? secrets[name] : undefined;
    if (parameterName === undefined) throw new Error(`no Parameter Store name for secret parameter "${name}"`);
    const problem = `ssmflow: cannot read secret parameter ${name} (${parameterName}) from Parameter Store on this instance: the instance needs the AWS CLI and a role allowing ssm:GetParameter (and kms:Decrypt for SecureString)`;
    return `${secretVariable(name)}=$(aws ssm get-parameter --name ${shellQuote(parameterName)} --with-decryption --query Parameter.Value --output text) || { echo ${shellQuote(problem)} >&2; exit 1; }`;
  });
  const body = commands.map((command) => command.replace(placeholderPattern, (_whole, name: string) => `"$${secretVariable(name)}"`));
  return [...reads, ...body];
}

/** The commands as they may be shown and recorded: every secret as `'****'`. */
export function redactSecrets(commands: readonly string[]): string[] {
  return commands.map((command) => command.replace(placeholderPattern, "'****'"));
}
