// Durations in runbooks are written as `30s`, `10m`, `1h30m`, `2d`, `500ms`: units from largest to
// smallest, each at most once. Pure code: imported by workflows.

/** Matches a duration as written in a runbook (units in descending order, each at most once). */
export const DURATION_PATTERN = '^(?=\\d)(\\d+d)?(\\d+h)?(\\d+m(?!s))?(\\d+s)?(\\d+ms)?$';

const durationRegExp = new RegExp(DURATION_PATTERN);

const unitMs = { d: 86_400_000, h: 3_600_000, m: 60_000, s: 1_000, ms: 1 } as const;

export const DURATION_EXAMPLES = '30s, 10m, 1h30m, 4h, 2d or 500ms';

/** Parses `1h30m` into milliseconds; throws an Error saying what a duration looks like. */
export function parseDuration(text: string): number {
  const trimmed = text.trim();
  const match = durationRegExp.exec(trimmed);
  if (match === null) {
    throw new Error(`"${text}" is not a duration: write a number with a unit (d, h, m, s, ms), such as ${DURATION_EXAMPLES}`);
  }
  let total = 0;
  for (const part of trimmed.matchAll(/(\d+)(ms|d|h|m|s)/g)) {
    const amount = Number(part[1]);
    const unit = part[2] as keyof typeof unitMs;
    total += amount * unitMs[unit];
  }
  if (total <= 0) {
    throw new Error(`"${text}" is a zero duration: give a positive one, such as ${DURATION_EXAMPLES}`);
  }
  if (!Number.isSafeInteger(total)) {
    throw new Error(`"${text}" is too long a duration`);
  }
  return total;
}

/** True when `text` parses as a positive duration. */
export function isDuration(text: string): boolean {
  try {
    parseDuration(text);
    return true;
  } catch {
    return false;
  }
}

/** Formats milliseconds the way a runbook writes them: 5400000 → `1h30m`. */
export function formatDuration(ms: number): string {
  if (ms <= 0) return '0s';
  let rest = Math.round(ms);
  let text = '';
  for (const unit of ['d', 'h', 'm', 's', 'ms'] as const) {
    const amount = Math.floor(rest / unitMs[unit]);
    if (amount > 0) {
      text += `${amount}${unit}`;
      rest -= amount * unitMs[unit];
    }
  }
  return text;
}
