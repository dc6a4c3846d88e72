// The payload codec (AES-256-GCM, key id in metadata, rotation) and the codec server the Temporal UI calls.
import { defaultPayloadConverter, type Payload } from '@temporalio/common';
import { Command } from 'commander';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { registerCodecServerCommand } from '../client/commands/codec-server.js';
import { startCodecServer, type CodecServer } from '../worker/codec-server.js';
import { EncryptionKeyring, keyringFromSettings } from '../core/encryption-keys.js';
import { AesGcmPayloadCodec, PayloadDecryptionError } from '../core/payload-codec.js';

const key = (fill: number) => Buffer.alloc(32, fill);
const keyring = (current: string, keys: Record<string, Buffer>) => new EncryptionKeyring(current, new Map(Object.entries(keys)));
const toPayload = (value: unknown) => defaultPayloadConverter.toPayload(value);
const fromPayload = (payload: Payload | undefined) => (payload ? defaultPayloadConverter.fromPayload(payload) : undefined);
const utf8 = (bytes: Uint8Array | null | undefined) => Buffer.from(bytes ?? new Uint8Array()).toString('utf8');

describe('AES-256-GCM payload codec', () => {
  const value = { parameters: { ticket: 'CHG-4711-distinctive' }, outputTail: 'rows copied: 1234\n' };

  it('round-trips payloads, hiding value and encoding behind the key id', async () => {
    const codec = new AesGcmPayloadCodec(keyring('2025-06', { '2025-06': key(1) }));
    const [encoded] = await codec.encode([toPayload(value)]);
    expect(utf8(encoded?.metadata?.encoding)).toBe('binary/encrypted');
    expect(utf8(encoded?.metadata?.['encryption-key-id'])).toBe('2025-06');
    expect(utf8(encoded?.metadata?.['encryption-cipher'])).toBe('AES-256-GCM');
    expect(utf8(encoded?.data)).not.toContain('CHG-4711');
    expect(utf8(encoded?.data)).not.toContain('json/plain');
    const [decoded] = await codec.decode(encoded ? [encoded] : []);
    expect(fromPayload(decoded)).toEqual(value);
    // A fresh nonce each time: equal values do not give equal ciphertexts.
    const [again] = await codec.encode([toPayload(value)]);
    expect(Buffer.from(again?.data ?? []).equals(Buffer.from(encoded?.data ?? []))).toBe(false);
  });

  it('rotates keys: encrypts with the current key, decrypts payloads written under older ones', async () => {
    const before = new AesGcmPayloadCodec(keyring('2024-12', { '2024-12': key(2) }));
    const after = new AesGcmPayloadCodec(keyring('2025-06', { '2025-06': key(3), '2024-12': key(2) }));
    const [old] = await before.encode([toPayload('written before rotation')]);
    const [fresh] = await after.encode([toPayload('written after rotation')]);
    expect(utf8(fresh?.metadata?.['encryption-key-id'])).toBe('2025-06');
    const decoded = await after.decode([old as Payload, fresh as Payload]);
    expect(decoded.map(fromPayload)).toEqual(['written before rotation', 'written after rotation']);
  });

  it('passes plaintext payloads through (histories from before encryption stay readable)', async () => {
    const codec = new AesGcmPayloadCodec(keyring('k', { k: key(4) }));
    const plain = toPayload({ written: 'before encryption' });
    expect((await codec.decode([plain])).map(fromPayload)).toEqual([{ written: 'before encryption' }]);
  });

  it('rejects a payload under an unknown key id, naming the id and the fix', async () => {
    const [encoded] = await new AesGcmPayloadCodec(keyring('retired', { retired: key(5) })).encode([toPayload('x')]);
    const codec = new AesGcmPayloadCodec(keyring('2025-06', { '2025-06': key(6) }));
    const failure = await codec.decode([encoded as Payload]).catch((err: unknown) => err);
    expect(failure).toBeInstanceOf(PayloadDecryptionError);
    expect((failure as PayloadDecryptionError).keyId).toBe('retired');
    expect((failure as Error).message).toMatch(
      /^payload is encrypted with key "retired", which is not configured here \(configured: 2025-06\); add that key to SSMFLOW_ENCRYPTION_KEYS/,
    );
  });

  it('rejects a payload relabelled with another key id, or encrypted under a different key of the same id', async () => {
    const codec = new AesGcmPayloadCodec(keyring('a', { a: key(7), b: key(7) }));
    const [encoded] = await codec.encode([toPayload('x')]);
    const relabelled = { ...encoded, metadata: { ...encoded?.metadata, 'encryption-key-id': Buffer.from('b') } };
    await expect(codec.decode([relabelled])).rejects.toThrow(/payload under key "b" failed authentication/);
    const impostor = new AesGcmPayloadCodec(keyring('a', { a: key(8) }));
    await expect(impostor.decode([encoded as Payload])).rejects.toThrow(/payload under key "a" failed authentication/);
  });

  it('never shows key material when a keyring is logged or serialized', async () => {
    const ring = keyringFromSettings({ keys: { '2025-06': key(9).toString('base64') } });
    const { inspect } = await import('node:util');
    expect(JSON.stringify(ring)).toBe('{"currentKeyId":"2025-06","keyIds":["2025-06"]}');
    expect(inspect(ring)).toBe('EncryptionKeyring(current 2025-06; ids 2025-06)');
    expect(inspect(ring) + JSON.stringify(ring)).not.toContain(key(9).toString('base64'));
  });
});

