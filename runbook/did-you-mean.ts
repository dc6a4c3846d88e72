// "did you mean `onFailure`?" hints for misspelled keys, step ids, parameter names and values.
import { closest, distance } from 'fastest-levenshtein';

/** The candidate `word` was most likely meant as, if any is close enough to suggest. */
export function closestMatch(word: string, candidates: readonly string[]): string | undefined {
  if (candidates.length === 0) return undefined;
  const caseInsensitive = candidates.find((candidate) => candidate.toLowerCase() === word.toLowerCase());
  if (caseInsensitive !== undefined) return caseInsensitive;
  // `cluster` for `clusterName`: a shortened or extended name is as likely a slip as a typo.
  const lower = word.toLowerCase();
  const prefixed = candidates.find((candidate) => {
    const other = candidate.toLowerCase();
    return lower.length >= 3 && other.length >= 3 && (other.startsWith(lower) || lower.startsWith(other));
  });
  if (prefixed !== undefined) return prefixed;
  const best = closest(word, [...candidates]);
  const allowed = Math.max(2, Math.floor(word.length / 3));
  return distance(word, best) <= allowed ? best : undefined;
}
