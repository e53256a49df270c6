// Route options read strictly, in one place: query parameters, multipart text fields and JSON
// body fields, validated by the route's zod object schema (the same schema documents the query
// parameters in OpenAPI). Rules, for every route that takes options:
//   - each option is given at most once per request, in exactly one place (the query, or a
//     form/JSON field of the body); a repeated option is a 400 quoting every value received;
//   - an option the route does not take is a 400 (a typo like `treshold=0.9` must not be
//     silently ignored: that would answer with the default threshold);
//   - an empty value is never a value; numbers follow a strict decimal grammar (no '', no
//     ' 1', no '0x10', no 'Infinity'); booleans are `true`/`false`;
//   - absent → the schema's default.
// Errors name the option and quote exactly what was received:
//   `threshold: expected a number between 0 and 1, got ''`.
// zod's coercion (z.coerce.number()) is not used because it turns '' into 0.
//
// Use in a new route:
//   const Opts = z.object({ limit: z.int().min(1).max(100).default(10).openapi({ description: '…' }) });
//   routeWithOptions(app, createRoute({ …, request: { query: Opts, body } }), async (c) => {
//     const opt = readOptions(Opts, c);                    // query only, or
//     const opt = readOptions(Opts, c, fieldsFromBody);    // query + body fields (readImages'
//   });                                                    // `options`, or jsonFields())
// Declare options in the query schema only (not as body properties: Swagger UI's "Try it out"
// sends every body field it shows, pre-filled) and without `example` (sent as if typed).

import type { OpenAPIHono, RouteConfig, z } from '@hono/zod-openapi';
import type { Context, Handler } from 'hono';
import { invalid } from '../core/errors.ts';

export type Where = 'query' | 'form field' | 'JSON field';
export interface Received {
  where: Where;
  value: unknown;
}
/** Every value received for each name, in arrival order. */
export type ReceivedOptions = Record<string, Received[]>;

/** Adds name/value pairs to `into` (which it returns). */
export function collect(into: ReceivedOptions, where: Where, entries: Iterable<[string, unknown]>): ReceivedOptions {
  for (const [k, value] of entries) {
    // defineProperty: `__proto__` (a query key like any other) must become a key, not a prototype.
    if (!Object.hasOwn(into, k)) Object.defineProperty(into, k, { value: [], enumerable: true, writable: true, configurable: true });
    into[k].push({ where, value });
  }
  return into;
}

/** The query string, exactly as sent (URLSearchParams keeps `?=5` and `%zz`, which Hono drops or decodes). */
export function queryOptions(c: Context): ReceivedOptions {
  const q = c.req.url.indexOf('?');
  return q < 0 ? {} : collect({}, 'query', new URLSearchParams(c.req.url.slice(q + 1)));
}

/** Parses the route's options from the query plus, optionally, fields of the body. */
export function readOptions<S extends z.ZodObject>(schema: S, c: Context, body?: ReceivedOptions): z.output<S> {
  const all = queryOptions(c);
  for (const [k, vs] of Object.entries(body ?? {})) for (const v of vs) collect(all, v.where, [[k, v.value]]);
  return parseOptions(schema, all);
}

export function parseOptions<S extends z.ZodObject>(schema: S, received: ReceivedOptions): z.output<S> {
  const shape = schema.shape as Record<string, z.ZodType>;
  const names = Object.keys(shape);
  const unknown = Object.keys(received).filter((k) => !Object.hasOwn(shape, k));
  if (unknown.length) {
    const [k] = unknown;
    const r = received[k][0];
    const others =
      unknown.length > 1
        ? ` (and ${unknown
            .slice(1, 4)
            .map((u) => `'${u}'`)
            .join(', ')}${unknown.length > 4 ? ', …' : ''})`
        : '';
    const takes = names.length ? `this route takes ${names.join(', ')}` : 'this route takes no options';
    throw invalid(`unknown option '${k}' (${r.where}, got ${quote(r.value)})${others}: ${takes}`);
  }
  const out: Record<string, unknown> = {};
  for (const name of names) {
    const field = shape[name];
    const got = received[name] ?? [];
    if (got.length > 1) {
      throw invalid(
        `${name}: given ${got.length} times (${got
          .slice(0, 4)
          .map((r) => `${r.where} ${quote(r.value)}`)
          .join(', ')}${got.length > 4 ? ', …' : ''}): give each option once, in the query or in the body`,
      );
    }
    const r = got[0];
    const raw = r?.value;
    const base = unwrap(field);
    const kind = base._zod.def.type;
    const expected = expectation(base);
    const parsed = field.safeParse(r ? coerce(kind, raw) : undefined);
    // An empty value is never a value, even where the schema would take an empty string.
    if (parsed.success && raw !== '') {
      out[name] = parsed.data;
      continue;
    }
    if (!r) throw invalid(`${name}: required${expected ? `, expected ${expected}` : ''}`);
    const issue = parsed.success ? undefined : parsed.error.issues[0];
    const path = issue?.path ?? [];
    const sub = path.length ? `${name}.${path.map(String).join('.')}` : name;
    const what = expected && !path.length ? `expected ${expected}` : issue ? issueText(issue) : 'expected a value';
    throw invalid(`${sub}: ${what}, got ${quote(valueAt(raw, path))}${from(r)}`);
  }
  return out as z.output<S>;
}

