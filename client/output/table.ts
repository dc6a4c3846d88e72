import { padVisible, visibleLength } from './style.js';

/** Rows as aligned columns (two spaces apart); the last column is not padded. */
export function formatColumns(rows: readonly (readonly string[])[], indent = ''): string[] {
  const widths: number[] = [];
  for (const row of rows) row.forEach((cell, i) => (widths[i] = Math.max(widths[i] ?? 0, visibleLength(cell))));
  return rows.map(
    (row) =>
      indent +
      row
        .map((cell, i) => (i === row.length - 1 ? cell : padVisible(cell, widths[i] ?? 0)))
        .join('  ')
        .trimEnd(),
  );
}
