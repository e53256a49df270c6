// The strict option layer (params.ts) on its own: every way a value can be empty, malformed,
// out of range, repeated, misplaced or unknown is a 400 that names the option and quotes what
// was received; absent options take the schema's default.

import { describe, expect, test } from 'bun:test';
import { OpenAPIHono, createRoute, z } from '@hono/zod-openapi';
import { isEdgeError } from '../core/errors.ts';
import { DetectOptionsSchema, EmbedOptionsSchema, VerifyOptionsSchema } from '../protocol/face-schemas.ts';
import { DEFAULT_MATCH_THRESHOLD } from '../tasks/faces/service.ts';
import { type ReceivedOptions, collect, jsonFields, parseOptions, quote, readOptions, routeWithOptions, topLevelMembers } from './params.ts';

const q = (entries: Array<[string, unknown]>): ReceivedOptions => collect({}, 'query', entries);
function error(f: () => unknown): string {
  try {
    f();
  } catch (e) {
    if (!isEdgeError(e) || e.code !== 'INVALID_ARGUMENT') throw e;
    return e.message;
  }
  throw new Error('no error');
}

describe('parseOptions', () => {
  test('absent → the documented defaults', () => {
    expect(parseOptions(DetectOptionsSchema, {})).toEqual({ score_threshold: 0.7, iou_threshold: 0.3, max_faces: 50, liveness: false, eyes: false });
    expect(parseOptions(VerifyOptionsSchema, {})).toEqual({ threshold: DEFAULT_MATCH_THRESHOLD, liveness: false });
    expect(parseOptions(EmbedOptionsSchema, {})).toEqual({ liveness: false });
  });

  test('well-formed values from text and from JSON', () => {
    expect(parseOptions(VerifyOptionsSchema, q([['threshold', '0.62']]))).toMatchObject({ threshold: 0.62 });
    expect(parseOptions(VerifyOptionsSchema, q([['threshold', '1']]))).toMatchObject({ threshold: 1 });
    expect(parseOptions(VerifyOptionsSchema, q([['threshold', '.5']]))).toMatchObject({ threshold: 0.5 });
    expect(parseOptions(VerifyOptionsSchema, q([['threshold', '5e-1']]))).toMatchObject({ threshold: 0.5 });
    expect(parseOptions(VerifyOptionsSchema, collect({}, 'JSON field', [['threshold', 0.25]]))).toMatchObject({ threshold: 0.25 });
    expect(
      parseOptions(
        DetectOptionsSchema,
        q([
          ['max_faces', '7'],
          ['render', 'png'],
        ]),
      ),
    ).toMatchObject({ max_faces: 7, render: 'png' });
    expect(parseOptions(EmbedOptionsSchema, q([['box', '180,62.5, 269,173']]))).toMatchObject({ box: [180, 62.5, 269, 173] });
  });

  test('an empty value is an error, never 0 or a default', () => {
    expect(error(() => parseOptions(VerifyOptionsSchema, q([['threshold', '']])))).toBe("threshold: expected a number between 0 and 1, got ''");
    expect(error(() => parseOptions(DetectOptionsSchema, q([['score_threshold', '']])))).toBe("score_threshold: expected a number between 0 and 1, got ''");
    expect(error(() => parseOptions(DetectOptionsSchema, q([['render', '']])))).toBe("render: expected 'png', got ''");
    expect(error(() => parseOptions(EmbedOptionsSchema, q([['box', '']])))).toBe(
      'box: expected "x1,y1,x2,y2": four numbers in image pixels, x2 > x1 and y2 > y1, got \'\'',
    );
    expect(error(() => parseOptions(VerifyOptionsSchema, collect({}, 'form field', [['threshold', '']])))).toBe(
      "threshold: expected a number between 0 and 1, got '' (form field)",
    );
    // Even where the schema itself would take an empty string.
    expect(error(() => parseOptions(z.object({ name: z.string().optional() }), q([['name', '']])))).toBe("name: expected a value, got ''");
  });

  test('malformed and out-of-range values are quoted exactly as received', () => {
    const bad = (v: string) => error(() => parseOptions(VerifyOptionsSchema, q([['threshold', v]])));
    for (const v of ['abc', '2', '-0.1', ' 0.5', '0.5 ', '0x1', '1e999', 'Infinity', 'NaN', '0,5', '1/2', '+']) {
      expect(bad(v)).toBe(`threshold: expected a number between 0 and 1, got ${quote(v)}`);
    }
    expect(bad('abc')).toBe("threshold: expected a number between 0 and 1, got 'abc'");
    expect(error(() => parseOptions(DetectOptionsSchema, q([['max_faces', '1.5']])))).toBe("max_faces: expected an integer between 1 and 1000, got '1.5'");
    expect(error(() => parseOptions(DetectOptionsSchema, q([['max_faces', '0']])))).toBe("max_faces: expected an integer between 1 and 1000, got '0'");
    expect(error(() => parseOptions(DetectOptionsSchema, q([['render', 'jpg']])))).toBe("render: expected 'png', got 'jpg'");
    expect(error(() => parseOptions(EmbedOptionsSchema, q([['box', '1,2,3']])))).toBe(
      'box: expected "x1,y1,x2,y2": four numbers in image pixels, x2 > x1 and y2 > y1, got \'1,2,3\'',
    );
    expect(error(() => parseOptions(EmbedOptionsSchema, q([['box', '10,10,5,20']])))).toBe(
      `box: expected "x1,y1,x2,y2": four numbers in image pixels, x2 > x1 and y2 > y1, got '10,10,5,20'`,
    );
    expect(error(() => parseOptions(EmbedOptionsSchema, q([['box', '0,0,1e999,5']])))).toBe(
      `box: expected "x1,y1,x2,y2": four numbers in image pixels, x2 > x1 and y2 > y1, got '0,0,1e999,5'`,
    );
    // JSON values keep their JSON type in the message.
    expect(error(() => parseOptions(VerifyOptionsSchema, collect({}, 'JSON field', [['threshold', null]])))).toBe(
      'threshold: expected a number between 0 and 1, got null (JSON field)',
    );
    expect(error(() => parseOptions(VerifyOptionsSchema, collect({}, 'JSON field', [['threshold', true]])))).toBe(
      'threshold: expected a number between 0 and 1, got true (JSON field)',
    );
    expect(error(() => parseOptions(VerifyOptionsSchema, collect({}, 'JSON field', [['threshold', 7]])))).toBe(
      'threshold: expected a number between 0 and 1, got 7 (JSON field)',
    );
    // Long values are cut, control characters escaped: the message stays one line.
    expect(bad('9'.repeat(500))).toMatch(/^threshold: expected a number between 0 and 1, got '9{57}…' \(500 characters\)$/);
    expect(bad('a\nb')).toBe("threshold: expected a number between 0 and 1, got 'a\\nb'");
  });

  test('a repeated option is an error quoting every value, wherever they came from', () => {
    expect(
      error(() =>
        parseOptions(
          VerifyOptionsSchema,
          q([
            ['threshold', '0.5'],
            ['threshold', '0.6'],
          ]),
        ),
      ),
    ).toBe("threshold: given 2 times (query '0.5', query '0.6'): give each option once, in the query or in the body");
    expect(
      error(() =>
        parseOptions(
          VerifyOptionsSchema,
          q([
            ['threshold', '0.5'],
            ['threshold', '0.5'],
          ]),
        ),
      ),
    ).toContain('given 2 times');
    const both = collect(q([['threshold', '0.3']]), 'form field', [['threshold', '0.9']]);
    expect(error(() => parseOptions(VerifyOptionsSchema, both))).toBe(
      "threshold: given 2 times (query '0.3', form field '0.9'): give each option once, in the query or in the body",
    );
  });

  test('an unknown option is an error naming what the route takes', () => {
    expect(error(() => parseOptions(VerifyOptionsSchema, q([['treshold', '0.9']])))).toBe(
      "unknown option 'treshold' (query, got '0.9'): this route takes threshold, box1, box2, liveness",
    );
    expect(error(() => parseOptions(EmbedOptionsSchema, q([['max_faces', '3']])))).toBe(
      "unknown option 'max_faces' (query, got '3'): this route takes box, liveness",
    );
    expect(error(() => parseOptions(z.object({}), q([['', '5']])))).toBe("unknown option '' (query, got '5'): this route takes no options");
    for (const k of ['__proto__', 'constructor', 'toString', 'hasOwnProperty']) {
      expect(error(() => parseOptions(VerifyOptionsSchema, q([[k, '1']])))).toBe(
        `unknown option '${k}' (query, got '1'): this route takes threshold, box1, box2, liveness`,
      );
    }
    expect(error(() => parseOptions(VerifyOptionsSchema, jsonFields('{"__proto__": {"threshold": 0}}').fields))).toBe(
      `unknown option '__proto__' (JSON field, got {"threshold":0}): this route takes threshold, box1, box2, liveness`,
    );
  });

  test('booleans are true/false; nested objects name the path', () => {
    const S = z.object({ ready: z.boolean().default(false), parameters: z.strictObject({ unload_dependents: z.boolean().optional() }).optional() });
    expect(parseOptions(S, q([['ready', 'true']]))).toEqual({ ready: true });
    expect(error(() => parseOptions(S, q([['ready', 'yes']])))).toBe("ready: expected true or false, got 'yes'");
    expect(error(() => parseOptions(S, collect({}, 'JSON field', [['parameters', { unload_dependents: 'no' }]])))).toBe(
      "parameters.unload_dependents: expected a boolean, got 'no' (JSON field)",
    );
    expect(error(() => parseOptions(S, collect({}, 'JSON field', [['parameters', { config: '{}' }]])))).toBe(
      'parameters: unknown key \'config\', got {"config":"{}"} (JSON field)',
    );
  });
});

