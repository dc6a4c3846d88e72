// As root, local clusters run as an unprivileged OS user (PostgreSQL refuses root), which must
// reach their fleet sandboxes: data directories, sockets, password files, PgBouncer's files. A
// checkout under a private home (/root is mode 0700) is out of its reach, so there the sandboxes
// go to a root-owned folder it can traverse instead, the same one for the same preferred path.
import { createHash } from 'node:crypto';
import { chmodSync, mkdirSync } from 'node:fs';
import { basename, dirname, join } from 'node:path';
import { runAsUser, runningAsRoot } from './postgres-exec.js';

export const SHARED_STATE_ROOT = '/var/lib/ssmflow';

/** `preferred` when the clusters' OS user can reach it, else a folder standing in for it under /var/lib/ssmflow. */
export async function postgresReachableDir(preferred: string, osUser: string): Promise<string> {
  if (!runningAsRoot()) return preferred;
  // The cluster code makes the folder itself traversable (0711); what is above it must be already.
  const parent = dirname(preferred);
  mkdirSync(parent, { recursive: true });
  const reachable = await runAsUser(osUser, 'test', ['-x', parent]).then(
    () => true,
    () => false,
  );
  if (reachable) return preferred;
  const standIn = join(SHARED_STATE_ROOT, createHash('sha256').update(preferred).digest('hex').slice(0, 12));
  for (const dir of [SHARED_STATE_ROOT, standIn]) {
    mkdirSync(dir, { recursive: true });
    chmodSync(dir, 0o711);
  }
  return join(standIn, basename(preferred));
}
