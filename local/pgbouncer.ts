// The PgBouncer of a local cluster: the address clients use. It forwards every database to the
// primary's service port in transaction pooling mode, so PAUSE (the cut-over tool) takes effect
// as soon as running transactions end and holds new ones until RESUME.
import { join } from 'node:path';
import { runAsUser } from './postgres-exec.js';
import { livePid, ownedFile, stopProcesses, type OwnerIds } from './postgres-server.js';

export interface PoolerLayout {
  /** Where its config, auth file, pid file and log live (owned by the OS user). */
  dir: string;
  socketDir: string;
  port: number;
  /** The primary it forwards to. */
  primaryPort: number;
}

export const pgbouncerConfPath = (layout: PoolerLayout): string => join(layout.dir, 'pgbouncer.ini');
const pidFile = (layout: PoolerLayout) => join(layout.dir, 'pgbouncer.pid');

export function pgbouncerConfText(layout: PoolerLayout, superuser: string): string {
  return [
    '; Written by ssmflow (local/pgbouncer.ts) for a local cluster.',
    '[databases]',
    `* = host=127.0.0.1 port=${layout.primaryPort}`,
    '',
    '[pgbouncer]',
    'listen_addr = 127.0.0.1',
    `listen_port = ${layout.port}`,
    `unix_socket_dir = ${layout.socketDir}`,
    'auth_type = scram-sha-256',
    `auth_file = ${join(layout.dir, 'userlist.txt')}`,
    `admin_users = ${superuser}`,
    'pool_mode = transaction',
    'max_client_conn = 500',
    'default_pool_size = 20',
    'ignore_startup_parameters = extra_float_digits,options',
    `pidfile = ${pidFile(layout)}`,
    `logfile = ${join(layout.dir, 'pgbouncer.log')}`,
    '',
  ].join('\n');
}

/** Writes the config and auth file, then starts PgBouncer as a daemon unless it already runs. */
export async function startPgbouncer(options: {
  binary: string;
  osUser: string;
  ids: OwnerIds;
  layout: PoolerLayout;
  superuser: string;
  password: string;
}): Promise<void> {
  const { layout } = options;
  ownedFile(pgbouncerConfPath(layout), pgbouncerConfText(layout, options.superuser), options.ids);
  ownedFile(join(layout.dir, 'userlist.txt'), `"${options.superuser}" "${options.password}"\n`, options.ids);
  if (livePid(pidFile(layout)) !== undefined) {
    // Running: pick up a changed config (the primary's port) without dropping clients.
    await runAsUser(options.osUser, 'kill', ['-HUP', String(livePid(pidFile(layout)))]);
    return;
  }
  await runAsUser(options.osUser, options.binary, ['-d', '-q', pgbouncerConfPath(layout)]).catch((err: Error) => {
    throw new Error(`PgBouncer on 127.0.0.1:${layout.port} did not start: ${err.message} (see ${join(layout.dir, 'pgbouncer.log')})`);
  });
  for (let waited = 0; livePid(pidFile(layout)) === undefined; waited += 50) {
    if (waited > 10_000)
      throw new Error(`PgBouncer on 127.0.0.1:${layout.port} wrote no pid file in 10 s (see ${join(layout.dir, 'pgbouncer.log')})`);
    await new Promise((r) => setTimeout(r, 50));
  }
}

/** SIGINT: PgBouncer's safe shutdown. */
export async function stopPgbouncer(layout: Pick<PoolerLayout, 'dir'>): Promise<void> {
  const pid = livePid(join(layout.dir, 'pgbouncer.pid'));
  if (pid !== undefined) await stopProcesses([pid], 'SIGINT');
}
