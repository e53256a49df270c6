// The fuzzer's cases: one seeded generator per input path. Each case is the exact bytes to
// write on one connection and how many answers HTTP framing lets the server give (at least
// one for anything the server reads: a 400 is always possible). Groups:
// faces (raw, multipart and JSON bodies with good and broken images and options), multipart
// framing, face JSON, KServe JSON (every datatype, wrong shapes, sizes, types), KServe binary
// (Inference-Header-Content-Length and binary_data_size that lie, BYTES prefixes), query
// strings and routes, headers (Content-Type, Content-Length mismatches, Transfer-Encoding,
// Content-Encoding, oversized headers), raw framing (garbage, lowercase or unknown methods,
// LF-only lines, pipelining, half-close, chunked trailers), and valid requests whose answers
// are checked, so "the server keeps serving" is measured on real work too.

import { gzipSync } from 'node:zlib';
import { requestBytes } from './client.ts';
import { type Corpus, mutateImage } from './images.ts';
import type { Rng } from './rng.ts';

export interface Case {
  group: string;
  /** What was done, for grouping findings (no random values in it). */
  name: string;
  writes: Uint8Array[];
  /** One per answer expected (HEAD answers have no body). */
  methods: string[];
  halfClose?: boolean;
  /** The request is cut short (then half-closed): the server may answer 400 or just close, so
   *  silence is a finding, not a violation. */
  incomplete?: boolean;
  /** Statuses that are right for this case (valid requests); undefined: any non-5xx. */
  want?: number[];
  /** Checks a right answer's body; returns what is wrong, or undefined. */
  check?: (status: number, body: Uint8Array) => string | undefined;
  /** A short reproduction: method, target, notable headers, body size. */
  summary: string;
}

const enc = new TextEncoder();
const b = (s: string) => enc.encode(s);

interface Req {
  method: string;
  target: string;
  headers?: Array<[string, string]>;
  body?: Uint8Array;
  noLength?: boolean;
  version?: string;
  eol?: string;
}

/** A one-request case; Connection: close so the answer ends the exchange. */
function one(rng: Rng, group: string, name: string, r: Req, extra: Partial<Case> = {}): Case {
  const headers = [...(r.headers ?? [])];
  if (!headers.some(([k]) => k.toLowerCase() === 'connection')) headers.push(['Connection', 'close']);
  const bytes = requestBytes(r.method, r.target, headers, r.body, { noLength: r.noLength, version: r.version, eol: r.eol });
  return {
    group,
    name,
    writes: split(bytes, rng),
    methods: [r.method],
    summary: clip(
      `${r.method} ${r.target.length > 160 ? `${r.target.slice(0, 160)}…(${r.target.length})` : r.target} ${headers
        .filter(([k]) => !/^(connection|host)$/i.test(k))
        .map(([k, v]) => `${k}: ${v.length > 80 ? `${v.slice(0, 80)}…(${v.length})` : v}`)
        .join('; ')}${r.body ? ` [body ${r.body.length} B]` : ''}`,
    ),
    ...extra,
  };
}

/** At most 300 characters of a reproduction. */
function clip(s: string): string {
  return s.length > 300 ? `${s.slice(0, 300)}…(${s.length} chars)` : s;
}

/** Sometimes several writes (a parser must not care where the TCP segments split). */
function split(bytes: Uint8Array, rng: Rng): Uint8Array[] {
  if (bytes.length < 4 || !rng.chance(0.15)) return [bytes];
  const cuts = Array.from({ length: rng.range(1, 3) }, () => rng.range(1, bytes.length - 1)).sort((x, y) => x - y);
  const out: Uint8Array[] = [];
  let at = 0;
  for (const c of cuts) if (c > at) out.push(bytes.subarray(at, c)), (at = c);
  out.push(bytes.subarray(at));
  return out;
}

// ---------------------------------------------------------------------------------------
// Values that options, boxes, crops and tensor parameters receive.

const NUMBERS = [
  '',
  ' ',
  '0',
  '0.5',
  '1',
  '2',
  '-1',
  '-0',
  'abc',
  'NaN',
  'Infinity',
  '-Infinity',
  '1e309',
  '1e-320',
  '0x1',
  ' 0.5',
  '0.5 ',
  '%00',
  '1,2',
  '[]',
  '{}',
  'true',
  'null',
  '9'.repeat(400),
  '0.7',
  '1000',
  '1001',
  '50',
  '3.5',
  '\u00bd',
];
const BOXES = [
  '120,60,300,280',
  '0,0,10000000,10000000',
  '0,0,1000000000000,1000000000000',
  '-1000000,-1000000,1000000,1000000',
  '0,0,512,512',
  '-20,-20,300,300',
  '10,10,10,10',
  '300,300,100,100',
  '1,2,3',
  '1,2,3,4,5',
  ',,,',
  '0,,5,5',
  'NaN,0,5,5',
  '1e7,0,2e7,5',
  '0x10,0,50,50',
  ' 1 , 2 , 300 , 400 ',
  '1.2.3,0,5,5',
  '-0,-0,1,1',
  '511.9,511.9,512,512',
  '0,0,0.001,0.001',
  '2000,2000,3000,3000',
  '',
];
const TIMEOUTS = [0, 1, -1, 1e6, 2147483648000, 1e308, '1000', 'abc', null, true, [], 1.5, 9007199254740993];

const OPTIONS: Record<string, Array<[string, string[]]>> = {
  detect: [
    ['score_threshold', NUMBERS],
    ['iou_threshold', NUMBERS],
    ['max_faces', NUMBERS],
    ['render', ['png', 'PNG', '', 'jpeg', 'png,png', 'true']],
  ],
  embed: [['box', BOXES]],
  verify: [['threshold', NUMBERS]],
};

function optionPairs(rng: Rng, route: string): Array<[string, string]> {
  const pairs: Array<[string, string]> = [];
  for (const [k, values] of OPTIONS[route]) {
    if (!rng.chance(0.35)) continue;
    pairs.push([k, rng.pick(values)]);
    if (rng.chance(0.1)) pairs.push([k, rng.pick(values)]); // repeated
  }
  if (rng.chance(0.05)) pairs.push([rng.pick(['unknown', 'image', 'box', 'Score_Threshold', '__proto__', 'constructor']), rng.pick(NUMBERS)]);
  // Rendering costs seconds on big images: keep it to a few cases.
  return pairs.filter(([k, v]) => k !== 'render' || v !== 'png' || rng.chance(0.3));
}

const query = (pairs: Array<[string, string]>) =>
  pairs.length ? `?${pairs.map(([k, v]) => `${encodeURIComponent(k)}=${encodeURIComponent(v)}`).join('&')}` : '';

