import { chmodSync, mkdirSync, readFileSync, renameSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';

/** Source of the `aws` stand-in (see the file's header): plain JavaScript, run by this same node. */
const AWS_STANDIN_SOURCE = new URL('./aws-standin.mjs', import.meta.url);

/**
 * Writes the sandbox tools into `<stateDir>/bin` (today only `aws`, the Parameter Store stand-in)
 * and returns that directory, which the agent puts first on every step's PATH. Rewritten at each
 * start, atomically, so a restarted fleet uses its current node and source.
 */
export function installSandboxBin(stateDir: string): string {
  const binDir = join(stateDir, 'bin');
  mkdirSync(binDir, { recursive: true });
  const source = readFileSync(AWS_STANDIN_SOURCE, 'utf8').replace(/^#!.*\n/, '');
  const target = join(binDir, 'aws');
  const tmp = `${target}.tmp-${process.pid}`;
  writeFileSync(tmp, `#!${process.execPath}\n${source}`, { mode: 0o755 });
  chmodSync(tmp, 0o755);
  renameSync(tmp, target);
  return binDir;
}