/**
 * app.openapi() for a route whose options readOptions() reads: the route's `query` schema goes
 * into the OpenAPI document but is not validated before the handler (which validates it
 * together with the body's fields, with the rules above).
 */
export function routeWithOptions(app: OpenAPIHono, route: RouteConfig, handler: Handler): void {
  app.openAPIRegistry.registerPath(route);
  const { query: _documented, ...request } = route.request ?? {};
  app.openapi({ ...route, request, hide: true } as RouteConfig, handler as never);
}

/** zod issues of a route's declared path parameters, headers, query, JSON or form (the app's
 *  defaultHook), with the value received: `path parameter model_version: must be a number, got 'x'`. */
export function formatRequestIssues(issues: readonly z.core.$ZodIssue[], data: unknown, target: string): string {
  const what = target === 'param' ? 'path parameter ' : target === 'header' ? 'header ' : target === 'query' ? '' : `${target} field `;
  const shown = issues.slice(0, 3).map((i) => {
    const name = i.path.map(String).join('.') || target;
    const value = valueAt(data, i.path);
    return `${what}${name}: ${value === undefined ? 'required' : issueText(i)}, got ${quote(value)}`.replace(/: required, got nothing$/, ': required');
  });
  return shown.join('; ') + (issues.length > 3 ? ` (and ${issues.length - 3} more)` : '');
}

/** The shape a JSON object's top-level fields arrive in, with repeated keys kept (JSON.parse keeps the last). */
export function jsonFields(text: string, what = 'JSON body'): { object: Record<string, unknown>; fields: ReceivedOptions } {
  let json: unknown;
  try {
    json = JSON.parse(text);
  } catch (e) {
    throw invalid(`${what} is not valid JSON: ${(e as Error).message}`);
  }
  if (typeof json !== 'object' || json === null || Array.isArray(json)) throw invalid(`${what} must be a JSON object, got ${quote(json)}`);
  const object = json as Record<string, unknown>;
  const fields: ReceivedOptions = {};
  const members = topLevelMembers(text);
  const count = new Map<string, number>();
  for (const m of members) count.set(m.key, (count.get(m.key) ?? 0) + 1);
  // A repeated key's values are parsed from its own text: the object holds only the last one.
  for (const m of members) collect(fields, 'JSON field', [[m.key, count.get(m.key) === 1 ? object[m.key] : JSON.parse(text.slice(m.start, m.end))]]);
  return { object, fields };
}

/** The members of a valid JSON object text, in order, repeats included, with where each value's
 *  text lies. Strings are skipped with indexOf, so a multi-megabyte base64 value costs one
 *  native scan, not a JS loop per character. */
export function topLevelMembers(text: string): Array<{ key: string; start: number; end: number }> {
  const members: Array<{ key: string; start: number; end: number }> = [];
  let depth = 0;
  let expectKey = false;
  let open: { key: string; start: number } | undefined;
  const close = (at: number) => {
    if (open) members.push({ ...open, end: at });
    open = undefined;
  };
  for (let i = 0; i < text.length; i++) {
    const ch = text.charCodeAt(i);
    if (ch === 0x22 /* " */) {
      const end = stringEnd(text, i);
      if (depth === 1 && expectKey) {
        open = { key: JSON.parse(text.slice(i, end + 1)) as string, start: text.indexOf(':', end + 1) + 1 };
        expectKey = false;
      }
      i = end;
    } else if (ch === 0x7b /* { */ || ch === 0x5b /* [ */) {
      depth++;
      if (depth === 1) expectKey = true;
    } else if (ch === 0x7d /* } */ || ch === 0x5d /* ] */) {
      if (depth === 1) close(i);
      depth--;
    } else if (ch === 0x2c /* , */ && depth === 1) {
      close(i);
      expectKey = true;
    }
  }
  return members;
}

