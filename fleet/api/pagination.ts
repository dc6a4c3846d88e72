import { createHash } from 'node:crypto';
import { SsmError } from '../errors.js';

/**
 * Opaque NextToken: the offset plus a fingerprint of the query, so a token is only accepted for
 * the query that produced it (anything else is InvalidNextToken).
 */
export function paginate<T>(
  items: readonly T[],
  query: unknown,
  maxResults: number,
  nextToken: string | undefined,
): { page: T[]; nextToken?: string } {
  const fingerprint = createHash('sha256').update(JSON.stringify(query)).digest('hex').slice(0, 16);
  let offset = 0;
  if (nextToken !== undefined) {
    try {
      const decoded = JSON.parse(Buffer.from(nextToken, 'base64url').toString('utf8')) as { o?: unknown; f?: unknown };
      if (typeof decoded.o !== 'number' || decoded.f !== fingerprint || decoded.o < 0) throw new Error('mismatch');
      offset = decoded.o;
    } catch {
      throw new SsmError('InvalidNextToken', "The specified token isn't valid.");
    }
  }
  const page = items.slice(offset, offset + maxResults);
  const next = offset + maxResults;
  return next < items.length
    ? { page, nextToken: Buffer.from(JSON.stringify({ o: next, f: fingerprint })).toString('base64url') }
    : { page };
}
