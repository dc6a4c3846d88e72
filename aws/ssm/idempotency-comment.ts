import { createHash } from 'node:crypto';

const commentLimit = 100; // SSM's limit on SendCommand Comment.
const marker = 'ssmflow:';

/**
 * The Comment that marks a command as sent for `idempotencyKey`. Deterministic, so every attempt
 * computes the same one; readable when short, hashed (still unique) when the key is long.
 */
export function idempotencyComment(idempotencyKey: string): string {
  const plain = `${marker}${idempotencyKey}`;
  if (plain.length <= commentLimit) return plain;
  const digest = createHash('sha256').update(idempotencyKey).digest('hex').slice(0, 24);
  return `${plain.slice(0, commentLimit - digest.length - 1)}#${digest}`;
}

/**
 * A Comment without its Temporal run id: `ssmflow:<workflow id>/<step>/<attempt>`, how journals
 * and benchmarks group commands by step. Hashed (long) comments come back unchanged.
 */
export function stepCommentOf(comment: string): string {
  return comment.replace(/@[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}(?=$|\/)/, '');
}
