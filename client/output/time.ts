// Times as a tired reader wants them: how long ago, how long until, and the exact instant.

export function formatDuration(ms: number): string {
  const seconds = Math.max(0, Math.round(ms / 1000));
  if (seconds < 60) return `${seconds}s`;
  const minutes = Math.floor(seconds / 60);
  if (minutes < 60) return `${minutes}m${seconds % 60 ? ` ${seconds % 60}s` : ''}`;
  const hours = Math.floor(minutes / 60);
  if (hours < 48) return `${hours}h${minutes % 60 ? ` ${minutes % 60}m` : ''}`;
  return `${Math.floor(hours / 24)}d${hours % 24 ? ` ${hours % 24}h` : ''}`;
}

export function ago(iso: string | undefined, nowMs = Date.now()): string {
  if (!iso) return '';
  return `${formatDuration(nowMs - Date.parse(iso))} ago`;
}

export function fromNow(iso: string, nowMs = Date.now()): string {
  const delta = Date.parse(iso) - nowMs;
  return delta <= 0 ? 'now' : `in ${formatDuration(delta)}`;
}

/** "2025-06-07 02:00:00 UTC": exact, sortable, unambiguous across time zones. */
export function formatInstant(iso: string | undefined): string {
  if (!iso) return '';
  return new Date(iso)
    .toISOString()
    .replace('T', ' ')
    .replace(/\.\d+Z$/, ' UTC');
}
