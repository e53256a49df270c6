// What a README comment says a command answers, for test/readme.test.ts: the HTTP status
// (`# 201: …`, `(400: …)`), a JSON answer (`#  {"faces":[…],…}`: `…` or `...` elides, a
// number with `…` is a prefix, other numbers match within their printed precision) and
// `"key":value` fragments in prose (`# a stranger: "unknown":true`), checked against the answer.

export interface Documented {
  status?: number;
  /** The parsed JSON answer, with ELIDED / prefix markers; undefined when the comment has none. */
  json?: unknown;
  /** `"key":value` pairs named in prose (outside a JSON answer). */
  fragments: [string, unknown][];
}

/** Stands for `[…]` (any value) and marks an object whose other keys are elided. */
export const ELIDED = '\u2026elided';
const PREFIX = '\u2026prefix:';

/** The longest prefix of `s` that closes the bracket it opens (strings respected). */
function balancedPrefix(s: string): string | undefined {
  let depth = 0;
  let str = false;
  for (let i = 0; i < s.length; i++) {
    const c = s[i];
    if (str) {
      if (c === '\\') i++;
      else if (c === '"') str = false;
      continue;
    }
    if (c === '"') str = true;
    else if (c === '{' || c === '[') depth++;
    else if (c === '}' || c === ']') {
      depth--;
      if (depth === 0) return s.slice(0, i + 1);
    }
  }
  return undefined;
}

/** README JSON with elisions → JSON.parse-able text. */
function unelide(s: string): string {
  return s
    .replace(/\[\s*(?:…|\.\.\.)\s*\]/g, `"${ELIDED}"`)
    .replace(/,\s*(?:…|\.\.\.)\s*([}\]])/g, `,"${ELIDED}":true$1`)
    .replace(/(-?\d+(?:\.\d+)?)(?:…|\.\.\.)/g, `"${PREFIX}$1"`)
    .replace(/,"\u2026elided":true\]/g, `,"${ELIDED}"]`);
}

export function documented(comment: string, output: string): Documented {
  const doc: Documented = { fragments: [] };
  let prose = '';
  for (const text of [comment, output]) {
    const t = text.trim();
    if (t.startsWith('{') || t.startsWith('[')) {
      const j = balancedPrefix(t);
      if (!j) throw new Error(`an output comment that is not closed JSON: ${t}`);
      try {
        doc.json = JSON.parse(unelide(j));
      } catch (e) {
        throw new Error(`an output comment that is not JSON (${(e as Error).message}): ${j}`);
      }
      prose += ` ${t.slice(j.length)}`;
    } else {
      prose += ` ${t}`;
    }
  }
  const status = /(?:^|\()\s*([1-5]\d\d)\s*[:)]/.exec(prose.trim());
  if (status) doc.status = Number(status[1]);
  for (const m of prose.matchAll(/"(\w+)":(true|false|null|-?\d+(?:\.\d+)?|"[^"]*")/g)) doc.fragments.push([m[1]!, JSON.parse(m[2]!)]);
  return doc;
}

/**
 * How far a documented number may be from the answer: rounding, for a whole number (a score of 1
 * is 0.9999…), else five units of its last printed digit (a box coordinate 179.9 ± 0.5, a
 * similarity 0.9984 ± 0.0005), so a README figure that went stale fails.
 */
function tolerance(printed: number): number {
  const decimals = (String(printed).split('.')[1] ?? '').length;
  return decimals === 0 ? 0.5 : 5 * 10 ** -decimals;
}

/** Differences between a documented JSON answer and the real one, as `path: what` lines. */
export function compare(doc: unknown, got: unknown, path = '$'): string[] {
  if (doc === ELIDED) return [];
  if (typeof doc === 'string' && doc.startsWith(PREFIX)) {
    const p = doc.slice(PREFIX.length);
    return typeof got === 'number' && String(got).startsWith(p) ? [] : [`${path}: expected a number starting ${p}, got ${JSON.stringify(got)}`];
  }
  if (typeof doc === 'number') {
    return typeof got === 'number' && Math.abs(got - doc) <= tolerance(doc)
      ? []
      : [`${path}: expected ${doc} (±${tolerance(doc)}), got ${JSON.stringify(got)}`];
  }
  if (doc === null || typeof doc !== 'object') return Object.is(doc, got) ? [] : [`${path}: expected ${JSON.stringify(doc)}, got ${JSON.stringify(got)}`];
  if (Array.isArray(doc)) {
    if (!Array.isArray(got)) return [`${path}: expected an array, got ${JSON.stringify(got)}`];
    const open = doc.at(-1) === ELIDED;
    const items = open ? doc.slice(0, -1) : doc;
    if (open ? got.length < items.length : got.length !== items.length)
      return [`${path}: expected ${items.length}${open ? ' or more' : ''} items, got ${got.length}`];
    return items.flatMap((d, i) => compare(d, got[i], `${path}[${i}]`));
  }
  if (got === null || typeof got !== 'object' || Array.isArray(got)) return [`${path}: expected an object, got ${JSON.stringify(got)}`];
  const d = doc as Record<string, unknown>;
  const g = got as Record<string, unknown>;
  const open = ELIDED in d;
  const errs: string[] = [];
  for (const k of Object.keys(d)) {
    if (k === ELIDED) continue;
    if (!(k in g)) errs.push(`${path}.${k}: missing`);
    else errs.push(...compare(d[k], g[k], `${path}.${k}`));
  }
  if (!open) for (const k of Object.keys(g)) if (!(k in d)) errs.push(`${path}.${k}: not in the README's answer (add it, or elide with …)`);
  return errs;
}

/** Whether some object inside `got` has `key` equal to `value`. */
export function hasFragment(got: unknown, key: string, value: unknown): boolean {
  if (got === null || typeof got !== 'object') return false;
  if (!Array.isArray(got) && key in got && compare(value, (got as Record<string, unknown>)[key]).length === 0) return true;
  return Object.values(got).some((v) => hasFragment(v, key, value));
}