function stringEnd(text: string, start: number): number {
  let j = start;
  for (;;) {
    j = text.indexOf('"', j + 1);
    if (j < 0) return text.length;
    let bs = 0;
    while (text.charCodeAt(j - 1 - bs) === 0x5c /* \ */) bs++;
    if (bs % 2 === 0) return j;
  }
}

const NUMBER = /^[+-]?(?:\d+(?:\.\d*)?|\.\d+)(?:[eE][+-]?\d+)?$/;

/** Text (query, form field, or a JSON string) → the option's type, strictly; anything else is left for zod to refuse. */
function coerce(kind: string, v: unknown): unknown {
  // A JSON number for an enum of numeric strings (`"landmarks": 68` for '5' | '68').
  if (kind === 'enum' && typeof v === 'number' && Number.isFinite(v)) return String(v);
  if (typeof v !== 'string') return v;
  if (kind === 'number') return NUMBER.test(v) ? Number(v) : v;
  if (kind === 'boolean') return v === 'true' ? true : v === 'false' ? false : v;
  return v;
}

function unwrap(s: z.ZodType): z.ZodType {
  let t = s as z.ZodType & { _zod: { def: { innerType?: z.ZodType } } };
  while (t._zod.def.innerType && ['default', 'optional', 'prefault', 'nullable', 'readonly', 'catch'].includes(t._zod.def.type))
    t = t._zod.def.innerType as typeof t;
  return t;
}

/** "a number between 0 and 1", "an integer between 1 and 1000", "one of 'png'", … from the schema itself. */
function expectation(base: z.ZodType): string | undefined {
  const def = base._zod.def as { type: string };
  if (def.type === 'number') {
    const n = base as z.ZodNumber;
    const what = n.isInt ? 'an integer' : 'a number';
    const min = Number.isFinite(n.minValue) && n.minValue !== Number.MIN_SAFE_INTEGER ? n.minValue : undefined;
    const max = Number.isFinite(n.maxValue) && n.maxValue !== Number.MAX_SAFE_INTEGER ? n.maxValue : undefined;
    if (min !== undefined && max !== undefined) return `${what} between ${min} and ${max}`;
    if (min !== undefined) return `${what} of at least ${min}`;
    if (max !== undefined) return `${what} of at most ${max}`;
    return what;
  }
  if (def.type === 'boolean') return 'true or false';
  if (def.type === 'enum') {
    const opts = (base as z.ZodEnum).options.map((o) => `'${String(o)}'`);
    return opts.length === 1 ? opts[0] : `one of ${opts.join(', ')}`;
  }
  return undefined;
}

function issueText(issue: z.core.$ZodIssue): string {
  const m = issue.message;
  if (/^expected /.test(m)) return m;
  if (issue.code === 'invalid_type')
    return `expected ${issue.expected === 'int' ? 'an integer' : /^[aeiou]/.test(issue.expected) ? `an ${issue.expected}` : `a ${issue.expected}`}`;
  if (issue.code === 'unrecognized_keys') return `unknown key${issue.keys.length > 1 ? 's' : ''} ${issue.keys.map((k) => `'${k}'`).join(', ')}`;
  return m.charAt(0).toLowerCase() + m.slice(1);
}

function valueAt(v: unknown, path: readonly PropertyKey[]): unknown {
  for (const p of path) {
    if (v === null || typeof v !== 'object') return undefined;
    v = (v as Record<PropertyKey, unknown>)[p];
  }
  return v;
}

const from = (r: Received | undefined) => (r && r.where !== 'query' ? ` (${r.where})` : '');

/** A received value as it came: text in single quotes ('' for empty), JSON values as JSON; long values cut. */
export function quote(v: unknown): string {
  if (v === undefined) return 'nothing';
  if (typeof v === 'string') {
    const s = JSON.stringify(v).slice(1, -1).replaceAll("'", "\\'");
    return s.length > 60 ? `'${s.slice(0, 57)}…' (${v.length} characters)` : `'${s}'`;
  }
  if (v instanceof Uint8Array) return `a file of ${v.byteLength} bytes`;
  let s: string;
  try {
    s = JSON.stringify(v) ?? String(v);
  } catch {
    // JSON.parse accepts nesting deeper than JSON.stringify can walk back (a stack overflow).
    return Array.isArray(v) ? 'a deeply nested array' : 'a deeply nested value';
  }
  return s.length > 60 ? `${s.slice(0, 57)}…` : s;
}
