// Reading a workflow history the way an attacker with database access would: every payload's
// bytes shown as text, so any plaintext in it is visible to a plain substring search.

/** The history as JSON with every payload's bytes (base64 in JSON) shown as text, so plaintext would be visible. */
export function historyText(history: unknown): string {
  const asText = (base64: string) => Buffer.from(base64, 'base64').toString('utf8');
  const reveal = (node: unknown): unknown => {
    if (Array.isArray(node)) return node.map(reveal);
    if (node === null || typeof node !== 'object') return node;
    const entries = Object.entries(node as Record<string, unknown>);
    const isPayload =
      entries.some(([k, v]) => k === 'metadata' && v !== null && typeof v === 'object') && entries.some(([k]) => k === 'data');
    if (isPayload) {
      const { metadata, data } = node as { metadata: Record<string, string>; data?: string };
      return { metadata: Object.fromEntries(Object.entries(metadata).map(([k, v]) => [k, asText(v)])), data: asText(data ?? '') };
    }
    return Object.fromEntries(entries.map(([k, v]) => [k, reveal(v)]));
  };
  return JSON.stringify(reveal(JSON.parse(JSON.stringify(history))));
}
