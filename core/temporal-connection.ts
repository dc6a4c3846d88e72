// Connection options for a self-hosted cluster (plain or TLS/mTLS) or Temporal Cloud (mTLS or API key).
import { readFileSync } from 'node:fs';
import type { NativeConnectionOptions } from '@temporalio/worker';
import { readSecretFile, type SsmflowSettings } from './config.js';

export function nativeConnectionOptions(temporal: SsmflowSettings['temporal']): NativeConnectionOptions {
  const { tls } = temporal;
  const apiKey = temporal.apiKey ?? (temporal.apiKeyFile ? readSecretFile(temporal.apiKeyFile) : undefined);
  const wantsTls = tls.enabled ?? Boolean(apiKey || tls.clientCertFile || tls.serverCaFile || tls.serverName);
  return {
    address: temporal.address,
    ...(wantsTls
      ? {
          tls: {
            ...(tls.clientCertFile && tls.clientKeyFile ? { clientCertPair: { crt: readFileSync(tls.clientCertFile), key: readFileSync(tls.clientKeyFile) } } : {}),
            ...(tls.serverCaFile ? { serverRootCACertificate: readFileSync(tls.serverCaFile) } : {}),
            ...(tls.serverName ? { serverNameOverride: tls.serverName } : {}),
          },
        }
      : {}),
    ...(apiKey ? { apiKey } : {}),
  };
}

/** Where the worker connects, for logs: never the key or certificate contents. */
export function describeConnection(temporal: SsmflowSettings['temporal']): Record<string, unknown> {
  const auth = temporal.apiKey || temporal.apiKeyFile ? 'api-key' : temporal.tls.clientCertFile ? 'mtls' : temporal.tls.enabled || temporal.tls.serverCaFile ? 'tls' : 'none';
  return { address: temporal.address, namespace: temporal.namespace, taskQueue: temporal.taskQueue, auth };
}
