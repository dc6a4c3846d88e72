// Pure rollout arithmetic: which clusters go in which wave, and when the error budget is spent.

/**
 * Cumulative wave ends for `clusterCount` clusters. Specs are counts ("1", "5") or percentages of
 * the whole fleet ("10%"), each the size the rollout reaches by the end of that wave; a spec
 * below the previous end adds nothing and is dropped, and the last wave always reaches every cluster.
 * planWaveEnds(100, ['1', '10%', '50%', '100%']) → [1, 10, 50, 100]
 */
export function planWaveEnds(clusterCount: number, specs: readonly string[]): number[] {
  const ends: number[] = [];
  for (const spec of specs) {
    const end = Math.min(clusterCount, waveSize(spec, clusterCount));
    if (end > (ends.at(-1) ?? 0)) ends.push(end);
  }
  if ((ends.at(-1) ?? 0) < clusterCount) ends.push(clusterCount);
  return ends;
}

function waveSize(spec: string, clusterCount: number): number {
  const trimmed = spec.trim();
  const percent = /^(\d+(?:\.\d+)?)%$/.exec(trimmed);
  if (percent) return Math.ceil((Number(percent[1]) / 100) * clusterCount);
  if (/^\d+$/.test(trimmed)) return Number(trimmed);
  throw new Error(`wave "${spec}" is neither a count (e.g. 5) nor a percentage (e.g. 10%)`);
}

export function waveSpecProblem(specs: readonly string[]): string | undefined {
  if (specs.length === 0) return 'give at least one wave, e.g. --waves 1,10%,50%,100%';
  for (const spec of specs) {
    const trimmed = spec.trim();
    if (!/^\d+$/.test(trimmed) && !/^\d+(?:\.\d+)?%$/.test(trimmed))
      return `wave "${spec}" is neither a count (e.g. 5) nor a percentage (e.g. 10%)`;
    if (/^0+%?$/.test(trimmed)) return `wave "${spec}" is empty: every wave must add clusters`;
    if (trimmed.endsWith('%') && Number(trimmed.slice(0, -1)) > 100) return `wave "${spec}" is over 100%`;
  }
  return undefined;
}

/** How many failed clusters the rollout tolerates: a count ("2") or a share of all clusters ("5%"). */
export function errorBudgetCount(budget: string, clusterCount: number): number {
  const trimmed = budget.trim();
  const percent = /^(\d+(?:\.\d+)?)%$/.exec(trimmed);
  if (percent) return Math.floor((Number(percent[1]) / 100) * clusterCount);
  if (/^\d+$/.test(trimmed)) return Number(trimmed);
  throw new Error(`error budget "${budget}" is neither a count (e.g. 2) nor a percentage (e.g. 5%)`);
}

/** The budget is spent when more clusters failed than it allows. */
export function errorBudgetExceeded(failedClusters: number, budget: string, clusterCount: number): boolean {
  return failedClusters > errorBudgetCount(budget, clusterCount);
}