function pickImage(rng: Rng, corpus: Corpus): [string, Uint8Array] {
  const [name, img] = rng.pick(corpus.valid);
  if (rng.chance(0.35)) return [`valid ${name.replace(/^\d+x\d+/, (m) => (Number(m.split('x')[0]) * Number(m.split('x')[1]) > 100 ? 'large' : 'tiny'))}`, img];
  const [how, bytes] = mutateImage(img, rng, corpus);
  return [how, bytes];
}

// ---------------------------------------------------------------------------------------
// Face routes: bodies × images × options.

function multipartBody(parts: Array<{ name: string; filename?: string; type?: string; data: Uint8Array }>, boundary: string, eol = '\r\n'): Uint8Array {
  const chunks: Uint8Array[] = [];
  for (const p of parts) {
    chunks.push(
      b(
        `--${boundary}${eol}Content-Disposition: form-data; name="${p.name}"${p.filename !== undefined ? `; filename="${p.filename}"` : ''}${eol}${p.type ? `Content-Type: ${p.type}${eol}` : ''}${eol}`,
      ),
    );
    chunks.push(p.data, b(eol));
  }
  chunks.push(b(`--${boundary}--${eol}`));
  return concatAll(chunks);
}

function concatAll(parts: Uint8Array[]): Uint8Array {
  const out = new Uint8Array(parts.reduce((s, p) => s + p.length, 0));
  let o = 0;
  for (const p of parts) out.set(p, o), (o += p.length);
  return out;
}

const FIELDS: Record<string, string[]> = { detect: ['image'], embed: ['image'], verify: ['image1', 'image2'] };

function faces(rng: Rng, corpus: Corpus): Case {
  const route = rng.pick(['detect', 'detect', 'embed', 'verify']);
  const fields = FIELDS[route];
  const images = fields.map(() => pickImage(rng, corpus));
  const how = images.map(([n]) => n).join(' + ');
  const opts = optionPairs(rng, route);
  const inBody = rng.chance(0.3);
  const target = `/v1/faces/${route}${inBody ? '' : query(opts)}`;
  const form =
    fields.length === 1
      ? rng.weighted([
          [4, 'multipart'],
          [3, 'raw'],
          [3, 'json'],
        ] as const)
      : rng.weighted([
          [6, 'multipart'],
          [4, 'json'],
        ] as const);
  if (form === 'raw') {
    const type = rng.pick(['image/jpeg', 'image/png', 'image/webp', 'application/octet-stream', 'image/gif', '']);
    return one(rng, 'faces', `${route} raw ${how}`, {
      method: 'POST',
      target: `/v1/faces/${route}${query(opts)}`,
      headers: type ? [['Content-Type', type]] : [],
      body: images[0][1],
    });
  }
  if (form === 'multipart') {
    const boundary = `fuzz${rng.u32().toString(16)}`;
    const parts = fields.map((f, i) => ({ name: f, filename: `${f}.bin`, type: 'application/octet-stream', data: images[i][1] }));
    const extra = inBody ? opts.map(([k, v]) => ({ name: k, data: b(v) })) : [];
    return one(rng, 'faces', `${route} multipart ${how}`, {
      method: 'POST',
      target,
      headers: [['Content-Type', `multipart/form-data; boundary=${boundary}`]],
      body: multipartBody([...parts, ...extra], boundary),
    });
  }
  const json: Record<string, unknown> = Object.fromEntries(fields.map((f, i) => [f, Buffer.from(images[i][1]).toString('base64')]));
  if (inBody) for (const [k, v] of opts) json[k] = rng.chance(0.5) && v !== '' && Number.isFinite(Number(v)) ? Number(v) : v;
  return one(rng, 'faces', `${route} json ${how}`, { method: 'POST', target, headers: [['Content-Type', 'application/json']], body: b(JSON.stringify(json)) });
}

// ---------------------------------------------------------------------------------------
// Multipart framing: a good detect upload, broken one way.

