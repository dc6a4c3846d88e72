const durationPattern = /^(\d+(?:\.\d+)?)\s*(ms|s|m|h)$/;
const unitMs: Record<string, number> = { ms: 1, s: 1_000, m: 60_000, h: 3_600_000 };

/** "500ms", "30s", "2m", "1h" → milliseconds; undefined when the text is not a duration. */
export function parseDurationMs(text: string): number | undefined {
  const match = durationPattern.exec(text.trim());
  if (!match?.[1] || !match[2]) return undefined;
  return Math.round(Number(match[1]) * (unitMs[match[2]] ?? 1));
}