describe('jsonFields', () => {
  test('keeps repeated keys with their own values (JSON.parse keeps only the last)', () => {
    const { object, fields } = jsonFields('{"image":"QUJD","threshold":0.1, "threshold" : 0.9 ,"x":{"threshold":[1,"}"]}}');
    expect(object.threshold).toBe(0.9);
    expect(fields.threshold).toEqual([
      { where: 'JSON field', value: 0.1 },
      { where: 'JSON field', value: 0.9 },
    ]);
    expect(fields.x).toEqual([{ where: 'JSON field', value: { threshold: [1, '}'] } }]);
    expect(error(() => parseOptions(VerifyOptionsSchema, { threshold: fields.threshold }))).toBe(
      'threshold: given 2 times (JSON field 0.1, JSON field 0.9): give each option once, in the query or in the body',
    );
  });

  test('escaped quotes and nesting do not confuse the key scan', () => {
    const text = '{"a\\"b":"x\\\\","c":[{"d":1}],"e":"\\"}"}';
    expect(topLevelMembers(text).map((m) => m.key)).toEqual(['a"b', 'c', 'e']);
    expect(topLevelMembers(text).map((m) => JSON.parse(text.slice(m.start, m.end)))).toEqual(['x\\', [{ d: 1 }], '"}']);
  });

  test('not JSON, or not an object → 400', () => {
    expect(error(() => jsonFields('{"a":'))).toMatch(/^JSON body is not valid JSON/);
    expect(error(() => jsonFields('[1]'))).toBe('JSON body must be a JSON object, got [1]');
    // Deeper than JSON.stringify can walk: still a 400 naming what came, never a stack overflow.
    const deep = `${'['.repeat(100_000)}${']'.repeat(100_000)}`;
    expect(error(() => jsonFields(deep))).toMatch(/^JSON body (must be a JSON object, got a deeply nested array|is not valid JSON)/);
    expect(quote(JSON.parse(deep))).toBe('a deeply nested array');
  });
});