function multipart(rng: Rng, corpus: Corpus): Case {
  const img = corpus.face;
  const boundary = 'XfuzzBoundary';
  const good = () => multipartBody([{ name: 'image', filename: 'a.jpg', type: 'image/jpeg', data: img }], boundary);
  const route = rng.pick(['detect', 'verify', 'embed']);
  const variants: Array<[string, () => [string, Uint8Array]]> = [
    ['no boundary parameter', () => ['multipart/form-data', good()]],
    ['empty boundary', () => ['multipart/form-data; boundary=', good()]],
    ['other boundary in header', () => ['multipart/form-data; boundary=Other', good()]],
    ['quoted boundary', () => [`multipart/form-data; boundary="${boundary}"`, good()]],
    [
      'boundary of 71 characters',
      () => {
        const long = 'x'.repeat(71);
        return [`multipart/form-data; boundary=${long}`, multipartBody([{ name: 'image', filename: 'a', data: img }], long)];
      },
    ],
    [
      'boundary with specials',
      () => {
        const s = "'()+_,-./:=? ";
        return [`multipart/form-data; boundary="${s}"`, multipartBody([{ name: 'image', filename: 'a', data: img }], s)];
      },
    ],
    [
      'no closing delimiter',
      () => {
        const g = good();
        return [`multipart/form-data; boundary=${boundary}`, g.subarray(0, g.length - boundary.length - 6)];
      },
    ],
    ['only the closing delimiter', () => [`multipart/form-data; boundary=${boundary}`, b(`--${boundary}--\r\n`)]],
    ['LF line endings', () => [`multipart/form-data; boundary=${boundary}`, multipartBody([{ name: 'image', filename: 'a', data: img }], boundary, '\n')]],
    [
      'no blank line after part headers',
      () => [
        `multipart/form-data; boundary=${boundary}`,
        concatAll([b(`--${boundary}\r\nContent-Disposition: form-data; name="image"\r\n`), img, b(`\r\n--${boundary}--\r\n`)]),
      ],
    ],
    [
      'no Content-Disposition',
      () => [
        `multipart/form-data; boundary=${boundary}`,
        concatAll([b(`--${boundary}\r\nContent-Type: image/jpeg\r\n\r\n`), img, b(`\r\n--${boundary}--\r\n`)]),
      ],
    ],
    [
      'part without a name',
      () => [
        `multipart/form-data; boundary=${boundary}`,
        concatAll([b(`--${boundary}\r\nContent-Disposition: form-data; filename="a.jpg"\r\n\r\n`), img, b(`\r\n--${boundary}--\r\n`)]),
      ],
    ],
    [
      'duplicate image fields',
      () => [
        `multipart/form-data; boundary=${boundary}`,
        multipartBody(
          [
            { name: 'image', filename: 'a', data: img },
            { name: 'image', filename: 'b', data: rng.bytes(100) },
          ],
          boundary,
        ),
      ],
    ],
    [
      'duplicate option fields',
      () => [
        `multipart/form-data; boundary=${boundary}`,
        multipartBody(
          [
            { name: 'image', filename: 'a', data: img },
            { name: 'score_threshold', data: b('0.9') },
            { name: 'score_threshold', data: b('') },
            { name: 'threshold', data: b('0') },
            { name: 'box', data: b('0,0,1e12,1e12') },
          ],
          boundary,
        ),
      ],
    ],
    [
      'empty image part',
      () => [`multipart/form-data; boundary=${boundary}`, multipartBody([{ name: 'image', filename: 'a', data: new Uint8Array(0) }], boundary)],
    ],
    ['image as a text field', () => [`multipart/form-data; boundary=${boundary}`, multipartBody([{ name: 'image', data: img }], boundary)]],
    ['preamble and epilogue', () => [`multipart/form-data; boundary=${boundary}`, concatAll([b('preamble junk\r\n'), good(), b('epilogue junk'.repeat(100))])]],
    [
      '300 parts',
      () => [
        `multipart/form-data; boundary=${boundary}`,
        multipartBody([{ name: 'image', filename: 'a', data: img }, ...Array.from({ length: 299 }, (_, i) => ({ name: `f${i}`, data: b('x') }))], boundary),
      ],
    ],
    [
      'part headers of 64 KiB',
      () => [
        `multipart/form-data; boundary=${boundary}`,
        concatAll([
          b(`--${boundary}\r\nContent-Disposition: form-data; name="image"; filename="${'a'.repeat(65536)}"\r\n\r\n`),
          img,
          b(`\r\n--${boundary}--\r\n`),
        ]),
      ],
    ],
    [
      'field names with specials',
      () => [
        `multipart/form-data; boundary=${boundary}`,
        multipartBody(
          [
            { name: 'image', filename: 'a', data: img },
            { name: '__proto__', data: b('{}') },
            { name: 'constructor', data: b('1') },
            { name: 'é"\\', data: b('1') },
          ],
          boundary,
        ),
      ],
    ],
    [
      'nested multipart',
      () => [
        `multipart/form-data; boundary=${boundary}`,
        multipartBody(
          [
            {
              name: 'image',
              filename: 'a',
              type: 'multipart/mixed; boundary=inner',
              data: multipartBody([{ name: 'image', filename: 'x', data: img }], 'inner'),
            },
          ],
          boundary,
        ),
      ],
    ],
    [
      'delimiter inside the image',
      () => [
        `multipart/form-data; boundary=${boundary}`,
        multipartBody([{ name: 'image', filename: 'a', data: concatAll([img.subarray(0, 1000), b(`\r\n--${boundary}\r\n`), img.subarray(1000)]) }], boundary),
      ],
    ],
    ['random bytes', () => [`multipart/form-data; boundary=${boundary}`, rng.bytes(rng.range(0, 3000))]],
    [
      'flipped bytes',
      () => {
        const g = good();
        for (let i = 0; i < 8; i++) g[rng.int(Math.min(g.length, 300))] = rng.u32() & 255;
        return [`multipart/form-data; boundary=${boundary}`, g];
      },
    ],
  ];
  const [name, make] = rng.pick(variants);
  const [type, body] = make();
  return one(rng, 'multipart', `${route}: ${name}`, { method: 'POST', target: `/v1/faces/${route}`, headers: [['Content-Type', type]], body });
}

// ---------------------------------------------------------------------------------------
// Face routes' JSON bodies.

function faceJson(rng: Rng, corpus: Corpus): Case {
  const route = rng.pick(['detect', 'embed', 'verify']);
  const b64 = Buffer.from(corpus.face).toString('base64');
  const variants: Array<[string, () => string]> = [
    ['not JSON', () => '{"image": '],
    ['an array', () => JSON.stringify([b64])],
    ['a number', () => '42'],
    ['null', () => 'null'],
    ['a string', () => JSON.stringify(b64)],
    ['base64 of length 4k+1', () => JSON.stringify({ image: 'a'.repeat(4 * rng.range(0, 3000) + 1), image1: 'a', image2: 'aaaaa' })],
    ['base64 with bad characters', () => JSON.stringify({ image: `${b64.slice(0, 100)}!@#$${b64.slice(100)}`, image1: '****', image2: b64 })],
    ['data URL', () => JSON.stringify({ image: `data:image/jpeg;base64,${b64}`, image1: `data:;base64,${b64}`, image2: `data:image/png;base64,${b64}` })],
    ['base64 with whitespace', () => JSON.stringify({ image: b64.replace(/(.{76})/g, '$1\n'), image1: ` ${b64} `, image2: b64 })],
    ['bad padding', () => JSON.stringify({ image: `${b64}===`, image1: `${b64.slice(0, -1)}=a`, image2: '=' })],
    ['image is a number', () => JSON.stringify({ image: 1, image1: 1, image2: 2 })],
    ['image is an object', () => JSON.stringify({ image: { data: b64 }, image1: [b64], image2: null })],
    ['empty image', () => JSON.stringify({ image: '', image1: '', image2: '' })],
    [
      'options of wrong types',
      () =>
        JSON.stringify({
          image: b64,
          image1: b64,
          image2: b64,
          score_threshold: rng.pick(['0.5', [0.5], null, true, -1, 1e308, {}]),
          threshold: rng.pick(['0', [], null, false, 2]),
          box: rng.pick([[1, 2, 3, 4], 5, '1,2,3,4', null]),
          max_faces: rng.pick([1.5, '10', -1, 1e9]),
        }),
    ],
    ['duplicate keys', () => `{"image": "${b64}", "image": "aGVsbG8=", "image1": "${b64}", "image2": "${b64}", "threshold": 0.9, "threshold": 0}`],
    ['deeply nested', () => `${'['.repeat(100_000)}${']'.repeat(100_000)}`],
    ['deeply nested option', () => `{"image": "${b64}", "image1": "${b64}", "image2": "${b64}", "box": ${'['.repeat(50_000)}${']'.repeat(50_000)}}`],
    ['BOM in front', () => `\ufeff${JSON.stringify({ image: b64, image1: b64, image2: b64 })}`],
    ['prototype keys', () => `{"__proto__": {"image": "${b64}"}, "constructor": 1, "image1": "${b64}", "image2": "${b64}"}`],
    ['huge number literal', () => `{"image": "${b64}", "image1": "${b64}", "image2": "${b64}", "threshold": 1${'0'.repeat(400)}, "score_threshold": -1e400}`],
    ['invalid UTF-8', () => '\u0000'],
  ];
  const [name, make] = rng.pick(variants);
  let body = b(make());
  if (name === 'invalid UTF-8') body = new Uint8Array([0x7b, 0x22, 0x69, 0x6d, 0x61, 0x67, 0x65, 0x22, 0x3a, 0x22, 0xff, 0xfe, 0xc3, 0x28, 0x22, 0x7d]);
  const charset = rng.pick(['application/json', 'application/json; charset=utf-8', 'application/json; charset=latin1', 'Application/JSON']);
  return one(rng, 'face-json', `${route}: ${name}`, { method: 'POST', target: `/v1/faces/${route}`, headers: [['Content-Type', charset]], body });
}

