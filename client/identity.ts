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