describe('codec server', () => {
  let server: CodecServer;
  const uiOrigin = 'http://localhost:8080';
  const codec = new AesGcmPayloadCodec(keyring('2025-06', { '2025-06': key(10), '2024-12': key(11) }));
  const asJson = (payload: Payload) => ({
    metadata: Object.fromEntries(Object.entries(payload.metadata ?? {}).map(([k, v]) => [k, Buffer.from(v ?? []).toString('base64')])),
    data: Buffer.from(payload.data ?? []).toString('base64'),
  });
  const post = (path: string, body: unknown, headers: Record<string, string> = {}) =>
    fetch(`${server.url}${path}`, {
      method: 'POST',
      headers: { 'content-type': 'application/json', authorization: 'Bearer ui-secret', ...headers },
      body: JSON.stringify(body),
    });

  beforeAll(async () => {
    server = await startCodecServer({ host: '127.0.0.1', port: 0, codec, corsOrigins: [uiOrigin], token: 'ui-secret' });
  });
  afterAll(() => server?.close());

  it('decodes what the worker encrypted, and encodes for the UI, in the base64 JSON format', async () => {
    const [encrypted] = await codec.encode([toPayload({ ticket: 'CHG-4711' })]);
    const decodeResponse = await post(
      '/decode',
      { payloads: [asJson(encrypted as Payload)] },
      { origin: uiOrigin, 'x-namespace': 'default' },
    );
    expect(decodeResponse.status).toBe(200);
    expect(decodeResponse.headers.get('access-control-allow-origin')).toBe(uiOrigin);
    const decoded = (await decodeResponse.json()) as { payloads: { metadata: Record<string, string>; data: string }[] };
    expect(Buffer.from(decoded.payloads[0]?.metadata.encoding ?? '', 'base64').toString()).toBe('json/plain');
    expect(JSON.parse(Buffer.from(decoded.payloads[0]?.data ?? '', 'base64').toString())).toEqual({ ticket: 'CHG-4711' });

    const encodeResponse = await post('/encode', decoded);
    const reencoded = (await encodeResponse.json()) as { payloads: { metadata: Record<string, string> }[] };
    expect(Buffer.from(reencoded.payloads[0]?.metadata['encryption-key-id'] ?? '', 'base64').toString()).toBe('2025-06');
  });

  it('answers the UI’s CORS preflight for its origin only', async () => {
    const allowed = await fetch(`${server.url}/decode`, {
      method: 'OPTIONS',
      headers: {
        origin: uiOrigin,
        'access-control-request-method': 'POST',
        'access-control-request-headers': 'content-type,authorization,x-namespace',
      },
    });
    expect(allowed.status).toBe(204);
    expect(allowed.headers.get('access-control-allow-origin')).toBe(uiOrigin);
    expect(allowed.headers.get('access-control-allow-headers')).toContain('authorization');
    expect(allowed.headers.get('access-control-allow-credentials')).toBe('true');
    const other = await fetch(`${server.url}/decode`, {
      method: 'OPTIONS',
      headers: { origin: 'https://evil.example', 'access-control-request-method': 'POST' },
    });
    expect(other.headers.get('access-control-allow-origin')).toBeNull();
  });

  it('refuses requests without the bearer token', async () => {
    const response = await post('/decode', { payloads: [] }, { authorization: 'Bearer wrong' });
    expect(response.status).toBe(401);
    expect(response.headers.get('www-authenticate')).toBe('Bearer');
    expect((await fetch(`${server.url}/decode`, { method: 'POST', body: '{"payloads":[]}' })).status).toBe(401);
  });

  it('answers bad requests and unknown keys with a clear error', async () => {
    expect(await (await post('/decode', { nothing: true })).json()).toEqual({
      error: 'expected { "payloads": [{ "metadata": {...}, "data": "<base64>" }] }',
    });
    const [foreign] = await new AesGcmPayloadCodec(keyring('other', { other: key(12) })).encode([toPayload('x')]);
    const response = await post('/decode', { payloads: [asJson(foreign as Payload)] });
    expect(response.status).toBe(422);
    expect(((await response.json()) as { error: string }).error).toMatch(
      /encrypted with key "other", which is not configured here \(configured: 2025-06, 2024-12\)/,
    );
    expect((await fetch(`${server.url}/other`, { method: 'POST', headers: { authorization: 'Bearer ui-secret' } })).status).toBe(404);
  });

  it('is registered as `ssmflow codec-server` with its flags', () => {
    const program = new Command('ssmflow');
    registerCodecServerCommand(program);
    const command = program.commands.find((c) => c.name() === 'codec-server');
    expect(command?.options.map((o) => o.long)).toEqual(['--config', '--address', '--cors-origins']);
  });
});