// ---------------------------------------------------------------------------------------
// KServe infer, JSON.

const DATATYPES = ['BOOL', 'UINT8', 'UINT16', 'UINT32', 'UINT64', 'INT8', 'INT16', 'INT32', 'INT64', 'FP16', 'FP32', 'FP64', 'BF16', 'BYTES'];
const BOGUS_DT = ['int32', 'FP8', '', 'STRING', 'TYPE_INT32', 7, null];
const SHAPES: unknown[] = [
  [1, 16],
  [16],
  [2, 16],
  [8, 16],
  [9, 16],
  [1, 15],
  [1, -1],
  [0, 16],
  [1e9, 16],
  [1.5, 16],
  ['1', 16],
  [],
  [1, 16, 1],
  [2 ** 31, 2 ** 31],
  [Number.MAX_SAFE_INTEGER],
  [1, 1e15],
  null,
  'x',
  [[1]],
  [-1, -1],
];
const MODELS = [
  'simple',
  'simple',
  'simple',
  'face_detect',
  'face_embed',
  'nope',
  'SIMPLE',
  'simple ',
  '%20',
  '..',
  'simple/../face_detect',
  '\u00e9',
  'a'.repeat(300),
];
const VERSIONS = [undefined, undefined, undefined, '1', '0', '-1', '99', 'abc', '1.0', '01', '', '9'.repeat(30)];

function dataFor(rng: Rng, dt: string, n: number): unknown {
  const count = rng.chance(0.7) ? n : rng.pick([0, 1, n - 1, n + 1, 2 * n, 1000]);
  const el = (): unknown => {
    switch (
      rng.weighted([
        [6, 'right'],
        [1, 'string'],
        [1, 'float'],
        [1, 'huge'],
        [1, 'odd'],
      ] as const)
    ) {
      case 'string':
        return rng.pick(['1', 'NaN', 'abc', '', '9223372036854775808']);
      case 'float':
        return rng.pick([0.5, -1.5, 1e-300]);
      case 'huge':
        return rng.pick([300, -129, 65536, 2 ** 32, 2 ** 63, -(2 ** 63) - 2049, 1e308, -1e308, Number.MAX_SAFE_INTEGER + 2]);
      case 'odd':
        return rng.pick([null, true, [], {}, [1, 2]]);
      default:
        if (dt === 'BOOL') return rng.chance(0.5);
        if (dt === 'BYTES') return rng.pick(['hello', '', 'é', 'aGVsbG8=']);
        if (dt.startsWith('FP') || dt === 'BF16') return rng.float() * 10 - 5;
        return rng.range(0, 100);
    }
  };
  const flat = Array.from({ length: count }, el);
  if (rng.chance(0.1) && count >= 4) return [flat.slice(0, count / 2), flat.slice(count / 2)]; // nested rows (Triton allows)
  if (rng.chance(0.03)) return rng.pick([null, 'data', 5, {}]);
  return flat;
}

function kserveJson(rng: Rng): Case {
  const model = rng.pick(MODELS);
  const version = rng.pick(VERSIONS);
  const target = `/v2/models/${encodeURI(model)}${version !== undefined ? `/versions/${version}` : ''}/infer`;
  const valid = () => ({
    inputs: [
      { name: 'INPUT0', shape: [1, 16], datatype: 'INT32', data: Array.from({ length: 16 }, (_, i) => i) },
      { name: 'INPUT1', shape: [1, 16], datatype: 'INT32', data: Array(16).fill(1) },
    ],
  });
  const req: Record<string, unknown> = valid();
  const inputs = req.inputs as Array<Record<string, unknown>>;
  const mutations = rng.chance(0.15) ? 0 : rng.range(1, 3);
  const done: string[] = [];
  for (let m = 0; m < mutations; m++) {
    const input = rng.pick(inputs);
    const which = rng.weighted([
      [4, 'datatype'],
      [4, 'shape'],
      [4, 'data'],
      [1, 'name'],
      [1, 'inputs'],
      [2, 'outputs'],
      [2, 'parameters'],
      [1, 'id'],
      [1, 'extra'],
      [1, 'tensor parameters'],
    ] as const);
    done.push(which);
    switch (which) {
      case 'datatype': {
        const dt = rng.chance(0.85) ? rng.pick(DATATYPES) : rng.pick(BOGUS_DT);
        input.datatype = dt;
        input.data = dataFor(rng, String(dt), 16);
        break;
      }
      case 'shape':
        input.shape = rng.pick(SHAPES);
        break;
      case 'data':
        input.data = dataFor(rng, String(input.datatype), 16);
        break;
      case 'name':
        input.name = rng.pick(['INPUT0', 'nope', '', 123, null, 'INPUT1']);
        break;
      case 'inputs':
        req.inputs = rng.pick([[], {}, null, 'x', [inputs[0]], [...inputs, inputs[0]], Array(2000).fill(inputs[0])]);
        break;
      case 'outputs':
        req.outputs = rng.pick([
          [{ name: 'nope' }],
          [{ name: 'OUTPUT0', parameters: { binary_data: true } }],
          'x',
          [],
          [{}],
          [{ name: 'OUTPUT0' }, { name: 'OUTPUT0' }],
          [{ name: 'OUTPUT1', parameters: { binary_data: 'yes' } }],
        ]);
        break;
      case 'parameters':
        req.parameters = rng.pick([
          { timeout: rng.pick(TIMEOUTS) },
          { binary_data_output: true },
          { binary_data_output: 'x' },
          { priority: -1 },
          null,
          'x',
          [],
          { timeout: rng.pick(TIMEOUTS), binary_data_output: true },
        ]);
        break;
      case 'id':
        req.id = rng.pick([5, {}, 'x'.repeat(10_000), null, '']);
        break;
      case 'extra':
        req[rng.pick(['__proto__', 'constructor', 'unknown', 'model_name'])] = rng.pick([1, {}, null]);
        break;
      case 'tensor parameters':
        input.parameters = rng.pick([{ binary_data_size: 64 }, { crop: '0,0,5,5' }, null, 'x', { binary_data_size: -1 }]);
        break;
    }
  }
  let body = b(JSON.stringify(req));
  if (rng.chance(0.04)) body = body.subarray(0, rng.int(body.length)); // cut short
  const isValid = mutations === 0 && model === 'simple' && version === undefined;
  const type = rng.pick(['application/json', 'application/json', 'text/plain', '']);
  return one(
    rng,
    'kserve-json',
    `${model === 'simple' ? 'simple' : 'other model'}${version !== undefined ? ' versioned' : ''}: ${done.sort().join('+') || 'valid'}`,
    {
      method: 'POST',
      target,
      headers: type ? [['Content-Type', type]] : [],
      body,
    },
    isValid && type !== 'text/plain' ? { want: [200], check: checkSimple } : {},
  );
}

