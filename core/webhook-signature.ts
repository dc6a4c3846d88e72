// The signature on ssmflow's generic JSON webhooks: HMAC-SHA256 over "<timestamp>.<raw body>", hex,
// sent as `X-Ssmflow-Signature: sha256=<hex>` with `X-Ssmflow-Timestamp: <unix seconds>`. Signing
// the timestamp too lets a receiver refuse a replayed delivery by its age.
import { createHmac, timingSafeEqual } from 'node:crypto';

export const signatureHeader = 'x-ssmflow-signature';
export const timestampHeader = 'x-ssmflow-timestamp';
export const deliveryHeader = 'x-ssmflow-delivery';
export const eventHeader = 'x-ssmflow-event';

export function signWebhookBody(secret: string, timestamp: string, body: string): string {
  return `sha256=${createHmac('sha256', secret).update(`${timestamp}.${body}`, 'utf8').digest('hex')}`;
}

/**
 * Whether `signature` (the header's value) signs `body` sent at `timestamp`, compared in constant
 * time. `maxAgeSeconds` (default 5 minutes) refuses old deliveries; 0 turns the age check off.
 */
export function verifyWebhookSignature(
  secret: string,
  timestamp: string,
  body: string,
  signature: string,
  options: { maxAgeSeconds?: number; nowSeconds?: number } = {},
): boolean {
  const maxAge = options.maxAgeSeconds ?? 300;
  const now = options.nowSeconds ?? Math.floor(Date.now() / 1000);
  if (!/^\d{1,12}$/.test(timestamp)) return false;
  if (maxAge > 0 && Math.abs(now - Number(timestamp)) > maxAge) return false;
  const expected = Buffer.from(signWebhookBody(secret, timestamp, body));
  const given = Buffer.from(signature);
  return expected.length === given.length && timingSafeEqual(expected, given);
}
