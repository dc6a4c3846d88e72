// How ssmflow reaches Temporal: a self-hosted cluster (plain or TLS/mTLS) or Temporal Cloud (mTLS
// or API key). The worker (from its settings) and the CLI (from its flags) build the same TLS
// options here, so both turn TLS on for the same reasons.
import { readFileSync } from 'node:fs';
import type { NativeConnectionOptions } from '@temporalio/worker';
import { readSecretFile, type SsmflowSettings } from './config.js';

/** The TLS material of a connection, by file; `enabled` undefined means "decide from the rest". */
export interface TemporalTlsFiles {
  enabled?: boolean;
  clientCertFile?: string;
  clientKeyFile?: string;
  serverCaFile?: string;
  serverName?: string;
}

/** The TLS options both the client's Connection and the worker's NativeConnection take. */
export interface TemporalTls {
  clientCertPair?: { crt: Buffer; key: Buffer };
  serverRootCACertificate?: Buffer;
  serverNameOverride?: string;
}

export type TlsFileSetting = 'clientCertFile' | 'clientKeyFile' | 'serverCaFile';

/**
 * TLS options, or undefined for a plain connection. TLS is on when asked for, else when an API key
 * or any TLS material is given (Temporal Cloud needs TLS). `readFile` lets a caller word its own
 * error for an unreadable file.
 */
export function temporalTls(
  tls: TemporalTlsFiles,
  apiKey: string | undefined,
  readFile: (file: string, setting: TlsFileSetting) => Buffer = (file) => readFileSync(file),
): TemporalTls | undefined {
  const wanted = tls.enabled ?? Boolean(apiKey || tls.clientCertFile || tls.serverCaFile || tls.serverName);
  if (!wanted) return undefined;
  return {
    ...(tls.clientCertFile && tls.clientKeyFile
      ? { clientCertPair: { crt: readFile(tls.clientCertFile, 'clientCertFile'), key: readFile(tls.clientKeyFile, 'clientKeyFile') } }
      : {}),
    ...(tls.serverCaFile ? { serverRootCACertificate: readFile(tls.serverCaFile, 'serverCaFile') } : {}),
    ...(tls.serverName ? { serverNameOverride: tls.serverName } : {}),
  };
}

export function nativeConnectionOptions(temporal: SsmflowSettings['temporal']): NativeConnectionOptions {
  const apiKey = temporal.apiKey ?? (temporal.apiKeyFile ? readSecretFile(temporal.apiKeyFile) : undefined);
  const tls = temporalTls(temporal.tls, apiKey);
  return { address: temporal.address, ...(tls ? { tls } : {}), ...(apiKey ? { apiKey } : {}) };
}

/** Where the worker connects, for logs: never the key or certificate contents. */
export function describeConnection(temporal: SsmflowSettings['temporal']): Record<string, unknown> {
  const auth =
    temporal.apiKey || temporal.apiKeyFile
      ? 'api-key'
      : temporal.tls.clientCertFile
        ? 'mtls'
        : temporal.tls.enabled || temporal.tls.serverCaFile
          ? 'tls'
          : 'none';
  return { address: temporal.address, namespace: temporal.namespace, taskQueue: temporal.taskQueue, auth };
}