function checkSimple(status: number, body: Uint8Array): string | undefined {
  if (status !== 200) return undefined;
  try {
    const j = JSON.parse(new TextDecoder().decode(body));
    const out = j.outputs?.find((o: { name: string }) => o.name === 'OUTPUT0');
    const want = Array.from({ length: 16 }, (_, i) => i + 1);
    return JSON.stringify(out?.data) === JSON.stringify(want)
      ? undefined
      : `OUTPUT0 is ${JSON.stringify(out?.data)?.slice(0, 80)}, expected ${JSON.stringify(want)}`;
  } catch (e) {
    return `200 body is not JSON: ${(e as Error).message}`;
  }
}

// ---------------------------------------------------------------------------------------
// KServe infer with Triton's binary tensor data extension.

function kserveBinary(rng: Rng, corpus: Corpus): Case {
  const face = rng.chance(0.5);
  const model = face ? rng.pick(['face_detect', 'face_embed']) : 'simple';
  const lie = (n: number): number | string =>
    rng.weighted<number | string>([
      [6, n],
      [1, n + rng.range(1, 64)],
      [1, Math.max(0, n - rng.range(1, 64))],
      [1, -1],
      [1, '64'],
      [1, 1.5],
      [1, 2 ** 53],
    ]);
  let header: Record<string, unknown>;
  let binary: Uint8Array;
  const done: string[] = [];
  if (face) {
    const [how, img] = pickImage(rng, corpus);
    done.push(how);
    const elements = rng.chance(0.9) ? [img] : [img, corpus.face];
    const parts: Uint8Array[] = [];
    for (const el of elements) {
      const prefix = new Uint8Array(4);
      const claimed = rng.chance(0.9) ? el.length : rng.pick([0, el.length + 1, 0xffffffff, el.length - 1]);
      if (claimed !== el.length) done.push('BYTES prefix lies');
      new DataView(prefix.buffer).setUint32(0, Math.max(0, claimed) >>> 0, true);
      parts.push(prefix, el);
    }
    binary = concatAll(parts);
    const params: Record<string, unknown> = { binary_data_size: lie(binary.length) };
    if (params.binary_data_size !== binary.length) done.push('binary_data_size lies');
    if (model === 'face_embed' && rng.chance(0.6)) {
      params.crop = rng.chance(0.85) ? rng.pick(BOXES) : rng.pick([5, null, ['1', '2', '3', '4'], {}]);
      done.push('crop');
    }
    const shape = rng.chance(0.9) ? [elements.length] : rng.pick([[1, 1], [2], [0], [-1], []]);
    header = { inputs: [{ name: rng.chance(0.95) ? 'input' : 'nope', shape, datatype: rng.chance(0.95) ? 'BYTES' : rng.pick(DATATYPES), parameters: params }] };
  } else {
    const dt = rng.chance(0.6) ? 'INT32' : rng.pick(DATATYPES);
    const size = { BOOL: 1, UINT8: 1, INT8: 1, UINT16: 2, INT16: 2, FP16: 2, BF16: 2, UINT32: 4, INT32: 4, FP32: 4, UINT64: 8, INT64: 8, FP64: 8, BYTES: 4 }[
      dt
    ]!;
    const n = 16 * size + (rng.chance(0.1) ? rng.pick([-1, 1, 3]) : 0);
    const a = rng.bytes(Math.max(0, n));
    const c = rng.bytes(Math.max(0, n));
    binary = concatAll([a, c]);
    done.push(dt);
    if (n !== 16 * size) done.push('wrong byte count');
    const sizes = [lie(a.length), lie(c.length)];
    if (sizes[0] !== a.length || sizes[1] !== c.length) done.push('binary_data_size lies');
    header = {
      inputs: [
        { name: 'INPUT0', shape: rng.chance(0.9) ? [1, 16] : rng.pick(SHAPES), datatype: dt, parameters: { binary_data_size: sizes[0] } },
        { name: 'INPUT1', shape: [1, 16], datatype: dt, parameters: { binary_data_size: sizes[1] } },
      ],
      outputs: rng.chance(0.5) ? [{ name: 'OUTPUT0', parameters: { binary_data: rng.chance(0.7) } }] : undefined,
    };
  }
  const json = b(JSON.stringify(header));
  let ihcl: string | undefined = String(json.length);
  const how = rng.weighted([
    [10, 'right'],
    [1, 'missing'],
    [1, 'zero'],
    [1, 'negative'],
    [1, 'not a number'],
    [1, 'larger than the body'],
    [1, 'inside the JSON'],
    [1, 'float'],
    [1, 'huge'],
    [1, 'past the JSON into binary'],
  ] as const);
  switch (how) {
    case 'missing':
      ihcl = undefined;
      break;
    case 'zero':
      ihcl = '0';
      break;
    case 'negative':
      ihcl = '-5';
      break;
    case 'not a number':
      ihcl = rng.pick(['abc', '', ' ', '0x10', `${json.length}abc`]);
      break;
    case 'larger than the body':
      ihcl = String(json.length + binary.length + rng.range(1, 1000));
      break;
    case 'inside the JSON':
      ihcl = String(rng.range(1, json.length - 1));
      break;
    case 'float':
      ihcl = `${json.length}.5`;
      break;
    case 'huge':
      ihcl = rng.pick(['99999999999999999999', '1e12', String(2 ** 53)]);
      break;
    case 'past the JSON into binary':
      ihcl = String(json.length + Math.min(binary.length, rng.range(1, 8)));
      break;
  }
  if (how !== 'right') done.push(`Inference-Header-Content-Length ${how}`);
  const headers: Array<[string, string]> = [
    ['Content-Type', rng.pick(['application/octet-stream', 'application/json', 'application/vnd.sagemaker-triton.binary+json'])],
  ];
  if (ihcl !== undefined) headers.push(['Inference-Header-Content-Length', ihcl]);
  const valid =
    done.length === 1 &&
    done[0] === 'INT32' &&
    header.inputs &&
    (header.inputs as Array<{ shape: unknown }>)[0].shape?.toString() === '1,16' &&
    !('outputs' in header && header.outputs);
  return one(
    rng,
    'kserve-binary',
    `${model}: ${done.map((d) => (d.startsWith('valid ') ? 'valid image' : d)).join(', ')}`,
    {
      method: 'POST',
      target: `/v2/models/${model}/infer`,
      headers,
      body: concatAll([json, binary]),
    },
    valid ? { want: [200] } : {},
  );
}

// ---------------------------------------------------------------------------------------
// Routes, methods and query strings.

