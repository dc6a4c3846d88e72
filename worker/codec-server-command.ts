// `ssmflow codec-server`: the codec server as a CLI command, configured like the worker.
import { Option, type Command } from 'commander';
import { loadSettings, readSecretFile } from '../core/config.js';
import { startCodecServer } from './codec-server.js';
import { keyringFromSettings } from '../core/encryption-keys.js';
import { createJsonLogger } from './logging.js';
import { splitHostPort } from './ops-server.js';
import { AesGcmPayloadCodec } from '../core/payload-codec.js';

export interface CodecServerFlags {
  config?: string;
  address?: string;
  corsOrigins?: string;
}

/** Starts the codec server from flags, env and config file; resolves when SIGINT/SIGTERM stopped it. */
export async function runCodecServer(flags: CodecServerFlags, env: NodeJS.ProcessEnv = process.env): Promise<void> {
  const settings = loadSettings({
    env: { ...env, ...(flags.address ? { SSMFLOW_CODEC_SERVER_ADDRESS: flags.address } : {}), ...(flags.corsOrigins ? { SSMFLOW_CODEC_CORS_ORIGINS: flags.corsOrigins } : {}) },
    configFile: flags.config,
    sections: ['codecServer', 'encryption', 'observability'],
  });
  const keyring = keyringFromSettings(settings.encryption);
  if (!keyring) throw new Error('the codec server needs the encryption keys: set SSMFLOW_ENCRYPTION_KEYS or SSMFLOW_ENCRYPTION_KEYS_FILE (and SSMFLOW_ENCRYPTION_KEY_ID)');
  const { codecServer } = settings;
  const token = codecServer.token ?? (codecServer.tokenFile ? readSecretFile(codecServer.tokenFile) : undefined);
  const logger = createJsonLogger(settings.observability.logLevel).child({ component: 'codec-server' });
  const server = await startCodecServer({
    ...splitHostPort(codecServer.address),
    codec: new AesGcmPayloadCodec(keyring),
    corsOrigins: codecServer.corsOrigins,
    ...(token ? { token } : {}),
    log: (entry) => (entry.status >= 400 ? logger.warn(entry, 'codec request failed') : logger.debug(entry, 'codec request')),
  });
  logger.info({ address: server.address, corsOrigins: codecServer.corsOrigins, auth: token ? 'bearer' : 'none', keyIds: keyring.keyIds, currentKeyId: keyring.currentKeyId }, 'ssmflow codec server listening');
  await new Promise<void>((resolve) => {
    const stop = () => resolve();
    process.once('SIGINT', stop);
    process.once('SIGTERM', stop);
  });
  await server.close();
}

export function registerCodecServerCommand(program: Command): void {
  program
    .command('codec-server')
    .summary('serve /encode and /decode so the Temporal UI can show encrypted run data')
    .description(
      'Decrypts (and encrypts) Temporal payloads with the ssmflow encryption keys, for the Temporal UI\n' +
        '(TEMPORAL_CODEC_ENDPOINT) and the temporal CLI (--codec-endpoint). Anyone who can reach it can read\n' +
        'run data: bind it to loopback or a private network, and set a bearer token or an auth proxy.',
    )
    .addOption(new Option('--config <file>', 'YAML config file (codecServer: and encryption: sections)').env('SSMFLOW_CONFIG'))
    .addOption(new Option('--address <host:port>', 'listen address (default 127.0.0.1:8888)'))
    .addOption(new Option('--cors-origins <origins>', 'comma-separated origins allowed from browsers, e.g. http://localhost:8080'))
    .addHelpText(
      'after',
      `
Environment:
  SSMFLOW_ENCRYPTION_KEYS       id=base64key,... (or SSMFLOW_ENCRYPTION_KEYS_FILE: a YAML file of id: key)
  SSMFLOW_ENCRYPTION_KEY_ID     the key new payloads are encrypted with
  SSMFLOW_CODEC_SERVER_ADDRESS  listen address (overridden by --address)
  SSMFLOW_CODEC_CORS_ORIGINS    browser origins (overridden by --cors-origins)
  SSMFLOW_CODEC_TOKEN / SSMFLOW_CODEC_TOKEN_FILE  require Authorization: Bearer <token>

Example:
  SSMFLOW_ENCRYPTION_KEYS_FILE=/run/secrets/ssmflow-keys.yaml ssmflow codec-server --address 0.0.0.0:8888 --cors-origins http://localhost:8080`,
    )
    .action(async (flags: CodecServerFlags) => {
      await runCodecServer(flags);
    });
}
