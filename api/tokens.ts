// Static bearer tokens: the config holds only each token's SHA-256, so a leaked config file is no
// credential. A presented token is hashed and compared in constant time against every entry.
import { createHash, randomBytes, timingSafeEqual } from 'node:crypto';
import type { Caller } from './caller.js';
import type { TokenEntry } from './config.js';

export function sha256Hex(token: string): string {
  return createHash('sha256').update(token, 'utf8').digest('hex');
}

/** A fresh random token: 32 bytes of randomness, URL-safe, with a prefix that says what it is. */
export function newToken(): string {
  return `ssmf_${randomBytes(32).toString('base64url')}`;
}

/** Finds the caller a token belongs to, or undefined; every entry is compared, so timing says nothing. */
export function tokenLookup(entries: readonly TokenEntry[]): (token: string) => Caller | undefined {
  const table = entries.map((entry) => ({ entry, digest: Buffer.from(entry.sha256, 'hex') }));
  return (token) => {
    const presented = createHash('sha256').update(token, 'utf8').digest();
    let found: TokenEntry | undefined;
    for (const { entry, digest } of table) if (timingSafeEqual(presented, digest) && !found) found = entry;
    return found ? { identity: found.identity, groups: [...found.groups], via: 'token' } : undefined;
  };
}