const PATHS = [
  '/',
  '/v2',
  '/v2/',
  '/v2/health/live',
  '/v2/health/ready',
  '/v2/health',
  '/v2/models/simple',
  '/v2/models/simple/ready',
  '/v2/models/simple/config',
  '/v2/models/simple/stats',
  '/v2/models/stats',
  '/v2/models/simple/versions/1',
  '/v2/models/simple/versions/abc/ready',
  '/v2/models/simple/versions/1/infer',
  '/v2/models/nope',
  '/v2/models//infer',
  '/v2/models/%2e%2e/infer',
  '/v2/models/simple%2F..%2Fx/ready',
  '/v2/repository/index',
  '/v2/repository/models/nope/load',
  '/v2/repository/models/nope/unload',
  '/v2/repository/models/%00/load',
  '/metrics',
  '/openapi.json',
  '/docs',
  '/docs/',
  '/docs/assets/swagger-ui-dist/nope.js',
  '/favicon.ico',
  '/v1/faces/detect/',
  '/v1/faces',
  '/v1/faces/',
  '/v1/nope',
  '/..%2f..%2fetc/passwd',
  '//v2',
  '/v2//health/live',
  `/v2/models/${'a'.repeat(5000)}`,
  '/v2/models/%C3%A9',
  '/v2/models/%E9',
  '/%',
  '/v2/models/%zz',
  '/v1/faces/detect?',
  '/v1/gallery',
  '/v1/galleries',
  '/v1/faces/identify',
  '/v2/models/face_detect/infer',
  '/v2/models/face_embed/config',
  '/v2/models/face_detect/versions/1/stats',
];
const METHODS = ['GET', 'GET', 'POST', 'POST', 'PUT', 'DELETE', 'PATCH', 'OPTIONS', 'HEAD'];
const QUERIES = [
  '',
  '',
  '?',
  '?%',
  '?a=%zz',
  '?a&a&a',
  `?${'x=1&'.repeat(3000)}`,
  '?%00=%00',
  '?score_threshold=',
  '?a[b]=1',
  '?=',
  '?&&&',
  `?q=${'%41'.repeat(2000)}`,
  '?max_faces=1&max_faces=2',
  '?threshold=0&threshold=',
  '?render=png&render=png',
];

function routes(rng: Rng): Case {
  const path = rng.pick(PATHS);
  const method = rng.pick(METHODS);
  const q = path.includes('?') ? '' : rng.pick(QUERIES);
  const body =
    method === 'GET' || method === 'HEAD'
      ? rng.chance(0.1)
        ? rng.bytes(rng.range(0, 64))
        : undefined
      : rng.chance(0.6)
        ? rng.pick([b('{}'), b(''), b('{"parameters":{"unload_dependents":true}}'), rng.bytes(100), b('not json')])
        : undefined;
  const headers: Array<[string, string]> = body ? [['Content-Type', rng.pick(['application/json', 'text/plain', 'application/octet-stream'])]] : [];
  return one(rng, 'routes', `${method} ${path.length > 60 ? `${path.slice(0, 40)}…` : path}${q ? ' with odd query' : ''}`, {
    method,
    target: `${path}${q}`,
    headers,
    body,
  });
}

// ---------------------------------------------------------------------------------------
// Headers: what the body is said to be, how long, how encoded; oversized headers.

