// How every ssmflow command reaches Temporal: its connection flags (connection-flags.ts) checked
// and turned into TLS and API key settings for Temporal Cloud or a secured cluster, and errors that
// say what to fix.
import { readFileSync } from 'node:fs';
import { Client, Connection, type ConnectionOptions } from '@temporalio/client';
import type { DataConverter } from '@temporalio/common';
import { ConfigError, ConfigErrors, hostPortPattern } from '../core/config.js';
import { dataConverterFromEnv } from '../core/data-converter.js';
import { temporalTls, type TlsFileSetting } from '../core/temporal-connection.js';
import { CliInputError, CliOperationFailed } from './cli-errors.js';
import type { ConnectionFlags } from './connection-flags.js';

function readPem(file: string, flag: string, envName: string): Buffer {
  // Also reads the API key file: same errors, same fix.
  try {
    return readFileSync(file);
  } catch (err) {
    throw new CliInputError(
      `${flag} (${envName}) "${file}": ${(err as NodeJS.ErrnoException).code === 'ENOENT' ? 'no such file' : (err as Error).message}`,
      'give the path of a readable file',
    );
  }
}

// The flag and variable that name each TLS file, for errors.
const tlsFileFlags: Record<TlsFileSetting, [flag: string, envName: string]> = {
  clientCertFile: ['--tls-cert', 'TEMPORAL_TLS_CERT'],
  clientKeyFile: ['--tls-key', 'TEMPORAL_TLS_KEY'],
  serverCaFile: ['--tls-ca', 'TEMPORAL_TLS_CA'],
};

/** TEMPORAL_TLS as the worker reads it: true/false (commander would treat any value as "on"). */
function tlsFromEnv(env: NodeJS.ProcessEnv): boolean | undefined {
  const value = env.TEMPORAL_TLS?.trim().toLowerCase();
  if (value === undefined || value === '') return undefined;
  if (value === 'true' || value === '1') return true;
  if (value === 'false' || value === '0') return false;
  throw new CliInputError(`TEMPORAL_TLS must be true or false, got "${env.TEMPORAL_TLS}"`, 'unset it, or set true or false');
}

export function connectionOptions(flags: ConnectionFlags, env: NodeJS.ProcessEnv = process.env): ConnectionOptions {
  if (!hostPortPattern.test(flags.address)) {
    throw new CliInputError(
      `--address (TEMPORAL_ADDRESS) must be host:port, got "${flags.address}"`,
      'such as 127.0.0.1:7233 or my-ns.a1b2c.tmprl.cloud:7233',
    );
  }
  if (Boolean(flags.tlsCert) !== Boolean(flags.tlsKey)) {
    throw new CliInputError(
      '--tls-cert and --tls-key (TEMPORAL_TLS_CERT / TEMPORAL_TLS_KEY) go together',
      'give both files for mTLS, or neither',
    );
  }
  const apiKey =
    flags.apiKey ??
    (flags.apiKeyFile ? readPem(flags.apiKeyFile, '--api-key-file', 'TEMPORAL_API_KEY_FILE').toString('utf8').trim() : undefined);
  const tls = temporalTls(
    {
      enabled: flags.tls ? true : tlsFromEnv(env),
      clientCertFile: flags.tlsCert,
      clientKeyFile: flags.tlsKey,
      serverCaFile: flags.tlsCa,
      serverName: flags.tlsServerName,
    },
    apiKey,
    (file, setting) => readPem(file, ...tlsFileFlags[setting]),
  );
  return { address: flags.address, connectTimeout: '5s', ...(tls ? { tls } : {}), ...(apiKey ? { apiKey } : {}) };
}

/** The worker's payload codec (SSMFLOW_ENCRYPTION_KEYS…, SSMFLOW_CONFIG): a client must read and write what workers do. */
function clientDataConverter(): DataConverter {
  try {
    return dataConverterFromEnv();
  } catch (err) {
    if (err instanceof ConfigErrors || err instanceof ConfigError) throw new CliInputError(err.message);
    throw err;
  }
}

export interface Connected {
  client: Client;
  connection: Connection;
  close(): Promise<void>;
}

/** Connects to Temporal, or fails with where it tried and how to fix it. */
export async function connectToTemporal(flags: ConnectionFlags): Promise<Connected> {
  const options = connectionOptions(flags);
  let connection: Connection;
  try {
    connection = await Connection.connect(options);
  } catch (err) {
    throw new CliOperationFailed(
      `cannot reach Temporal at ${flags.address} (namespace ${flags.namespace}): ${(err as Error).message}`,
      'start the local stack with "ssmflow dev", or point --address / TEMPORAL_ADDRESS (and TLS or API key settings) at your Temporal cluster',
    );
  }
  const client = new Client({ connection, namespace: flags.namespace, dataConverter: clientDataConverter() });
  return { client, connection, close: () => connection.close() };
}

/** Runs `action` with a connected client and always closes the connection. */
export async function withTemporal<T>(flags: ConnectionFlags, action: (connected: Connected) => Promise<T>): Promise<T> {
  const connected = await connectToTemporal(flags);
  try {
    return await action(connected);
  } finally {
    await connected.close();
  }
}
