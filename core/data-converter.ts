// One data converter for everything that talks to Temporal about ssmflow runs: the worker, the
// CLI and the TS API must agree, or a client reads ciphertext (or a worker cannot read its input).
import type { DataConverter } from '@temporalio/common';
import { loadSettings, type LoadSettingsOptions } from './config.js';
import { keyringFromSettings, type EncryptionSettings } from './encryption-keys.js';
import { AesGcmPayloadCodec } from './payload-codec.js';

/** The data converter for these encryption settings: AES-256-GCM when keys are configured, else the SDK default. */
export function dataConverterFromConfig(encryption: EncryptionSettings): DataConverter {
  const keyring = keyringFromSettings(encryption);
  return keyring ? { payloadCodecs: [new AesGcmPayloadCodec(keyring)] } : {};
}

/**
 * The data converter a client should use, from the same environment variables and config file
 * as the worker (SSMFLOW_ENCRYPTION_KEYS / SSMFLOW_ENCRYPTION_KEYS_FILE / SSMFLOW_ENCRYPTION_KEY_ID,
 * SSMFLOW_CONFIG). Throws ConfigErrors naming the setting when they are wrong.
 */
export function dataConverterFromEnv(options: Omit<LoadSettingsOptions, 'sections'> = {}): DataConverter {
  return dataConverterFromConfig(loadSettings({ ...options, sections: ['encryption'] }).encryption);
}