function headers(rng: Rng, corpus: Corpus): Case {
  const img = corpus.face;
  const target = rng.pick(['/v1/faces/detect', '/v2/models/simple/infer', '/v1/faces/embed']);
  const json = b(
    JSON.stringify({
      inputs: [
        { name: 'INPUT0', shape: [1, 16], datatype: 'INT32', data: Array(16).fill(1) },
        { name: 'INPUT1', shape: [1, 16], datatype: 'INT32', data: Array(16).fill(2) },
      ],
    }),
  );
  const body = target.includes('simple') ? json : img;
  const baseType = target.includes('simple') ? 'application/json' : 'image/jpeg';
  const variants: Array<[string, () => Req & { halfClose?: boolean; incomplete?: boolean }]> = [
    ['Content-Type missing', () => ({ method: 'POST', target, body })],
    [
      'Content-Type odd',
      () => ({
        method: 'POST',
        target,
        body,
        headers: [
          [
            'Content-Type',
            rng.pick([
              'IMAGE/JPEG',
              'image/jpeg; charset=utf-8',
              ';;;',
              'image/',
              'multipart/form-data',
              'multipart/form-data; boundary=',
              'application/json; charset=latin1',
              'text/plain',
              `x/${'y'.repeat(9000)}`,
              'application/x-www-form-urlencoded',
              '*/*',
            ]),
          ],
        ],
      }),
    ],
    [
      'Content-Length larger than the body, then half-close',
      () => ({
        method: 'POST',
        target,
        body,
        headers: [
          ['Content-Type', baseType],
          ['Content-Length', String(body.length + rng.range(1, 5000))],
        ],
        halfClose: true,
        incomplete: true,
      }),
    ],
    [
      'Content-Length smaller than the body',
      () => ({
        method: 'POST',
        target,
        body,
        headers: [
          ['Content-Type', baseType],
          ['Content-Length', String(rng.range(0, body.length - 1))],
        ],
      }),
    ],
    [
      'Content-Length not a number',
      () => ({
        method: 'POST',
        target,
        body,
        headers: [
          ['Content-Type', baseType],
          ['Content-Length', rng.pick(['abc', '-1', '1e3', ' 5', '0x10', '', '+5', '99999999999999999999999'])],
        ],
      }),
    ],
    [
      'Content-Length twice, different',
      () => ({
        method: 'POST',
        target,
        body,
        headers: [
          ['Content-Type', baseType],
          ['Content-Length', String(body.length)],
          ['Content-Length', String(body.length - 1)],
        ],
      }),
    ],
    [
      'Content-Length and chunked',
      () => ({
        method: 'POST',
        target,
        body: chunked(body, rng),
        headers: [
          ['Content-Type', baseType],
          ['Content-Length', String(body.length)],
          ['Transfer-Encoding', 'chunked'],
        ],
      }),
    ],
    [
      'Content-Length over the limit',
      () => ({
        method: 'POST',
        target,
        body: body.subarray(0, 100),
        headers: [
          ['Content-Type', baseType],
          ['Content-Length', String(rng.pick([33554433, 2 ** 40, 1e15]))],
        ],
        halfClose: true,
      }),
    ],
    [
      'chunked',
      () => ({
        method: 'POST',
        target,
        body: chunked(body, rng),
        headers: [
          ['Content-Type', baseType],
          ['Transfer-Encoding', 'chunked'],
        ],
      }),
    ],
    [
      'chunked, bad chunk size',
      () => ({
        method: 'POST',
        target,
        body: concatAll([b(rng.pick(['zz', 'ffffffffffffffff', '-1', '1 1', '']) + '\r\n'), body.subarray(0, 100), b('\r\n0\r\n\r\n')]),
        headers: [
          ['Content-Type', baseType],
          ['Transfer-Encoding', 'chunked'],
        ],
      }),
    ],
    [
      'chunked, no last chunk, then half-close',
      () => ({
        method: 'POST',
        target,
        body: chunked(body, rng).subarray(0, -5),
        headers: [
          ['Content-Type', baseType],
          ['Transfer-Encoding', 'chunked'],
        ],
        halfClose: true,
        incomplete: true,
      }),
    ],
    [
      'chunked with extensions',
      () => ({
        method: 'POST',
        target,
        body: concatAll([b(`${body.length.toString(16)};ext=1;x="y"\r\n`), body, b('\r\n0\r\n\r\n')]),
        headers: [
          ['Content-Type', baseType],
          ['Transfer-Encoding', 'chunked'],
        ],
      }),
    ],
    [
      'Transfer-Encoding odd',
      () => ({
        method: 'POST',
        target,
        body: chunked(body, rng),
        headers: [
          ['Content-Type', baseType],
          ['Transfer-Encoding', rng.pick(['gzip, chunked', 'identity', 'chunked, identity', 'CHUNKED', 'chunked;q=1', 'xchunked'])],
        ],
      }),
    ],
    [
      'chunked over the limit',
      () => ({
        method: 'POST',
        target,
        body: chunkedZeros(33 * 1024 * 1024 + 10),
        headers: [
          ['Content-Type', baseType],
          ['Transfer-Encoding', 'chunked'],
        ],
      }),
    ],
    [
      'gzip body',
      () => ({
        method: 'POST',
        target,
        body: new Uint8Array(gzipSync(body)),
        headers: [
          ['Content-Type', baseType],
          ['Content-Encoding', 'gzip'],
        ],
      }),
    ],
    [
      'gzip garbage',
      () => ({
        method: 'POST',
        target,
        body: rng.bytes(rng.range(0, 500)),
        headers: [
          ['Content-Type', baseType],
          ['Content-Encoding', rng.pick(['gzip', 'deflate', 'br', 'gzip, gzip', 'zstd', 'x'])],
        ],
      }),
    ],
    [
      'gzip bomb',
      () => ({
        method: 'POST',
        target,
        body: bomb(),
        headers: [
          ['Content-Type', baseType],
          ['Content-Encoding', 'gzip'],
        ],
      }),
    ],
    ['header of 16 KiB', () => ({ method: 'GET', target: '/v2/health/live', headers: [['X-Big', 'a'.repeat(16 * 1024)]] })],
    ['header of 70 KiB', () => ({ method: 'GET', target: '/v2/health/live', headers: [['X-Big', 'a'.repeat(70 * 1024)]] })],
    ['300 headers', () => ({ method: 'GET', target: '/v2', headers: Array.from({ length: 300 }, (_, i) => [`X-H${i}`, 'v'.repeat(50)] as [string, string]) })],
    [
      'header without a colon',
      () => ({
        method: 'GET',
        target: '/v2',
        headers: [
          ['X-No-Colon-Here', ''],
          ['Bad Name', 'x'],
        ],
      }),
    ],
    ['NUL in a header value', () => ({ method: 'GET', target: '/v2', headers: [['X-Nul', 'a\u0000b']] })],
    ['obs-fold continuation', () => ({ method: 'GET', target: '/v2', headers: [['X-Fold', 'a\r\n  continued']] })],
    [
      'Expect: 100-continue',
      () => ({
        method: 'POST',
        target,
        body,
        headers: [
          ['Content-Type', baseType],
          ['Expect', rng.pick(['100-continue', '200-ok'])],
        ],
      }),
    ],
    ['no Host', () => ({ method: 'GET', target: '/v2/health/live', headers: [['Host', '']] })],
    [
      'two Hosts',
      () => ({
        method: 'GET',
        target: '/v2/health/live',
        headers: [
          ['Host', 'a'],
          ['Host', 'b'],
        ],
      }),
    ],
    [
      'Authorization junk',
      () => ({
        method: 'POST',
        target,
        body,
        headers: [
          ['Content-Type', baseType],
          ['Authorization', rng.pick(['Bearer', 'Bearer x.y.z', 'Basic ????', `Bearer ${'a'.repeat(8000)}`, 'ApiKey '])],
        ],
      }),
    ],
  ];
  const [name, make] = rng.pick(variants);
  const r = make();
  if (name === 'no Host') r.headers = [];
  const c = one(rng, 'headers', `${target}: ${name}`, r);
  if (name === 'no Host') c.writes = [b('GET /v2/health/live HTTP/1.1\r\nConnection: close\r\n\r\n')];
  if (r.halfClose) c.halfClose = true;
  if (r.incomplete) c.incomplete = true;
  return c;
}

function chunked(body: Uint8Array, rng: Rng): Uint8Array {
  const parts: Uint8Array[] = [];
  for (let at = 0; at < body.length; ) {
    const n = Math.min(body.length - at, rng.range(1, 20000));
    parts.push(b(`${n.toString(16)}\r\n`), body.subarray(at, at + n), b('\r\n'));
    at += n;
  }
  parts.push(b('0\r\n\r\n'));
  return concatAll(parts);
}

function chunkedZeros(n: number): Uint8Array {
  const chunk = new Uint8Array(1 << 20);
  const head = b(`${chunk.length.toString(16)}\r\n`);
  const parts: Uint8Array[] = [];
  for (let at = 0; at < n; at += chunk.length) parts.push(head, chunk, b('\r\n'));
  parts.push(b('0\r\n\r\n'));
  return concatAll(parts);
}

let bombBytes: Uint8Array | undefined;
/** 64 MiB of zeros gzipped (~64 KiB): the inflated body passes the 32 MiB limit. */
function bomb(): Uint8Array {
  bombBytes ??= new Uint8Array(gzipSync(new Uint8Array(64 << 20), { level: 9 }));
  return bombBytes;
}

// ---------------------------------------------------------------------------------------
// Raw framing: what an HTTP/1.1 parser meets besides well-formed requests.

