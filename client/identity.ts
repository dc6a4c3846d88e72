import type { Command } from 'commander';
import { hostname, userInfo } from 'node:os';

/**
 * Who is acting, for the audit trail: `--as`, else $SSMFLOW_USER, else the OS user at this host.
 * A shared on-call laptop should set SSMFLOW_USER so the record names a person.
 */
export function actingIdentity(as: string | undefined, env: NodeJS.ProcessEnv = process.env): string {
  const given = as?.trim() || env.SSMFLOW_USER?.trim();
  if (given) return given;
  let user = env.USER ?? env.LOGNAME ?? 'unknown';
  try {
    user = userInfo().username;
  } catch {
    // No passwd entry (some containers): keep the environment's name.
  }
  return `${user}@${hostname()}`;
}

/**
 * The groups the acting person claims, matched against a runbook's approvers: `--group` (repeated
 * or comma-separated), else $SSMFLOW_GROUPS. Self-declared like `--as`: only the API vouches for them.
 */
export function actingGroups(given: readonly string[] | undefined, env: NodeJS.ProcessEnv = process.env): string[] {
  const listed = given?.length ? given : (env.SSMFLOW_GROUPS ?? '').split(',');
  return [
    ...new Set(
      listed
        .flatMap((g) => g.split(','))
        .map((g) => g.trim())
        .filter(Boolean),
    ),
  ];
}

/** `--group` on the commands that approve, repeatable. */
export function addGroupOption(command: Command): Command {
  return command.option(
    '--group <name>',
    "a group you act for, matched against the runbook's approvers (repeat or comma-separate; default $SSMFLOW_GROUPS)",
    (value: string, previous: string[] = []) => [...previous, value],
  );
}
