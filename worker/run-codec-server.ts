// The codec server as a process of its own (`ssmflow codec-server`), configured like the worker.
import { loadSettings, readSecretFile } from '../core/config.js';
import { keyringFromSettings } from '../core/encryption-keys.js';
import { AesGcmPayloadCodec } from '../core/payload-codec.js';
import { startCodecServer } from './codec-server.js';
import { createJsonLogger } from './logging.js';
import { splitHostPort } from './ops-server.js';

export interface CodecServerFlags {
  config?: string;
  address?: string;
  corsOrigins?: string;
}

/** Starts the codec server from flags, env and config file; resolves when SIGINT/SIGTERM stopped it. */
export async function runCodecServer(flags: CodecServerFlags, env: NodeJS.ProcessEnv = process.env): Promise<void> {
  const settings = loadSettings({
    env: {
      ...env,
      ...(flags.address ? { SSMFLOW_CODEC_SERVER_ADDRESS: flags.address } : {}),
      ...(flags.corsOrigins ? { SSMFLOW_CODEC_CORS_ORIGINS: flags.corsOrigins } : {}),
    },
    configFile: flags.config,
    sections: ['codecServer', 'encryption', 'observability'],
  });
  const keyring = keyringFromSettings(settings.encryption);
  if (!keyring)
    throw new Error(
      'the codec server needs the encryption keys: set SSMFLOW_ENCRYPTION_KEYS or SSMFLOW_ENCRYPTION_KEYS_FILE (and SSMFLOW_ENCRYPTION_KEY_ID)',
    );
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
  logger.info(
    {
      address: server.address,
      corsOrigins: codecServer.corsOrigins,
      auth: token ? 'bearer' : 'none',
      keyIds: keyring.keyIds,
      currentKeyId: keyring.currentKeyId,
    },
    'ssmflow codec server listening',
  );
  await new Promise<void>((resolve) => {
    const stop = () => resolve();
    process.once('SIGINT', stop);
    process.once('SIGTERM', stop);
  });
  await server.close();
}