function framing(rng: Rng, corpus: Corpus): Case {
  const live = 'GET /v2/health/live HTTP/1.1\r\nHost: x\r\n\r\n';
  const raw = (name: string, text: string | Uint8Array, methods = ['GET'], extra: Partial<Case> = {}): Case => {
    const bytes = typeof text === 'string' ? Buffer.from(text, 'latin1') : text;
    return {
      group: 'framing',
      name,
      writes: split(new Uint8Array(bytes), rng),
      methods,
      summary: `${name}: ${JSON.stringify(Buffer.from(bytes.subarray(0, 120)).toString('latin1'))}${bytes.length > 120 ? `…(${bytes.length} B)` : ''}`,
      ...extra,
    };
  };
  const detect = requestBytes('POST', '/v1/faces/detect', [['Content-Type', 'image/jpeg']], corpus.face);
  const variants: Array<() => Case> = [
    () => raw('garbage line', `${rng.pick(['hello', 'GET', 'GET /', '\u0000\u0001\u0002', ' / HTTP/1.1', 'HTTP/1.1 200 OK'])}\r\n\r\n`),
    () => raw('random bytes', rng.bytes(rng.range(1, 300))),
    () => raw('unknown HTTP version', 'GET /v2/health/live HTTP/9.9\r\nHost: x\r\nConnection: close\r\n\r\n'),
    () => raw('HTTP/1.0 without Host', 'GET /v2/health/live HTTP/1.0\r\n\r\n'),
    () => raw('HTTP/2 preface', 'PRI * HTTP/2.0\r\n\r\nSM\r\n\r\n'),
    () => raw('lowercase method', 'get /v2/health/live HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n'),
    () =>
      raw('unknown method', `${rng.pick(['BREW', 'FOO', 'PROPFIND', 'TRACE', 'CONNECT'])} /v2/health/live HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n`),
    () => raw('LF-only line endings', 'GET /v2/health/live HTTP/1.1\nHost: x\nConnection: close\n\n'),
    () => raw('double spaces in the request line', 'GET  /v2/health/live  HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n'),
    () => raw('absolute-form target', 'GET http://x/v2/health/live HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n'),
    () => raw('asterisk-form OPTIONS', 'OPTIONS * HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n', ['OPTIONS']),
    () => raw('request line of 64 KiB', `GET /${'a'.repeat(65536)} HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n`),
    () => raw('NUL in the target', 'GET /v2/\u0000health HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n'),
    () => raw('tab separators', 'GET\t/v2/health/live\tHTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n'),
    () => raw('leading empty lines', `\r\n\r\n${live.replace('\r\n\r\n', '\r\nConnection: close\r\n\r\n')}`),
    () => raw('two requests pipelined', `${live}${live.replace('\r\n\r\n', '\r\nConnection: close\r\n\r\n')}`, ['GET', 'GET']),
    () =>
      raw('three requests pipelined', `${live}GET /v2 HTTP/1.1\r\nHost: x\r\n\r\n${live.replace('\r\n\r\n', '\r\nConnection: close\r\n\r\n')}`, [
        'GET',
        'GET',
        'GET',
      ]),
    () =>
      raw('upload and a GET pipelined', concatAll([detect, Buffer.from(live.replace('\r\n\r\n', '\r\nConnection: close\r\n\r\n'), 'latin1')]), ['POST', 'GET']),
    () => raw('half-close after a complete request', live, ['GET'], { halfClose: true }),
    () => raw('half-close after an upload', detect, ['POST'], { halfClose: true }),
    () =>
      raw(
        'chunked with a trailer',
        `POST /v2/repository/index HTTP/1.1\r\nHost: x\r\nTransfer-Encoding: chunked\r\nConnection: close\r\n\r\n2\r\n{}\r\n0\r\nX-Trailer: 1\r\n\r\n`,
        ['POST'],
      ),
    () =>
      raw(
        'chunk size overflow',
        'POST /v2/repository/index HTTP/1.1\r\nHost: x\r\nTransfer-Encoding: chunked\r\nConnection: close\r\n\r\n10000000000000002\r\n{}\r\n0\r\n\r\n',
        ['POST'],
        { halfClose: true, incomplete: true },
      ),
    () =>
      raw('header block never ends, then half-close', 'GET /v2/health/live HTTP/1.1\r\nHost: x\r\nX-A: 1\r\n', ['GET'], { halfClose: true, incomplete: true }),
    () => raw('request line only, then half-close', 'GET /v2/health/live HTTP/1.1\r\n', ['GET'], { halfClose: true, incomplete: true }),
    () => raw('space before a header colon', 'GET /v2/health/live HTTP/1.1\r\nHost : x\r\nConnection: close\r\n\r\n'),
    () =>
      raw(
        'smuggling: CL then TE',
        'POST /v2/repository/index HTTP/1.1\r\nHost: x\r\nContent-Length: 4\r\nTransfer-Encoding: chunked\r\nConnection: close\r\n\r\n0\r\n\r\nGET /v2 HTTP/1.1\r\nHost: x\r\n\r\n',
        ['POST'],
      ),
  ];
  return rng.pick(variants)();
}

// ---------------------------------------------------------------------------------------
// Valid requests with checked answers.

export function validCase(rng: Rng, corpus: Corpus): Case {
  const face = corpus.face;
  switch (rng.int(4)) {
    case 0:
      return one(
        rng,
        'valid',
        'detect astronaut.jpg',
        { method: 'POST', target: '/v1/faces/detect', headers: [['Content-Type', 'image/jpeg']], body: face },
        {
          want: [200],
          check: (s, body) => {
            const j = JSON.parse(new TextDecoder().decode(body));
            return j.faces?.length === 1 && j.image?.width === 512 ? undefined : `expected 1 face on 512x512, got ${JSON.stringify(j).slice(0, 200)}`;
          },
        },
      );
    case 1:
      return one(
        rng,
        'valid',
        'embed astronaut.jpg',
        { method: 'POST', target: '/v1/faces/embed', headers: [['Content-Type', 'image/jpeg']], body: face },
        {
          want: [200],
          check: (s, body) => (JSON.parse(new TextDecoder().decode(body)).embedding?.length === 512 ? undefined : 'no 512-d embedding'),
        },
      );
    case 2:
      return one(
        rng,
        'valid',
        'simple infer',
        {
          method: 'POST',
          target: '/v2/models/simple/infer',
          headers: [['Content-Type', 'application/json']],
          body: b(
            JSON.stringify({
              inputs: [
                { name: 'INPUT0', shape: [1, 16], datatype: 'INT32', data: Array.from({ length: 16 }, (_, i) => i) },
                { name: 'INPUT1', shape: [1, 16], datatype: 'INT32', data: Array(16).fill(1) },
              ],
            }),
          ),
        },
        { want: [200], check: checkSimple },
      );
    default:
      return one(rng, 'valid', 'model metadata', { method: 'GET', target: '/v2/models/face_detect' }, { want: [200] });
  }
}

export const GROUPS: Array<[number, string, (rng: Rng, corpus: Corpus) => Case]> = [
  [22, 'faces', faces],
  [10, 'multipart', multipart],
  [7, 'face-json', faceJson],
  [15, 'kserve-json', kserveJson],
  [11, 'kserve-binary', kserveBinary],
  [8, 'routes', routes],
  [11, 'headers', headers],
  [10, 'framing', framing],
  [6, 'valid', validCase],
];

export function generate(rng: Rng, corpus: Corpus): Case {
  const [, , make] = rng.weighted(GROUPS.map((g) => [g[0], g] as const));
  return make(rng, corpus);
}
