// "Did you mean" for a path that is not in a tarball: rank the archive's files by closeness so
// the error names the two or three an operator most likely meant.

/** Up to `max` names, closest first: same file name anywhere, then by edit distance. */
export function closestNames(wanted: string, names: readonly string[], max = 5): string[] {
  const base = (p: string) => p.slice(p.lastIndexOf('/') + 1).toLowerCase();
  const ext = (p: string) => (base(p).includes('.') ? base(p).slice(base(p).lastIndexOf('.')) : '');
  const score = (n: string) =>
    (base(n) === base(wanted) ? 0 : 1000) +
    (ext(n) === ext(wanted) ? 0 : 100) +
    Math.min(distance(n.toLowerCase(), wanted.toLowerCase()), distance(base(n), base(wanted)) + 10);
  return [...new Set(names)]
    .map((n) => ({ n, s: score(n) }))
    .sort((a, b) => a.s - b.s || a.n.localeCompare(b.n))
    .slice(0, max)
    .map((x) => x.n);
}

/** Levenshtein distance (two-row dynamic programming). */
export function distance(a: string, b: string): number {
  let prev = Array.from({ length: b.length + 1 }, (_, i) => i);
  for (let i = 1; i <= a.length; i++) {
    const cur = [i];
    for (let j = 1; j <= b.length; j++) {
      cur[j] = Math.min(prev[j]! + 1, cur[j - 1]! + 1, prev[j - 1]! + (a[i - 1] === b[j - 1] ? 0 : 1));
    }
    prev = cur;
  }
  return prev[b.length]!;
}