describe('routeWithOptions', () => {
  test('documents the query schema; the handler validates it (strictly, not zod coercion)', async () => {
    const app = new OpenAPIHono();
    app.onError((e, c) => c.json({ error: e.message }, 400));
    const Opts = z.object({ limit: z.int().min(1).max(100).default(10).openapi({ description: 'How many' }) });
    routeWithOptions(app, createRoute({ method: 'get', path: '/things', request: { query: Opts }, responses: { 200: { description: 'ok' } } }), (c) =>
      c.json(readOptions(Opts, c)),
    );
    expect(await (await app.request('/things')).json()).toEqual({ limit: 10 });
    expect(await (await app.request('/things?limit=3')).json()).toEqual({ limit: 3 });
    expect(await (await app.request('/things?limit=')).json()).toEqual({ error: "limit: expected an integer between 1 and 100, got ''" });
    const doc = app.getOpenAPI31Document({ openapi: '3.1.0', info: { title: 't', version: '1' } });
    const param = (doc.paths!['/things']!.get!.parameters as unknown as Array<Record<string, unknown>>)[0];
    expect(param).toMatchObject({ name: 'limit', in: 'query', required: false, schema: { type: 'integer', minimum: 1, maximum: 100, default: 10 } });
    expect(JSON.stringify(param)).not.toContain('example');
  });
});
