// Encrypts every payload that leaves this process for Temporal (workflow inputs, activity results,
// queries, memo, failure details), so run parameters, output tails and audit records are
// ciphertext at rest in the Temporal server.
import { createCipheriv, createDecipheriv, randomBytes } from 'node:crypto';
import { METADATA_ENCODING_KEY, type Payload, type PayloadCodec } from '@temporalio/common';
import proto from '@temporalio/proto';
import type { EncryptionKeyring } from './encryption-keys.js';

export const encryptedEncoding = 'binary/encrypted';
export const keyIdMetadataKey = 'encryption-key-id';
export const cipherMetadataKey = 'encryption-cipher';
const cipherName = 'AES-256-GCM';
// @temporalio/proto is CommonJS whose exports Node's ESM loader cannot list: take the default.
const { Payload: PayloadMessage } = proto.temporal.api.common.v1;
const nonceBytes = 12;
const tagBytes = 16;

/** A payload this process cannot decrypt: unknown key id, or data that fails authentication. */
export class PayloadDecryptionError extends Error {
  constructor(
    message: string,
    readonly keyId: string | undefined,
  ) {
    super(message);
    this.name = 'PayloadDecryptionError';
  }
}

/**
 * AES-256-GCM over the whole serialized payload (metadata included, so the encoding of the value
 * is hidden too). Encrypts with the keyring's current key; decrypts with whichever configured key
 * the payload names, so keys can be rotated without re-encrypting old histories. The key id is
 * bound as additional authenticated data: relabelling a payload with another id fails to decrypt.
 */
export class AesGcmPayloadCodec implements PayloadCodec {
  constructor(private readonly keyring: EncryptionKeyring) {}

  async encode(payloads: Payload[]): Promise<Payload[]> {
    const keyId = this.keyring.currentKeyId;
    const key = this.keyring.key(keyId);
    if (!key) throw new Error(`encryption key "${keyId}" is missing from the keyring`);
    return payloads.map((payload) => {
      const plaintext = PayloadMessage.encode(payload).finish();
      const nonce = randomBytes(nonceBytes);
      const cipher = createCipheriv('aes-256-gcm', key, nonce, { authTagLength: tagBytes });
      cipher.setAAD(Buffer.from(keyId, 'utf8'));
      const ciphertext = Buffer.concat([cipher.update(plaintext), cipher.final()]);
      return {
        metadata: {
          [METADATA_ENCODING_KEY]: Buffer.from(encryptedEncoding),
          [keyIdMetadataKey]: Buffer.from(keyId),
          [cipherMetadataKey]: Buffer.from(cipherName),
        },
        data: Buffer.concat([nonce, ciphertext, cipher.getAuthTag()]),
      };
    });
  }

  async decode(payloads: Payload[]): Promise<Payload[]> {
    return payloads.map((payload) => {
      const encoding = payload.metadata?.[METADATA_ENCODING_KEY];
      // Payloads written before encryption was turned on stay readable.
      if (!encoding || Buffer.from(encoding).toString() !== encryptedEncoding) return payload;
      const keyIdBytes = payload.metadata?.[keyIdMetadataKey];
      const keyId = keyIdBytes ? Buffer.from(keyIdBytes).toString() : undefined;
      if (!keyId)
        throw new PayloadDecryptionError('encrypted payload has no encryption-key-id metadata: it was not written by ssmflow', undefined);
      const key = this.keyring.key(keyId);
      if (!key) {
        throw new PayloadDecryptionError(
          `payload is encrypted with key "${keyId}", which is not configured here (configured: ${this.keyring.keyIds.join(', ')}); ` +
            'add that key to SSMFLOW_ENCRYPTION_KEYS / SSMFLOW_ENCRYPTION_KEYS_FILE (old keys must stay for as long as histories that use them are retained)',
          keyId,
        );
      }
      const data = Buffer.from(payload.data ?? new Uint8Array());
      if (data.length < nonceBytes + tagBytes)
        throw new PayloadDecryptionError(`encrypted payload under key "${keyId}" is truncated`, keyId);
      const decipher = createDecipheriv('aes-256-gcm', key, data.subarray(0, nonceBytes), { authTagLength: tagBytes });
      decipher.setAAD(Buffer.from(keyId, 'utf8'));
      decipher.setAuthTag(data.subarray(data.length - tagBytes));
      let plaintext: Buffer;
      try {
        plaintext = Buffer.concat([decipher.update(data.subarray(nonceBytes, data.length - tagBytes)), decipher.final()]);
      } catch {
        throw new PayloadDecryptionError(
          `payload under key "${keyId}" failed authentication: the key with that id differs from the one that encrypted it, or the data was altered`,
          keyId,
        );
      }
      return PayloadMessage.decode(plaintext);
    });
  }
}
