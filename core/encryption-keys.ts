// The AES-256 keys of the payload codec. Key material lives only in Buffers held here: it has no
// enumerable field, so logging or serializing a keyring shows ids, never keys.
import { readFileSync } from 'node:fs';
import { inspect } from 'node:util';
import { parse as parseYaml } from 'yaml';
import { ConfigError, ConfigErrors } from './config.js';

const keyIdPattern = /^[A-Za-z0-9._-]{1,64}$/;

export class EncryptionKeyring {
  readonly #keys: ReadonlyMap<string, Buffer>;

  constructor(
    readonly currentKeyId: string,
    keys: ReadonlyMap<string, Buffer>,
  ) {
    if (!keys.has(currentKeyId)) throw new Error(`current key id "${currentKeyId}" is not among the keys (${[...keys.keys()].join(', ')})`);
    this.#keys = keys;
  }

  get keyIds(): string[] {
    return [...this.#keys.keys()];
  }

  key(id: string): Buffer | undefined {
    return this.#keys.get(id);
  }

  toJSON(): object {
    return { currentKeyId: this.currentKeyId, keyIds: this.keyIds };
  }

  [inspect.custom](): string {
    return `EncryptionKeyring(current ${this.currentKeyId}; ids ${this.keyIds.join(', ')})`;
  }
}

export interface EncryptionSettings {
  currentKeyId?: string;
  /** id → base64 key, inline (env SSMFLOW_ENCRYPTION_KEYS). */
  keys?: Record<string, string>;
  /** A YAML/JSON file mapping id → base64 key. */
  keysFile?: string;
}

/**
 * Builds the keyring from settings, or returns undefined when no keys are configured (encryption
 * off). Errors name the setting and the key id, never the key.
 */
export function keyringFromSettings(settings: EncryptionSettings): EncryptionKeyring | undefined {
  const source = settings.keysFile ? 'SSMFLOW_ENCRYPTION_KEYS_FILE / encryption.keysFile' : 'SSMFLOW_ENCRYPTION_KEYS / encryption.keys';
  const entries = settings.keysFile ? readKeysFile(settings.keysFile) : settings.keys;
  if (!entries || Object.keys(entries).length === 0) {
    if (settings.currentKeyId)
      throw new ConfigErrors([
        new ConfigError(
          'SSMFLOW_ENCRYPTION_KEY_ID / encryption.currentKeyId',
          `is "${settings.currentKeyId}" but no keys are configured`,
          'set SSMFLOW_ENCRYPTION_KEYS or SSMFLOW_ENCRYPTION_KEYS_FILE',
        ),
      ]);
    return undefined;
  }
  const problems: ConfigError[] = [];
  const keys = new Map<string, Buffer>();
  for (const [id, encoded] of Object.entries(entries)) {
    if (!keyIdPattern.test(id)) {
      problems.push(
        new ConfigError(source, `key id "${id}" is not valid`, 'use 1-64 letters, digits, dots, underscores or hyphens, e.g. 2025-06'),
      );
      continue;
    }
    const key =
      typeof encoded === 'string' && /^[A-Za-z0-9+/]+={0,2}$/.test(encoded.trim()) ? Buffer.from(encoded.trim(), 'base64') : undefined;
    if (key?.length !== 32) {
      problems.push(new ConfigError(source, `key "${id}" is not 32 bytes of base64`, 'generate one with: openssl rand -base64 32'));
      continue;
    }
    keys.set(id, key);
  }
  const onlyKey = keys.size === 1 ? [...keys.keys()][0] : undefined;
  const currentKeyId = settings.currentKeyId ?? onlyKey;
  if (!currentKeyId && problems.length === 0) {
    problems.push(
      new ConfigError(
        'SSMFLOW_ENCRYPTION_KEY_ID / encryption.currentKeyId',
        `must name the key to encrypt with (configured: ${[...keys.keys()].join(', ')})`,
        'set it to the newest key id; older keys stay for decryption',
      ),
    );
  } else if (currentKeyId && !keys.has(currentKeyId) && problems.length === 0) {
    problems.push(
      new ConfigError(
        'SSMFLOW_ENCRYPTION_KEY_ID / encryption.currentKeyId',
        `"${currentKeyId}" is not one of the configured keys (${[...keys.keys()].join(', ')})`,
        'add that key, or name a configured one',
      ),
    );
  }
  if (problems.length || !currentKeyId) throw new ConfigErrors(problems);
  return new EncryptionKeyring(currentKeyId, keys);
}

function readKeysFile(path: string): Record<string, string> {
  let parsed: unknown;
  try {
    parsed = parseYaml(readFileSync(path, 'utf8'));
  } catch (err) {
    throw new ConfigErrors([
      new ConfigError(
        'SSMFLOW_ENCRYPTION_KEYS_FILE / encryption.keysFile',
        `cannot read "${path}": ${(err as NodeJS.ErrnoException).code ?? 'not valid YAML'}`,
        'give a readable YAML file of "<key id>: <base64 key>" lines',
      ),
    ]);
  }
  if (parsed === null || typeof parsed !== 'object' || Array.isArray(parsed)) {
    throw new ConfigErrors([
      new ConfigError(
        'SSMFLOW_ENCRYPTION_KEYS_FILE / encryption.keysFile',
        `"${path}" is not a mapping of key ids to keys`,
        'write one "<key id>: <base64 key>" line per key',
      ),
    ]);
  }
  return Object.fromEntries(Object.entries(parsed as Record<string, unknown>).map(([id, v]) => [id, typeof v === 'string' ? v : '']));
}
