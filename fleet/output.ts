/** How the agent caps what it reports for a stream (GetCommandInvocation content). */
export const STDOUT_LIMIT = 24_000;
export const STDERR_LIMIT = 8_000;
const TRUNCATED_SUFFIX = '--output truncated--';

/**
 * The agent's console cap: output of `limit` bytes or more is cut so that it is exactly `limit`
 * bytes long and ends with `--output truncated--` (the agent's test is `len < limit`).
 */
export function truncateStream(bytes: Buffer, limit: number): string {
  if (bytes.length < limit) return bytes.toString('utf8');
  return bytes.subarray(0, limit - TRUNCATED_SUFFIX.length).toString('utf8') + TRUNCATED_SUFFIX;
}

/** The agent's plugin output size (the service allows 2,500; the agent fills 2,400). */
export const PLUGIN_OUTPUT_CAPACITY = 2_400;
const ERROR_TITLE = '\n----------ERROR-------\n';
const TRUNCATE_OUT = '\n---Output truncated---';
const TRUNCATE_ERROR = '\n---Error truncated----';

/** CommandPlugins[].Output as the agent builds it from stdout and stderr (its TruncateOutput). */
export function pluginOutput(stdout: string, stderr: string, capacity = PLUGIN_OUTPUT_CAPACITY): string {
  // The agent measures Go byte lengths; work in bytes and decode at the end.
  const out = Buffer.from(stdout);
  const err = Buffer.from(stderr);
  const title = err.length > 0 ? ERROR_TITLE : '';
  const available = capacity - title.length;
  const text = (b: Buffer) => b.toString('utf8');
  if (out.length + err.length < available) return stdout + title + stderr;
  if (out.length > available / 2 && err.length > available / 2) {
    const size = Math.floor((available - TRUNCATE_ERROR.length - TRUNCATE_OUT.length) / 2);
    return text(out.subarray(0, size)) + TRUNCATE_OUT + title + text(err.subarray(0, size)) + TRUNCATE_ERROR;
  }
  if (out.length < available / 2) {
    const size = available - TRUNCATE_ERROR.length;
    return stdout + title + text(err.subarray(0, size - out.length)) + TRUNCATE_ERROR;
  }
  const size = available - TRUNCATE_OUT.length;
  return text(out.subarray(0, size - err.length)) + TRUNCATE_OUT + title + stderr;
}

/** The agent's S3 key for one stream: `<prefix>/<commandId>/<instanceId>/<plugin>/<step>/<stream>` (no leading slash). */
export function outputKey(prefix: string, commandId: string, instanceId: string, stepDir: string, stream: 'stdout' | 'stderr'): string {
  return [prefix, commandId, instanceId, 'awsrunShellScript', stepDir, stream]
    .join('/')
    .split('/')
    .filter((p) => p !== '')
    .join('/');
}

/** Path-style S3 URL, as SSM reports StandardOutputUrl / StandardErrorUrl. */
export function outputUrl(region: string, bucket: string, key: string): string {
  return `https://s3.${region}.amazonaws.com/${bucket}/${key}`;
}
