// Turns zod validation issues into the one-line messages clients see in `{"error": "..."}`:
// where (with the tensor's name when the path is inside inputs/outputs), what was expected, what
// was got. zod's own messages name neither the tensor nor the offending value.

import type { z } from '@hono/zod-openapi';

type Issue = z.core.$ZodIssue;
type Path = readonly PropertyKey[];

const MAX_ISSUES = 3;

export function formatIssues(issues: readonly Issue[], input: unknown, what = 'request'): string {
  const shown = issues.slice(0, MAX_ISSUES).map((i) => formatIssue(i, input, what));
  const more = issues.length - shown.length;
  return shown.join('; ') + (more > 0 ? ` (and ${more} more problem${more > 1 ? 's' : ''})` : '');
}

function formatIssue(issue: Issue, input: unknown, what: string): string {
  const path = issue.path as Path;
  const where = describePath(path, input, what);
  const value = valueAt(input, path);
  if (issue.code === 'invalid_type') {
    if (value === undefined) return `${where} is required (${article(issue.expected)})`;
    return `${where} must be ${article(issue.expected)}, got ${describeValue(value)}`;
  }
  if (issue.code === 'unrecognized_keys') return `${where}: unexpected keys ${issue.keys.join(', ')}`;
  return `${where} ${lowerFirst(issue.message)}, got ${describeValue(value)}`;
}

/** `input 'INPUT0' field shape[1]` when the name is known, else the bare JSON path. */
function describePath(path: Path, input: unknown, what: string): string {
  if (path.length === 0) return what;
  const [top, index, ...rest] = path;
  if ((top === 'inputs' || top === 'outputs') && typeof index === 'number') {
    const name = valueAt(input, [top, index, 'name']);
    const kind = top === 'inputs' ? 'input' : 'output';
    const who = typeof name === 'string' && name !== '' ? `${kind} '${name}'` : `${top}[${index}]`;
    return rest.length ? `${who} field ${formatPath(rest)}` : who;
  }
  return `field ${formatPath(path)}`;
}

export function formatPath(path: Path): string {
  let s = '';
  for (const p of path) s += typeof p === 'number' ? `[${p}]` : s === '' ? String(p) : `.${String(p)}`;
  return s;
}

function valueAt(input: unknown, path: Path): unknown {
  let v = input;
  for (const p of path) {
    if (v === null || typeof v !== 'object') return undefined;
    v = (v as Record<PropertyKey, unknown>)[p];
  }
  return v;
}

const ARTICLES: Record<string, string> = {
  int: 'an integer',
  array: 'an array',
  object: 'an object',
  string: 'a string',
  number: 'a number',
  boolean: 'a boolean',
  record: 'an object',
};
function article(expected: string): string {
  return ARTICLES[expected] ?? expected;
}

function lowerFirst(s: string): string {
  return s.charAt(0).toLowerCase() + s.slice(1);
}

/** Short, JSON-ish rendering of a bad value; long values are cut so messages stay one line. */
export function describeValue(v: unknown): string {
  if (v === undefined) return 'nothing';
  if (v === null) return 'null';
  if (Array.isArray(v)) return v.length === 0 ? 'an empty array' : `an array of ${v.length}`;
  if (typeof v === 'object') return 'an object';
  if (typeof v === 'bigint') return v.toString();
  const s = JSON.stringify(v) ?? String(v);
  return s.length > 40 ? `${s.slice(0, 37)}...` : s;
}
