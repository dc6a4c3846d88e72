// The `export NAME=value` lines `ssmflow dev` and `ssmflow stack` print for other shells.
import { shellQuote } from '../runbook/shell-quote.js';

/** Shell-quotes a value for an `export` line when it needs it. */
const shellValue = (value: string) => (/^[\w@%+=:,./-]*$/.test(value) ? value : shellQuote(value));

const EXPORT_ORDER = [
  'TEMPORAL_ADDRESS',
  'TEMPORAL_NAMESPACE',
  'SSMFLOW_TASK_QUEUE',
  'SSMFLOW_OUTPUT_BUCKET',
  'SSMFLOW_ENCRYPTION_KEYS_FILE',
  'AWS_ENDPOINT_URL_SSM',
  'AWS_ENDPOINT_URL_RESOURCE_GROUPS_TAGGING_API',
  'AWS_ENDPOINT_URL_S3',
  'AWS_ACCESS_KEY_ID',
  'AWS_SECRET_ACCESS_KEY',
  'AWS_REGION',
];

/** One `export` line per variable, the connection settings first. */
export function shellExportLines(env: Record<string, string>): string[] {
  const keys = [...EXPORT_ORDER.filter((k) => k in env), ...Object.keys(env).filter((k) => !EXPORT_ORDER.includes(k))];
  return keys.map((key) => `export ${key}=${shellValue(env[key] ?? '')}`);
}
