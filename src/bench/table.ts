// Plain-text tables for the bench output: columns sized to their widest cell, numeric columns
// right-aligned, so a table pastes as-is into a terminal, an issue or the README (inside ```).

export type Row = Record<string, string | number>;

const NUMERIC = /^(-|[-+]?[\d.]+(e[-+]?\d+)?(%| ms| MiB|x)?)?$/;

export function table(rows: Row[]): string {
  if (rows.length === 0) return '';
  const cols = [...new Set(rows.flatMap((r) => Object.keys(r)))];
  const cell = (r: Row, c: string) => String(r[c] ?? '');
  const width = cols.map((c) => Math.max(c.length, ...rows.map((r) => cell(r, c).length)));
  const numeric = cols.map((c) => rows.every((r) => NUMERIC.test(cell(r, c))));
  const line = (vals: string[]) =>
    vals
      .map((v, i) => (numeric[i] ? v.padStart(width[i]) : v.padEnd(width[i])))
      .join('  ')
      .trimEnd();
  return [line(cols), line(width.map((w) => '-'.repeat(w))), ...rows.map((r) => line(cols.map((c) => cell(r, c))))].join('\n');
}
